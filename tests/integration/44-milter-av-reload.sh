#!/bin/bash
# NAME
#	44-milter-av-reload.sh - signature database replaced while mail flows
# DESCRIPTION
#	40 messages are sent one after the other, alternately clean and
#	carrying a marker only the second database has a signature for
#	(Messec.Test.Reload). After the 10th reply the test replaces the
#	database file (rename over it, as freshclam does) with one that has
#	the new signature; the milter sees the change (cl_statchkdir,
#	reload_check_interval = 1s), builds a new engine beside the old one
#	and swaps it. Checked: no message lost (every clean one delivered, no
#	4xx at all), no message scanned by no engine (no av=error verdict),
#	the marker is delivered before the swap and refused with 554 5.7.1
#	Messec.Test.Reload after it, and the old engine's signatures still
#	match after the swap. The process's peak RSS (VmHWM) before and after
#	is printed as a comment (docs/milter-av.md; not a pass/fail figure).
set -u
. "$(dirname "$0")/milter-av.bash"
av_lab_up
run=avr$RANDOM
N=40

send_one() {	# $1 index, $2 kind
	local f
	f=$(av_msg "$2" "$run-$1")
	lab_mail send --bind "$LAB_OUT_GOOD" --from bob@sender.example --to "$LAB_ALICE" --file "$f" 2>&1 |
		tail -n 1 | tr '\n' ' '
}

hwm() { awk '/^VmHWM/ {print $2 " " $3}' "/proc/$AV_PID/status"; }
echo "# peak RSS before the reload: $(hwm)"

send_next() {	# $1 index: odd clean, even reload-sig; prints "KIND REPLY"
	local kind=clean
	[ $(($1 % 2)) -eq 0 ] && kind=reload-sig
	echo "$kind $(send_one "$1" "$kind")"
}
milter_send_bg "$AV_TMP" $N send_next	# "I KIND REPLY" lines in replies
sender=$MILTER_SENDER

lab_wait 60 sh -c "[ \$(wc -l <'$AV_TMP/replies') -ge 10 ]"
mkdir "$AV_TMP/db2"
"$LAB_PY" "$AV_GEN" db2 "$AV_TMP/db2"
chmod 644 "$AV_TMP/db2/test.ndb"
swap_at=$(wc -l <"$AV_TMP/replies")
mv "$AV_TMP/db2/test.ndb" "$AV_DB/test.ndb"
if lab_wait_log "$AV_LOG" "engine reload \(database changed\): ClamAV" 30; then
	reloaded_at=$(wc -l <"$AV_TMP/replies")
	ok "database change seen: new engine built and installed"
else
	reloaded_at=$N
	fail "database change seen: new engine built and installed" "$(tail -n 5 "$AV_LOG")"
fi
wait "$sender"
echo "# peak RSS after the reload: $(hwm)"
echo "# database replaced after reply $swap_at, new engine in place by reply $reloaded_at"

n_clean_250=$(grep -cE '^[0-9]+ clean .*250 ' "$AV_TMP/replies")
[ "$n_clean_250" -eq $((N / 2)) ] && ok "every clean message accepted across the swap ($n_clean_250)" ||
	fail "every clean message accepted across the swap" "$(grep ' clean ' "$AV_TMP/replies" | grep -v '250 ' | head -n 3)"
grep -qE '^[0-9]+ [a-z-]+ .*\b4[0-9][0-9] ' "$AV_TMP/replies" &&
	fail "no message deferred during the swap" "$(grep -E '\b4[0-9][0-9] ' "$AV_TMP/replies" | head -n 3)" ||
	ok "no message deferred during the swap"
n_err=$(grep -c ": av=error " "$AV_LOG")
[ "$n_err" -eq 0 ] && ok "no message scanned by no engine (no av=error verdict)" ||
	fail "no message scanned by no engine" "$n_err av=error lines"
before=$(awk -v s="$swap_at" '$1 <= s && $2 == "reload-sig"' "$AV_TMP/replies")
# The message in flight when the line was read may have been scanned by
# the old engine: "after" starts one message later.
after=$(awk -v r="$reloaded_at" '$1 > r + 1 && $2 == "reload-sig"' "$AV_TMP/replies")
if [ -n "$before" ] && ! grep -qv '250 ' <<<"$before"; then
	ok "before the swap the new marker is not a signature (delivered)"
else
	fail "before the swap the new marker is delivered" "$before"
fi
if [ -n "$after" ] && ! grep -v '554 5.7.1 Virus found: Messec.Test.Reload' <<<"$after" | grep -q .; then
	ok "after the swap the new signature matches (554 5.7.1 Messec.Test.Reload)"
else
	fail "after the swap the new signature matches" "$(head -c 600 <<<"$after")"
fi
f=$(av_msg eicar-zip "$run-eicar")
av_send "$f"
[[ $AV_REPLY == *"554 5.7.1"*Eicar* ]] && ok "after the swap the old signatures still match (EICAR in a zip)" ||
	fail "after the swap the old signatures still match" "reply: $AV_REPLY"
out=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
	--search "SUBJECT $run-" --count 1 --wait 10 2>/dev/null)
n_deliv=$(grep -cE "^Subject: $run-[0-9]+" <<<"$out")
want=$((N / 2 + $(grep -c . <<<"$before")))
n_between=$(awk -v s="$swap_at" -v r="$reloaded_at" '$1 > s && $1 <= r + 1 && $2 == "reload-sig" && /250 /' "$AV_TMP/replies" | grep -c .)
want=$((want + n_between))
[ "$n_deliv" -eq "$want" ] && ok "delivered count matches the accepted replies ($n_deliv)" ||
	fail "delivered count matches the accepted replies" "$n_deliv delivered, $want accepted"
av_finish
