# NAME
#	demo/layers/20-av.sh - layer "av": antivirus and attachment policy (milter-av)
# DESCRIPTION
#	messec-milter-av scans each message with libclamav in-process and
#	applies an attachment policy. The official ClamAV databases need the
#	Internet: the layer loads the lab tests' own database (EICAR and two
#	test signatures, tests/integration/av_messages.py db), and its messages
#	are the lab tests' (av_messages.py msg). The layer starts OFF: the
#	milter runs, but port 25 does not call it. Scenarios:
#	  1. OFF: an EICAR attachment is accepted and lands in alice's INBOX;
#	  2. ON (the milter added to port 25, postfix reload): the same EICAR
#	     refused, 554 5.7.1 naming Eicar-Test-Signature;
#	  3. EICAR inside a zip refused;
#	  4. invoice.pdf.exe refused by the attachment policy (no signature:
#	     the name alone);
#	  5. a clean PDF attachment delivered with X-Virus-Status: clean;
#	  6. a phishing link (the text shows www.bank.example, the href leads
#	     to login.evil-link.example, a domain on the lab's blocklist
#	     dbl.example served by its unbound): OFF (link analysis not
#	     configured) delivered with nothing said; ON (link_dns_lists =
#	     dbl.example:tag, link_mismatch_action = tag, SIGHUP) delivered
#	     flagged with X-Link-Status naming both findings, and the
#	     milter's "links=" log line.
#	At the end port 25 gets back the milters it had, so later layers are
#	unaffected.

DEMO_AV_GEN=tests/integration/av_messages.py

# _av_milter_start: config and database in $DEMO_TMP/av (the milter's user
# nobody must traverse DEMO_TMP to read them), started in the lab.
_av_milter_start() {
	local d=$DEMO_TMP/av
	mkdir -p "$d/db" "$d/spool"
	chmod 711 "$DEMO_TMP"
	chmod 755 "$d" "$d/db"
	chmod 1777 "$d/spool"
	"$LAB_PY" "$DEMO_AV_GEN" db "$d/db" && chmod 644 "$d"/db/*
	cat >"$d/milter-av.conf" <<CONF
socket = unix:$LAB_DIR/av.sock
socket_mode = 0666
user = nobody
pid_file =
log_level = info
database_dir = $d/db
spool_dir = $d/spool
CONF
	chmod 644 "$d/milter-av.conf"
	lab_spawn milter-av -- "$AV_BIN" -f -c "$d/milter-av.conf" >/dev/null &&
		lab_wait_socket "$LAB_DIR/av.sock" 20
}

# _av_send TOKEN KIND TRANSCRIPT: an av_messages.py message, shown and sent
# on port 25 from the "Internet" (good sender's address); prints nothing
# else. The answer is in TRANSCRIPT (demo_swaks_answer).
_av_send() {
	local tok=$1 kind=$2 tr=$3 msg=$DEMO_TMP/$1.eml
	"$LAB_PY" "$DEMO_AV_GEN" msg "$kind" "$tok" "$msg"
	demo_part send
	demo_showcmd python3 "$DEMO_AV_GEN" msg "$kind" "$tok" "$tok.eml"
	# The message, base64 bodies cut to their first line.
	tr -d '\r' <"$msg" | awk '
		/^[A-Za-z0-9+\/=]+$/ && length($0) >= 60 { if (b++ == 0) print; next }
		b > 1 { printf "[... %d more lines of base64]\n", b - 1 }
		{ b = 0; print }' | demo_show
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --local-interface "$LAB_OUT_GOOD" --ehlo mail.sender.example \
		--from bob@sender.example --to "$LAB_ALICE" --data "@$msg" --suppress-data
	demo_part answer
	demo_swaks_answer "$tr" | demo_show
}

# _av_headers TOKEN: the delivered copy's From, Subject and X-Virus-* headers.
_av_headers() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
		--search "SUBJECT $1" --count 1 --wait 15 2>/dev/null |
		grep -iE '^(from|subject|x-virus-scanned|x-virus-status|x-link-status):' | tr -d '\r'
}

# _av_reconfigure LINE...: append the lines to the milter's config, show
# them, SIGHUP, wait for the reload line (the new config is then in use).
_av_reconfigure() {
	local conf=$DEMO_TMP/av/milter-av.conf mark
	mark=$(lab_log_mark "$LAB_DIR/milter-av.log")
	printf '%s\n' "$@" >>"$conf"
	demo_cmd "tail -n $# milter-av.conf" tail -n "$#" "$conf"
	demo_cmd "kill -HUP \$(pidof messec-milter-av)" kill -HUP "$(cat "$LAB_DIR/pids/milter-av.pid")"
	lab_wait_log_since "$LAB_DIR/milter-av.log" "$mark" "engine reload \(SIGHUP\)" 20
}

# _av_logline TEXT...: the newest milter-av log line holding every TEXT.
_av_logline() { demo_logline "$LAB_DIR/milter-av.log" messec-milter-av "$@"; }

# _av_delivered TOKEN KIND TRANSCRIPT: send, expect 250, show the delivered
# copy's headers (kept in AV_HDR); returns 1 (said) when not delivered.
_av_delivered() {
	_av_send "$@"
	[[ $(demo_swaks_answer "$3") == 250* ]] || { demo_bad "not accepted" "non accepté"; return 1; }
	demo_part headers
	AV_HDR=$(_av_headers "$1")
	printf '%s\n' "$AV_HDR" | demo_show
	[[ $AV_HDR == *"Subject: $1"* ]] || { demo_bad "not in alice's INBOX" "absent de la boîte d’alice"; return 1; }
}

# _av_refused TOKEN KIND WHAT: send, expect 554 5.7.1 naming WHAT, the log
# line, and nothing delivered.
_av_refused() {
	local tok=$1 tr=$DEMO_TMP/$1.swaks out
	_av_send "$tok" "$2" "$tr"
	out=$(demo_swaks_answer "$tr")
	[[ $out == *"554 5.7.1"*"$3"* ]] || { demo_bad "not refused with 554 5.7.1 naming $3" "pas refusé par 554 5.7.1 citant $3"; return 1; }
	_av_logline "action=reject" "$3" ||
		{ demo_bad "no reject line naming $3 in the milter's log" "aucune ligne de rejet citant $3 dans le journal du milter"; return 1; }
	if lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
		--search "SUBJECT $tok" --count 1 >/dev/null 2>&1; then
		demo_bad "the refused message is in alice's INBOX" "le message refusé est dans la boîte d’alice"
		return 1
	fi
	return 0
}

run() {
	local tok tr milters
	AV_BIN=$DEMO_B/milter-av/messec-milter-av
	demo_title "Layer av: antivirus and attachment policy (messec-milter-av, libclamav)" \
		"Couche av : antivirus et politique des pièces jointes (messec-milter-av, libclamav)"
	[ -x "$AV_BIN" ] || { demo_bad "$AV_BIN is not built (make)" "$AV_BIN n’est pas compilé (make)"; return 1; }
	_av_milter_start || { demo_bad "milter-av did not start" "milter-av n’a pas démarré"; return 1; }
	demo_say "messec-milter-av runs (pid $(cat "$LAB_DIR/pids/milter-av.pid")), on the lab tests' signature database (EICAR and test signatures); its configuration:" \
		"messec-milter-av tourne (pid $(cat "$LAB_DIR/pids/milter-av.pid")), avec la base de signatures des tests du labo (EICAR et signatures de test) ; sa configuration :"
	demo_cmd "messec-milter-av -t -c milter-av.conf" \
		sh -c "'$AV_BIN' -t -c '$DEMO_TMP/av/milter-av.conf' | grep -E '^(socket|database_dir|infected_action|policy_action|error_action|double_extensions) '"
	demo_say "EICAR is the industry's harmless test file: every antivirus must detect it as if it were a virus." \
		"EICAR est le fichier de test inoffensif de la profession : tout antivirus doit le détecter comme un virus."
	milters=$(demo_postfix_get lab_port25_milters)

	demo_scenario "1. OFF: port 25 does not call messec-milter-av; bob@sender.example sends an EICAR attachment" \
		"1. SANS la couche : le port 25 n’appelle pas messec-milter-av ; bob@sender.example envoie une pièce jointe EICAR"
	demo_say "The milters port 25 calls (lab_port25_milters in the lab's main.cf): no av.sock." \
		"Les milters qu’appelle le port 25 (lab_port25_milters dans le main.cf du labo) : pas de av.sock."
	demo_cmd "postconf -h lab_port25_milters" demo_postfix_get lab_port25_milters
	tok=av-off-$RANDOM tr=$DEMO_TMP/av-off.swaks
	_av_delivered "$tok" eicar-b64 "$tr" || return 1
	[[ $AV_HDR != *X-Virus-Status* ]] || { demo_bad "an X-Virus-Status header although nothing scanned" "un en-tête X-Virus-Status alors que rien n’a été analysé"; return 1; }
	demo_say "(no X-Virus-Status: nobody scanned it)" "(aucun X-Virus-Status : personne ne l’a analysé)"
	demo_ok "without the layer, the EICAR attachment is in alice's INBOX." \
		"sans la couche, la pièce jointe EICAR est dans la boîte d’alice."

	demo_scenario "2. ON: messec-milter-av added to port 25; the same EICAR attachment" \
		"2. AVEC la couche : messec-milter-av ajouté au port 25 ; la même pièce jointe EICAR"
	demo_postfix_set "lab_port25_milters=${milters:+$milters, }unix:$LAB_DIR/av.sock" ||
		{ demo_bad "postfix reload failed" "échec de postfix reload"; return 1; }
	_av_refused "av-on-$RANDOM" eicar-b64 Eicar-Test-Signature || return 1
	demo_ok "refused at SMTP time (554 5.7.1): the sender's server keeps the message and tells its sender." \
		"refusé pendant la session SMTP (554 5.7.1) : le serveur de l’expéditeur garde le message et prévient son auteur."
	demo_lesson "Scanning at SMTP time refuses malware before it is accepted: nothing to quarantine, no bounce to forge." \
		"Analyser pendant la session SMTP refuse le logiciel malveillant avant de l’accepter : rien à mettre en quarantaine, aucun rebond falsifiable."

	demo_scenario "3. ON: EICAR hidden inside a zip" "3. AVEC la couche : EICAR caché dans un zip"
	_av_refused "av-zip-$RANDOM" eicar-zip Eicar-Test-Signature || return 1
	demo_ok "the archive is opened and its member scanned: refused." \
		"l’archive est ouverte et son contenu analysé : refusé."
	demo_lesson "Archives do not hide a known signature; limits on depth, size and time keep the scan bounded." \
		"Une archive ne cache pas une signature connue ; des limites de profondeur, de taille et de temps bornent l’analyse."

	demo_scenario "4. ON: invoice.pdf.exe, a program dressed as a PDF (no virus signature involved)" \
		"4. AVEC la couche : invoice.pdf.exe, un programme déguisé en PDF (aucune signature de virus en jeu)"
	_av_refused "av-exe-$RANDOM" double-ext "Messec.Policy.DoubleExtension (invoice.pdf.exe)" || return 1
	demo_ok "refused by the attachment policy: .exe is a blocked extension, hidden behind .pdf." \
		"refusé par la politique des pièces jointes : .exe est une extension bloquée, cachée derrière .pdf."
	demo_lesson "A new malware has no signature yet: blocking executable attachments stops it anyway." \
		"Un logiciel malveillant nouveau n’a pas encore de signature : bloquer les pièces jointes exécutables l’arrête quand même."

	demo_scenario "5. ON: a clean PDF attachment" "5. AVEC la couche : une pièce jointe PDF saine"
	tok=av-clean-$RANDOM tr=$DEMO_TMP/av-clean.swaks
	_av_delivered "$tok" clean-attachment "$tr" || return 1
	[[ $AV_HDR == *"X-Virus-Status: clean"* ]] || { demo_bad "no X-Virus-Status: clean on the delivered copy" "pas de X-Virus-Status: clean sur la copie livrée"; return 1; }
	_av_logline "$(demo_swaks_qid "$tr"): av=clean action=accept" ||
		{ demo_bad "no av=clean line in the milter's log" "aucune ligne av=clean dans le journal du milter"; return 1; }
	demo_ok "delivered, with X-Virus-Status: clean (a forged one from the sender would have been replaced)." \
		"livré, avec X-Virus-Status: clean (un en-tête falsifié par l’expéditeur aurait été remplacé)."
	demo_lesson "The layer is invisible for legitimate mail: it only adds a header saying it was scanned." \
		"La couche est invisible pour le courrier légitime : elle ajoute seulement un en-tête disant qu’il a été analysé."

	demo_scenario "6. Link analysis OFF: a phishing mail, its link shows www.bank.example but leads to login.evil-link.example" \
		"6. Analyse des liens DÉSACTIVÉE : un courriel d’hameçonnage, son lien affiche www.bank.example mais mène à login.evil-link.example"
	demo_say "The HTML part (base64) holds <a href=\"https://login.evil-link&#46;example/verify\">www.bank.example</a>: the reader sees the bank, the click goes elsewhere." \
		"La partie HTML (en base64) contient <a href=\"https://login.evil-link&#46;example/verify\">www.bank.example</a> : le lecteur voit la banque, le clic mène ailleurs."
	demo_say "evil-link.example is on the lab's blocklist dbl.example (URIBL/SURBL style, served by the lab's unbound):" \
		"evil-link.example est sur la liste de blocage du labo, dbl.example (à la manière d’URIBL/SURBL, servie par l’unbound du labo) :"
	demo_cmd "dig +short evil-link.example.dbl.example A" lab_dig +short evil-link.example.dbl.example A
	tok=av-phish-off-$RANDOM tr=$DEMO_TMP/av-phish-off.swaks
	_av_delivered "$tok" link-listed "$tr" || return 1
	[[ $AV_HDR == *"X-Virus-Status: clean"* && $AV_HDR != *X-Link-Status* ]] ||
		{ demo_bad "expected X-Virus-Status: clean and no X-Link-Status" "attendu X-Virus-Status: clean et aucun X-Link-Status"; return 1; }
	demo_ok "delivered as clean: no virus in a link, and nothing looked at the links." \
		"livré comme sain : un lien n’est pas un virus, et personne n’a regardé les liens."
	demo_lesson "An antivirus alone does not see phishing: the danger is where the link leads, not in a file." \
		"Un antivirus seul ne voit pas l’hameçonnage : le danger est là où mène le lien, pas dans un fichier."

	demo_scenario "7. Link analysis ON: the same phishing mail" "7. Analyse des liens ACTIVÉE : le même courriel d’hameçonnage"
	demo_say "Two checks, action tag (a header; reject or quarantine are as easy): the blocklist, and link text that names another host than the target." \
		"Deux contrôles, action tag (un en-tête ; reject ou quarantine sont aussi simples) : la liste de blocage, et le texte d’un lien qui nomme un autre hôte que sa cible."
	_av_reconfigure "link_dns_lists = dbl.example:tag" "link_mismatch_action = tag" ||
		{ demo_bad "the milter did not reload its configuration" "le milter n’a pas rechargé sa configuration"; return 1; }
	tok=av-phish-on-$RANDOM tr=$DEMO_TMP/av-phish-on.swaks
	_av_delivered "$tok" link-listed "$tr" || return 1
	[[ $AV_HDR == *"X-Link-Status: link text www.bank.example leads to login.evil-link.example; link to evil-link.example listed by dbl.example"* ]] ||
		{ demo_bad "no X-Link-Status naming the mismatch and the list" "aucun X-Link-Status citant la discordance et la liste"; return 1; }
	_av_logline "$(demo_swaks_qid "$tr"): links=" "evil-link.example_listed_by_dbl.example" ||
		{ demo_bad "no links= line in the milter's log" "aucune ligne links= dans le journal du milter"; return 1; }
	demo_ok "flagged: X-Link-Status names the false link text and the blocklisted domain (asked as its registered domain)." \
		"signalé : X-Link-Status cite le texte de lien trompeur et le domaine sur liste de blocage (interrogé par son domaine enregistré)."
	demo_lesson "Check where links lead, not what they show: a blocklist and a text/target mismatch flag phishing that no signature catches." \
		"Vérifier où mènent les liens, pas ce qu’ils affichent : une liste de blocage et une discordance texte/cible signalent l’hameçonnage qu’aucune signature ne détecte."

	demo_postfix_set "lab_port25_milters=$milters" >/dev/null ||
		{ demo_bad "postfix reload failed" "échec de postfix reload"; return 1; }
	return 0
}
