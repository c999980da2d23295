#!/bin/bash
# NAME
#	74-policyd-greylist-allow.sh - large senders on the greylist allowlist skip greylisting, behind the real Postfix
# DESCRIPTION
#	messec-policyd greylists on port 25 (delay 1h: nothing passes by
#	retrying here) with greylist_allow_files = the shipped list
#	(policyd/greylist-allow) plus a local file naming reject.example and
#	the network 203.0.113.10/32. Cases: the shipped list is loaded (-t,
#	and --explain exempts a Gmail host by its verified name); a client
#	whose verified name (Postfix client_name, PTR and A agree in the lab
#	DNS) is mail.reject.example is accepted at its first attempt and the
#	mail delivered; a client named mail.quarantine.example (not listed)
#	is greylisted; a client without a verified name claiming a listed
#	sender domain is greylisted (the sender alone proves nothing); a
#	client in a listed network is accepted.
set -u
. "$(dirname "$0")/policyd.bash"
pd_lab_up 10043		# PD, port, cfgdir
mkdir "$cfgdir/state" && chown nobody "$cfgdir/state"
shipped=$LAB_REPO/policyd/greylist-allow
cat >"$cfgdir/local-allow" <<X
# this site's own additions
reject.example
203.0.113.10/32
X
cat >"$cfgdir/policyd.conf" <<X
listen = inet:127.0.0.1:$port
user = nobody
rcpt_rules = greylist
store = lmdb:$cfgdir/state/policyd.lmdb
greylist_delay = 1h
greylist_retry_window = 2h
greylist_allow_files = $shipped $cfgdir/local-allow
X
chmod 644 "$cfgdir/policyd.conf" "$cfgdir/local-allow"

out=$("$PD" -t -c "$cfgdir/policyd.conf" 2>&1)
[[ $out == *"greylist_allow_files = $shipped $cfgdir/local-allow"* ]] &&
	ok "-t: the shipped list and the local one are loaded" || fail "-t: the shipped list and the local one are loaded" "$out"
out=$("$PD" -c "$cfgdir/policyd.conf" --explain "protocol_state=RCPT client_address=209.85.128.41 client_name=mail-wm1-f41.google.com sender=x@gmail.com recipient=$LAB_ALICE" 2>&1)
[[ $out == *"client name mail-wm1-f41.google.com in the greylist allowlist (google.com)"*"action=DUNNO"* ]] &&
	ok "--explain: a Gmail host is exempt by the shipped list" || fail "--explain: a Gmail host is exempt by the shipped list" "$out"

if lab_spawn policyd -- "$PD" -f -c "$cfgdir/policyd.conf" && lab_wait_port $port &&
	lab_wait_log "$LAB_DIR/policyd.log" 'store: lmdb:.* open' 10; then
	ok "policyd starts"
else
	fail "policyd starts" "$(tail -n 5 "$LAB_DIR/policyd.log")"
fi

before=$(lab_mailbox_count alice)
out=$(lab_mail send --bind 192.0.2.10 --from news@none.example --to "$LAB_ALICE" --subject grey-allow-name 2>&1)
if [[ $out == 250* ]] && lab_wait_mailbox alice $((before + 1)) 20 &&
	grep -q 'client=mail.reject.example\[192.0.2.10\]' "$LAB_MAILLOG"; then
	ok "client verified as mail.reject.example (listed): accepted at the first attempt, delivered"
else
	fail "client verified as mail.reject.example (listed): accepted at the first attempt, delivered" "$out"
fi
out=$(lab_mail send --bind 192.0.2.11 --from news@none.example --to "$LAB_ALICE" --subject grey-allow-other 2>&1)
[[ $out == *'450 4.7.1'*'Greylisted'* ]] && ok "client verified as mail.quarantine.example (not listed): greylisted" ||
	fail "client verified as mail.quarantine.example (not listed): greylisted" "$out"
out=$(lab_mail send --bind "$LAB_OUT_BAD" --from someone@reject.example --to "$LAB_ALICE" --subject grey-allow-forged 2>&1)
[[ $out == *'450 4.7.1'*'Greylisted'* ]] && ok "unverified client with a listed sender domain: greylisted" ||
	fail "unverified client with a listed sender domain: greylisted" "$out"
out=$(lab_mail send --bind "$LAB_OUT_OTHER" --from someone@norecords.example --to "$LAB_ALICE" --subject grey-allow-net 2>&1)
[[ $out == 250* ]] && ok "client in a listed network: accepted at the first attempt" ||
	fail "client in a listed network: accepted at the first attempt" "$out"
lab_sanitizer_check "no sanitizer report from policyd" "$PD" "$LAB_DIR/policyd.log"
lab_finish
