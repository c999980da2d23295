#!/bin/bash
# NAME
#	36-milter-auth-badinput.sh - hostile messages through the real stack
# DESCRIPTION
#	NUL bytes in headers, a 1 MB header line, 500 DKIM-Signature headers,
#	non-ASCII (UTF-8) and IDN (A-label) From domains, 2000 header fields.
#	Each must get a clear verdict (a verdict line with an action, and an
#	SMTP reply that is 250 or a 5xx/4xx with text), and the milter must
#	keep serving: after each case a normal message is delivered with our
#	A-R and the process is the same one.
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up

still_serving() {
	local tok=alive$RANDOM msg
	msg=$(ma_message "$tok" "ceo@none.example")
	ma_send --bind "$LAB_OUT_GOOD" --from ceo@none.example --to "$LAB_ALICE" --file "$msg"
	[[ $MA_REPLY == 250* ]] || return 1
	ma_fetch "$tok" | grep -q "^Authentication-Results: $MA_ID;" || return 1
	kill -0 "$MA_PID" 2>/dev/null
}

# bad_case NAME FILE [WANT-REPLY-GLOB]
bad_case() {
	local name=$1 file=$2 want=${3:-*} v mark
	mark=$(lab_log_mark "$MA_LOG")
	ma_send --bind "$LAB_OUT_GOOD" --from ceo@none.example --to "$LAB_ALICE" --file "$file"
	v=
	[ -n "$MA_QID" ] && v=$(ma_verdict "$MA_QID")
	if [[ -z $MA_QID ]]; then
		# rejected at end of data (no queue id in the reply): the verdict
		# line written after the mark, never an earlier message's
		lab_wait_log_since "$MA_LOG" "$mark" ': [0-9A-F]+: spf=' 10 &&
			v=$(tail -c +"$((mark + 1))" "$MA_LOG" | grep -E ': [0-9A-F]+: spf=' | tail -n 1)
	fi
	# shellcheck disable=SC2053
	if [[ $MA_REPLY == $want ]] && [[ $v == *"action="* ]] && still_serving; then
		ok "$name"
	else
		fail "$name" "reply: ${MA_REPLY:0:200}; verdict: $v"
	fi
}

f=$MA_TMP/nul.eml
printf 'From: ceo@none.example\r\nTo: alice@lab.example\r\nSubject: nul\x00bytes\r\nX-Nul: a\x00b\x00c\r\n\r\nbody\x00with nul\r\n' >"$f"
bad_case "NUL bytes in headers and body: clear verdict, still serving" "$f"

f=$MA_TMP/big.eml
{
	printf 'From: ceo@none.example\r\nTo: alice@lab.example\r\nSubject: bigline\r\nX-Big: '
	head -c 1048576 /dev/zero | tr '\0' 'a'
	printf '\r\n\r\nbody\r\n'
} >"$f"
bad_case "1 MB header line: clear verdict, still serving" "$f"

f=$MA_TMP/dkim500.eml
{
	printf 'From: ceo@none.example\r\nTo: alice@lab.example\r\nSubject: dkim500\r\n'
	for i in $(seq 1 500); do
		printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=none.example; s=s%d;\r\n\th=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA%d\r\n' "$i" "$i"
	done
	printf '\r\nbody\r\n'
} >"$f"
ma_send --bind "$LAB_OUT_GOOD" --from ceo@none.example --to "$LAB_ALICE" --file "$f"
if [[ $MA_REPLY == 250* ]]; then
	out=$(ma_fetch dkim500)
	ar=$(ma_ar <(printf '%s\n' "$out" | sed '1d'))
	n=$(grep -o 'dkim=' <<<"$ar" | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -le 8 ] && [[ $ar == *"spf=pass"* ]] && still_serving &&
		ok "500 DKIM-Signature headers: at most 8 verified and reported, still serving" ||
		fail "500 DKIM-Signature headers: at most 8 verified and reported, still serving" "$n dkim entries: ${ar:0:300}"
else
	fail "500 DKIM-Signature headers: at most 8 verified and reported, still serving" "$MA_REPLY"
fi

f=$MA_TMP/utf8.eml
printf 'From: =?UTF-8?Q?B=C3=BCcher?= <x@b\xc3\xbccher.example>\r\nTo: alice@lab.example\r\nSubject: utf8from\r\n\r\nbody\r\n' >"$f"
bad_case "non-ASCII (UTF-8) From domain: clear verdict, still serving" "$f"

f=$MA_TMP/idn.eml
printf 'From: x@xn--bcher-kva.example\r\nTo: alice@lab.example\r\nSubject: idnfrom\r\n\r\nbody\r\n' >"$f"
ma_send --bind "$LAB_OUT_BAD" --from x@xn--bcher-kva.example --to "$LAB_ALICE" --file "$f"
[[ $MA_REPLY == *"550 5.7.1"*"xn--bcher-kva.example"* ]] && still_serving &&
	ok "IDN A-label domain with p=reject: 550 naming it" ||
	fail "IDN A-label domain with p=reject: 550 naming it" "$MA_REPLY"

f=$MA_TMP/many.eml
{
	printf 'From: ceo@none.example\r\nTo: alice@lab.example\r\nSubject: manyheaders\r\n'
	for i in $(seq 1 2000); do printf 'X-Filler-%d: v\r\n' "$i"; done
	printf '\r\nbody\r\n'
} >"$f"
bad_case "2000 header fields: limits action (552 5.3.4), still serving" "$f" "*552 5.3.4*"

f=$MA_TMP/badfrom.eml
printf 'From: <<<@@@>>> ;;; "unterminated\r\nTo: alice@lab.example\r\nSubject: badfrom\r\n\r\nbody\r\n' >"$f"
bad_case "unparsable From: 550 5.7.1 (no usable From), still serving" "$f" "*550 5.7.1*"

ma_finish
