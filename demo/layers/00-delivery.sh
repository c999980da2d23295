# NAME
#	demo/layers/00-delivery.sh - the foundation: mail from the Internet to a mailbox
# DESCRIPTION
#	No messec layer yet: shows the plain lab. An outside server
#	(192.0.2.10, mail.reject.example) sends a message to alice@lab.example
#	on port 25; Postfix hands it to Dovecot over LMTP; alice reads it over
#	IMAP with STARTTLS. Then: the server is no open relay.

run() {
	local token out qid
	token=demo-$RANDOM
	demo_title "Layer 0: delivery, end to end"
	demo_say "The DNS the lab's Internet sees (the sender domain's SPF and DMARC records):"
	demo_cmd "dig +short TXT reject.example" lab_dig +short TXT reject.example
	demo_cmd "dig +short TXT _dmarc.reject.example" lab_dig +short TXT _dmarc.reject.example

	demo_say "An outside mail server (192.0.2.10) sends to alice@lab.example on port 25:"
	out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from news@reject.example --to "$LAB_ALICE" \
		--subject "Hello Alice ($token)" --body "This message came from the (lab's) Internet." 2>&1)
	printf '%s\n' "$out" | demo_show
	if [[ $out != 250* ]]; then
		demo_bad "the server did not accept the message"
		return 1
	fi
	qid=${out##* }
	if ! lab_wait_mailbox alice 1 20; then
		demo_bad "not delivered within 20 s"
		grep -F "$qid" "$LAB_MAILLOG" | demo_show
		return 1
	fi
	demo_say "Postfix's log for queue id $qid (note the client address and the LMTP delivery):"
	grep -F "$qid" "$LAB_MAILLOG" | sed 's/^.*\]: //' | demo_show

	demo_say "Alice reads her INBOX over IMAP (STARTTLS, password login):"
	out=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--search "SUBJECT $token" --count 1 --wait 10 2>&1)
	printf '%s\n' "$out" | demo_show
	if [[ $out != *"Hello Alice ($token)"* ]]; then
		demo_bad "the message is not in alice's INBOX"
		return 1
	fi
	demo_ok "delivered and read back."

	demo_say "The same outside server tries to use us as a relay to remote.example:"
	out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from news@reject.example --to victim@remote.example 2>/dev/null)
	printf '%s\n' "$out" | demo_show
	if [[ $out != *'554 5.7.1'* ]]; then
		demo_bad "relaying was not refused"
		return 1
	fi
	demo_ok "no open relay: only authenticated users (port 587) may send elsewhere."
	return 0
}
