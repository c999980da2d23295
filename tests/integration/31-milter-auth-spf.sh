#!/bin/bash
# NAME
#	31-milter-auth-spf.sh - SPF results through real Postfix, unbound and Dovecot
# DESCRIPTION
#	Mail from the lab's "Internet" addresses to alice@lab.example through
#	Postfix with messec-milter-auth on port 25. Each case reads the
#	delivered message over IMAP and checks the one Authentication-Results
#	header (RFC 8601) with our authserv-id, and the milter's verdict line:
#	SPF pass, fail, softfail, neutral, none, permerror (RFC 7208 2.6),
#	the null sender (HELO identity), and a DNS timeout (temperror, accepted
#	by default, A-R temperror).
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up

# spf_case NAME BIND MAIL-FROM FROM-HEADER WANT-SPF [HELO]
spf_case() {
	local name=$1 bind=$2 mfrom=$3 hfrom=$4 want=$5 helo=${6:-}
	local tok=spf$RANDOM$RANDOM msg ar v
	msg=$(ma_message "$tok" "$hfrom")
	ma_send --bind "$bind" --from "$mfrom" --to "$LAB_ALICE" --file "$msg" ${helo:+--helo "$helo"}
	if [[ $MA_REPLY != 250* ]]; then
		fail "$name" "SMTP: $MA_REPLY"
		return
	fi
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	ar=$(ma_ar "$MA_TMP/$tok.out")
	v=$(ma_verdict "$MA_QID")
	if [ "$(printf '%s\n' "$ar" | grep -c "^Authentication-Results: $MA_ID;")" -eq 1 ] &&
		[[ $ar == *"spf=$want "* ]] && [[ $v == *"spf=$want "* ]]; then
		ok "$name"
	else
		fail "$name" "A-R: $ar; verdict: $v"
	fi
}

spf_case "SPF pass (192.0.2.10 for reject.example)" "$LAB_OUT_GOOD" \
	ceo@reject.example ceo@reject.example pass
spf_case "SPF pass over IPv6" "$LAB_OUT_GOOD6" ceo@none.example ceo@none.example pass
spf_case "SPF fail recorded (p=none domain, delivered)" "$LAB_OUT_BAD" \
	x@none.example x@none.example fail
spf_case "SPF softfail" "$LAB_OUT_BAD" x@softfail.example x@softfail.example softfail
spf_case "SPF neutral" "$LAB_OUT_BAD" x@neutral.example x@neutral.example neutral
spf_case "SPF none (no record)" "$LAB_OUT_BAD" x@norecords.example x@norecords.example none
spf_case "SPF permerror (unknown mechanism)" "$LAB_OUT_GOOD" \
	x@permerror.example x@permerror.example permerror

# The property: smtp.mailfrom carries the MAIL FROM domain.
tok=prop$RANDOM
msg=$(ma_message "$tok" ceo@reject.example)
ma_send --bind "$LAB_OUT_GOOD" --from ceo@reject.example --to "$LAB_ALICE" --file "$msg"
ma_fetch "$tok" >"$MA_TMP/$tok.out"
ar=$(ma_ar "$MA_TMP/$tok.out")
[[ $ar == *"spf=pass "*"smtp.mailfrom=reject.example;"* && $ar == *"dmarc=pass"* &&
	$ar == *"header.from=reject.example"* ]] &&
	ok "A-R: spf=pass smtp.mailfrom=<domain>; dmarc=pass header.from" ||
	fail "A-R: spf=pass smtp.mailfrom=<domain>; dmarc=pass header.from" "$ar"

# Null sender: RFC 7208 2.4, the HELO identity.
tok=null$RANDOM
msg=$(ma_message "$tok" "MAILER-DAEMON@mail.reject.example")
ma_send --bind "$LAB_OUT_GOOD" --from "" --helo mail.reject.example --to "$LAB_ALICE" --file "$msg"
if [[ $MA_REPLY == 250* ]]; then
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	ar=$(ma_ar "$MA_TMP/$tok.out")
	[[ $ar == *"spf=pass "*"smtp.helo=mail.reject.example;"* ]] &&
		ok "null sender: SPF on the HELO name (smtp.helo)" ||
		fail "null sender: SPF on the HELO name (smtp.helo)" "$ar"
else
	fail "null sender: SPF on the HELO name (smtp.helo)" "$MA_REPLY"
fi

# DNS timeout: timeout.example never answers. Default temperror_action =
# accept: delivered, A-R says temperror.
tok=tmo$RANDOM
msg=$(ma_message "$tok" x@timeout.example)
ma_send --bind "$LAB_OUT_BAD" --from x@timeout.example --to "$LAB_ALICE" --file "$msg"
v=$(ma_verdict "$MA_QID")
if [[ $MA_REPLY == 250* ]]; then
	ma_fetch "$tok" >"$MA_TMP/$tok.out"
	ar=$(ma_ar "$MA_TMP/$tok.out")
	[[ $ar == *"spf=temperror"* && $ar == *"dmarc=temperror"* && $v == *"action=accept"* ]] &&
		ok "DNS timeout: temperror recorded, accepted (default)" ||
		fail "DNS timeout: temperror recorded, accepted (default)" "A-R: $ar; verdict: $v"
else
	fail "DNS timeout: temperror recorded, accepted (default)" "$MA_REPLY"
fi

# Same with temperror_action = tempfail (SIGHUP reload): 451 4.7.0.
ma_write_conf "temperror_action = tempfail"
kill -HUP "$MA_PID"
lab_wait_log "$MA_LOG" 'configuration reloaded' 10
tok=tmo2$RANDOM
msg=$(ma_message "$tok" x@timeout.example)
ma_send --bind "$LAB_OUT_BAD" --from x@timeout.example --to "$LAB_ALICE" --file "$msg"
[[ $MA_REPLY == *"451 4.7.0"* ]] && ok "DNS timeout with temperror_action=tempfail: 451 4.7.0" ||
	fail "DNS timeout with temperror_action=tempfail: 451 4.7.0" "$MA_REPLY"
kill -0 "$MA_PID" 2>/dev/null && ok "milter still running" || fail "milter still running" "gone"
ma_finish
