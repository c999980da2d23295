#!/bin/bash
# NAME
#	38-milter-auth-hostile.sh - sender-shaped input never turns p=reject into accept
# DESCRIPTION
#	Issue 14, on the real stack (Postfix, unbound, the milter with its
#	default configuration), spoofed mail from the lab's "bad" address
#	(SPF fails), unsigned, for a p=reject domain:
#	1. a From domain of 247..253 octets under reject.example: _dmarc.<it>
#	   is over 253 octets, so no query can be made; it has no record and
#	   the organizational domain's p=reject applies: 550 5.7.1 (it was
#	   DMARC temperror, accepted by default);
#	2. a From field whose second mailbox (reject.example) lies past the
#	   first 4096 bytes, behind a long folded comment or many folded
#	   lines: two author domains, 550 5.7.1 (only the first, unprotected
#	   domain was seen);
#	3. macro.example's SPF runs %{l} (and %{h}) through exists:, and the
#	   MAIL FROM local part a\1 (or HELO h\1.example) is a bad escape for
#	   the resolver: the mechanism does not match, SPF fail, 550 5.7.1
#	   (it was SPF temperror on an aligned identifier: accept);
#	4. a forged A-R with our authserv-id plus a trailing dot (any case)
#	   is deleted from the delivered message.
#	Each answer is read from the SMTP reply; 4 from the mailbox (IMAP).
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up

# long_domain N: a domain of N octets ending in .reject.example.
long_domain() {
	local n=$1 suffix=reject.example d=
	local left=$((n - ${#suffix}))
	while [ "$left" -gt 0 ]; do
		local label=$((left - 1 > 60 ? 60 : left - 1))
		[ $((left - label - 1)) -eq 1 ] && label=$((label - 1))
		d+=$(printf '%*s' "$label" '' | tr ' ' a).
		left=$((left - label - 1))
	done
	echo "$d$suffix"
}

# spoof NAME MAIL-FROM FROM-HEADER [send args...]: unsigned, from the bad address.
spoof() {
	local name=$1 mfrom=$2 hfrom=$3 tok msg
	shift 3
	tok=h$RANDOM$RANDOM
	msg=$(ma_message "$tok" "$hfrom")
	ma_send --bind "$LAB_OUT_BAD" --from "$mfrom" --to "$LAB_ALICE" --file "$msg" "$@"
	if [[ $MA_REPLY == *"550 5.7.1"* ]]; then
		ok "$name: 550 5.7.1"
	else
		fail "$name: 550 5.7.1" "$(tail -n 2 <<<"$MA_REPLY" | tr '\n' ' ') $(tail -n 1 "$MA_LOG")"
	fi
}

# 1. Long From domains (RFC 7489 6.6.3: no record there, the org domain's).
for n in 247 250 253; do
	d=$(long_domain "$n")
	[ "${#d}" -eq "$n" ] || fail "long From domain of $n octets built" "${#d}"
	spoof "From domain of $n octets under p=reject reject.example" "x@$d" "x@$d"
done
v=$(grep -E "dmarc=fail action=reject reason=dmarc-reject from=a{60}\." "$MA_LOG" | tail -n 1)
[ -n "$v" ] && ok "long From domain: verdict dmarc=fail action=reject (policy of reject.example)" ||
	fail "long From domain: verdict dmarc=fail action=reject (policy of reject.example)" \
		"$(tail -n 3 "$MA_LOG")"

# 2. The second mailbox past 4096 bytes: a long folded comment, then folds.
comment=$(for i in $(seq 1 90); do printf '%s\r\n\t' "$(printf '%*s' 60 '' | tr ' ' c)"; done)
spoof "second From mailbox behind a 5.5 KB folded comment" x@norecords.example \
	"x@norecords.example ($comment), ceo@reject.example"
folds=$(for i in $(seq 1 3000); do printf '\r\n '; done)
spoof "second From mailbox behind 3000 folded lines" x@norecords.example \
	"x@norecords.example,$folds<ceo@reject.example>"
grep -q "reason=multiple-from" "$MA_LOG" && ok "verdict: multiple-from" ||
	fail "verdict: multiple-from" "$(tail -n 2 "$MA_LOG")"

# 3. SPF macros over a local part / HELO the resolver cannot encode.
spoof 'MAIL FROM local part a\1 through exists:%{l} (p=reject)' 'a\1@macro.example' \
	'x@macro.example'
v=$(grep -F "from=macro.example" "$MA_LOG" | tail -n 1)
[[ $v == *"spf=fail"*"dmarc=fail action=reject"* ]] &&
	ok 'a\1 local part: SPF fail (no match), not temperror' ||
	fail 'a\1 local part: SPF fail (no match), not temperror' "$v"
spoof 'HELO h\1.example through exists:%{h} (p=reject)' x@helo.macro.example \
	x@helo.macro.example --helo 'h\1.example'
v=$(grep -F "from=helo.macro.example" "$MA_LOG" | tail -n 1)
[[ $v == *"spf=fail"*"dmarc=fail action=reject"* ]] &&
	ok 'h\1 HELO: SPF fail (no match), not temperror' ||
	fail 'h\1 HELO: SPF fail (no match), not temperror' "$v"

# 4. A forged A-R with our authserv-id and a trailing dot is deleted.
tok=dot$RANDOM
msg=$(ma_message "$tok" "x@none.example" \
	"Authentication-Results: $MA_ID.; dmarc=pass header.from=spoofmark6.example" \
	"Authentication-Results: ${MA_ID^^}.; spf=pass smtp.mailfrom=spoofmark7.example" \
	"Authentication-Results: other.example.; spf=pass smtp.mailfrom=kept.example")
ma_send --bind "$LAB_OUT_GOOD" --from x@none.example --to "$LAB_ALICE" --file "$msg"
if [[ $MA_REPLY == 250* ]]; then
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	grep -q 'spoofmark[67]' "$MA_TMP/$tok.out" &&
		fail "forged A-R '$MA_ID.' (trailing dot, any case) deleted" \
			"$(grep -i spoofmark "$MA_TMP/$tok.out")" ||
		ok "forged A-R '$MA_ID.' (trailing dot, any case) deleted"
	grep -q 'kept.example' "$MA_TMP/$tok.out" && ok "foreign A-R with a trailing dot kept" ||
		fail "foreign A-R with a trailing dot kept" "$(ma_ar "$MA_TMP/$tok.out")"
	v=$(ma_verdict "$MA_QID")
	[[ $v == *"deleted_ar=2"* ]] && ok "verdict line: deleted_ar=2" ||
		fail "verdict line: deleted_ar=2" "$v"
else
	fail "message with forged A-R accepted" "$MA_REPLY"
fi
ma_finish
