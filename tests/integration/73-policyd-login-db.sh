#!/bin/bash
# NAME
#	73-policyd-login-db.sh - sender-login ownership from an LMDB map, behind the lab's real Postfix
# DESCRIPTION
#	The sender-login map lives in an LMDB file (sender_login_db) built
#	with `messec-policyd --build-login-map MAPFILE lmdb:/path`. Cases:
#	a config naming a map that was never built is refused at startup;
#	a map built by root (so unreadable by the daemon's user) makes the
#	rule tempfail (450 4.3.0, logged), never accept; once the file
#	belongs to the daemon's user, alice (authenticated on 587) as bob is
#	rejected at RCPT with the documented text and as herself delivered;
#	a rebuild while the daemon runs (no SIGHUP) that gives alice bob's
#	address lets her use it, and the next rebuild that takes it away
#	refuses it again; a map removed and built again as a new file is
#	opened anew; a bad map file leaves the built map as it was.
set -u
. "$(dirname "$0")/policyd.bash"
pd_lab_up 10042		# PD, port, cfgdir
mkdir "$cfgdir/state" && chown nobody "$cfgdir/state"
db="lmdb:$cfgdir/state/login.lmdb"
cat >"$cfgdir/policyd.conf" <<X
listen = inet:127.0.0.1:$port
user = nobody
rcpt_rules = sender_login
sender_login_db = $db
store = lmdb:$cfgdir/state/policyd.lmdb
X
cat >"$cfgdir/login.map" <<X
alice@lab.example  alice@lab.example
bob@lab.example    bob@lab.example
X
chmod 644 "$cfgdir/policyd.conf" "$cfgdir/login.map"

out=$("$PD" -t -c "$cfgdir/policyd.conf" 2>&1)
st=$?
[[ $st != 0 && $out == *"login.lmdb: No such file or directory (build it with messec-policyd --build-login-map"* ]] &&
	ok "a map never built: the config is refused, saying how to build it" ||
	fail "a map never built: the config is refused, saying how to build it" "exit $st: $out"

# Built by root: the daemon (nobody) cannot open it.
out=$("$PD" --build-login-map "$cfgdir/login.map" "$db" 2>&1)
[[ $out == *"2 logins, 2 entries (replacing 0)"* ]] && ok "--build-login-map builds the map" ||
	fail "--build-login-map builds the map" "$out"
if lab_spawn policyd -- "$PD" -f -c "$cfgdir/policyd.conf" && lab_wait_port $port; then
	ok "policyd starts with an LMDB login map"
else
	fail "policyd starts with an LMDB login map" "$(tail -n 5 "$LAB_DIR/policyd.log")"
fi
send() {	# from, subject
	lab_mail send --port 587 --starttls --auth "$LAB_ALICE" "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
		--from "$1" --to "$LAB_BOB" --subject "$2" 2>&1
}
out=$(send "$LAB_ALICE" db-unreadable)
if [[ $out == *"450 4.3.0 "*"Sender login map unavailable, try again later"* ]] &&
	grep -q 'sender_login_db: .*Permission denied' "$LAB_DIR/policyd.log"; then
	ok "map unreadable by the daemon's user: 450 4.3.0 and a log line, not an accept"
else
	fail "map unreadable by the daemon's user: 450 4.3.0 and a log line, not an accept" "$out / $(tail -n 3 "$LAB_DIR/policyd.log")"
fi

chown nobody "$cfgdir/state/login.lmdb" "$cfgdir/state/login.lmdb-lock"
want="554 5.7.1 <$LAB_BOB>: Recipient address rejected: Sender address <$LAB_BOB> is not owned by login $LAB_ALICE"
out=$(send "$LAB_BOB" db-as-bob)
[[ $out == *"$want"* ]] && ok "file now the daemon's: alice as bob rejected at RCPT: $want" ||
	fail "file now the daemon's: alice as bob rejected at RCPT: $want" "$out"
before=$(lab_mailbox_count bob)
out=$(send "$LAB_ALICE" db-own)
if [[ $out == 250* ]] && lab_wait_mailbox bob $((before + 1)) 20; then
	ok "alice as herself accepted and delivered"
else
	fail "alice as herself accepted and delivered" "$out"
fi

# Rebuilds while the daemon runs, as its user: seen at the next request.
pid=$(cat "$LAB_DIR/pids/policyd.pid")
echo "alice@lab.example  $LAB_BOB" >>"$cfgdir/login.map"
out=$(runuser -u nobody -- "$PD" --build-login-map "$cfgdir/login.map" "$db" 2>&1)
[[ $out == *"2 logins, 3 entries (replacing 2)"* ]] && ok "rebuild as the daemon's user while it runs" ||
	fail "rebuild as the daemon's user while it runs" "$out"
out=$(send "$LAB_BOB" db-granted)
[[ $out == 250* ]] && ok "after the rebuild (no SIGHUP) alice may use bob's address" ||
	fail "after the rebuild (no SIGHUP) alice may use bob's address" "$out"
sed -i '$d' "$cfgdir/login.map"
runuser -u nobody -- "$PD" --build-login-map "$cfgdir/login.map" "$db" >/dev/null 2>&1
out=$(send "$LAB_BOB" db-revoked)
[[ $out == *"$want"* ]] && ok "the next rebuild takes it away: rejected again" ||
	fail "the next rebuild takes it away: rejected again" "$out"
# Removed and built again as a new file (not in place): the daemon
# notices the file it has open is gone and opens the new one.
rm -f "$cfgdir/state/login.lmdb" "$cfgdir/state/login.lmdb-lock"
echo "alice@lab.example  $LAB_BOB" >>"$cfgdir/login.map"
runuser -u nobody -- "$PD" --build-login-map "$cfgdir/login.map" "$db" >/dev/null 2>&1
out=$(send "$LAB_BOB" db-new-file)
if [[ $out == 250* ]] && grep -q 'sender_login_db: .*login.lmdb changed on disk: opening it again' "$LAB_DIR/policyd.log"; then
	ok "map removed and built as a new file: the daemon opens the new one (logged)"
else
	fail "map removed and built as a new file: the daemon opens the new one (logged)" "$out / $(tail -n 2 "$LAB_DIR/policyd.log")"
fi
echo "carol bad-entry" >"$cfgdir/bad.map"
out=$(runuser -u nobody -- "$PD" --build-login-map "$cfgdir/bad.map" "$db" 2>&1)
st=$?
out2=$(send "$LAB_ALICE" db-after-bad)
[[ $st != 0 && $out == *"bad.map:1: bad-entry: not an address, @domain or *"* && $out2 == 250* ]] &&
	ok "a bad map file is refused with file:line and the built map stays" ||
	fail "a bad map file is refused with file:line and the built map stays" "exit $st: $out / $out2"
kill -0 "$pid" 2>/dev/null && ok "policyd ran throughout (pid $pid)" || fail "policyd ran throughout" "$(tail -n 3 "$LAB_DIR/policyd.log")"
lab_sanitizer_check "no sanitizer report from policyd" "$PD" "$LAB_DIR/policyd.log"
lab_finish
