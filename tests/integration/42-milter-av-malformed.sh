#!/bin/bash
# NAME
#	42-milter-av-malformed.sh - malformed MIME through the real stack
# DESCRIPTION
#	Messages a broken or hostile sender shapes: truncated boundaries and
#	a part cut in the middle of its base64, 10 000 parts, 300 levels of
#	nested multiparts (over max_recursion: a 451 4.3.4, as limits_action
#	says -- EICAR could hide below the limit), bad base64. Each must get a
#	verdict (a 2xx, 4xx or 5xx reply; with this database and policy:
#	accepted and tagged, or tempfailed -- never lost), and the milter must
#	still be alive afterwards and still detect EICAR.
set -u
. "$(dirname "$0")/milter-av.bash"
av_lab_up
run=avm$RANDOM

for kind in mime-truncated mime-10000 mime-deep mime-badb64; do
	s=$run-$kind
	f=$(av_msg "$kind" "$s")
	av_send "$f"
	if [[ $AV_REPLY =~ (^|[^0-9])([245][0-9][0-9])\ ([245]\.[0-9]+\.[0-9]+) ]] &&
		grep -qE ": av=[a-z]+ action=[a-z]+ size=[0-9]+" "$AV_LOG"; then
		code=${BASH_REMATCH[2]}
		if [ "$kind" = mime-deep ] && [[ $code != 451 ]]; then
			fail "$kind: not delivered as clean past max_recursion" "reply: $AV_REPLY"
		elif [[ $code == 2* ]]; then
			got=$(av_fetch "$s")
			if grep -q '^X-Virus-Status: ' <<<"$got"; then
				ok "$kind: a verdict ($code), delivered with $(grep '^X-Virus-Status: ' <<<"$got" | head -n 1)"
			else
				fail "$kind: delivered with a verdict header" "$(head -c 400 <<<"$got")"
			fi
		else
			ok "$kind: a verdict ($code ${BASH_REMATCH[3]})"
		fi
	else
		fail "$kind: a verdict" "reply: $AV_REPLY"
	fi
	kill -0 "$AV_PID" 2>/dev/null && ok "$kind: milter still running" ||
		fail "$kind: milter still running" "$(tail -n 5 "$AV_LOG")"
done
f=$(av_msg eicar-zip "$run-after")
av_send "$f"
[[ $AV_REPLY == *"554 5.7.1"*Eicar* ]] && ok "after the malformed messages EICAR in a zip is still refused" ||
	fail "after the malformed messages EICAR in a zip is still refused" "reply: $AV_REPLY"
av_finish
