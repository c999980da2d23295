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
#	3. A CEO fraud the authentication checks cannot see: From: "ceo@lab.example"
#	<ceo@1ab.example> (one, not l), Reply-To elsewhere, sent from
#	198.51.100.10, which the forger's own domain 1ab.example authorises
#	(SPF, DMARC p=reject: a zone added to the lab's DNS). Delivered with
#	dmarc=pass; messec-inspect on the delivered copy (--protect lab.example
#	--protect bank.example) shows the Received hops, SPF/DKIM/DMARC, the
#	alignment table and flags display-name-address, lookalike-domain and
#	reply-to-differs.

. demo/milter-auth.bash
setup() {
	demo_milter_auth_setup
	# The forger's lookalike domain: he registered it, so its DNS is his.
	demo_add_unbound <<'ZONE'
local-zone: "1ab.example." static
local-data: "1ab.example. 300 IN SOA ns.1ab.example. hostmaster.1ab.example. 1 3600 600 86400 300"
local-data: '1ab.example. 300 IN TXT "v=spf1 ip4:198.51.100.10 -all"'
local-data: '_dmarc.1ab.example. 300 IN TXT "v=DMARC1; p=reject"'
ZONE
}

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
	_hdr_inspect
}

# Scenario 3: a lookalike CEO fraud, delivered, explained by messec-inspect.
_hdr_inspect() {
	local tok tr msg hdr txt in_bin=$DEMO_B/milter-auth/messec-inspect f
	demo_scenario "3. A spoof that passes SPF and DMARC: display name, lookalike domain, Reply-To; messec-inspect explains it" \
		"3. Une usurpation qui passe SPF et DMARC : nom affiché, domaine sosie, Reply-To ; messec-inspect l’explique"
	[ -x "$in_bin" ] || { demo_bad "messec-inspect is not built (make)" "messec-inspect n’est pas compilé (make)"; return 1; }
	demo_say "The forger registered 1ab.example (a one, not an l) and published its SPF and DMARC (p=reject) for his server 198.51.100.10; the lab's DNS answers:" \
		"Le fraudeur a enregistré 1ab.example (un chiffre un, pas un l) et publié son SPF et son DMARC (p=reject) pour son serveur 198.51.100.10 ; le DNS du labo répond :"
	demo_cmd "dig +short TXT 1ab.example" lab_dig +short TXT 1ab.example
	demo_cmd "dig +short TXT _dmarc.1ab.example" lab_dig +short TXT _dmarc.1ab.example
	tok=hdr-lookalike-$RANDOM tr=$DEMO_TMP/hdr-lookalike.swaks
	msg=$(demo_msg "$tok" '"ceo@lab.example" <ceo@1ab.example>' "Reply-To: <ceo.office@mailbox.example>")
	demo_send "$tr" "$msg" "$LAB_OUT_BAD" mail.1ab.example ceo@1ab.example
	[[ $DEMO_ANSWER == 250* ]] || { demo_bad "not accepted" "non accepté"; return 1; }
	demo_part headers
	f=$DEMO_TMP/$tok.delivered.eml
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--search "SUBJECT $tok" --count 1 --wait 15 2>/dev/null | sed 1d >"$f"
	hdr=$(tr -d '\r' <"$f" | awk '/^$/{exit} {print}')
	printf '%s\n' "$hdr" | demo_show
	[[ $hdr == *"dmarc=pass"* ]] ||
		{ demo_bad "the lookalike did not pass DMARC as its owner set it up" "le sosie n’a pas passé DMARC comme son propriétaire l’a prévu"; return 1; }
	demo_milter_auth_logline "$(demo_swaks_qid "$tr"): "
	demo_say "Every check passed: the mail really comes from 1ab.example. Now ask messec-inspect about the delivered copy (alice's mailbox), our domains given with --protect:" \
		"Toutes les vérifications passent : le message vient bien de 1ab.example. Demandons à messec-inspect ce qu’il pense de la copie remise (boîte d’alice), nos domaines donnés par --protect :"
	demo_part "$(_t "messec-inspect on the delivered copy:" "messec-inspect sur la copie remise :")"
	demo_showcmd messec-inspect --authserv-id mx.lab.example --protect lab.example --protect bank.example "$f"
	txt=$(lab_exec "$in_bin" --authserv-id mx.lab.example --protect lab.example --protect bank.example "$f" 2>&1)
	printf '%s\n' "$txt" | demo_show
	if [[ $txt != *"[display-name-address]"*"lab.example"* ]] || [[ $txt != *"[lookalike-domain]"*"1ab.example"*"lab.example"* ]] ||
		[[ $txt != *"[reply-to-differs]"* ]] || [[ $txt != *"from mail.1ab.example [$LAB_OUT_BAD] by mx.lab.example"* ]]; then
		demo_bad "messec-inspect did not show the Received path and flag the display name, the lookalike and the Reply-To" \
			"messec-inspect n’a pas montré le chemin Received ni signalé le nom affiché, le sosie et le Reply-To"
		return 1
	fi
	demo_ok "SPF, DKIM and DMARC say who sent it (1ab.example), not who it pretends to be; messec-inspect flags the display name, the lookalike and the Reply-To." \
		"SPF, DKIM et DMARC disent qui l’a envoyé (1ab.example), pas qui il prétend être ; messec-inspect signale le nom affiché, le sosie et le Reply-To."
	demo_lesson "pass means \"really from that domain\": read which domain, the display name and the Reply-To; messec-inspect does it for you." \
		"pass veut dire « vient bien de ce domaine » : lire lequel, le nom affiché et le Reply-To ; messec-inspect le fait pour vous."
	return 0
}
