# NAME
#	demo/dkim-sign.bash - the dkim layer's signing scenario (messec signs outbound mail)
# DESCRIPTION
#	demo_dkim_sign_scenario (called from demo/layers/11-dkim.sh's run(),
#	after the verifying scenarios): alice submits on 587 (STARTTLS, AUTH)
#	a message to friend@remote.example; messec-milter-auth sees an
#	authenticated client (outbound) and signs it with lab.example's RSA
#	key (demo/milter-auth.bash configures dkim_sign_keys). The receiving
#	side is the lab's "Internet" capture sink: the message there is shown
#	with its DKIM-Signature, and verified by an independent verifier
#	(Mail::DKIM, tests/lab/dkim_verify.pl, with the public key from the
#	lab's DNS). Returns 1 when a step did not show its outcome.

demo_dkim_sign_scenario() {
	local tok msg tr=$DEMO_TMP/dkim-sign.swaks out eml sig
	demo_scenario "3. Outbound: alice sends from lab.example on 587; messec signs, the receiving side verifies" \
		"3. Sortant : alice envoie depuis lab.example sur 587 ; messec signe, le destinataire vérifie"
	demo_cmd "dig +short TXT rsa2048._domainkey.lab.example   (lab.example's public key)" \
		lab_dig +short TXT rsa2048._domainkey.lab.example
	tok=dkim-sign-$RANDOM
	msg=$(demo_msg "$tok" "Alice <alice@lab.example>")
	sed -i 's/^To: alice@lab.example/To: friend@remote.example/; s/Hello Alice,/Hello friend,/' "$msg"
	demo_part send
	demo_show <"$msg"
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --port 587 --tls --local-interface "$LAB_OUT_OTHER" \
		--auth PLAIN --auth-user alice --auth-password "$LAB_ALICE_PASSWORD" \
		--from alice@lab.example --to friend@remote.example --data "@$msg" --suppress-data
	demo_part answer
	out=$(demo_swaks_answer "$tr")
	printf '%s\n' "$out" | demo_show
	[[ $out == 250* ]] || { demo_bad "not accepted" "non accepté"; return 1; }
	demo_part headers
	demo_say "At the receiving side (the lab's Internet capture), the message carries:" \
		"Côté destinataire (la capture « Internet » du labo), le message porte :"
	lab_wait 20 lab_capture_subject "$tok" >/dev/null
	eml=$(lab_capture_subject "$tok") || { demo_bad "the message did not reach the receiving side" "le message n’est pas arrivé chez le destinataire"; return 1; }
	sig=$(awk '/^[^ \t]/ { p = 0 } /^DKIM-Signature:/ { p = 1 } /^\r?$/ { exit } p' "$eml" | tr -d '\r')
	printf '%s\n' "$sig" | demo_show
	[[ $sig == *"d=lab.example"*"s=rsa2048"* || $sig == *"s=rsa2048"*"d=lab.example"* ]] ||
		{ demo_bad "no DKIM-Signature d=lab.example s=rsa2048" "pas de DKIM-Signature d=lab.example s=rsa2048"; return 1; }
	demo_milter_auth_logline "$(demo_swaks_qid "$tr"): .*outbound=auth"
	demo_say "The receiving side checks it with an independent verifier (Mail::DKIM), the key from DNS:" \
		"Le destinataire la vérifie avec un vérificateur indépendant (Mail::DKIM), la clé venant du DNS :"
	out=$(lab_exec perl "$LAB_LIB_DIR/dkim_verify.pl" <"$eml" 2>&1)
	echo "  $(_b "\$ perl tests/lab/dkim_verify.pl < $(basename "$eml")")"
	printf '%s\n' "$out" | demo_show
	[[ $out == *"lab.example rsa2048 rsa-sha256 pass"* ]] ||
		{ demo_bad "the signature does not verify at the receiving side" "la signature n’est pas vérifiée chez le destinataire"; return 1; }
	demo_ok "signed by messec on the way out (d=lab.example), dkim=pass at the receiving side." \
		"signé par messec à la sortie (d=lab.example), dkim=pass chez le destinataire."
	demo_lesson "Sign every outbound message: receivers can then prove it came from your domain, and DMARC can pass on DKIM alone." \
		"Signez tout message sortant : les destinataires peuvent alors prouver qu’il vient de votre domaine, et DMARC peut réussir sur DKIM seul."
	return 0
}
