#!/bin/bash
# NAME
#	80-demo.sh - `make demo` cannot rot: the trainers' tour runs and shows what it promises
# DESCRIPTION
#	Runs demo/run (each run starts and tears down its own lab) as make demo
#	does, with stdin not a terminal:
#	  - the whole tour in English: exit 0, all nine layers shown, none
#	    skipped, each scenario's lesson printed, and each layer's scenarios
#	    in order with their outcome: e.g. the DMARC OFF/ON pair (spoof
#	    accepted without the milter, then 550 5.7.1 with it, the milter's
#	    log line); headers: a forged A-R delivered OFF, deleted ON, then
#	    a lookalike CEO fraud (1ab.example, display name ceo@lab.example,
#	    Reply-To elsewhere) delivered with dmarc=pass and explained by
#	    messec-inspect on the delivered copy (Received hops, SPF/DMARC,
#	    alignment, the display-name, lookalike and Reply-To flags); dkim: alice's outbound mail on 587 signed by messec
#	    and verified by Mail::DKIM at the capture sink; av: EICAR accepted OFF, refused ON (554 naming the
#	    signature), in a zip refused, invoice.pdf.exe refused by policy,
#	    a clean attachment delivered with X-Virus-Status: clean, each with
#	    the milter's log line; a phishing link (visible text and target
#	    differ, target domain on the lab blocklist) delivered unflagged
#	    with link analysis off, flagged with X-Link-Status and the
#	    milter's links= log line once it is on; policy: alice sending as ceo@ accepted OFF,
#	    refused ON (554 5.7.1 not owned by login) after
#	    messec-postfix-setup enable policyd, the 4th message over the rate
#	    limit deferred 450 4.7.1 with the alert line, greylisting 450 then
#	    250, and the layer disabled again;
#	    mfa webmail: a real Roundcube given password + code passes once,
#	    the next click is refused as a replay; the recommended set-up
#	    (webmail host in exempt_nets): the password alone logs in from
#	    the webmail's address on every click, and is refused from
#	    anywhere else; the other set-up: an app password typed into the
#	    non-exempt Roundcube logs in on every click, the main password
#	    alone there is refused;
#	  - LAYER=dmarc,policy in French with DEMO_STEP=1: exit 0 without
#	    waiting (stdin is no terminal), French narration with its
#	    typography, the software's own output unchanged;
#	  - an unknown layer: exit 2 and say why, before any lab is started.
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
grep -qx 'demo: all 9 layer(s) shown.' "$out/all" && ok "whole tour: the 9 layers shown" ||
	fail "whole tour: the 9 layers shown" "$(tail -n 3 "$out/all")"
for l in smtp tls spf dkim dmarc headers av policy mfa; do
	grep -qE "^==== Layer $l: " "$out/all" && ok "whole tour: layer $l has its section" ||
		fail "whole tour: layer $l has its section" "no '==== Layer $l:' line"
done
! grep -qE 'SKIPPED|not built yet' "$out/all" && ok "whole tour: no layer skipped" ||
	fail "whole tour: no layer skipped" "$(grep -E 'SKIPPED|not built yet' "$out/all" | head -n 3)"
n=$(grep -c '^  Lesson: ' "$out/all")
[ "$n" -ge 17 ] && ok "whole tour: every scenario ends with a lesson ($n)" || fail "whole tour: every scenario ends with a lesson" "$n lesson lines"
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
why=$(in_order "$out/all" '^==== Layer headers' '3\. A spoof' 'MAIL FROM:<ceo@1ab\.example>' \
	'dmarc=pass header\.from=1ab\.example' 'From: "ceo@lab\.example" <ceo@1ab\.example>' 'deleted_ar=0' \
	'\$ messec-inspect .*--protect lab\.example' '1\. from mx\.lab\.example .* with LMTP' \
	'2\. from mail\.1ab\.example \[198\.51\.100\.10\] by mx\.lab\.example with ESMTP' \
	'SPF: pass for 1ab\.example' 'DMARC: pass' 'SPF +1ab\.example +yes' \
	'\[display-name-address\] the display name shows an address at lab\.example, but the mail is from 1ab\.example' \
	'\[lookalike-domain\] the From domain 1ab\.example .* the protected domain lab\.example' \
	'\[reply-to-differs\]' 'OK: SPF, DKIM and DMARC say who sent it') &&
	ok "headers: a lookalike spoof passes DMARC, messec-inspect shows its path and flags display name, lookalike, Reply-To" ||
	fail "headers: a lookalike spoof passes DMARC, messec-inspect shows its path and flags display name, lookalike, Reply-To" "$why"
why=$(in_order "$out/all" '^==== Layer mfa' '1\. OFF' '\| OK Logged in' 'otpauth://totp/' '3\. ON' \
	'\| NO \[AUTHENTICATIONFAILED\]' 'mfa: fail: no code' '\| OK Logged in' '\| NO \[AUTHENTICATIONFAILED\]' 'replay') &&
	ok "mfa: password alone accepted OFF, refused ON; code accepted once" || fail "mfa: password alone accepted OFF, refused ON; code accepted once" "$why"
# Webmail (issue 21 item 6): real Roundcubes. Password + code through a
# webmail that is not exempt: the first IMAP login passes, the next click
# is a replay. The recommended set-up: from the webmail host (the only
# exempt_nets entry) the bare password logs in on every click; the same
# password from anywhere else is refused.
why=$(in_order "$out/all" '^==== Layer mfa' '7\. Webmail' '\| login: ok' '\| click 1: refused' \
	'mfa\(carol@lab\.example,192\.0\.2\.81,.*mfa: next: code ok' \
	'mfa\(carol@lab\.example,192\.0\.2\.81,.*mfa: fail: code already used \(replay\)' '^  Lesson: A one-time code' \
	'8\. Webmail' 'exempt_nets=203\.0\.113\.80/32' '\| login: ok' '\| click 1: ok' '\| click 2: ok' \
	'mfa\(bob@lab\.example,203\.0\.113\.80,.*mfa: pass-through: exempt network' \
	'Login: user=<bob@lab\.example>, method=PLAIN, rip=203\.0\.113\.80' \
	'\| NO \[AUTHENTICATIONFAILED\]' 'mfa\(bob@lab\.example,198\.51\.100\.10,.*mfa: fail: no code' \
	'^  Lesson: Exempting the webmail') &&
	ok "mfa webmail: Roundcube with password + code fails on the next click (replay); from the exempt webmail host the password alone logs in, from elsewhere refused" ||
	fail "mfa webmail: Roundcube with password + code fails on the next click (replay); from the exempt webmail host the password alone logs in, from elsewhere refused" "$why"
# The other supported set-up: an app password (services imap,smtp) typed
# into the webmail that is not exempt logs in on every click, each IMAP
# login logged as that app password; the main password alone is refused.
why=$(in_order "$out/all" '^==== Layer mfa' '^  Lesson: Exempting the webmail' '9\. Webmail' \
	'\$ messec-mfa --store mfa\.lmdb app-password add carol@lab\.example webmail --services imap,smtp' \
	"app password 'webmail' for carol@lab\.example \(services imap,smtp\), shown only now" \
	'\| login: ok' '\| click 1: ok' '\| click 2: ok' \
	"mfa\(carol@lab\.example,192\.0\.2\.81,.*mfa: ok: app password 'webmail' used" \
	"mfa\(carol@lab\.example,192\.0\.2\.81,.*mfa: ok: app password 'webmail' used" \
	"mfa\(carol@lab\.example,192\.0\.2\.81,.*mfa: ok: app password 'webmail' used" \
	'\| login: refused' 'mfa\(carol@lab\.example,192\.0\.2\.81,.*mfa: fail: no code' \
	'^  Lesson: Without an exempt webmail') &&
	ok "mfa webmail: an app password typed into the non-exempt Roundcube logs in on every click (app password 'webmail' used), the main password alone there refused (no code)" ||
	fail "mfa webmail: an app password typed into the non-exempt Roundcube logs in on every click (app password 'webmail' used), the main password alone there refused (no code)" "$why"

why=$(in_order "$out/all" '^==== Layer dkim' '1\. ' 'dkim=pass' '2\. ' 'dkim=fail' '3\. Outbound' \
	'\$ swaks .*--port 587 .*--auth-user alice .*--from alice@lab\.example --to friend@remote\.example' \
	'\| <~  250 2\.0\.0 Ok: queued as' '\| DKIM-Signature: v=1; a=rsa-sha256; .*d=lab\.example' 's=rsa2048' \
	'outbound=auth action=accept' '\$ perl tests/lab/dkim_verify\.pl < ' '\| lab\.example rsa2048 rsa-sha256 pass' '^  Lesson: Sign every') &&
	ok "dkim: outbound mail on 587 signed by messec (d=lab.example), verified by Mail::DKIM at the receiving side" ||
	fail "dkim: outbound mail on 587 signed by messec (d=lab.example), verified by Mail::DKIM at the receiving side" "$why"
why=$(in_order "$out/all" '^==== Layer av' '1\. OFF' '\$ python3 tests/integration/av_messages\.py msg eicar-b64' \
	'\$ swaks .*--local-interface 192\.0\.2\.10 .*--from bob@sender\.example' '\| <-  250 2\.0\.0 Ok: queued as' \
	'without the layer, the EICAR attachment is in alice.s INBOX' \
	'2\. ON' '\$ postconf -e .?lab_port25_milters=.*av\.sock.?$' '\| <\*\* 554 5\.7\.1 Virus found: Eicar-Test-Signature' \
	'\[The daemon.s log line' 'av=infected action=reject .*Eicar-Test-Signature' '^  Lesson: ' \
	'3\. ON' 'msg eicar-zip' '\| 554 5\.7\.1 Virus found: Eicar-Test-Signature' 'av=infected action=reject' '^  Lesson: ' \
	'4\. ON' 'msg double-ext' '\| 554 5\.7\.1 Attachment type not allowed: Messec\.Policy\.DoubleExtension \(invoice\.pdf\.exe\)' \
	'av=policy action=reject .*invoice\.pdf\.exe' '^  Lesson: ' \
	'5\. ON' 'msg clean-attachment' '\| 250 2\.0\.0 Ok: queued as' '\| X-Virus-Status: clean' 'av=clean action=accept' '^  Lesson: ') &&
	ok "av: EICAR accepted OFF then refused ON, zip refused, invoice.pdf.exe blocked by policy, clean delivered with X-Virus-Status" ||
	fail "av: EICAR accepted OFF then refused ON, zip refused, invoice.pdf.exe blocked by policy, clean delivered with X-Virus-Status" "$why"
why=$(in_order "$out/all" '^==== Layer av' '5\. ON' '^  Lesson: ' \
	'6\. Link analysis OFF' '\$ dig \+short evil-link\.example\.dbl\.example A' '\| 127\.0\.1\.2$' 'msg link-listed' \
	'\| <-  250 2\.0\.0 Ok: queued as' '\| X-Virus-Status: clean' 'delivered as clean: no virus in a link' '^  Lesson: ' \
	'7\. Link analysis ON' 'link_dns_lists = dbl\.example:tag' 'link_mismatch_action = tag' 'kill -HUP' 'msg link-listed' \
	'\| <-  250 2\.0\.0 Ok: queued as' \
	'\| X-Link-Status: link text www\.bank\.example leads to login\.evil-link\.example; link to evil-link\.example listed by dbl\.example$' \
	'\[The daemon.s log line' 'links=[0-9]+ queries=[0-9]+ .*evil-link\.example_listed_by_dbl\.example' '^  Lesson: ') &&
	! in_order "$out/all" '6\. Link analysis OFF' 'X-Link-Status' '7\. Link analysis ON' >/dev/null &&
	ok "av: a phishing link (text www.bank.example, target on the lab blocklist) delivered unflagged OFF, flagged ON with X-Link-Status and the log line" ||
	fail "av: a phishing link delivered unflagged OFF, flagged ON with X-Link-Status and the log line" "${why:-an X-Link-Status in the OFF scenario}"
why=$(in_order "$out/all" '^==== Layer policy' '1\. OFF' \
	'\$ swaks .*--port 587 .*--auth-user alice@lab\.example .*--from ceo@lab\.example' '\| <~  250 2\.0\.0 Ok: queued as' \
	'\| From: CEO <ceo@lab\.example>' 'any logged-in user can send as the CEO' \
	'2\. ON' '\$ messec-postfix-setup --address inet:127\.0\.0\.1:[0-9]+ enable policyd' 'policyd enabled' \
	'\| check_policy_service inet:127\.0\.0\.1' \
	'\| <~\* 554 5\.7\.1 .*Sender address <ceo@lab\.example> is not owned by login alice@lab\.example' \
	'\[The daemon.s log line' 'rule=sender_login action=REJECT 5\.7\.1' '^  Lesson: ' \
	'3\. ON' '\| message 3: 250 2\.0\.0 Ok' '\| message 4: 450 4\.7\.1 .*Rate limit exceeded' \
	'ratelimit: sasl_username alice@lab\.example exceeded 3 messages' '^  Lesson: ' \
	'4\. ON' '\| <\*\* 450 4\.7\.1 .*Greylisted' 'rule=greylist' '\| <-  250 2\.0\.0 Ok: queued as' '^  Lesson: ' \
	'disable policyd' 'policyd disabled') &&
	ok "policy: sending as someone else accepted OFF then refused ON, rate limit deferred, greylisting, layer disabled again" ||
	fail "policy: sending as someone else accepted OFF then refused ON, rate limit deferred, greylisting, layer disabled again" "$why"

#
# One layer in French, DEMO_STEP=1 with no terminal: must not wait.
#
run_demo "$out/fr" LAYER=dmarc,policy DEMO_LANG=fr DEMO_STEP=1
rc=$?
[ $rc = 0 ] && ok "LAYER=dmarc,policy DEMO_LANG=fr DEMO_STEP=1 (no tty): exit 0, no wait" ||
	fail "LAYER=dmarc,policy DEMO_LANG=fr DEMO_STEP=1 (no tty): exit 0, no wait" "rc=$rc; $(tail -n 3 "$out/fr")"
! grep -q 'Entrée' "$out/fr" && ok "fr: no pause prompt without a terminal" || fail "fr: no pause prompt without a terminal" "prompt printed"
nb=$'\xc2\xa0' nnb=$'\xe2\x80\xaf'
why=$(in_order "$out/fr" "^==== Couche dmarc${nnb}?" "1\. SANS la couche" "\[Ce qui est envoyé, et la commande${nb}:\]" \
	'\| <-  250 2\.0\.0 Ok: queued as' "sans la couche, le faux message du PDG est dans la boîte d’alice" \
	"2\. AVEC la couche" '\| 550 5\.7\.1 Unauthenticated email' "\[La ligne de journal du démon${nb}:\]" \
	'dmarc=fail action=reject' "^  À retenir${nb}: DMARC relie le From: que voit le lecteur") &&
	ok "fr: French narration (accents, no-break space before colons), the software's output unchanged" ||
	fail "fr: French narration (accents, no-break space before colons), the software's output unchanged" "$why"
why=$(in_order "$out/fr" "^==== Couche policy${nnb}?" "1\. SANS la couche" '\| <~  250 2\.0\.0 Ok: queued as' \
	"tout utilisateur authentifié peut écrire au nom du PDG" "2\. AVEC la couche" \
	'\| 554 5\.7\.1 .*is not owned by login alice@lab\.example' "^  À retenir${nb}: L’authentification dit qui envoie" \
	'\| message 4: 450 4\.7\.1 ' "^  À retenir${nb}: " 'Greylisted' "^  À retenir${nb}: ") &&
	ok "fr: the policy layer narrated in French, the software's output unchanged" ||
	fail "fr: the policy layer narrated in French, the software's output unchanged" "$why"
grep -q "OFF\|Lesson:" "$out/fr" && fail "fr: no English narration left" "$(grep -m2 'OFF\|Lesson:' "$out/fr")" ||
	ok "fr: no English narration left"
grep -q " ;" "$out/fr" && fail "fr: no plain space before ';'" "$(grep -m1 ' ;' "$out/fr")" || ok "fr: no plain space before ';'"

#
# An unknown layer name: exit 2, said, no lab started.
#
run_demo "$out/bad" LAYER=nosuch
rc=$?
[ $rc = 2 ] && grep -q 'no such layer: nosuch' "$out/bad" && ok "LAYER=nosuch: exit 2, layers listed" ||
	fail "LAYER=nosuch: exit 2, layers listed" "rc=$rc; $(cat "$out/bad")"

lab_finish
