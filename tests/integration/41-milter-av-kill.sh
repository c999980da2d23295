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
#	with X-Virus-Status: clean (IMAP, by unique Subject).
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

: >"$AV_TMP/replies"
: >"$AV_TMP/starts"
(
	for i in $(seq 1 $N); do
		echo "start $i" >>"$AV_TMP/starts"
		echo "$i $(send_one "$i")" >>"$AV_TMP/replies"
		sleep 0.2
	done
) &
sender=$!

lab_wait 60 sh -c "[ \$(wc -l <'$AV_TMP/replies') -ge 10 ]"
kill -9 "$AV_PID"
if lab_wait 20 sh -c "! kill -0 $AV_PID 2>/dev/null"; then
	dead_after=$(wc -l <"$AV_TMP/starts")
	ok "milter killed with SIGKILL (pid $AV_PID gone)"
else
	dead_after=$N
	fail "milter killed with SIGKILL" "pid $AV_PID still alive 20 s after kill -9"
fi
want=$((dead_after + 3))
[ "$want" -gt $N ] && want=$N
lab_wait 60 sh -c "[ \$(wc -l <'$AV_TMP/replies') -ge $want ]"
restart_at=$(wc -l <"$AV_TMP/replies")
if [ -S "$LAB_DIR/av.sock" ] && ! av_accepts 2>/dev/null; then
	ok "kill -9 left a stale socket file (it refuses connections)"
else
	fail "kill -9 left a stale socket file" "$(ls -l "$LAB_DIR/av.sock" 2>&1)"
fi
av_start || { wait "$sender"; lab_finish; }
ok "milter restarts over the stale socket and accepts connections"
wait "$sender"

window=$(awk -v d="$dead_after" -v r="$restart_at" '$1 > d && $1 <= r' "$AV_TMP/replies")
n_window=$(grep -c . <<<"$window")
n_4xx=$(grep -cE '^[0-9]+ .*\b4[0-9][0-9] ' <<<"$window")
if [ "$n_window" -ge 3 ] && [ "$n_4xx" -eq "$n_window" ]; then
	ok "milter gone: Postfix defers with 4xx ($n_4xx messages, none accepted unscanned)"
else
	fail "milter gone: Postfix defers with 4xx" \
		"$n_4xx of $n_window (died after $dead_after, restart at $restart_at): $(tr '\n' '|' <<<"$window" | cut -c1-600)"
fi
grep -qE '^[0-9]+ .*\b5[0-9][0-9] ' "$AV_TMP/replies" &&
	fail "no 5xx while the milter is down" "$(grep -E '\b5[0-9][0-9] ' "$AV_TMP/replies")" ||
	ok "no 5xx while the milter is down"

retry_bad=
for i in $(grep -vE '^[0-9]+ .*250 ' "$AV_TMP/replies" | cut -d' ' -f1); do
	r=$(send_one "$i")
	[[ $r == *"250 "* ]] || retry_bad+=" $i:$r"
done
[ -z "$retry_bad" ] && ok "every deferred message accepted after restart" ||
	fail "every deferred message accepted after restart" "$retry_bad"

out=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
	--search "SUBJECT $run-" --count $N --wait 30 2>/dev/null)
got=$(grep -oE "^Subject: $run-[0-9]+" <<<"$out" | sort)
total=$(grep -c . <<<"$got")
uniq=$(sort -u <<<"$got" | grep -c .)
[ "$total" -eq $N ] && [ "$uniq" -eq $N ] && ok "all $N messages delivered exactly once" ||
	fail "all $N messages delivered exactly once" "total $total, distinct $uniq"
n_clean=$(grep -c '^X-Virus-Status: clean' <<<"$out")
[ "$n_clean" -eq $N ] && ok "every delivered message was scanned (X-Virus-Status: clean on each)" ||
	fail "every delivered message was scanned" "$n_clean X-Virus-Status: clean for $N messages"
av_finish
