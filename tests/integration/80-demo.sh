#!/bin/bash
# NAME
#	80-demo.sh - `make demo` cannot rot: the trainers' tour runs and shows what it promises
# DESCRIPTION
#	Runs demo/run (each run starts and tears down its own lab) as make demo
#	does, with stdin not a terminal:
#	  - the whole tour in English: exit 0, every built layer shown, each
#	    scenario's lesson printed, the not-yet-built layers skipped with a
#	    clear line, and the DMARC OFF/ON pair in order (spoof accepted
#	    without the milter, then 550 5.7.1 with it, the milter's log line);
#	  - LAYER=dmarc in French with DEMO_STEP=1: exit 0 without waiting
#	    (stdin is no terminal), French narration with its typography, the
#	    software's own output unchanged;
#	  - LAYER=av (not built yet) and an unknown layer: exit 2 and say why,
#	    before any lab is started.
# DIAGNOSTICS
#	TAP on stdout; exit 0 when every case passed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lab/lib.sh"
cd "$ROOT" || exit 1
B=${B:-build}
export B
lab_require swaks swaks
lab_require openssl openssl
lab_require tshark tshark

# run_demo OUTFILE VAR=value...: demo/run with that environment, stdin not
# a terminal, bounded so a pause that waits for Enter fails instead of hanging.
run_demo() {
	local out=$1
	shift
	env "$@" timeout 300 demo/run </dev/null >"$out" 2>&1
}

# in_order FILE ERE...: each ERE matches a line after the previous match.
in_order() {
	local f=$1 n=0 re l
	shift
	for re in "$@"; do
		l=$(tail -n +"$((n + 1))" "$f" | grep -nE -m1 -- "$re" | cut -d: -f1)
		[ -n "$l" ] || { echo "missing after line $n: $re"; return 1; }
		n=$((n + l))
	done
}

out=$(mktemp -d /tmp/messec-demo-test.XXXXXX)
trap 'rm -rf "$out"; lab_on_exit' EXIT

#
# The whole tour, English, as `make demo` runs it.
#
run_demo "$out/all" LAYER= DEMO_LANG= DEMO_STEP=
rc=$?
[ $rc = 0 ] && ok "whole tour: exit 0" || fail "whole tour: exit 0" "rc=$rc; $(grep -E 'NOT AS EXPECTED|did not show' "$out/all" | head -n 3)"
grep -qx 'demo: all 7 layer(s) shown.' "$out/all" && ok "whole tour: the 7 built layers shown" ||
	fail "whole tour: the 7 built layers shown" "$(tail -n 3 "$out/all")"
for l in smtp tls spf dkim dmarc headers mfa; do
	grep -qE "^==== Layer $l: " "$out/all" && ok "whole tour: layer $l has its section" ||
		fail "whole tour: layer $l has its section" "no '==== Layer $l:' line"
done
grep -qE '^==== av: SKIPPED \(not built yet' "$out/all" && grep -qE '^==== policy: SKIPPED \(not built yet' "$out/all" &&
	ok "whole tour: av and policy skipped, each with a clear line" ||
	fail "whole tour: av and policy skipped, each with a clear line" "$(grep -E 'av|policy' "$out/all" | head -n 3)"
n=$(grep -c '^  Lesson: ' "$out/all")
[ "$n" -ge 10 ] && ok "whole tour: every scenario ends with a lesson ($n)" || fail "whole tour: every scenario ends with a lesson" "$n lesson lines"
! grep -q 'NOT AS EXPECTED' "$out/all" && ok "whole tour: no scenario missed its outcome" ||
	fail "whole tour: no scenario missed its outcome" "$(grep 'NOT AS EXPECTED' "$out/all")"
why=$(in_order "$out/all" '^==== Layer dmarc' '1\. OFF' '\$ postconf -e lab_port25_milters=$' \
	'\[What is sent' '\$ swaks .*--local-interface 198\.51\.100\.10 .*--from ceo@reject\.example' '\[The dialogue' \
	'\| <-  250 2\.0\.0 Ok: queued as' '\[The server.s answer' 'without the layer, the spoofed CEO mail is in alice.s INBOX' \
	'2\. ON' '\[What is sent' '\[The dialogue' '\| <\*\* 550 5\.7\.1 ' '\[The server.s answer' '\| 550 5\.7\.1 ' \
	'\[The daemon.s log line' 'dmarc=fail action=reject' '^  Lesson: DMARC') &&
	ok "dmarc: spoof accepted OFF, then refused 550 5.7.1 ON, each part in order" ||
	fail "dmarc: spoof accepted OFF, then refused 550 5.7.1 ON, each part in order" "$why"
why=$(in_order "$out/all" '^==== Layer smtp' '\$ tshark -i lo -f .tcp port 25 or tcp port 143' '\$ swaks ' \
	'\| <-  250 2\.0\.0 Ok: queued as' '\$ tshark -r smtp-imap\.pcap -Y smtp' \
	'192\.0\.2\.10 → 203\.0\.113\.25 SMTP [0-9]+ C: MAIL FROM:<news@reject\.example>' \
	"\\$ tshark -r smtp-imap\\.pcap -Y 'imap \\|\\| tls'" 'IMAP [0-9]+ Request: \. STARTTLS' 'TLSv1\.3 .*Application Data' \
	'the password never appears in the capture') &&
	ok "smtp: tshark capture shows SMTP in clear, IMAP only until STARTTLS" ||
	fail "smtp: tshark capture shows SMTP in clear, IMAP only until STARTTLS" "$why"
why=$(in_order "$out/all" '^==== Layer tls' 'Verification: OK' 'Verification: OK' \
	'Host did not advertise authentication' '235 2\.7\.0' 'S: b NO \[PRIVACYREQUIRED\]') &&
	ok "tls: STARTTLS 587 and 143 verified, AUTH not offered before STARTTLS, clear IMAP LOGIN refused" ||
	fail "tls: STARTTLS 587 and 143 verified, AUTH not offered before STARTTLS, clear IMAP LOGIN refused" "$why"
why=$(in_order "$out/all" '^==== Layer headers' '1\. OFF' 'Authentication-Results: mx\.lab\.example; spf=pass; dkim=pass; dmarc=pass' \
	'2\. ON' 'dmarc=fail header\.from=none\.example' 'deleted_ar=1') &&
	ok "headers: forged A-R delivered OFF, deleted ON" || fail "headers: forged A-R delivered OFF, deleted ON" "$why"
why=$(in_order "$out/all" '^==== Layer mfa' '1\. OFF' '\| OK Logged in' 'otpauth://totp/' '3\. ON' \
	'\| NO \[AUTHENTICATIONFAILED\]' 'mfa: fail: no code' '\| OK Logged in' '\| NO \[AUTHENTICATIONFAILED\]' 'replay') &&
	ok "mfa: password alone accepted OFF, refused ON; code accepted once" || fail "mfa: password alone accepted OFF, refused ON; code accepted once" "$why"

#
# One layer in French, DEMO_STEP=1 with no terminal: must not wait.
#
run_demo "$out/fr" LAYER=dmarc DEMO_LANG=fr DEMO_STEP=1
rc=$?
[ $rc = 0 ] && ok "LAYER=dmarc DEMO_LANG=fr DEMO_STEP=1 (no tty): exit 0, no wait" ||
	fail "LAYER=dmarc DEMO_LANG=fr DEMO_STEP=1 (no tty): exit 0, no wait" "rc=$rc; $(tail -n 3 "$out/fr")"
! grep -q 'Entrée' "$out/fr" && ok "fr: no pause prompt without a terminal" || fail "fr: no pause prompt without a terminal" "prompt printed"
nb=$'\xc2\xa0' nnb=$'\xe2\x80\xaf'
why=$(in_order "$out/fr" "^==== Couche dmarc${nnb}?" "1\. SANS la couche" "\[Ce qui est envoyé, et la commande${nb}:\]" \
	'\| <-  250 2\.0\.0 Ok: queued as' "sans la couche, le faux message du PDG est dans la boîte d’alice" \
	"2\. AVEC la couche" '\| 550 5\.7\.1 Unauthenticated email' "\[La ligne de journal du démon${nb}:\]" \
	'dmarc=fail action=reject' "^  À retenir${nb}: DMARC relie le From: que voit le lecteur") &&
	ok "fr: French narration (accents, no-break space before colons), the software's output unchanged" ||
	fail "fr: French narration (accents, no-break space before colons), the software's output unchanged" "$why"
grep -q "OFF\|Lesson:" "$out/fr" && fail "fr: no English narration left" "$(grep -m2 'OFF\|Lesson:' "$out/fr")" ||
	ok "fr: no English narration left"
grep -q " ;" "$out/fr" && fail "fr: no plain space before ';'" "$(grep -m1 ' ;' "$out/fr")" || ok "fr: no plain space before ';'"

#
# Layers not built yet, and unknown names: exit 2, said, no lab started.
#
run_demo "$out/av" LAYER=av
rc=$?
[ $rc = 2 ] && grep -q '^demo/run: layer av is not built yet' "$out/av" && ! grep -q 'bringing up the lab' "$out/av" &&
	ok "LAYER=av: 'not built yet', exit 2, no lab" || fail "LAYER=av: 'not built yet', exit 2, no lab" "rc=$rc; $(cat "$out/av")"
run_demo "$out/bad" LAYER=nosuch
rc=$?
[ $rc = 2 ] && grep -q 'no such layer: nosuch' "$out/bad" && ok "LAYER=nosuch: exit 2, layers listed" ||
	fail "LAYER=nosuch: exit 2, layers listed" "rc=$rc; $(cat "$out/bad")"

lab_finish
