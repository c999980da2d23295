#!/bin/bash
# NAME
#	41-milter-av-kill.sh - messec-milter-av killed with SIGKILL while mail flows
# DESCRIPTION
#	30 messages (clean, with an attachment) are sent one after the other;
#	the milter is killed with kill -9 after the 10th reply. Postfix
#	(milter_default_action = tempfail) must answer 4xx while it is gone --
#	never accept unscanned mail, never 5xx. The milter is restarted over
#	the stale socket file; the sender retries every deferred message.
#	Then every one of the 30 messages is in the mailbox exactly once, each
#	with X-Virus-Status: clean (IMAP, by unique Subject). The steps are
#	milter.bash's milter_kill_redelivery (35 runs them for milter-auth).
set -u
. "$(dirname "$0")/milter-av.bash"
av_lab_up
run=avk$RANDOM
N=30

send_one() {	# $1 index; prints the reply's last lines on one line
	local f
	f=$(av_msg clean-attachment "$run-$1")
	lab_mail send --bind "$LAB_OUT_GOOD" --from bob@sender.example --to "$LAB_ALICE" --file "$f" 2>&1 |
		tail -n 1 | tr '\n' ' '
}

milter_kill_redelivery "$AV_TMP" "$LAB_DIR/av.sock" AV_PID av_start send_one $N "$run" unscanned
out=$MILTER_KILL_OUT
n_clean=$(grep -c '^X-Virus-Status: clean' <<<"$out")
[ "$n_clean" -eq $N ] && ok "every delivered message was scanned (X-Virus-Status: clean on each)" ||
	fail "every delivered message was scanned" "$n_clean X-Virus-Status: clean for $N messages"
av_finish
