# NAME
#	demo/layers/10-spf.sh - layer "spf": which servers may send for a domain
# DESCRIPTION
#	messec-milter-auth (demo/milter-auth.bash) checks SPF (RFC 7208) on the
#	envelope sender. Shown: the record, messec-spf from the shell for an
#	authorised and an unauthorised address, and the Authentication-Results
#	of a mail from an unauthorised address for none.example (p=none:
#	delivered, spf=fail recorded; DMARC decides what to do).

. demo/milter-auth.bash
setup() { demo_milter_auth_setup; }

run() {
	local tok msg out tr=$DEMO_TMP/spf.swaks spf=$DEMO_B/milter-auth/messec-spf
	demo_title "Layer spf: which servers may send for a domain (SPF, RFC 7208)" \
		"Couche spf : quels serveurs peuvent écrire au nom d’un domaine (SPF, RFC 7208)"
	demo_milter_auth_check || return 1

	demo_scenario "1. The domain's SPF record, and what it says of two addresses" \
		"1. L’enregistrement SPF du domaine, et ce qu’il dit de deux adresses"
	demo_cmd "dig +short TXT none.example" lab_dig +short TXT none.example
	demo_cmd "messec-spf 192.0.2.10 news@none.example mail.none.example" lab_exec "$spf" 192.0.2.10 news@none.example mail.none.example
	out=$(lab_exec "$spf" "$LAB_OUT_BAD" news@none.example mail.none.example 2>&1)
	demo_cmd "messec-spf $LAB_OUT_BAD news@none.example mail.none.example" printf '%s\n' "$out"
	[[ $out == *fail* ]] || { demo_bad "messec-spf did not say fail" "messec-spf n’a pas répondu fail"; return 1; }

	demo_scenario "2. A mail from the unauthorised address, for none.example (DMARC p=none)" \
		"2. Un message de l’adresse non autorisée, pour none.example (DMARC p=none)"
	tok=spf-$RANDOM
	msg=$(demo_msg "$tok" "news@none.example")
	demo_send "$tr" "$msg" "$LAB_OUT_BAD" mail.none.example news@none.example
	demo_milter_auth_delivered "$tok" "$tr" "spf=fail" \
		"no spf=fail in Authentication-Results" "pas de spf=fail dans Authentication-Results" || return 1
	demo_ok "delivered with spf=fail written down; the domain's DMARC policy (none) decides." \
		"livré avec spf=fail consigné ; la politique DMARC du domaine (none) décide."
	demo_lesson "SPF checks the envelope sender's server, not the From: the reader sees; alone it does not refuse." \
		"SPF vérifie le serveur de l’expéditeur d’enveloppe, pas le From: que lit le destinataire ; seul, il ne refuse rien."
	return 0
}
