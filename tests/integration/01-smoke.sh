#!/bin/bash
# NAME
#	01-smoke.sh - the lab itself works: DNS, delivery, IMAP/POP3, submission, relay
# DESCRIPTION
#	Brings up the real-stack lab (tests/lab/up) and checks each service the
#	later layers rely on, one TAP case each. Nothing here is mocked: mail
#	goes through Postfix, Dovecot LMTP/IMAP/POP3/SASL and unbound in a
#	private network namespace, and the "Internet" clients are bound to
#	documentation addresses (RFC 5737) on the namespace's loopback.
set -u
. "$(dirname "$0")/../lab/lib.sh"

lab_require "prerequisites" ip dig postfix dovecot unbound openssl swaks || lab_finish
lab_up
token=smoke-$RANDOM-$$

#
# DNS through the lab's unbound (RFC 7208 SPF, RFC 6376 DKIM, RFC 7489 DMARC).
#
out=$(lab_dig +short TXT reject.example)
[[ $out == *'"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"'* ]] &&
	ok "dns: SPF record of reject.example" || fail "dns: SPF record of reject.example" "got: $out"

want=$(tr -d '\n' <"$LAB_LIB_DIR/keys/lab-test-dkim-rsa2048.txt")
out=$(lab_dig +short TXT rsa2048._domainkey.reject.example | sed 's/" "//g; s/"//g')
[ "$out" = "$want" ] && ok "dns: DKIM RSA key (two TXT strings, joined)" ||
	fail "dns: DKIM RSA key (two TXT strings, joined)" "got: $out"

want=$(tr -d '\n' <"$LAB_LIB_DIR/keys/lab-test-dkim-ed25519.txt")
out=$(lab_dig +short TXT ed25519._domainkey.reject.example | tr -d '"')
[ "$out" = "$want" ] && ok "dns: DKIM Ed25519 key" || fail "dns: DKIM Ed25519 key" "got: $out"

out=$(for d in reject quarantine none; do lab_dig +short TXT "_dmarc.$d.example"; done | tr '\n' ' ')
[[ $out == *'p=reject'*'p=quarantine'*'p=none'* ]] &&
	ok "dns: DMARC p=reject, p=quarantine, p=none" || fail "dns: DMARC p=reject, p=quarantine, p=none" "got: $out"

out=$(lab_dig TXT norecords.example)
[[ $out == *'status: NOERROR'* ]] && [ -z "$(lab_dig +short TXT norecords.example)" ] && [ -n "$(lab_dig +short A norecords.example)" ] &&
	ok "dns: norecords.example exists with no TXT" || fail "dns: norecords.example exists with no TXT" "$(printf '%s' "$out" | grep -E 'status|TXT')"

out=$(lab_exec getent hosts mx.lab.example)
[[ $out == *203.0.113.25* || $out == *2001:db8::25* ]] &&
	ok "dns: the namespace's resolv.conf points at the lab's unbound" || fail "dns: the namespace's resolv.conf points at the lab's unbound" "getent: $out"

out=$(lab_dig +time=3 +tries=1 TXT "q$token.timeout.example" 2>&1)
if [[ $out != *'IN	TXT'* ]] && lab_wait_log "$LAB_BLACKHOLE_LOG" "q$token\\.timeout\\.example" 10; then
	ok "dns: timeout.example never answers (query reached the blackhole)"
else
	fail "dns: timeout.example never answers (query reached the blackhole)" "$(printf '%s' "$out" | grep -E 'status|timed out|TXT')"
fi

#
# Inbound: an outside client (192.0.2.10) to a local user, read back.
#
out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from "sender@reject.example" --to "$LAB_ALICE" \
	--subject "inbound $token" --body "body $token")
if [[ $out == 250* ]] && lab_wait_mailbox alice 1; then
	ok "inbound: mail from 192.0.2.10 on port 25 delivered by LMTP"
else
	fail "inbound: mail from 192.0.2.10 on port 25 delivered by LMTP" "send: $out"
fi
grep -q "client=mail.reject.example\[192.0.2.10\]" "$LAB_MAILLOG" &&
	ok "inbound: Postfix saw the outside address, not loopback" ||
	fail "inbound: Postfix saw the outside address, not loopback" "$(grep client= "$LAB_MAILLOG" | tail -n 1)"

out=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --search "SUBJECT $token" --count 1 --wait 10 2>&1)
[[ $out == *"Subject: inbound $token"* && $out == *"body $token"* ]] &&
	ok "inbound: read back over IMAP (STARTTLS)" || fail "inbound: read back over IMAP (STARTTLS)" "$out"

out=$(lab_mail pop3-fetch --user "$LAB_ALICE" --password "$LAB_ALICE_PASSWORD" 2>&1)
[[ $out == *"Subject: inbound $token"* ]] &&
	ok "inbound: read back over POP3 (STLS)" || fail "inbound: read back over POP3 (STLS)" "$out"

out=$(lab_mail send --bind "$LAB_OUT_GOOD6" --from "sender@reject.example" --to "$LAB_BOB" --subject "v6 $token" 2>&1)
if [[ $out == 250* ]] && lab_wait_mailbox bob 1 && grep -q "client=mail.reject.example\[2001:db8::10\]" "$LAB_MAILLOG"; then
	ok "inbound: IPv6 client 2001:db8::10 delivered"
else
	fail "inbound: IPv6 client 2001:db8::10 delivered" "send: $out"
fi

out=$(lab_exec swaks --server "$LAB_MX_ADDR" --local-interface "$LAB_OUT_OTHER" --helo mail.none.example \
	--from sender@none.example --to "$LAB_BOB" --header "Subject: swaks $token" 2>&1)
if [[ $out == *'<-  250 2.0.0 Ok: queued'* ]] && lab_wait_mailbox bob 2; then
	ok "inbound: swaks works inside the lab (--local-interface)"
else
	fail "inbound: swaks works inside the lab (--local-interface)" "$(printf '%s' "$out" | grep -E '^(<-|<\*\*|\*\*\*)' | tail -n 3)"
fi

out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from "sender@reject.example" --to "nobody@lab.example" 2>&1)
[[ $out == *'550 5.1.1'* ]] && ok "inbound: unknown local user gets 550 5.1.1" ||
	fail "inbound: unknown local user gets 550 5.1.1" "$out"

#
# Submission (587): STARTTLS + AUTH relays to the capture sink; nothing else relays.
#
out=$(lab_mail send --port 587 --starttls --auth "$LAB_BOB" "$LAB_BOB_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_BOB" --to "friend@remote.example" --subject "outbound $token" 2>&1)
if [[ $out == *'250 '* ]] && lab_wait_capture 1; then
	eml=$(lab_capture_last)
	if grep -q "Subject: outbound $token" "$eml" && grep -q '^recipient=friend@remote.example$' "${eml%.eml}.env"; then
		ok "submission: AUTH over STARTTLS on 587 relays to the capture sink"
	else
		fail "submission: AUTH over STARTTLS on 587 relays to the capture sink" "captured: $(head -c 300 "$eml")"
	fi
else
	fail "submission: AUTH over STARTTLS on 587 relays to the capture sink" "send: $out"
fi

before=$(lab_capture_count)
out=$(lab_mail send --port 587 --starttls --bind "$LAB_OUT_OTHER" --from "$LAB_BOB" --to "friend@remote.example" 2>&1)
[[ $out == *'554 5.7.1'*'Relay access denied'* ]] && ok "submission: no AUTH, no relay (554 5.7.1)" ||
	fail "submission: no AUTH, no relay (554 5.7.1)" "$out"

out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from "sender@reject.example" --to "victim@remote.example" 2>&1)
[[ $out == *'554 5.7.1'*'Relay access denied'* ]] && ok "inbound: port 25 from outside is no open relay" ||
	fail "inbound: port 25 from outside is no open relay" "$out"

out=$(lab_mail smtp-auth --no-starttls --bind "$LAB_OUT_OTHER" --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD" 2>&1)
[[ $out == *'503 5.5.1'* ]] && ok "submission: AUTH without TLS is refused" ||
	fail "submission: AUTH without TLS is refused" "$out"

out=$(lab_mail smtp-auth --bind "$LAB_OUT_OTHER" --user "$LAB_BOB" --password wrong 2>&1)
[[ $out == *'535 5.7.8'* ]] && ok "submission: wrong password gets 535 5.7.8" ||
	fail "submission: wrong password gets 535 5.7.8" "$out"
sleep 1
[ "$(lab_capture_count)" -eq "$before" ] && ok "submission: nothing refused reached the sink" ||
	fail "submission: nothing refused reached the sink" "capture count $(lab_capture_count), was $before"

#
# IMAP/POP3 authentication failures, as the MFA layer will see them.
#
out=$(lab_mail imap-login --bind "$LAB_OUT_BAD" --user alice --password wrong-password 2>&1)
[[ $out == *'[AUTHENTICATIONFAILED]'* ]] && lab_wait_dovecot_log 'auth.*passwd-file\(alice@lab.example,198\.51\.100\.10.*(Password mismatch|unknown user)' 5 &&
	ok "imap: wrong password fails, decision in the Dovecot log" ||
	fail "imap: wrong password fails, decision in the Dovecot log" "$out"

out=$(lab_mail pop3-login --bind "$LAB_OUT_BAD" --user alice --password wrong-password 2>&1)
[[ $out == *'-ERR'* ]] && ok "pop3: wrong password fails" || fail "pop3: wrong password fails" "$out"

out=$(lab_mail imap-login --plain --bind "$LAB_OUT_BAD" --user alice --password "$LAB_ALICE_PASSWORD" 2>&1)
[[ $out == NO* ]] && ok "imap: no plaintext login without TLS" || fail "imap: no plaintext login without TLS" "$out"

#
# Two labs at once, each with its own namespace and mail.
#
first_dir=$LAB_DIR first_ns=$LAB_NS
lab_up
if [ "$LAB_NS" != "$first_ns" ] && [ "$LAB_DIR" != "$first_dir" ]; then
	out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from "sender@none.example" --to "$LAB_CAROL" --subject "second $token" 2>&1)
	if [[ $out == 250* ]] && lab_wait_mailbox carol 1 &&
		[ ! -d "$first_dir/mail/lab.example/carol" ]; then
		ok "two labs run at the same time, mail stays in its own lab"
	else
		fail "two labs run at the same time, mail stays in its own lab" "$out"
	fi
else
	fail "two labs run at the same time, mail stays in its own lab" "same namespace or dir"
fi

#
# down leaves nothing: no process, no namespace, no /etc/netns entry.
#
pids=$( (ip netns pids "$first_ns"; ip netns pids "$LAB_NS") | tr '\n' ' ')
nsids=" $(stat -L -c %i "/run/netns/$first_ns" "/run/netns/$LAB_NS" | tr '\n' ' ')"
labs=("${LAB_DIRS[@]}")
lab_down
left=
for p in $pids; do
	# A PID counts as left only if it still lives in one of the lab
	# namespaces (an exiting task has no readable ns link; a recycled PID
	# lives elsewhere).
	l=$(readlink "/proc/$p/ns/net" 2>/dev/null) || continue
	l=${l#net:[}
	[[ $nsids == *" ${l%]} "* ]] && left+=" $p"
done
for d in "${labs[@]}"; do
	n=$(basename "$d")
	ip netns list | grep -qw "$n" && left+=" netns:$n"
	[ -e "/etc/netns/$n" ] && left+=" /etc/netns/$n"
	[ -e "$d" ] && [ "${LAB_KEEP:-0}" != 1 ] && left+=" $d"
done
[ -n "$pids" ] && [ -z "$left" ] && ok "down leaves no process, netns or /etc/netns entry" ||
	fail "down leaves no process, netns or /etc/netns entry" "left:$left (pids were: $pids)"

lab_finish
