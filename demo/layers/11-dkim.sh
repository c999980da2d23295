# NAME
#	demo/layers/11-dkim.sh - layer "dkim": a signature over the message
# DESCRIPTION
#	messec-milter-auth verifies DKIM signatures (RFC 6376). Shown: the
#	public key in DNS, a message signed by reject.example delivered with
#	dkim=pass, and the same signed message altered in transit (one word of
#	the body changed) delivered with dkim=fail (its DMARC still passes here
#	through aligned SPF). Scenarios 1-2 sign with the lab's test tool
#	tests/lab/dkim_sign.py; scenario 3 (demo/dkim-sign.bash) shows messec
#	signing alice's outbound mail on 587, verified at the receiving side.

. demo/milter-auth.bash
. demo/dkim-sign.bash
setup() { demo_milter_auth_setup; }

run() {
	local tok msg tr=$DEMO_TMP/dkim.swaks key=$LAB_LIB_DIR/keys/lab-test-dkim-rsa2048.key
	demo_title "Layer dkim: a signature over the message (DKIM, RFC 6376)" \
		"Couche dkim : une signature sur le message (DKIM, RFC 6376)"
	demo_milter_auth_check || return 1
	demo_cmd "dig +short TXT rsa2048._domainkey.reject.example   (the public key)" \
		lab_dig +short TXT rsa2048._domainkey.reject.example

	demo_scenario "1. reject.example's server sends a signed message" \
		"1. Le serveur de reject.example envoie un message signé"
	tok=dkim-ok-$RANDOM
	msg=$(demo_msg "$tok" "CEO <ceo@reject.example>")
	"$LAB_PY" "$LAB_LIB_DIR/dkim_sign.py" --key "$key" --domain reject.example --selector rsa2048 "$msg" >"$msg.signed"
	demo_send "$tr" "$msg.signed" "$LAB_OUT_GOOD" mail.reject.example ceo@reject.example \
		python3 tests/lab/dkim_sign.py --key lab-test-dkim-rsa2048.key --domain reject.example --selector rsa2048 "$(basename "$msg")"
	demo_milter_auth_delivered "$tok" "$tr" "dkim=pass" "no dkim=pass" "pas de dkim=pass" || return 1
	demo_ok "dkim=pass: the body and the signed headers are what reject.example signed." \
		"dkim=pass : le corps et les en-têtes signés sont ceux qu’a signés reject.example."

	demo_scenario "2. The same message, altered in transit (10 000 EUR becomes 90 000 EUR)" \
		"2. Le même message, modifié en route (10 000 EUR devient 90 000 EUR)"
	tok=dkim-altered-$RANDOM
	msg=$(demo_msg "$tok" "CEO <ceo@reject.example>")
	"$LAB_PY" "$LAB_LIB_DIR/dkim_sign.py" --key "$key" --domain reject.example --selector rsa2048 "$msg" |
		sed 's/10 000 EUR/90 000 EUR/' >"$msg.altered"
	demo_send "$tr" "$msg.altered" "$LAB_OUT_GOOD" mail.reject.example ceo@reject.example \
		sed 's/10 000 EUR/90 000 EUR/'
	demo_milter_auth_delivered "$tok" "$tr" "dkim=fail" \
		"the altered message did not fail DKIM" "le message modifié n’a pas échoué DKIM" || return 1
	demo_ok "dkim=fail: the body hash no longer matches." "dkim=fail : l’empreinte du corps ne correspond plus."
	demo_lesson "DKIM proves the content is unchanged since the signing domain sent it; any change breaks it." \
		"DKIM prouve que le contenu n’a pas changé depuis son envoi par le domaine signataire ; toute modification la brise."
	demo_dkim_sign_scenario || return 1
	return 0
}
