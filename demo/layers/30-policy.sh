# NAME
#	demo/layers/30-policy.sh - layer "policy": sender restrictions (messec-policyd)
# DESCRIPTION
#	messec-policyd answers Postfix's check_policy_service. The layer starts
#	OFF (the lab's restriction lists are empty); policyd runs with a
#	sender-login map, a rate limit of 3 messages an hour per login and
#	greylisting (2 s delay for the demo). Scenarios:
#	  1. OFF: alice, logged in on 587, sends as ceo@lab.example to bob:
#	     accepted and delivered (a stolen account can impersonate anyone);
#	  2. ON (messec-postfix-setup enable policyd, on the lab's main.cf,
#	     postfix reload): the same refused, 554 5.7.1 "not owned by login";
#	  3. alice as herself: 3 messages accepted, the 4th deferred 450 4.7.1
#	     (rate limit), one alert line in policyd's log;
#	  4. an unknown sender on port 25 greylisted (450 4.7.1), accepted
#	     when it retries after the delay.
#	At the end messec-postfix-setup disable policyd gives the lab its
#	restriction lists back, so later layers are unaffected.

DEMO_POL_PORT=10040

# _pol_start: config, login map and LMDB store in $DEMO_TMP/policy
# (user nobody must read the config and write the store).
_pol_start() {
	local d=$DEMO_TMP/policy
	mkdir -p "$d/state"
	chmod 711 "$DEMO_TMP"
	chmod 755 "$d"
	chown nobody "$d/state"
	cat >"$d/login.map" <<MAP
# login              senders it owns
$LAB_ALICE    $LAB_ALICE
$LAB_BOB      $LAB_BOB
MAP
	cat >"$d/policyd.conf" <<CONF
listen = inet:127.0.0.1:$DEMO_POL_PORT
user = nobody
pid_file =
log_level = info
rcpt_rules = sender_login ratelimit greylist
eom_rules = ratelimit
sender_login_map = $d/login.map
ratelimit_limits = sasl_username:messages:3/1h:auth
store = lmdb:$d/state/policyd.lmdb
greylist_delay = 2s
greylist_retry_window = 1h
CONF
	chmod 644 "$d/policyd.conf" "$d/login.map"
	lab_spawn policyd -- "$PD_BIN" -f -c "$d/policyd.conf" >/dev/null &&
		lab_wait_port "$DEMO_POL_PORT" 20
}

# _pol_setup enable|disable: messec-postfix-setup on the lab's main.cf,
# then postfix reload (waits until the master has re-read it).
_pol_setup() {
	local mark
	demo_showcmd messec-postfix-setup --address "inet:127.0.0.1:$DEMO_POL_PORT" "$1" policyd
	PATH="$DEMO_B/policyd:$PATH" packaging/messec-postfix-setup -c "$LAB_POSTFIX_CONFIG" \
		--address "inet:127.0.0.1:$DEMO_POL_PORT" "$1" policyd 2>&1 | grep -v '^postconf: warning' | demo_show
	demo_showcmd postfix reload
	mark=$(lab_log_mark "$LAB_MAILLOG")
	lab_exec postfix -c "$LAB_POSTFIX_CONFIG" reload >/dev/null 2>&1 &&
		lab_wait_log_since "$LAB_MAILLOG" "$mark" 'reload -- version' 10
}

# _pol_logline TEXT...: the newest policyd log line holding every TEXT.
_pol_logline() { demo_logline "$LAB_DIR/policyd.log" messec-policyd "$@"; }

# _pol_as_ceo TOKEN TRANSCRIPT: alice logged in on 587, MAIL FROM and
# From: ceo@lab.example, to bob.
_pol_as_ceo() {
	local msg
	msg=$(demo_msg "$1" "CEO <ceo@lab.example>")
	sed -i 's/^To: alice@lab.example/To: bob@lab.example/; s/Hello Alice,/Hello Bob,/' "$msg"
	demo_part send
	demo_show <"$msg"
	demo_swaks "$2" --server "$LAB_MX_ADDR" --port 587 --tls --local-interface "$LAB_OUT_OTHER" \
		--auth PLAIN --auth-user "$LAB_ALICE" --auth-password "$LAB_ALICE_PASSWORD" \
		--from ceo@lab.example --to "$LAB_BOB" --data "@$msg" --suppress-data
	demo_part answer
	demo_swaks_answer "$2" | demo_show
}

# _pol_alice N: alice as herself to bob on 587; prints swaks' last answer.
_pol_alice() {
	lab_exec swaks --server "$LAB_MX_ADDR" --port 587 --tls --local-interface "$LAB_OUT_OTHER" \
		--auth PLAIN --auth-user "$LAB_ALICE" --auth-password "$LAB_ALICE_PASSWORD" \
		--from "$LAB_ALICE" --to "$LAB_BOB" --header "Subject: policy-rate-$1" >"$DEMO_TMP/policy-rate-$1.swaks" 2>&1
	demo_swaks_answer "$DEMO_TMP/policy-rate-$1.swaks"
}

run() {
	local tok tr out hdr i
	PD_BIN=$DEMO_B/policyd/messec-policyd
	demo_title "Layer policy: who may send what, and how much (messec-policyd)" \
		"Couche policy : qui peut envoyer quoi, et combien (messec-policyd)"
	[ -x "$PD_BIN" ] || { demo_bad "$PD_BIN is not built (make)" "$PD_BIN n’est pas compilé (make)"; return 1; }
	_pol_start || { demo_bad "policyd did not start" "policyd n’a pas démarré"; return 1; }
	demo_say "messec-policyd runs (pid $(cat "$LAB_DIR/pids/policyd.pid")); its rules and the login map (which addresses each login owns):" \
		"messec-policyd tourne (pid $(cat "$LAB_DIR/pids/policyd.pid")) ; ses règles et la table des identifiants (quelles adresses appartiennent à chaque compte) :"
	demo_cmd "messec-policyd -t -c policyd.conf" \
		sh -c "'$PD_BIN' -t -c '$DEMO_TMP/policy/policyd.conf' | grep -E '^(listen|rcpt_rules|eom_rules|sender_login_map|ratelimit_limits|ratelimit_action|greylist_delay) '"
	demo_cmd "cat login.map" cat "$DEMO_TMP/policy/login.map"

	demo_scenario "1. OFF: Postfix does not ask policyd; alice, logged in on 587, writes as ceo@lab.example to bob" \
		"1. SANS la couche : Postfix ne consulte pas policyd ; alice, authentifiée sur 587, écrit à bob en tant que ceo@lab.example"
	demo_say "The lab's recipient restrictions: empty, no check_policy_service." \
		"Les restrictions de destinataire du labo : vides, pas de check_policy_service."
	demo_cmd "postconf -h smtpd_recipient_restrictions" demo_postfix_get smtpd_recipient_restrictions
	tok=policy-off-$RANDOM tr=$DEMO_TMP/policy-off.swaks
	_pol_as_ceo "$tok" "$tr"
	out=$(demo_swaks_answer "$tr")
	[[ $out == 250* ]] || { demo_bad "not accepted without the layer" "pas accepté sans la couche"; return 1; }
	demo_part headers
	hdr=$(lab_mail imap-fetch --user bob --password "$LAB_BOB_PASSWORD" --headers-only \
		--search "SUBJECT $tok" --count 1 --wait 15 2>/dev/null | grep -iE '^(from|to|subject):' | tr -d '\r')
	printf '%s\n' "$hdr" | demo_show
	[[ $hdr == *"ceo@lab.example"* ]] || { demo_bad "the message is not in bob's INBOX" "le message n’est pas dans la boîte de bob"; return 1; }
	demo_ok "without the layer, any logged-in user can send as the CEO: bob has the message." \
		"sans la couche, tout utilisateur authentifié peut écrire au nom du PDG : bob a reçu le message."

	demo_scenario "2. ON: messec-postfix-setup adds check_policy_service; the same message" \
		"2. AVEC la couche : messec-postfix-setup ajoute check_policy_service ; le même message"
	_pol_setup enable || { demo_bad "enabling the layer failed" "l’activation de la couche a échoué"; return 1; }
	demo_cmd "postconf -h smtpd_recipient_restrictions smtpd_end_of_data_restrictions" \
		lab_exec postconf -c "$LAB_POSTFIX_CONFIG" -h smtpd_recipient_restrictions smtpd_end_of_data_restrictions
	tok=policy-on-$RANDOM tr=$DEMO_TMP/policy-on.swaks
	_pol_as_ceo "$tok" "$tr"
	out=$(demo_swaks_answer "$tr")
	[[ $out == *"554 5.7.1"*"Sender address <ceo@lab.example> is not owned by login $LAB_ALICE"* ]] ||
		{ demo_bad "not refused with 554 5.7.1 (sender not owned)" "pas refusé par 554 5.7.1 (expéditeur non possédé)"; _pol_setup disable >/dev/null; return 1; }
	_pol_logline "rule=sender_login" "action=REJECT" "<ceo@lab.example>" ||
		{ demo_bad "no sender_login verdict in policyd's log" "aucun verdict sender_login dans le journal de policyd"; _pol_setup disable >/dev/null; return 1; }
	demo_ok "refused at RCPT: alice's login owns only $LAB_ALICE." \
		"refusé au RCPT : le compte d’alice ne possède que $LAB_ALICE."
	demo_lesson "Authentication says who is sending; sender-login ownership stops a stolen account from impersonating others." \
		"L’authentification dit qui envoie ; le contrôle de propriété de l’adresse empêche un compte volé d’usurper les autres."

	demo_scenario "3. ON: alice, as herself, sends 4 messages in a row (limit: 3 an hour)" \
		"3. AVEC la couche : alice, en son nom, envoie 4 messages d’affilée (limite : 3 par heure)"
	demo_part send
	demo_showcmd swaks --server "$LAB_MX_ADDR" --port 587 --tls --local-interface "$LAB_OUT_OTHER" --auth PLAIN --auth-user "$LAB_ALICE" \
		--auth-password "$LAB_ALICE_PASSWORD" --from "$LAB_ALICE" --to "$LAB_BOB" --header "Subject: policy-rate-N"
	demo_part answer
	for i in 1 2 3 4; do
		out=$(_pol_alice "$i")
		echo "message $i: $out" | demo_show
	done
	[[ $out == *"450 4.7.1"*"Rate limit exceeded"* ]] ||
		{ demo_bad "the 4th message was not deferred (450 4.7.1)" "le 4e message n’a pas été différé (450 4.7.1)"; _pol_setup disable >/dev/null; return 1; }
	for i in 1 2 3; do
		[[ $(demo_swaks_answer "$DEMO_TMP/policy-rate-$i.swaks") == "250 2.0.0 Ok: queued"* ]] ||
			{ demo_bad "message $i was not accepted" "le message $i n’a pas été accepté"; _pol_setup disable >/dev/null; return 1; }
	done
	_pol_logline "ratelimit: sasl_username $LAB_ALICE exceeded 3 messages" ||
		{ demo_bad "no rate-limit alert in policyd's log" "aucune alerte de débit dans le journal de policyd"; _pol_setup disable >/dev/null; return 1; }
	demo_ok "the 4th is deferred (4xx: a real client retries later); the alert line tells the admin." \
		"le 4e est différé (4xx : un vrai client réessaiera plus tard) ; la ligne d’alerte prévient l’administrateur."
	demo_lesson "A rate limit caps the damage of a compromised account or a spam run, and raises the alarm." \
		"Une limite de débit borne les dégâts d’un compte compromis ou d’un envoi massif, et donne l’alerte."

	demo_scenario "4. ON: an unknown server on port 25 is greylisted, then accepted when it retries" \
		"4. AVEC la couche : un serveur inconnu sur le port 25 est mis en liste grise, puis accepté quand il réessaie"
	tr=$DEMO_TMP/policy-grey.swaks
	demo_part send
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --local-interface "$LAB_OUT_GOOD" --ehlo mail.none.example \
		--from grey@none.example --to "$LAB_ALICE" --header "Subject: policy-grey" --quit-after RCPT
	demo_part answer
	out=$(demo_swaks_answer "$tr")
	printf '%s\n' "$out" | demo_show
	[[ $out == *"450 4.7.1"*"Greylisted"* ]] ||
		{ demo_bad "the first attempt was not greylisted" "la première tentative n’a pas été mise en liste grise"; _pol_setup disable >/dev/null; return 1; }
	_pol_logline "rule=greylist" || true
	demo_say "A real mail server retries after a few minutes (here greylist_delay = 2s); a spam bot often never does." \
		"Un vrai serveur de messagerie réessaie après quelques minutes (ici greylist_delay = 2s) ; un robot de spam, souvent jamais."
	sleep 3
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --local-interface "$LAB_OUT_GOOD" --ehlo mail.none.example \
		--from grey@none.example --to "$LAB_ALICE" --header "Subject: policy-grey"
	demo_part answer
	out=$(demo_swaks_answer "$tr")
	printf '%s\n' "$out" | demo_show
	[[ $out == 250* ]] || { demo_bad "the retry was not accepted" "la nouvelle tentative n’a pas été acceptée"; _pol_setup disable >/dev/null; return 1; }
	demo_ok "the retry after the delay is accepted." "la nouvelle tentative après le délai est acceptée."
	demo_lesson "Greylisting costs a legitimate sender minutes, once; it stops much of the spam that never retries." \
		"La liste grise coûte quelques minutes, une seule fois, à un expéditeur légitime ; elle arrête une grande partie du spam qui ne réessaie jamais."

	demo_say "Back to the lab's own restrictions (layer OFF again) for the next layers:" \
		"Retour aux restrictions d’origine du labo (couche désactivée) pour les couches suivantes :"
	_pol_setup disable || { demo_bad "disabling the layer failed" "la désactivation de la couche a échoué"; return 1; }
	return 0
}
