# NAME
#	demo/layers/12-dmarc.sh - layer "dmarc": the From: domain's policy enforced
# DESCRIPTION
#	The teaching case of sender authentication. A forger on another network
#	(198.51.100.10) writes From: ceo@reject.example (DMARC p=reject). OFF:
#	Postfix's port 25 without the milter (lab_port25_milters emptied,
#	postfix reload): the spoof is accepted and lands in alice's INBOX. ON:
#	milter back: the same spoof is refused with 550 5.7.1 at SMTP time.

. demo/milter-auth.bash
setup() { demo_milter_auth_setup; }

_dmarc_spoof() {	# DEMO_ANSWER: the answer
	local tok=$1 tr=$2 msg
	msg=$(demo_msg "$tok" "CEO <ceo@reject.example>")
	demo_send "$tr" "$msg" "$LAB_OUT_BAD" mail.reject.example ceo@reject.example
}

run() {
	local tok out milters tr
	demo_title "Layer dmarc: the From: domain's policy enforced (DMARC, RFC 7489)" \
		"Couche dmarc : la politique du domaine du From: appliquée (DMARC, RFC 7489)"
	demo_milter_auth_check || return 1
	demo_say "reject.example tells the world to refuse mail that fails DMARC:" \
		"reject.example demande au monde entier de refuser le courrier qui échoue DMARC :"
	demo_cmd "dig +short TXT _dmarc.reject.example" lab_dig +short TXT _dmarc.reject.example

	milters=$(demo_postfix_get lab_port25_milters)
	demo_scenario "1. OFF: port 25 without messec-milter-auth; a forger (198.51.100.10) writes From: ceo@reject.example" \
		"1. SANS la couche : port 25 sans messec-milter-auth ; un fraudeur (198.51.100.10) écrit From: ceo@reject.example"
	demo_postfix_set 'lab_port25_milters=' || { demo_bad "postfix reload failed" "échec de postfix reload"; return 1; }
	tok=dmarc-off-$RANDOM tr=$DEMO_TMP/dmarc-off.swaks
	_dmarc_spoof "$tok" "$tr"
	out=$DEMO_ANSWER
	demo_postfix_set "lab_port25_milters=$milters" || { demo_bad "postfix reload failed" "échec de postfix reload"; return 1; }
	[[ $out == 250* ]] || { demo_bad "the spoof was not accepted without the milter" "l’usurpation n’a pas été acceptée sans le milter"; return 1; }
	demo_part headers
	out=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --search "SUBJECT $tok" --count 1 --wait 15 2>/dev/null)
	printf '%s\n' "$out" | grep -iE '^(from|subject|authentication-results):' | demo_show
	[[ $out == *"ceo@reject.example"* ]] || { demo_bad "the spoof is not in alice's INBOX" "l’usurpation n’est pas dans la boîte d’alice"; return 1; }
	demo_say "(no Authentication-Results: nobody checked)" "(aucun Authentication-Results : personne n’a vérifié)"
	demo_ok "without the layer, the spoofed CEO mail is in alice's INBOX." \
		"sans la couche, le faux message du PDG est dans la boîte d’alice."

	demo_scenario "2. ON: messec-milter-auth back on port 25; the same spoof" \
		"2. AVEC la couche : messec-milter-auth de retour sur le port 25 ; la même usurpation"
	tok=dmarc-on-$RANDOM tr=$DEMO_TMP/dmarc-on.swaks
	_dmarc_spoof "$tok" "$tr"
	out=$DEMO_ANSWER
	[[ $out == *"550 5.7.1"* ]] || { demo_bad "the spoof was not refused" "l’usurpation n’a pas été refusée"; return 1; }
	demo_milter_auth_logline "dmarc=fail action=reject"
	demo_ok "refused at SMTP time: SPF fails, no valid DKIM signature, and reject.example publishes p=reject." \
		"refusé pendant la session SMTP : SPF échoue, aucune signature DKIM valide, et reject.example publie p=reject."
	demo_lesson "DMARC ties the From: the reader sees to SPF or DKIM, and lets the domain owner say: refuse the rest." \
		"DMARC relie le From: que voit le lecteur à SPF ou DKIM, et permet au titulaire du domaine de dire : refusez le reste."
	return 0
}
