#!/bin/bash
# NAME
#	35-milter-auth-kill.sh - milter killed with SIGKILL while mail flows
# DESCRIPTION
#	30 messages are sent one after the other while the milter is killed
#	with kill -9 after the 10th reply. Postfix (milter_default_action =
#	tempfail, the documented snippet) must answer 4xx while the milter is
#	gone -- never accept unchecked mail, never 5xx. The milter is
#	restarted over the stale socket file the killed process left (as a
#	service manager would restart it); the sender retries every deferred
#	message, as a real MTA would. Then every one of the 30 messages is in the mailbox exactly
#	once (IMAP, by unique Subject). The steps are milter.bash's
#	milter_kill_redelivery (41 runs them for milter-av).
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

milter_kill_redelivery "$MA_TMP" "$LAB_DIR/auth.sock" MA_PID ma_start send_one $N "$run" unchecked
out=$MILTER_KILL_OUT
grep -q "^Authentication-Results: $MA_ID;" <<<"$out" &&
	[ "$(grep -c "^Authentication-Results: $MA_ID;" <<<"$out")" -eq $N ] &&
	ok "every delivered message was checked (one A-R each)" ||
	fail "every delivered message was checked (one A-R each)" \
		"$(grep -c "^Authentication-Results: $MA_ID;" <<<"$out") A-R for $N messages"
ma_finish
