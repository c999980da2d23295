#!/bin/bash
# NAME
#	35-milter-auth-kill.sh - milter killed with SIGKILL while mail flows
# DESCRIPTION
#	30 messages are sent one after the other while the milter is killed
#	with kill -9 after the 10th reply. Postfix (milter_default_action =
#	tempfail, the documented snippet) must answer 4xx while the milter is
#	gone -- never accept unchecked mail, never 5xx. The milter is
#	restarted; the sender retries every deferred message, as a real MTA
#	would. Then every one of the 30 messages is in the mailbox exactly
#	once (IMAP, by unique Subject).
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up
run=k9x$RANDOM
N=30

send_one() {	# $1 index; prints the reply's first word
	local msg
	msg=$(ma_message "$run-$1" "ceo@none.example")
	lab_mail send --bind "$LAB_OUT_GOOD" --from ceo@none.example --to "$LAB_ALICE" --file "$msg" 2>&1 |
		tail -n 1 | tr '\n' ' '
}

: >"$MA_TMP/replies"
(
	for i in $(seq 1 $N); do
		echo "$i $(send_one "$i")" >>"$MA_TMP/replies"
		sleep 0.2
	done
) &
sender=$!

lab_wait 60 sh -c "[ \$(wc -l <'$MA_TMP/replies') -ge 10 ]"
kill -9 "$MA_PID"
lab_wait 60 sh -c "[ \$(grep -c ' 451\| 4[0-9][0-9]' '$MA_TMP/replies') -ge 3 ]"
deferred_seen=$(grep -cE '^[0-9]+ .*\b4[0-9][0-9] ' "$MA_TMP/replies")
# A big (ASan) process takes a moment to be torn down after SIGKILL.
lab_wait 20 sh -c "! kill -0 $MA_PID 2>/dev/null"
ma_start || { wait "$sender"; lab_finish; }
wait "$sender"

[ "$deferred_seen" -ge 3 ] && ok "milter gone: Postfix defers with 4xx" ||
	fail "milter gone: Postfix defers with 4xx" "$(cat "$MA_TMP/replies")"
grep -qE '^[0-9]+ .*\b5[0-9][0-9] ' "$MA_TMP/replies" &&
	fail "no 5xx while the milter is down" "$(grep -E '\b5[0-9][0-9] ' "$MA_TMP/replies")" ||
	ok "no 5xx while the milter is down"

# Retry the deferred ones against the restarted milter.
retry_bad=
for i in $(grep -vE '^[0-9]+ 250' "$MA_TMP/replies" | cut -d' ' -f1); do
	r=$(send_one "$i")
	[[ $r == 250* ]] || retry_bad+=" $i:$r"
done
[ -z "$retry_bad" ] && ok "every deferred message accepted after restart" ||
	fail "every deferred message accepted after restart" "$retry_bad"

out=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
	--search "SUBJECT $run-" --count $N --wait 30 2>/dev/null)
got=$(grep -oE "^Subject: $run-[0-9]+" <<<"$out" | sort)
total=$(grep -c . <<<"$got")
uniq=$(sort -u <<<"$got" | grep -c .)
[ "$total" -eq $N ] && [ "$uniq" -eq $N ] &&
	ok "all $N messages delivered exactly once" ||
	fail "all $N messages delivered exactly once" "total $total, distinct $uniq"
grep -q "^Authentication-Results: $MA_ID;" <<<"$out" &&
	[ "$(grep -c "^Authentication-Results: $MA_ID;" <<<"$out")" -eq $N ] &&
	ok "every delivered message was checked (one A-R each)" ||
	fail "every delivered message was checked (one A-R each)" \
		"$(grep -c "^Authentication-Results: $MA_ID;" <<<"$out") A-R for $N messages"
ma_finish
