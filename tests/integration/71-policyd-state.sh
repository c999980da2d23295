#!/bin/bash
# NAME
#	71-policyd-state.sh - messec-policyd's rate limit and greylisting behind the lab's real Postfix
# DESCRIPTION
#	messec-policyd with an LMDB store, rcpt_rules = ratelimit greylist,
#	eom_rules = ratelimit, a limit of 3 messages an hour per login and a
#	2-second greylist delay. alice (authenticated on 587, so never
#	greylisted) sends 3 messages, all delivered; the 4th is deferred
#	with 4.7.1 and one alert line is logged. An outside client on 25 is
#	greylisted (450 4.7.1), deferred again on an early retry, and
#	accepted and delivered once the delay has passed. The LMDB file
#	belongs to the daemon's user (opened after the privilege drop).
set -u
. "$(dirname "$0")/policyd.bash"
pd_lab_up 10041		# PD, port, cfgdir
mkdir "$cfgdir/state" && chown nobody "$cfgdir/state"
cat >"$cfgdir/policyd.conf" <<X
listen = inet:127.0.0.1:$port
user = nobody
rcpt_rules = ratelimit greylist
eom_rules = ratelimit
store = lmdb:$cfgdir/state/policyd.lmdb
ratelimit_limits = sasl_username:messages:3/1h:auth
greylist_delay = 2s
greylist_retry_window = 1h
X
chmod 644 "$cfgdir/policyd.conf"

if lab_spawn policyd -- "$PD" -f -c "$cfgdir/policyd.conf" && lab_wait_port $port &&
	lab_wait_log "$LAB_DIR/policyd.log" 'store: lmdb:.* open' 10; then
	ok "policyd starts with its LMDB store"
else
	fail "policyd starts with its LMDB store" "$(tail -n 5 "$LAB_DIR/policyd.log")"
fi
[ "$(stat -c %U "$cfgdir/state/policyd.lmdb" 2>/dev/null)" = nobody ] &&
	ok "the store file belongs to the daemon's user" ||
	fail "the store file belongs to the daemon's user" "$(ls -l "$cfgdir/state" 2>&1)"

send_alice() {
	lab_mail send --port 587 --starttls --auth "$LAB_ALICE" "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
		--from "$LAB_ALICE" --to "$LAB_BOB" --subject "policyd-rate-$1" 2>&1
}
before=$(lab_mailbox_count bob)
good=0
for i in 1 2 3; do
	out=$(send_alice "$i")
	[[ $out == 250* ]] && good=$((good + 1))
done
if [ $good = 3 ] && lab_wait_mailbox bob $((before + 3)) 20; then
	ok "3 messages within the limit accepted and delivered (authenticated: not greylisted)"
else
	fail "3 messages within the limit accepted and delivered (authenticated: not greylisted)" "$good accepted; last: $out"
fi
out=$(send_alice 4)
[[ $out == *'450 4.7.1 '*'Rate limit exceeded, try again later'* && $out != 250* ]] && ok "the 4th message is deferred with 4.7.1" ||
	fail "the 4th message is deferred with 4.7.1" "$out"
out=$(send_alice 5)
[[ $out == *'450 4.7.1 '*'Rate limit exceeded'* ]] && ok "the 5th too" || fail "the 5th too" "$out"
n=$(grep -c "ratelimit: sasl_username $LAB_ALICE exceeded 3 messages" "$LAB_DIR/policyd.log")
[ "$n" = 1 ] && ok "one alert line for the key and window" || fail "one alert line for the key and window" "$n lines"

# Greylisting an outside client on port 25.
send_out() {
	lab_mail send --bind "$LAB_OUT_GOOD" --from grey@none.example --to "$LAB_ALICE" --subject policyd-grey 2>&1
}
abefore=$(lab_mailbox_count alice)
out=$(send_out)
[[ $out == *'450 4.7.1'*'Greylisted'* ]] && ok "first attempt greylisted: 450 4.7.1" ||
	fail "first attempt greylisted: 450 4.7.1" "$out"
out=$(send_out)
[[ $out == *'450 4.7.1'*'Greylisted'* ]] && ok "immediate retry still greylisted" ||
	fail "immediate retry still greylisted" "$out"
sleep 3	# greylist_delay is 2s
out=$(send_out)
if [[ $out == 250* ]] && lab_wait_mailbox alice $((abefore + 1)) 20; then
	ok "retry after the delay accepted and delivered"
else
	fail "retry after the delay accepted and delivered" "$out"
fi
lab_sanitizer_check "no sanitizer report from policyd" "$PD" "$LAB_DIR/policyd.log"
lab_finish
