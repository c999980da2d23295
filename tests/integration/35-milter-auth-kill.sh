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

# The sender logs "start I" before each message and "I REPLY" after it, so
# the test knows exactly which messages began after the milter was dead
# (under load the kill lands a few messages later than planned; those
# messages are rightly checked by the still-living milter).
: >"$MA_TMP/replies"
: >"$MA_TMP/starts"
: >"$MA_TMP/dead"
(
	for i in $(seq 1 $N); do
		echo "start $i" >>"$MA_TMP/starts"
		echo "$i $(send_one "$i")" >>"$MA_TMP/replies"
		sleep 0.2
	done
) &
sender=$!

lab_wait 60 sh -c "[ \$(wc -l <'$MA_TMP/replies') -ge 10 ]"
kill -9 "$MA_PID"
# A big (ASan) process takes a moment to be torn down after SIGKILL.
if lab_wait 20 sh -c "! kill -0 $MA_PID 2>/dev/null"; then
	dead_after=$(wc -l <"$MA_TMP/starts")	# messages begun before death
	ok "milter killed with SIGKILL (pid $MA_PID gone)"
else
	dead_after=$N
	fail "milter killed with SIGKILL" "pid $MA_PID still alive 20 s after kill -9"
fi
# Wait until three messages begun after its death have their replies.
want=$((dead_after + 3))
[ "$want" -gt $N ] && want=$N
lab_wait 60 sh -c "[ \$(wc -l <'$MA_TMP/replies') -ge $want ]"
after_death=$(awk -v d="$dead_after" '$1 > d' "$MA_TMP/replies")
# Replies are written in order: the first restart_at messages all finished
# before the restart.
restart_at=$(wc -l <"$MA_TMP/replies")
# Restart as an admin's unit would: over the socket file the killed
# process left behind (kill -9 runs no cleanup), nothing removed first.
if [ -S "$LAB_DIR/auth.sock" ] && ! ma_accepts 2>/dev/null; then
	ok "kill -9 left a stale socket file (it refuses connections)"
else
	fail "kill -9 left a stale socket file (it refuses connections)" "$(ls -l "$LAB_DIR/auth.sock" 2>&1)"
fi
ma_start || { wait "$sender"; lab_finish; }
ok "milter restarts over the stale socket and accepts connections"
wait "$sender"

# Only messages begun after death and finished before the restart count.
window=$(awk -v d="$dead_after" -v r="$restart_at" '$1 > d && $1 <= r' "$MA_TMP/replies")
n_window=$(grep -c . <<<"$window")
n_4xx=$(grep -cE '^[0-9]+ .*\b4[0-9][0-9] ' <<<"$window")
if [ "$n_window" -ge 3 ] && [ "$n_4xx" -eq "$n_window" ]; then
	ok "milter gone: Postfix defers with 4xx ($n_4xx messages, none accepted unchecked)"
else
	fail "milter gone: Postfix defers with 4xx" \
		"$n_4xx of $n_window messages begun after death were 4xx (died after $dead_after, restart at $restart_at): $(tr '\n' '|' <<<"$after_death" | cut -c1-600)"
fi
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
