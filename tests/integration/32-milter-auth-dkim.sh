#!/bin/bash
# NAME
#	32-milter-auth-dkim.sh - DKIM verification through the real stack
# DESCRIPTION
#	Messages signed by the lab's independent signer (tests/lab/dkim_sign.py:
#	python hashing + openssl key operation, not messec code) go through
#	Postfix and messec-milter-auth to Dovecot. The delivered A-R must carry
#	each signature with header.d, header.s, header.a and header.b (RFC 8601,
#	RFC 6008): RSA valid, Ed25519 valid (RFC 8463), both at once, body
#	altered, header altered, key missing. Sent from the "bad" address so
#	SPF fails: DKIM alone decides DMARC.
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up

# dkim_case NAME DOMAIN SIGNED-FILE WANT-REPLY-PREFIX -> sets AR (delivered A-R)
deliver() {
	local tok=$1 file=$2
	AR=
	ma_send --bind "$LAB_OUT_BAD" --from "x@$3" --to "$LAB_ALICE" --file "$file"
	[[ $MA_REPLY == 250* ]] || return 1
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	AR=$(ma_ar "$MA_TMP/$tok.out")
}

# First 8+ characters of b= of the first DKIM-Signature in a file.
b_prefix() {
	awk '/^DKIM-Signature:/{h=$0; f=1; next} f&&/^[ \t]/{h=h $0; next} f{print h; exit}' "$1" |
		tr -d ' \t\r' | sed -n 's/.*;b=\([^;]*\).*/\1/p' | cut -c1-8
}

tok=rsa$RANDOM
msg=$(ma_message "$tok" "Boss <ceo@reject.example>")
ma_sign rsa2048 reject.example rsa2048 "$msg" >"$MA_TMP/$tok.signed"
pfx=$(b_prefix "$MA_TMP/$tok.signed")
if deliver "$tok" "$MA_TMP/$tok.signed" reject.example &&
	[[ $AR == *"dkim=pass "*"header.d=reject.example"*"header.s=rsa2048"*"header.a=rsa-sha256"*"header.b="* ]] &&
	[[ $AR == *"header.b=$pfx"* || $AR == *"header.b=\"$pfx"* ]] &&
	[[ $AR == *"spf=fail"* && $AR == *"dmarc=pass"* ]]; then
	ok "RSA signature passes (d, s, a, b in A-R; b quoted when not a token); DKIM alone passes DMARC p=reject"
else
	fail "RSA signature passes (d, s, a, b in A-R; b quoted when not a token); DKIM alone passes DMARC p=reject" \
		"reply: $MA_REPLY; A-R: $AR; b=$pfx"
fi

tok=ed$RANDOM
msg=$(ma_message "$tok" "Boss <ceo@reject.example>")
ma_sign ed25519 reject.example ed25519 "$msg" >"$MA_TMP/$tok.signed"
if deliver "$tok" "$MA_TMP/$tok.signed" reject.example &&
	[[ $AR == *"dkim=pass "*"header.d=reject.example"*"header.s=ed25519"*"header.a=ed25519-sha256"* ]] &&
	[[ $AR == *"dmarc=pass"* ]]; then
	ok "Ed25519 signature passes (RFC 8463)"
else
	fail "Ed25519 signature passes (RFC 8463)" "reply: $MA_REPLY; A-R: $AR"
fi

tok=both$RANDOM
msg=$(ma_message "$tok" "Boss <ceo@quarantine.example>")
ma_sign rsa2048 quarantine.example rsa2048 "$msg" >"$MA_TMP/$tok.one"
ma_sign ed25519 quarantine.example ed25519 "$MA_TMP/$tok.one" >"$MA_TMP/$tok.signed"
if deliver "$tok" "$MA_TMP/$tok.signed" quarantine.example &&
	[ "$(grep -o 'dkim=pass' <<<"$AR" | wc -l)" -eq 2 ] &&
	[[ $AR == *"header.a=ed25519-sha256"* && $AR == *"header.a=rsa-sha256"* ]]; then
	ok "two signatures (Ed25519 + RSA): both reported, both pass"
else
	fail "two signatures (Ed25519 + RSA): both reported, both pass" "reply: $MA_REPLY; A-R: $AR"
fi

tok=body$RANDOM
msg=$(ma_message "$tok" "News <news@none.example>")
ma_sign rsa2048 none.example rsa2048 "$msg" | sed 's/this is/THIS IS/' >"$MA_TMP/$tok.signed"
if deliver "$tok" "$MA_TMP/$tok.signed" none.example &&
	[[ $AR == *"dkim=fail "*"header.d=none.example"* && $AR == *"dmarc=fail"* ]]; then
	ok "body altered after signing: dkim=fail (body hash)"
else
	fail "body altered after signing: dkim=fail (body hash)" "reply: $MA_REPLY; A-R: $AR"
fi

tok=hdr$RANDOM
msg=$(ma_message "$tok" "News <news@none.example>")
ma_sign rsa2048 none.example rsa2048 "$msg" | sed "s/^Subject: $tok/Subject: $tok changed/" >"$MA_TMP/$tok.signed"
if deliver "$tok" "$MA_TMP/$tok.signed" none.example &&
	[[ $AR == *"dkim=fail "*"header.d=none.example"* ]]; then
	ok "signed header altered: dkim=fail"
else
	fail "signed header altered: dkim=fail" "reply: $MA_REPLY; A-R: $AR"
fi

tok=nokey$RANDOM
msg=$(ma_message "$tok" "News <news@none.example>")
ma_sign rsa2048 none.example nokey "$msg" >"$MA_TMP/$tok.signed"
if deliver "$tok" "$MA_TMP/$tok.signed" none.example &&
	[[ $AR == *"dkim=permerror "*"header.s=nokey"* ]]; then
	ok "key missing in DNS: dkim=permerror"
else
	fail "key missing in DNS: dkim=permerror" "reply: $MA_REPLY; A-R: $AR"
fi

# A signature that fails for p=reject is refused at end of data.
tok=rej$RANDOM
msg=$(ma_message "$tok" "Boss <ceo@reject.example>")
ma_sign rsa2048 reject.example rsa2048 "$msg" | sed 's/this is/THIS IS/' >"$MA_TMP/$tok.signed"
ma_send --bind "$LAB_OUT_BAD" --from x@reject.example --to "$LAB_ALICE" --file "$MA_TMP/$tok.signed"
[[ $MA_REPLY == *"550 5.7.1"*"reject.example"* ]] &&
	ok "broken signature + SPF fail for p=reject: 550 5.7.1 naming the domain" ||
	fail "broken signature + SPF fail for p=reject: 550 5.7.1 naming the domain" "$MA_REPLY"
# The same verification path with each dkim_verify_engine (SIGHUP reload):
# a message with a good RSA signature, one whose key is missing, and the
# same with the body altered must get the same dkim results in the A-R
# (header.b aside: each message is signed anew). The log line proves the
# engine in use.
dkim_parts() { grep -o 'dkim=[a-z]*[^;]*' <<<"$1" | sed 's/header\.b=[^ ;]*//'; }
declare -A by_engine
for eng in opendkim messec; do
	ma_write_conf "dkim_verify_engine = $eng"
	mark=$(lab_log_mark "$MA_LOG")
	kill -HUP "$MA_PID"
	if ! lab_wait_log_since "$MA_LOG" "$mark" "dkim verification engine: $eng" 10 ||
		! lab_wait_log_since "$MA_LOG" "$mark" 'configuration reloaded' 10; then
		fail "dkim_verify_engine = $eng in use" "no log line after SIGHUP"
		continue
	fi
	by_engine[$eng]=
	for kind in good body; do
		tok=eng$kind$RANDOM
		msg=$(ma_message "$tok" "News <news@none.example>")
		ma_sign rsa2048 none.example rsa2048 "$msg" >"$MA_TMP/$tok.one"
		ma_sign rsa2048 none.example nokey "$MA_TMP/$tok.one" >"$MA_TMP/$tok.signed"
		[ "$kind" = body ] && sed -i 's/this is/THIS IS/' "$MA_TMP/$tok.signed"
		deliver "$tok" "$MA_TMP/$tok.signed" none.example
		by_engine[$eng]+="$kind: $(dkim_parts "$AR" | tr '\n' ' ')"$'\n'
	done
done
if [[ -n ${by_engine[messec]:-} && ${by_engine[messec]} == "${by_engine[opendkim]:-}" ]] &&
	[[ ${by_engine[messec]} == *"good: "*"dkim=pass"*"body: "*"dkim=fail"* ]] &&
	[[ ${by_engine[messec]} == *"dkim=permerror"*"header.s=nokey"* ]]; then
	ok "dkim_verify_engine opendkim and messec: same A-R dkim results (pass, fail, permerror)"
else
	fail "dkim_verify_engine opendkim and messec: same A-R dkim results (pass, fail, permerror)" \
		"opendkim: ${by_engine[opendkim]:-}; messec: ${by_engine[messec]:-}"
fi
ma_finish
