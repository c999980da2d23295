#!/bin/bash
# NAME
#	26-milter-auth-inspect.sh - messec-inspect explains messages (issue 16 item 7)
# DESCRIPTION
#	messec-inspect runs inside the lab (its DNS zones answer SPF, DKIM
#	and DMARC) on real-looking fixtures (milter-auth/tests/inspect/) and
#	on a message the lab really delivered:
#	1. spoofed.eml (From reject.example, sent from 198.51.100.10):
#	   SPF fail, no DKIM, DMARC fail with policy reject (--json);
#	2. a message signed with reject.example's lab key, sent from
#	   192.0.2.10: SPF pass, DKIM pass, both aligned, DMARC pass;
#	3. phishing.eml: the display-name address and the forged A-R
#	   claiming our authserv-id are flagged, in words a trainee reads;
#	4. forwarded.eml: two hops, TLS, the 20 s delay, Return-Path flagged;
#	6. idn.eml: xn--pypal-4ve.com (Cyrillic a) flagged as a lookalike of
#	   --protect paypal.com (ICU's TR 39 skeleton) and shown decoded;
#	5. a message delivered by the lab's Postfix through messec-milter-auth
#	   and fetched over IMAP: our own A-R (above the entry hop, under
#	   Dovecot's LMTP hop) is trusted, the client is the sender's
#	   address (the newest hop naming one), SPF pass, no flag.
set -u
. "$(dirname "$0")/milter-auth.bash"

IN_BIN=${MESSEC_INSPECT_BIN:-$B/milter-auth/messec-inspect}
FIX=$(cd "$(dirname "$0")/../../milter-auth/tests/inspect" && pwd)
[ -x "$IN_BIN" ] || { fail "messec-inspect built" "$IN_BIN missing"; lab_finish; }
ma_lab_up

# inspect ARGS...: messec-inspect in the lab namespace (its DNS).
inspect() { lab_exec "$IN_BIN" --authserv-id "$MA_ID" --protect reject.example "$@" 2>&1; }
# field JSON PATH: a value of the --json output (Python's json module).
field() {
	"$LAB_PY" -c 'import json, sys
d = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    d = d[int(k)] if k.isdigit() else d[k]
print(json.dumps(d) if isinstance(d, (dict, list, bool)) else d)' "$1" "$2" 2>&1
}

# 1. The spoof.
out=$(inspect --json "$FIX/spoofed.eml")
got="$(field "$out" spf.result) $(field "$out" spf.client_ip) $(field "$out" dmarc.result) $(field "$out" dmarc.policy) $(field "$out" dkim)"
[ "$got" = "fail 198.51.100.10 fail reject []" ] &&
	ok "spoofed.eml: SPF fail for 198.51.100.10, no DKIM, DMARC fail (policy reject)" ||
	fail "spoofed.eml: SPF fail for 198.51.100.10, no DKIM, DMARC fail (policy reject)" "$got | $out"

# 2. A signed message from the right place.
tok=signed$RANDOM
msg=$(ma_message "$tok" "News <news@reject.example>")
ma_sign rsa2048 reject.example rsa2048 "$msg" >"$MA_TMP/signed.body"
{
	printf 'Received: from mail.reject.example (mail.reject.example [192.0.2.10])\r\n\tby mx.lab.example (Postfix) with ESMTPS id 4Xok\r\n\tfor <alice@lab.example>; %s\r\n' "$(date -R)"
	printf 'Return-Path: <news@reject.example>\r\n'
	cat "$MA_TMP/signed.body"
} >"$MA_TMP/signed.eml"
out=$(inspect --json "$MA_TMP/signed.eml")
got="$(field "$out" spf.result) $(field "$out" spf.aligned) $(field "$out" dkim.0.result) $(field "$out" dkim.0.domain) $(field "$out" dkim.0.aligned) $(field "$out" dmarc.result)"
[ "$got" = "pass yes pass reject.example yes pass" ] &&
	ok "signed message from 192.0.2.10: SPF and DKIM pass, both aligned, DMARC pass" ||
	fail "signed message from 192.0.2.10: SPF and DKIM pass, both aligned, DMARC pass" "$got | $out"
txt=$(inspect "$MA_TMP/signed.eml")
[[ $txt == *"DKIM     reject.example"*"yes"* && $txt == *"nothing the rules know"* ]] &&
	ok "text output: the alignment table, no anomaly" ||
	fail "text output: the alignment table, no anomaly" "$txt"

# 3. Display-name phishing with a forged A-R.
txt=$(inspect "$FIX/phishing.eml")
[[ $txt == *"[display-name-address] the display name shows an address at reject.example, but the mail is from evil.example"* &&
	$txt == *"[forged-ar] an Authentication-Results field claims our server mx.lab.example but came with the message: forged"* &&
	$txt == *"[reply-to-differs]"* ]] &&
	ok "phishing.eml: display-name address, forged A-R and Reply-To flagged for a trainee" ||
	fail "phishing.eml: display-name address, forged A-R and Reply-To flagged for a trainee" "$txt"

# 4. Forwarded: the path.
out=$(inspect --no-dns --json "$FIX/forwarded.eml")
got="$(field "$out" hops.0.ip) $(field "$out" hops.0.tls) $(field "$out" hops.0.delay) $(field "$out" hops.1.ip) $(field "$out" flags.0.code) $(field "$out" checked)"
[ "$got" = "192.0.2.11 true 20 192.0.2.12 return-path-differs false" ] &&
	ok "forwarded.eml: two hops, TLS, 20 s delay, Return-Path flagged (--no-dns: nothing checked)" ||
	fail "forwarded.eml: two hops, TLS, 20 s delay, Return-Path flagged (--no-dns: nothing checked)" "$got | $out"

# 5. A message the lab delivered through the milter.
tok=real$RANDOM
msg=$(ma_message "$tok" "News <news@none.example>")
ma_send --bind "$LAB_OUT_GOOD" --from news@none.example --to "$LAB_ALICE" --file "$msg"
ma_fetch "$tok" | sed 1d >"$MA_TMP/real.eml"
if ma_fetched "$MA_TMP/real.eml" "$tok"; then
	out=$(inspect --json "$MA_TMP/real.eml")
	got="$(field "$out" spf.client_ip) $(field "$out" spf.result) $(field "$out" authres.0) $(field "$out" flags)"
	[ "$got" = "$LAB_OUT_GOOD pass $MA_ID []" ] &&
		ok "delivered message: client $LAB_OUT_GOOD, SPF pass, our A-R trusted, no flag" ||
		fail "delivered message: client $LAB_OUT_GOOD, SPF pass, our A-R trusted, no flag" "$got | $(grep -n "^[A-Za-z-]*:" "$MA_TMP/real.eml" | cut -c1-60 | tr "\n" " ")"
else
	fail "delivered message: client $LAB_OUT_GOOD, SPF pass, our A-R trusted, no flag" "not fetched: $MA_REPLY"
fi

# 6. An IDN homoglyph: pаypal.com with a Cyrillic а (xn--pypal-4ve.com).
out=$(inspect --no-dns --protect paypal.com --json "$FIX/idn.eml")
got="$(field "$out" flags.0.code) $(field "$out" flags.1.code) $(field "$out" flags.1.text)"
[[ $got == "lookalike-domain idn-domain "*"displays as p"$'\xd0\xb0'"ypal.com" ]] &&
	ok "idn.eml: the Cyrillic homoglyph of paypal.com is a lookalike, shown decoded" ||
	fail "idn.eml: the Cyrillic homoglyph of paypal.com is a lookalike, shown decoded" "$got | $out"

ma_finish
