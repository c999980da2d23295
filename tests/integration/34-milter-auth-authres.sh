#!/bin/bash
# NAME
#	34-milter-auth-authres.sh - forged Authentication-Results, submission
# DESCRIPTION
#	RFC 8601 section 5: every A-R field that claims our authserv-id is
#	deleted before ours is added, whatever its case or comments; other
#	A-R fields are kept. Checked on the message as delivered (IMAP).
#	Mail submitted with SMTP AUTH on port 587 is outbound: not verified,
#	no A-R added (and a forged one is still removed), verdict line
#	"outbound=auth".
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up

tok=forged$RANDOM
msg=$(ma_message "$tok" "x@none.example" \
	"Authentication-Results: $MA_ID; dmarc=pass header.from=spoofmark1.example" \
	"Authentication-Results: (comment) MX.LAB.EXAMPLE (c2); dkim=pass header.d=spoofmark2.example" \
	"Authentication-Results: other.example; spf=pass smtp.mailfrom=kept.example" \
	"Authentication-Results: $MA_ID;" \
	"	spf=pass smtp.mailfrom=spoofmark3.example")
ma_send --bind "$LAB_OUT_GOOD" --from x@none.example --to "$LAB_ALICE" --file "$msg"
if [[ $MA_REPLY == 250* ]]; then
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	ar=$(ma_ar "$MA_TMP/$tok.out")
	n=$(grep -ci "^Authentication-Results: $MA_ID;" <<<"$ar")
	[ "$n" -eq 1 ] && ok "exactly one A-R with our authserv-id reaches the mailbox" ||
		fail "exactly one A-R with our authserv-id reaches the mailbox" "$n: $ar"
	if ! ma_fetched "$MA_TMP/$tok.out" "$tok"; then
		fail "forged A-R (any case, comments, folded) deleted" "message not fetched"
	elif grep -q 'spoofmark[123]' "$MA_TMP/$tok.out"; then
		fail "forged A-R (any case, comments, folded) deleted" "$(grep spoofmark "$MA_TMP/$tok.out")"
	else
		ok "forged A-R (any case, comments, folded) deleted"
	fi
	grep -q '^Authentication-Results: other.example; spf=pass smtp.mailfrom=kept.example' "$MA_TMP/$tok.out" &&
		ok "foreign A-R kept" || fail "foreign A-R kept" "$ar"
	ours=$(grep -n "^Authentication-Results: $MA_ID;" "$MA_TMP/$tok.out" | head -n 1 | cut -d: -f1)
	recv=$(grep -n '^Received:' "$MA_TMP/$tok.out" | tail -n 1 | cut -d: -f1)
	[ -n "$ours" ] && [ -n "$recv" ] && [ "$ours" -lt "$recv" ] &&
		ok "our A-R above the Received: of our MX (RFC 8601 7.1)" ||
		fail "our A-R above the Received: of our MX (RFC 8601 7.1)" "A-R line $ours, Received line $recv"
	v=$(ma_verdict "$MA_QID")
	[[ $v == *"deleted_ar=3"* ]] && ok "verdict line counts the deleted A-R fields" ||
		fail "verdict line counts the deleted A-R fields" "$v"
else
	fail "forged A-R message accepted" "$MA_REPLY"
fi

# Authenticated submission (587, STARTTLS, AUTH): outbound, not verified.
tok=sub$RANDOM
msg=$(ma_message "$tok" "Alice <alice@lab.example>" \
	"Authentication-Results: $MA_ID; dmarc=pass header.from=spoofmark4.example")
ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_BAD" \
	--from alice@lab.example --to "$LAB_ALICE" --file "$msg"
if [[ $MA_REPLY == 250* ]]; then
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	ar=$(ma_ar "$MA_TMP/$tok.out")
	v=$(ma_verdict "$MA_QID")
	# The negative checks (no A-R, no forged one) need the message itself.
	fetched=1
	ma_fetched "$MA_TMP/$tok.out" "$tok" || fetched=
	[[ -n $fetched && -z $ar && $v == *"outbound=auth action=accept"* ]] &&
		ok "SMTP AUTH submission: not verified, no A-R, verdict outbound=auth" ||
		fail "SMTP AUTH submission: not verified, no A-R, verdict outbound=auth" \
			"fetched: ${fetched:-no}; A-R: $ar; verdict: $v"
	[ -n "$fetched" ] && ! grep -q spoofmark4 "$MA_TMP/$tok.out" && ok "forged A-R removed on submission too" ||
		fail "forged A-R removed on submission too" "fetched: ${fetched:-no}; $(grep spoofmark4 "$MA_TMP/$tok.out")"
else
	fail "SMTP AUTH submission accepted" "$MA_REPLY"
fi

# The same spoofed From without AUTH on port 25 is verified and refused.
tok=sub2$RANDOM
msg=$(ma_message "$tok" "Alice <alice@lab.example>")
ma_send --bind "$LAB_OUT_BAD" --from alice@lab.example --to "$LAB_ALICE" --file "$msg"
[[ $MA_REPLY == *"550 5.7.1"*"lab.example"* ]] &&
	ok "same From from the Internet without AUTH: verified, p=reject, 550" ||
	fail "same From from the Internet without AUTH: verified, p=reject, 550" "$MA_REPLY"
ma_finish
