#!/bin/bash
# NAME
#	76-policyd-store-upkeep.sh - opening the store never holds messec-policyd's event loop
# DESCRIPTION
#	A private redis-server in the lab netns is stopped (SIGSTOP: it
#	accepts connections and answers nothing) before messec-policyd starts
#	with store = redis://SOCKET?timeout_ms=4000, so every attempt to open
#	the store waits 4 s for its PING. Cases: a Redis store with
#	store_workers = 0 (Redis calls in the event loop) is refused; while
#	the first open attempt waits, a request is answered (its answer comes
#	before the "cannot open" line is logged) and a greylist request gets
#	store_fail_action at once; once redis-server continues, the upkeep
#	thread opens the store and greylisting works.
set -u
. "$(dirname "$0")/policyd.bash"
pd_redis_lab_up		# PD, tmp, SOCK, REDIS_PID
kill -STOP "$REDIS_PID"

cat >"$tmp/policyd.conf" <<X
listen = inet:127.0.0.1:10053
user = nobody
rcpt_rules = greylist
store = redis://$SOCK?timeout_ms=4000
greylist_delay = 1s
X
chmod 644 "$tmp/policyd.conf"
echo "store_workers = 0" | cat "$tmp/policyd.conf" - >"$tmp/bad.conf"
out=$("$PD" -t -c "$tmp/bad.conf" 2>&1)
[[ $out == *"store_workers: 0 runs the store calls in the event loop: only with an lmdb: store"* ]] &&
	ok "a Redis store with store_workers = 0 is refused" || fail "a Redis store with store_workers = 0 is refused" "$out"

ask() { pd_ask 10053 "$@"; }
grey() { ask protocol_state=RCPT client_address=192.0.2.10 sender=s@none.example recipient=alice@lab.example; }

lab_spawn policyd -- "$PD" -f -c "$tmp/policyd.conf"
lab_wait_port 10053 && lab_wait_log "$LAB_DIR/policyd.log" 'started' 10 ||
	fail "policyd starts" "$(tail -n 3 "$LAB_DIR/policyd.log")"
out=$(ask protocol_state=MAIL sender=s@none.example)
g=$(grey)
pending=$(grep -c 'cannot open' "$LAB_DIR/policyd.log")
[[ $out == action=DUNNO && $pending == 0 ]] &&
	ok "while the store's first open waits on a hung Redis, a request is answered" ||
	fail "while the store's first open waits on a hung Redis, a request is answered" "$out; 'cannot open' lines already: $pending"
[[ $g == action=DUNNO && $pending == 0 ]] && grep -q 'greylist: store error (store not open)' "$LAB_DIR/policyd.log" &&
	ok "a greylist request meanwhile: store_fail_action (DUNNO), logged" ||
	fail "a greylist request meanwhile: store_fail_action (DUNNO), logged" "$g; $(tail -n 3 "$LAB_DIR/policyd.log")"
lab_wait_log "$LAB_DIR/policyd.log" "store: redis:.*: cannot open .*stateful rules answer store_fail_action" 15 &&
	ok "the failed open is logged after its timeout" || fail "the failed open is logged after its timeout" "$(tail -n 3 "$LAB_DIR/policyd.log")"
kill -CONT "$REDIS_PID"
if lab_wait_log "$LAB_DIR/policyd.log" 'store: redis:.* open$' 20; then
	out=$(grey)
	[[ $out == 'action=DEFER_IF_PERMIT 4.7.1 Greylisted'* ]] && ok "Redis back: the store opens, greylisting works" ||
		fail "Redis back: the store opens, greylisting works" "$out"
else
	fail "Redis back: the store opens, greylisting works" "$(tail -n 3 "$LAB_DIR/policyd.log")"
fi
kill -0 "$(cat "$LAB_DIR/pids/policyd.pid")" && ok "policyd ran throughout" || fail "policyd ran throughout" "gone"
lab_sanitizer_check "no sanitizer report from policyd" "$PD" "$LAB_DIR/policyd.log"
lab_finish
