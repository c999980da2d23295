# NAME
#	demo/layers/00-smtp.sh - layer "smtp": mail from the Internet to a mailbox
# DESCRIPTION
#	No messec layer: the plain stack. An outside server (192.0.2.10,
#	mail.reject.example) sends a message to alice@lab.example on port 25
#	(swaks; its transcript is the SMTP dialogue); Postfix hands it to
#	Dovecot over LMTP; alice reads it over IMAP and POP3 (STARTTLS; the
#	dialogue is shown by openssl s_client). Then: the server is no open relay.

run() {
	local token out qid tr=$DEMO_TMP/smtp.swaks cap=0
	token=demo-$RANDOM
	demo_title "Layer smtp: SMTP delivery, then IMAP and POP3 reading" \
		"Couche smtp : livraison SMTP, puis lecture IMAP et POP3"

	demo_scenario "1. An outside server sends a message to alice@lab.example (port 25)" \
		"1. Un serveur extérieur envoie un message à alice@lab.example (port 25)"
	demo_say "A capture of ports 25 and 143 on the lab's loopback, to see what crosses the wire:" \
		"Une capture des ports 25 et 143 sur la boucle locale du labo, pour voir ce qui circule :"
	demo_capture_start smtp-imap 'tcp port 25 or tcp port 143' && cap=1
	demo_part send
	demo_say "From 192.0.2.10 (mail.reject.example), envelope news@reject.example -> alice@lab.example:" \
		"Depuis 192.0.2.10 (mail.reject.example), enveloppe news@reject.example -> alice@lab.example :"
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --port 25 --local-interface "$LAB_OUT_GOOD" \
		--ehlo mail.reject.example --from news@reject.example --to "$LAB_ALICE" \
		--header "Subject: Hello Alice ($token)" --body "This message came from the (lab's) Internet."
	demo_part answer
	out=$(demo_swaks_answer "$tr")
	printf '%s\n' "$out" | demo_show
	if [[ $out != 250* ]]; then
		demo_bad "the server did not accept the message" "le serveur n’a pas accepté le message"
		return 1
	fi
	qid=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$tr" | tail -n 1)
	if ! lab_wait_maillog "$qid: .*status=sent" 20; then
		demo_bad "not delivered within 20 s" "non livré en 20 s"
		grep -F "$qid" "$LAB_MAILLOG" | demo_show
		return 1
	fi
	demo_part log
	demo_say "Postfix's log for queue id $qid (client address, then LMTP delivery to Dovecot):" \
		"Journal de Postfix pour la file $qid (adresse du client, puis livraison LMTP à Dovecot) :"
	grep -F "$qid" "$LAB_MAILLOG" | sed 's/^.*\]: //' | demo_show
	demo_ok "accepted and delivered." "accepté et livré."
	demo_lesson "SMTP carries an envelope (MAIL FROM, RCPT TO) apart from the headers; nothing here checks who the sender is." \
		"SMTP transporte une enveloppe (MAIL FROM, RCPT TO) distincte des en-têtes ; rien ici ne vérifie qui est l’expéditeur."

	demo_scenario "2. Alice reads it over IMAP (STARTTLS on 143)" \
		"2. Alice le lit en IMAP (STARTTLS sur le port 143)"
	demo_part send
	printf 'a LOGIN alice %s\r\nb SELECT INBOX\r\nc SEARCH RETURN (SAVE) SUBJECT %s\r\nd FETCH $ (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])\r\ne LOGOUT\r\n' \
		"$LAB_ALICE_PASSWORD" "$token" >"$DEMO_TMP/imap.in"
	demo_say "The IMAP commands alice's client sends after STARTTLS:" \
		"Les commandes IMAP qu’envoie le client d’alice après STARTTLS :"
	demo_show <"$DEMO_TMP/imap.in"
	demo_showcmd openssl s_client -quiet -starttls imap -connect "$LAB_MX_ADDR:143" -CAfile ca.crt
	out=$(lab_exec openssl s_client -quiet -starttls imap -connect "$LAB_MX_ADDR:143" -CAfile "$LAB_CA" \
		<"$DEMO_TMP/imap.in" 2>/dev/null | tr -d '\r')
	demo_part dialogue
	printf '%s\n' "$out" | demo_show
	demo_part answer
	printf '%s\n' "$out" | grep -E '^d OK' | demo_show
	if [[ $out != *"Hello Alice ($token)"* ]]; then
		demo_bad "the message is not in alice's INBOX" "le message n’est pas dans la boîte d’alice"
		return 1
	fi
	demo_part log
	grep -E 'imap-login: .*Login: user=<alice' "$LAB_DOVECOT_LOG" | tail -n 1 | sed 's/^.*imap-login: /imap-login: /' | demo_show
	demo_ok "read back over IMAP." "relu en IMAP."
	if [ "$cap" = 1 ]; then
		demo_capture_stop smtp-imap 'tls.app_data'
		demo_say "What the capture saw: SMTP on port 25 in clear (anyone on the path can read it)..." \
			"Ce qu’a vu la capture : SMTP sur le port 25 en clair (lisible par quiconque sur le chemin)..."
		demo_capture_show smtp-imap smtp
		demo_say "...and IMAP: in clear only until STARTTLS, then nothing but encrypted records." \
			"...et IMAP : en clair seulement jusqu’à STARTTLS, ensuite rien que des enregistrements chiffrés."
		out=$(tshark -r "$DEMO_TMP/smtp-imap.pcap" -Y 'imap || tls' 2>/dev/null)
		demo_capture_show smtp-imap 'imap || tls'
		if [[ $out != *"Application Data"* ]] || printf '%s\n' "$out" | grep -q 'LOGIN alice'; then
			demo_bad "the capture does not show IMAP inside TLS" "la capture ne montre pas IMAP dans TLS"
			return 1
		fi
		demo_ok "the password never appears in the capture." "le mot de passe n’apparaît jamais dans la capture."
	fi

	demo_scenario "3. The same mailbox over POP3 (STARTTLS on 110)" \
		"3. La même boîte en POP3 (STARTTLS sur le port 110)"
	demo_part send
	printf 'USER alice\r\nPASS %s\r\nSTAT\r\nQUIT\r\n' "$LAB_ALICE_PASSWORD" >"$DEMO_TMP/pop3.in"
	demo_show <"$DEMO_TMP/pop3.in"
	demo_showcmd openssl s_client -quiet -starttls pop3 -connect "$LAB_MX_ADDR:110" -CAfile ca.crt
	out=$(lab_exec openssl s_client -quiet -starttls pop3 -connect "$LAB_MX_ADDR:110" -CAfile "$LAB_CA" \
		<"$DEMO_TMP/pop3.in" 2>/dev/null | tr -d '\r')
	demo_part dialogue
	printf '%s\n' "$out" | demo_show
	if ! printf '%s\n' "$out" | grep -qE '^\+OK [1-9][0-9]* [0-9]+$'; then
		demo_bad "POP3 did not list the message" "POP3 n’a pas listé le message"
		return 1
	fi
	demo_ok "POP3 sees the same mailbox." "POP3 voit la même boîte."
	demo_lesson "IMAP and POP3 only read mail; here both ran inside TLS, never with the password in clear." \
		"IMAP et POP3 ne font que lire le courrier ; ici, tous deux dans TLS, jamais de mot de passe en clair."

	demo_scenario "4. The same outside server tries to use us as a relay to remote.example" \
		"4. Le même serveur extérieur tente de nous utiliser comme relais vers remote.example"
	tr=$DEMO_TMP/relay.swaks
	demo_part send
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --port 25 --local-interface "$LAB_OUT_GOOD" \
		--ehlo mail.reject.example --from news@reject.example --to victim@remote.example --quit-after RCPT
	demo_part answer
	out=$(demo_swaks_answer "$tr")
	printf '%s\n' "$out" | demo_show
	if [[ $out != *'554 5.7.1'* ]]; then
		demo_bad "relaying was not refused" "le relais n’a pas été refusé"
		return 1
	fi
	demo_part log
	grep -E 'NOQUEUE: reject: RCPT from .*victim@remote.example' "$LAB_MAILLOG" | tail -n 1 | sed 's/^.*\]: //' | demo_show
	demo_ok "no open relay." "pas de relais ouvert."
	demo_lesson "Only authenticated users (port 587) may send elsewhere; an open relay is a spammer's gift." \
		"Seuls les utilisateurs authentifiés (port 587) peuvent écrire ailleurs ; un relais ouvert est un cadeau aux spammeurs."
	return 0
}
