#!/bin/bash
# NAME
#	40-milter-av-scan.sh - real Postfix -> messec-milter-av -> Dovecot
# DESCRIPTION
#	On the tests' own signature database (the official one needs the
#	Internet): EICAR as a base64 and a quoted-printable attachment, in a
#	zip, in a zip in a zip, the custom hash and body signatures -> 554
#	5.7.1 naming the signature, and not delivered. A clean message is
#	delivered byte for byte as sent, apart from the trace headers
#	(Return-Path, Delivered-To, Received) and ours (X-Virus-Scanned,
#	X-Virus-Status: clean), compared after fetching it over IMAP. A
#	forged X-Virus-Status is replaced. Attachment policy (no signature
#	involved): blocked extension, double extension, a .js in a zip, an
#	encrypted zip -> 554 5.7.1 with the rule. A message over
#	max_message_size -> 4xx (oversize_action = tempfail). The /metrics
#	counters match the cases sent, the infected ones by signature family
#	(EICAR and Messec.Test.* = test, Win.Trojan.MessecFamily = trojan).
set -u
. "$(dirname "$0")/milter-av.bash"
av_lab_up "max_message_size = 300K" "metrics_listen = inet:127.0.0.1:9479"
run=av$RANDOM

refused() {	# $1 kind, $2 what the reply must name, $3 case name
	local s=$run-$1 f
	f=$(av_msg "$1" "$s")
	av_send "$f"
	if [[ $AV_REPLY == *"554 5.7.1"*"$2"* ]]; then
		if av_not_delivered "$s"; then
			ok "$3: 554 5.7.1 naming $2, not delivered"
		else
			fail "$3: not delivered" "a message with Subject $s is in the INBOX"
		fi
	else
		fail "$3: 554 5.7.1 naming $2" "reply: $AV_REPLY"
	fi
}

refused eicar-b64 "Eicar-Test-Signature" "EICAR attachment, base64"
refused eicar-qp "Eicar-Test-Signature" "EICAR attachment, quoted-printable"
refused eicar-zip "Eicar-Test-Signature" "EICAR inside a zip"
refused eicar-zipzip "Eicar-Test-Signature" "EICAR inside a zip inside a zip"
refused hash-sig "Messec.Test.Hash" "custom hash signature (.hdb)"
refused body-sig "Messec.Test.Body" "custom body signature (.ndb)"
refused trojan-sig "Win.Trojan.MessecFamily" "body signature named Platform.Category.Name"
refused ext-exe "Messec.Policy.BlockedExtension (setup.exe)" "blocked extension"
refused double-ext "Messec.Policy.DoubleExtension (invoice.pdf.exe)" "double extension"
refused zip-ext "Messec.Policy.BlockedExtension (run.js)" "blocked extension inside a zip"
refused zip-encrypted "Heuristics.Encrypted.Zip" "encrypted zip"

# Clean messages: delivered, tagged, otherwise unchanged.
for kind in clean clean-attachment; do
	s=$run-$kind
	f=$(av_msg "$kind" "$s")
	av_send "$f"
	if [[ $AV_REPLY != *"250 "* ]]; then
		fail "clean message ($kind) accepted" "reply: $AV_REPLY"
		continue
	fi
	av_fetch "$s" | sed '1d' >"$AV_TMP/got-$kind"
	if "$LAB_PY" - "$f" "$AV_TMP/got-$kind" <<'PY'
import re, sys
sent = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
got = open(sys.argv[2], "rb").read()
head, sep, body = got.partition(b"\n\n")
fields = re.split(rb"\n(?=[^ \t])", head)
ours = [f for f in fields if f.lower().startswith((b"x-virus-scanned:", b"x-virus-status:"))]
trace = (b"return-path:", b"delivered-to:", b"received:", b"x-virus-scanned:", b"x-virus-status:")
kept = b"\n".join(f for f in fields if not f.lower().startswith(trace)) + sep + body
# imap-fetch prints one newline after the message.
if kept.endswith(b"\n\n") and not sent.endswith(b"\n\n"):
    kept = kept[:-1]
if kept != sent:
    print("differs:", repr(kept[:300]), "vs", repr(sent[:300]))
    sys.exit(1)
want = [b"X-Virus-Status: clean"]
if [f for f in ours if f.startswith(b"X-Virus-Status:")] != want or \
   not any(f.startswith(b"X-Virus-Scanned: messec-milter-av") and b"ClamAV" in f for f in ours):
    print("headers:", ours)
    sys.exit(1)
PY
	then
		ok "clean message ($kind) delivered byte for byte, plus X-Virus-Scanned and X-Virus-Status: clean"
	else
		fail "clean message ($kind) delivered byte for byte" "$(head -c 600 "$AV_TMP/got-$kind")"
	fi
done

# A sender's own verdict header is replaced by ours.
s=$run-forged
f=$(av_msg body-sig "$s")
printf 'From: bob@sender.example\r\nTo: alice@lab.example\r\nSubject: %s\r\nX-Virus-Status: clean\r\nX-Virus-Scanned: fake\r\n\r\nhello\r\n' "$s" >"$f"
av_send "$f"
got=$(av_fetch "$s")
if [ "$(grep -c '^X-Virus-Status:' <<<"$got")" -eq 1 ] && grep -q '^X-Virus-Status: clean' <<<"$got" &&
	! grep -q '^X-Virus-Scanned: fake' <<<"$got" && grep -q '^X-Virus-Scanned: messec-milter-av' <<<"$got"; then
	ok "forged X-Virus-Status/X-Virus-Scanned deleted, ours added once"
else
	fail "forged X-Virus-* headers deleted" "$(grep '^X-Virus' <<<"$got")"
fi

# Over max_message_size (300K): not scanned, tempfail.
s=$run-big
f=$(av_msg big-400000 "$s")
av_send "$f"
[[ $AV_REPLY == *"451 4.3.4"*"not scanned"* ]] && ok "oversize message: 451 4.3.4 (oversize_action = tempfail)" ||
	fail "oversize message: 451 4.3.4" "reply: $AV_REPLY"
grep -q "av=oversize action=tempfail" "$AV_LOG" && ok "oversize verdict logged" ||
	fail "oversize verdict logged" "$(tail -n 3 "$AV_LOG")"

# Metrics: outcomes, actions, scan time histogram (counts of the cases above).
metrics=$(milter_metrics 9479)
if grep -q '^messec_milter_av_messages_total{outcome="infected"} 7$' <<<"$metrics" &&
	grep -q '^messec_milter_av_infected_total{family="test"} 6$' <<<"$metrics" &&
	grep -q '^messec_milter_av_infected_total{family="trojan"} 1$' <<<"$metrics" &&
	! grep -q '^messec_milter_av_infected_total{family="other"} [1-9]' <<<"$metrics" &&
	grep -q '^messec_milter_av_messages_total{outcome="policy"} 3$' <<<"$metrics" &&
	grep -q '^messec_milter_av_messages_total{outcome="encrypted"} 1$' <<<"$metrics" &&
	grep -q '^messec_milter_av_messages_total{outcome="clean"} 3$' <<<"$metrics" &&
	grep -q '^messec_milter_av_messages_total{outcome="oversize"} 1$' <<<"$metrics" &&
	grep -q '^messec_milter_av_action_total{action="reject"} 11$' <<<"$metrics" &&
	grep -q '^messec_milter_av_scan_seconds_count 14$' <<<"$metrics" &&
	grep -q '^messec_milter_av_reloads_total{result="ok"} 1$' <<<"$metrics"; then
	ok "metrics: outcomes, actions, infected by signature family, scan time histogram, engine loads"
else
	fail "metrics: outcomes, actions, infected by signature family, scan time histogram, engine loads" \
		"$(grep messec_milter_av_ <<<"$metrics" | grep -v '^#' | head -n 60 | tr '\n' '|')"
fi
av_finish
