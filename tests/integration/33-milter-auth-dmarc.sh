#!/bin/bash
# NAME
#	33-milter-auth-dmarc.sh - DMARC enforcement through the real stack
# DESCRIPTION
#	Spoofed mail (sent from the lab's "bad" address, unsigned) for each
#	published policy: p=reject is refused with 550 5.7.1 naming the From
#	domain (read from the SMTP reply), p=quarantine lands in Postfix's
#	hold queue (postqueue/postcat), p=none is delivered with dmarc=fail in
#	the A-R (IMAP). Then alignment (RFC 7489 3.1: relaxed passes a
#	subdomain, strict does not), the subdomain policy sp= (6.6.3),
#	malformed DMARC records (ignored: treated as no policy), several or no
#	From fields (6.6.1), the allowlist (trusted_networks: recorded, not
#	enforced), and configurable actions (tag, reload by SIGHUP).
set -u
. "$(dirname "$0")/milter-auth.bash"
ma_lab_up

# send_case NAME BIND MAIL-FROM FROM-HEADER -> MA_REPLY, MA_QID, TOK, AR (if delivered)
send_case() {
	TOK=d$RANDOM$RANDOM
	local msg
	msg=$(ma_message "$TOK" "$4" "${@:5}")
	ma_send --bind "$2" --from "$3" --to "$LAB_ALICE" --file "$msg"
	AR=
	if [[ $MA_REPLY == 250* ]]; then
		ma_fetch "$TOK" >"$MA_TMP/$TOK.out"
		AR=$(ma_ar "$MA_TMP/$TOK.out")
	fi
}

send_case p_reject "$LAB_OUT_BAD" ceo@reject.example "Boss <ceo@reject.example>"
v=$(grep -F "dmarc=fail action=reject" "$MA_LOG" | tail -n 1)
[[ $MA_REPLY == *"550 5.7.1"*"reject.example"* ]] &&
	ok "p=reject spoof: 550 5.7.1 naming the From domain" ||
	fail "p=reject spoof: 550 5.7.1 naming the From domain" "$MA_REPLY"
[[ $v == *"spf=fail dkim=none dmarc=fail action=reject reason=dmarc-reject from=reject.example"* ]] &&
	ok "verdict line: spf=fail dkim=none dmarc=fail action=reject from=" ||
	fail "verdict line: spf=fail dkim=none dmarc=fail action=reject from=" "$v"

send_case p_quarantine "$LAB_OUT_BAD" x@quarantine.example "x@quarantine.example"
q=$(lab_postqueue -p 2>&1)
if [[ $MA_REPLY == 250* ]] && [ -n "$MA_QID" ] && grep -q "^$MA_QID!" <<<"$q"; then
	ok "p=quarantine spoof: accepted into the hold queue"
else
	fail "p=quarantine spoof: accepted into the hold queue" "reply: $MA_REPLY; queue: $q"
fi
held=$(lab_exec postcat -c "$LAB_POSTFIX_CONFIG" -q "$MA_QID" 2>&1)
[[ $held == *"Authentication-Results: $MA_ID;"*"dmarc=fail"*"policy.dmarc=quarantine"* ]] &&
	ok "held message carries our A-R (postcat)" ||
	fail "held message carries our A-R (postcat)" "$(grep -i -A2 authentication-results <<<"$held" | head -n 5)"
held_tok=$TOK

send_case p_none "$LAB_OUT_BAD" x@none.example "x@none.example"
[[ $MA_REPLY == 250* && $AR == *"dmarc=fail header.from=none.example policy.dmarc=none"* ]] &&
	ok "p=none spoof: delivered, dmarc=fail in A-R" ||
	fail "p=none spoof: delivered, dmarc=fail in A-R" "reply: $MA_REPLY; A-R: $AR"
# Only now, with the later p=none message fetched over IMAP, does the
# absence of the held one mean something.
if ! ma_fetched "$MA_TMP/$TOK.out" "$TOK"; then
	fail "held message not delivered" "the later p=none message was not fetched: nothing proven"
elif ma_not_delivered "$held_tok"; then
	ok "held message not delivered"
else
	fail "held message not delivered" "found in the mailbox (or IMAP failed)"
fi

# Alignment: SPF passes for bounce.<domain>, From is <domain>.
send_case relaxed "$LAB_OUT_GOOD" b@bounce.relaxed.example "x@relaxed.example"
[[ $MA_REPLY == 250* && $AR == *"dmarc=pass"* ]] &&
	ok "relaxed alignment: SPF pass for a subdomain aligns" ||
	fail "relaxed alignment: SPF pass for a subdomain aligns" "reply: $MA_REPLY; A-R: $AR"
send_case strict "$LAB_OUT_GOOD" b@bounce.strict.example "x@strict.example"
[[ $MA_REPLY == *"550 5.7.1"*"strict.example"* ]] &&
	ok "strict alignment (aspf=s): subdomain SPF pass does not align, p=reject" ||
	fail "strict alignment (aspf=s): subdomain SPF pass does not align, p=reject" "$MA_REPLY"

# DKIM alignment: d=sub.<domain> signs for From <domain>.
tok=dk$RANDOM
msg=$(ma_message "$tok" "x@relaxed.example")
ma_sign rsa2048 sub.relaxed.example rsa2048 "$msg" >"$MA_TMP/$tok.signed"
ma_send --bind "$LAB_OUT_BAD" --from x@relaxed.example --to "$LAB_ALICE" --file "$MA_TMP/$tok.signed"
[[ $MA_REPLY == 250* ]] && ok "relaxed DKIM alignment: d=sub.relaxed.example passes" ||
	fail "relaxed DKIM alignment: d=sub.relaxed.example passes" "$MA_REPLY"
tok=ds$RANDOM
msg=$(ma_message "$tok" "x@strict.example")
ma_sign rsa2048 sub.strict.example rsa2048 "$msg" >"$MA_TMP/$tok.signed"
ma_send --bind "$LAB_OUT_BAD" --from x@strict.example --to "$LAB_ALICE" --file "$MA_TMP/$tok.signed"
[[ $MA_REPLY == *"550 5.7.1"* ]] && ok "strict DKIM alignment (adkim=s): d=sub.strict.example rejected" ||
	fail "strict DKIM alignment (adkim=s): d=sub.strict.example rejected" "$MA_REPLY"

# Subdomain policy: sp.example has p=none sp=reject.
send_case sp_sub "$LAB_OUT_BAD" x@sub.sp.example "x@sub.sp.example"
[[ $MA_REPLY == *"550 5.7.1"*"sub.sp.example"* ]] && ok "sp=reject applies to a subdomain" ||
	fail "sp=reject applies to a subdomain" "$MA_REPLY"
send_case sp_org "$LAB_OUT_BAD" x@sp.example "x@sp.example"
[[ $MA_REPLY == 250* && $AR == *"dmarc=fail"*"policy.dmarc=none"* ]] &&
	ok "p=none applies to the organizational domain itself" ||
	fail "p=none applies to the organizational domain itself" "reply: $MA_REPLY; A-R: $AR"

# Malformed records are ignored (RFC 7489 6.6.3): no policy, delivered.
send_case bad1 "$LAB_OUT_BAD" x@badrecord.example "x@badrecord.example"
[[ $MA_REPLY == 250* && $AR == *"dmarc=none"* ]] &&
	ok "malformed record (v=dmarc1) ignored: dmarc=none, delivered" ||
	fail "malformed record (v=dmarc1) ignored: dmarc=none, delivered" "reply: $MA_REPLY; A-R: $AR"
send_case bad2 "$LAB_OUT_BAD" x@pqrecord.example "x@pqrecord.example"
[[ $MA_REPLY == 250* && $AR == *"dmarc=none"* ]] &&
	ok "malformed record (v= not first) ignored" ||
	fail "malformed record (v= not first) ignored" "reply: $MA_REPLY; A-R: $AR"

# RFC 7489 6.6.1: several From domains, no From.
send_case multi "$LAB_OUT_GOOD" ceo@none.example "ceo@none.example" "From: other@reject.example"
[[ $MA_REPLY == *"550 5.7.1"*"several From"* ]] && ok "two From fields: 550 5.7.1 (default)" ||
	fail "two From fields: 550 5.7.1 (default)" "$MA_REPLY"
send_case multi2 "$LAB_OUT_GOOD" ceo@none.example "ceo@none.example, evil@reject.example"
[[ $MA_REPLY == *"550 5.7.1"* ]] && ok "one From field with two domains: 550 5.7.1" ||
	fail "one From field with two domains: 550 5.7.1" "$MA_REPLY"
tok=nofrom$RANDOM
printf 'To: alice@lab.example\r\nSubject: %s\r\n\r\nno from\r\n' "$tok" >"$MA_TMP/$tok.eml"
ma_send --bind "$LAB_OUT_GOOD" --from ceo@none.example --to "$LAB_ALICE" --file "$MA_TMP/$tok.eml"
[[ $MA_REPLY == *"550 5.7.1"*"From"* ]] && ok "no From field: 550 5.7.1" ||
	fail "no From field: 550 5.7.1" "$MA_REPLY"

# Configured actions + allowlist, applied by SIGHUP.
ma_write_conf "trusted_networks = 203.0.113.10" "dmarc_quarantine_action = tag" \
	"multiple_from_action = first"
kill -HUP "$MA_PID"
lab_wait_log "$MA_LOG" 'configuration reloaded' 10 && ok "SIGHUP reload logged" ||
	fail "SIGHUP reload logged" "$(tail -n 3 "$MA_LOG")"
send_case allow "$LAB_OUT_OTHER" ceo@reject.example "ceo@reject.example"
[[ $MA_REPLY == 250* && $AR == *"spf=fail"*"dmarc=fail"* ]] &&
	ok "trusted forwarder: p=reject spoof delivered, results still recorded" ||
	fail "trusted forwarder: p=reject spoof delivered, results still recorded" "reply: $MA_REPLY; A-R: $AR"
send_case tag "$LAB_OUT_BAD" x@quarantine.example "x@quarantine.example"
if [[ $MA_REPLY == 250* ]] && grep -q '^X-Messec-DMARC: fail' "$MA_TMP/$TOK.out"; then
	ok "dmarc_quarantine_action = tag: delivered with the tag header"
else
	fail "dmarc_quarantine_action = tag: delivered with the tag header" \
		"reply: $MA_REPLY; $(grep -i '^X-Messec' "$MA_TMP/$TOK.out")"
fi
send_case first "$LAB_OUT_BAD" ceo@reject.example "ceo@reject.example" "From: x@none.example"
[[ $MA_REPLY == *"550 5.7.1"*"reject.example"* ]] &&
	ok "multiple_from_action = first: first From (p=reject) evaluated" ||
	fail "multiple_from_action = first: first From (p=reject) evaluated" "$MA_REPLY"
send_case forgedtag "$LAB_OUT_GOOD" ceo@none.example "ceo@none.example" "X-Messec-DMARC: pass (forged)"
if ! ma_fetched "$MA_TMP/$TOK.out" "$TOK"; then
	fail "forged tag header removed" "message not fetched: reply $MA_REPLY"
elif grep -qi '^X-Messec-DMARC' "$MA_TMP/$TOK.out"; then
	fail "forged tag header removed" "$(grep -i '^X-Messec' "$MA_TMP/$TOK.out")"
else
	ok "forged tag header removed"
fi
# trusted_domains: matched against the client name Postfix verified
# (192.0.2.10 <-> mail.reject.example, forward-confirmed in the lab DNS).
send_case untrusted "$LAB_OUT_GOOD" x@lab.example "x@lab.example"
[[ $MA_REPLY == *"550 5.7.1"*"lab.example"* ]] &&
	ok "spoofed p=reject domain from an untrusted host: 550" ||
	fail "spoofed p=reject domain from an untrusted host: 550" "$MA_REPLY"
ma_write_conf "trusted_domains = reject.example"
mark=$(lab_log_mark "$MA_LOG")
kill -HUP "$MA_PID"
lab_wait_log_since "$MA_LOG" "$mark" 'configuration reloaded' 10
send_case trusted "$LAB_OUT_GOOD" x@lab.example "x@lab.example"
v=$(ma_verdict "$MA_QID")
[[ $MA_REPLY == 250* && $AR == *"dmarc=fail"* && $v == *"reason=allowlisted"* ]] &&
	ok "trusted_domains (verified client name): delivered, dmarc=fail recorded" ||
	fail "trusted_domains (verified client name): delivered, dmarc=fail recorded" "reply: $MA_REPLY; A-R: $AR; $v"
ma_finish
