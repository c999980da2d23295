# NAME
#	demo/layers/13-headers.sh - layer "headers": Authentication-Results you can trust
# DESCRIPTION
#	A forger (198.51.100.10, From: news@none.example, DMARC p=none so the
#	mail is delivered) adds his own "Authentication-Results: mx.lab.example;
#	spf=pass; dkim=pass; dmarc=pass". OFF (port 25 without the milter): the
#	forged verdict reaches alice's mail client. ON: messec-milter-auth
#	deletes every A-R claiming our authserv-id (RFC 8601 section 5) and adds
#	the real one: dmarc=fail. The delivered header block is shown with its
#	Received: path.

. demo/milter-auth.bash
setup() { demo_milter_auth_setup; }

_hdr_send() {	# DEMO_ANSWER: the answer
	local tok=$1 tr=$2 msg
	msg=$(demo_msg "$tok" "PayPal Security <news@none.example>" \
		"Authentication-Results: mx.lab.example; spf=pass; dkim=pass; dmarc=pass")
	demo_send "$tr" "$msg" "$LAB_OUT_BAD" mail.none.example news@none.example
}

# _hdr_block TOKEN: the delivered copy's header block (folded lines kept).
_hdr_block() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--search "SUBJECT $1" --count 1 --wait 15 2>/dev/null | tr -d '\r' | awk '/^===/{next} /^$/{exit} {print}'
}

run() {
	local tok out hdr milters tr
	demo_title "Layer headers: Authentication-Results you can trust (RFC 8601)" \
		"Couche headers : des Authentication-Results dignes de confiance (RFC 8601)"
	demo_milter_auth_check || return 1
	milters=$(demo_postfix_get lab_port25_milters)

	demo_scenario "1. OFF: port 25 without the milter; the forger adds his own verdict header" \
		"1. SANS la couche : port 25 sans le milter ; le fraudeur ajoute son propre en-tête de verdict"
	demo_postfix_set 'lab_port25_milters=' || { demo_bad "postfix reload failed" "échec de postfix reload"; return 1; }
	tok=hdr-off-$RANDOM tr=$DEMO_TMP/hdr-off.swaks
	_hdr_send "$tok" "$tr"
	out=$DEMO_ANSWER
	demo_postfix_set "lab_port25_milters=$milters" || { demo_bad "postfix reload failed" "échec de postfix reload"; return 1; }
	[[ $out == 250* ]] || { demo_bad "not accepted" "non accepté"; return 1; }
	demo_part headers
	hdr=$(_hdr_block "$tok")
	printf '%s\n' "$hdr" | demo_show
	[[ $hdr == *"Authentication-Results: mx.lab.example; spf=pass; dkim=pass; dmarc=pass"* ]] ||
		{ demo_bad "the forged header is not there" "l’en-tête forgé n’est pas là"; return 1; }
	demo_ok "the mail client would show a forged \"dmarc=pass\" in our server's name." \
		"le client de messagerie afficherait un faux « dmarc=pass » au nom de notre serveur."

	demo_scenario "2. ON: the same message through messec-milter-auth" \
		"2. AVEC la couche : le même message à travers messec-milter-auth"
	tok=hdr-on-$RANDOM tr=$DEMO_TMP/hdr-on.swaks
	_hdr_send "$tok" "$tr"
	out=$DEMO_ANSWER
	[[ $out == 250* ]] || { demo_bad "not accepted" "non accepté"; return 1; }
	demo_part headers
	hdr=$(_hdr_block "$tok")
	printf '%s\n' "$hdr" | demo_show
	if [[ $hdr == *"dmarc=pass"* ]] || [[ $hdr != *"dmarc=fail"* ]] ||
		[ "$(printf '%s\n' "$hdr" | grep -ci '^authentication-results:')" != 1 ]; then
		demo_bad "the forged header reached the mailbox" "l’en-tête forgé a atteint la boîte"
		return 1
	fi
	demo_milter_auth_logline "$(demo_swaks_qid "$tr"): "
	demo_ok "the forged header is gone (deleted_ar=1); one A-R, ours: dmarc=fail." \
		"l’en-tête forgé a disparu (deleted_ar=1) ; un seul A-R, le nôtre : dmarc=fail."
	demo_say "Read the Received: path bottom-up: each server that took the mail adds one on top; only those our own servers (mx.lab.example) added can be trusted." \
		"Lire le chemin Received: de bas en haut : chaque serveur qui prend le message en ajoute un au-dessus ; seuls ceux de nos propres serveurs (mx.lab.example) sont fiables."
	demo_lesson "Trust only the Authentication-Results your own server wrote; it must delete look-alikes first." \
		"Ne se fier qu’aux Authentication-Results écrits par son propre serveur ; il doit d’abord supprimer les imitations."
	return 0
}
