# NAME
#	demo/layers/40-mfa.sh - layer "mfa": second factor: a stolen password no longer opens the mailbox
# DESCRIPTION
#	Loads the messec passdb (libauthdb_mfa.so, driver "mfa") into the lab's
#	Dovecot in front of its passwd-file passdb, with unenrolled=allow (the
#	usual roll-out mode: only enrolled users need a code, so the other demo
#	layers keep logging in as alice). Bob is enrolled with the real CLI; his
#	IMAP login is then refused with the bare password, accepted with
#	password + current TOTP code, and the same code is refused a second
#	time (replay); an app password (for a mail client that cannot ask for a
#	code) is accepted alone. The code is computed by the demo from the
#	printed secret, as bob's authenticator app would. "OFF" is bob before
#	enrolment: for him the layer does nothing yet, his password alone opens
#	the mailbox (the same as Dovecot without the plugin).
#
#	Webmail (docs/mfa.md, "Webmail"): two real Roundcubes (Debian's
#	roundcube-core, demo/webmail, PHP's built-in server in the lab) drive
#	IMAP the way a webmail does, logging in again on every HTTP request.
#	One logs in to IMAP from 192.0.2.81, an ordinary address: carol types
#	password + code, the first request passes, the next one is refused as
#	a replay (what does not work). The other is the recommended set-up:
#	the webmail host 203.0.113.80 is the only entry of exempt_nets, bob
#	logs in there with his password, every request passes as "exempt
#	network", while the same password from anywhere else is still
#	refused. The webmail's own second factor is not shown: Debian 12 ships
#	no TOTP plugin for Roundcube (the docs say what to use). Last, the
#	other supported set-up: carol types an app password (services
#	imap,smtp) into the Roundcube at 192.0.2.81, it logs in on every click
#	("app password 'webmail' used"), while her main password alone there
#	is refused ("no code").

# The webmail host (the only exempt address) and an ordinary one.
DEMO_WEBMAIL_ADDR=203.0.113.80
DEMO_WEBMAIL_PLAIN_ADDR=192.0.2.81

setup() {
	MFA_SO=$DEMO_B/dovecot-mfa-plugin/libauthdb_mfa.so
	MFA_CLI=$DEMO_B/dovecot-mfa-plugin/messec-mfa
	[ -r "$MFA_SO" ] && [ -x "$MFA_CLI" ] || { echo "40-mfa: build the plugin first (make)" >&2; return 1; }
	export LAB_DOVECOT_AUTH_PLUGIN=$MFA_SO
	# Not a pipeline: demo_add_* export variables, which a subshell would lose.
	# exempt_nets: the webmail host only (one address, /32).
	demo_add_passdb_first < <(sed "s|^  args = .*|  args = store=@LABDIR@/mfa/mfa.lmdb unenrolled=allow exempt_nets=$DEMO_WEBMAIL_ADDR/32|" \
		packaging/dovecot/05-messec-mfa.conf)
	# The store must exist before the first login of any layer: with
	# unenrolled=allow the plugin never creates it (an empty store would let
	# everyone in) and answers "temporary failure" until it is there.
	# Enrolling a first user (carol) creates it.
	demo_add_pre_postfix "install -d -o dovecot -g dovecot -m 0700 \$LAB_DIR/mfa && $MFA_CLI --store \$LAB_DIR/mfa/mfa.lmdb enroll --no-qr carol@lab.example >/dev/null"
}

_demo_totp() {
	/usr/bin/python3 - "$1" <<'PY'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1]
key = base64.b32decode(s + "=" * (-len(s) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}

run() {
	local store out secret code app
	MFA_CLI=$DEMO_B/dovecot-mfa-plugin/messec-mfa
	store=$LAB_DIR/mfa/mfa.lmdb
	demo_title "Layer mfa: second factor (TOTP, RFC 6238) for IMAP, POP3 and SMTP AUTH" \
		"Couche mfa : second facteur (TOTP, RFC 6238) pour IMAP, POP3 et SMTP AUTH"
	demo_say "Dovecot asks the messec passdb (libauthdb_mfa.so) first; the store was created at start-up by enrolling carol:" \
		"Dovecot interroge d’abord la passdb messec (libauthdb_mfa.so) ; la base a été créée au démarrage en enrôlant carol :"
	demo_cmd "messec-mfa --store mfa.lmdb status" "$MFA_CLI" --store "$store" status

	demo_scenario "1. OFF for bob (not enrolled): an attacker with bob's stolen password logs in over IMAP" \
		"1. SANS la couche pour bob (non enrôlé) : un attaquant qui a volé le mot de passe de bob se connecte en IMAP"
	demo_part send
	demo_showcmd python3 tests/lab/mail.py imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD" 2>&1 | tail -n 1)
	demo_part answer
	printf '%s\n' "$out" | demo_show
	[[ $out == OK* ]] || { demo_bad "bob's password was refused before enrolment" "le mot de passe de bob a été refusé avant l’enrôlement"; return 1; }
	demo_ok "accepted: a password alone opens the mailbox." "accepté : un mot de passe seul ouvre la boîte."

	demo_scenario "2. The admin enrols bob; bob scans the QR code with his authenticator app" \
		"2. L’administrateur enrôle bob ; bob scanne le QR code avec son application d’authentification"
	demo_showcmd messec-mfa --store mfa.lmdb enroll "$LAB_BOB"
	out=$("$MFA_CLI" --store "$store" enroll "$LAB_BOB" 2>&1)
	printf '%s\n' "$out" | demo_show
	secret=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	[ -n "$secret" ] || { demo_bad "enrolment printed no otpauth URI" "l’enrôlement n’a affiché aucune URI otpauth"; return 1; }

	demo_scenario "3. ON: the attacker tries bob's stolen password again" \
		"3. AVEC la couche : l’attaquant réessaie le mot de passe volé de bob"
	demo_part send
	demo_showcmd python3 tests/lab/mail.py imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD" 2>&1 | tail -n 1)
	demo_part answer
	printf '%s\n' "$out" | demo_show
	[[ $out == NO* ]] || { demo_bad "the bare password was accepted" "le mot de passe seul a été accepté"; return 1; }
	demo_part log
	grep -E "mfa\($LAB_BOB" "$LAB_DOVECOT_LOG" | grep -E "mfa: " | sed 's/^.*auth: //' | tail -n 1 | demo_show
	demo_ok "refused: the password alone is no longer enough." "refusé : le mot de passe seul ne suffit plus."

	code=$(_demo_totp "$secret")
	demo_scenario "4. Bob types his password followed by the code his app shows ($code)" \
		"4. Bob saisit son mot de passe suivi du code affiché par son application ($code)"
	demo_part send
	demo_showcmd python3 tests/lab/mail.py imap-login --user "$LAB_BOB" --password "<password>$code"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD$code" 2>&1 | tail -n 1)
	demo_part answer
	printf '%s\n' "$out" | demo_show
	[[ $out == OK* ]] || { demo_bad "password + code was refused" "mot de passe + code refusés"; return 1; }
	demo_part log
	grep -E "mfa\($LAB_BOB" "$LAB_DOVECOT_LOG" | grep -E "mfa: " | sed 's/^.*auth: //' | tail -n 1 | demo_show
	demo_ok "logged in." "connecté."

	demo_scenario "5. Someone who watched bob type replays the same password + code" \
		"5. Quelqu’un qui a regardé bob taper rejoue le même mot de passe + code"
	demo_part send
	demo_showcmd python3 tests/lab/mail.py imap-login --user "$LAB_BOB" --password "<password>$code"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD$code" 2>&1 | tail -n 1)
	demo_part answer
	printf '%s\n' "$out" | demo_show
	[[ $out == NO* ]] || { demo_bad "the replayed code was accepted" "le code rejoué a été accepté"; return 1; }
	demo_part log
	grep -E "mfa\($LAB_BOB" "$LAB_DOVECOT_LOG" | grep -E "mfa: " | sed 's/^.*auth: //' | tail -n 1 | demo_show
	demo_ok "refused: each code works once (RFC 6238 section 5.2)." "refusé : chaque code ne sert qu’une fois (RFC 6238, section 5.2)."

	demo_scenario "6. An app password for a mail client that cannot ask for a code" \
		"6. Un mot de passe d’application pour un client qui ne sait pas demander de code"
	demo_showcmd messec-mfa --store mfa.lmdb app-password add "$LAB_BOB" phone
	app=$("$MFA_CLI" --store "$store" app-password add "$LAB_BOB" phone 2>&1 | tail -n 1)
	printf '%s\n' "$app" | demo_show
	demo_part send
	demo_showcmd python3 tests/lab/mail.py imap-login --user "$LAB_BOB" --password "<app password>"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$app" 2>&1 | tail -n 1)
	demo_part answer
	printf '%s\n' "$out" | demo_show
	[[ $out == OK* ]] || { demo_bad "the app password was refused" "le mot de passe d’application a été refusé"; return 1; }
	demo_part log
	grep -E "mfa\($LAB_BOB" "$LAB_DOVECOT_LOG" | grep -E "mfa: " | sed 's/^.*auth: //' | tail -n 1 | demo_show
	demo_ok "accepted alone; long, random, revocable one by one (messec-mfa app-password revoke)." \
		"accepté seul ; long, aléatoire, révocable un par un (messec-mfa app-password revoke)."
	demo_say "The log says what was decided, never the password or the code." \
		"Le journal dit ce qui a été décidé, jamais le mot de passe ni le code."
	demo_lesson "A stolen password is no longer enough: the attacker also needs the code of the minute, and a code works once." \
		"Un mot de passe volé ne suffit plus : il faut aussi le code du moment, et un code ne sert qu’une fois."
	_demo_webmail || return 1
	return 0
}

# _demo_logins IP: the mfa decisions and IMAP logins of Dovecot's log from
# that address (the auth prefix cut), as the "log" part.
_demo_logins() {
	demo_part log
	grep -E "(mfa\([^,]*,$1,|imap-login: .*rip=$1,)" "$LAB_DOVECOT_LOG" |
		grep -E "mfa: |Login: |auth failed" | sed -E 's/^[0-9: -]+//; s/^auth: [A-Za-z]+: //' |
		sed -E 's/, (lip|mpid|session)=[^,]*//g' | tail -n "${2:-6}" | demo_show
}

# _demo_webmail_start NAME ADDR: a Roundcube serving on ADDR:8080 and
# logging in to IMAP from ADDR (demo/webmail); 1 (said) when it fails.
_demo_webmail_start() {
	local msg
	demo_showcmd demo/webmail LABDIR "$1" "$2" "$2"
	msg=$(demo/webmail "$LAB_DIR" "$1" "$2" "$2" 2>&1) && return 0
	printf '%s\n' "$msg" | demo_show
	demo_bad "Roundcube did not start" "Roundcube n’a pas démarré"
	return 1
}

# _demo_webmail_use ADDR USER SHOWN PASSWORD: the "send" and "answer"
# parts of a browser logging in to the Roundcube on ADDR and clicking
# twice (PASSWORD typed, SHOWN printed); its lines in $out.
_demo_webmail_use() {
	local url=http://$1:8080/
	demo_part send
	demo_showcmd python3 demo/webmail_client.py "$url" "$2" "$3" 2
	out=$(lab_exec python3 demo/webmail_client.py "$url" "$2" "$4" 2 2>&1)
	demo_part answer
	printf '%s\n' "$out" | demo_show
}

# Scenarios 7 and 8 (9: _demo_webmail_apppass): a webmail in front of Dovecot (docs/mfa.md, "Webmail").
_demo_webmail() {
	local secret code
	demo_scenario "7. Webmail, what does NOT work: carol types password + code into Roundcube" \
		"7. Webmail, ce qui ne marche PAS : carol saisit mot de passe + code dans Roundcube"
	demo_say "Roundcube (Debian's roundcube-core) logs in to IMAP again on EVERY web request, with what was typed in its login form." \
		"Roundcube (paquet Debian roundcube-core) se reconnecte à IMAP à CHAQUE requête web, avec ce qui a été saisi dans son formulaire."
	_demo_webmail_start plain "$DEMO_WEBMAIL_PLAIN_ADDR" || return 1
	out=$("$MFA_CLI" --store "$LAB_DIR/mfa/mfa.lmdb" enroll --force --no-qr "$LAB_CAROL" 2>&1)
	secret=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	[ -n "$secret" ] || { demo_bad "carol's enrolment printed no URI" "l’enrôlement de carol n’a pas affiché d’URI"; return 1; }
	code=$(_demo_totp "$secret")
	_demo_webmail_use "$DEMO_WEBMAIL_PLAIN_ADDR" "$LAB_CAROL" "<password>$code" "$LAB_CAROL_PASSWORD$code"
	_demo_logins "$DEMO_WEBMAIL_PLAIN_ADDR"
	[[ $out == *"login: ok"*"click 1: refused"* ]] &&
		grep -qE "mfa\($LAB_CAROL,$DEMO_WEBMAIL_PLAIN_ADDR,.*mfa: next: code ok" "$LAB_DOVECOT_LOG" &&
		grep -qE "mfa\($LAB_CAROL,$DEMO_WEBMAIL_PLAIN_ADDR,.*mfa: fail: code already used" "$LAB_DOVECOT_LOG" ||
		{ demo_bad "Roundcube's second IMAP login was not refused as a replay" \
			"la deuxième connexion IMAP de Roundcube n’a pas été refusée comme rejeu"; return 1; }
	demo_ok "the first IMAP login passes, the next request replays the same code and is refused: carol is thrown out (and each replay counts towards her lockout)." \
		"la première connexion IMAP passe, la requête suivante rejoue le même code et est refusée : carol est déconnectée (et chaque rejeu compte pour son verrouillage)."
	demo_lesson "A one-time code cannot go through a webmail that logs in again on every click." \
		"Un code à usage unique ne peut pas traverser un webmail qui se reconnecte à chaque clic."

	demo_scenario "8. Webmail, the recommended set-up: the webmail host ($DEMO_WEBMAIL_ADDR) is the only entry of exempt_nets" \
		"8. Webmail, la configuration recommandée : l’hôte du webmail ($DEMO_WEBMAIL_ADDR) est la seule entrée d’exempt_nets"
	demo_say "Dovecot sees the webmail's address, not the browser's; the webmail must ask for the second factor itself (docs/mfa.md, Webmail)." \
		"Dovecot voit l’adresse du webmail, pas celle du navigateur ; le webmail doit demander lui-même le second facteur (docs/mfa.md, Webmail)."
	demo_showcmd grep exempt_nets dovecot.conf
	grep -h "exempt_nets" "$LAB_DOVECOT_CONFIG" | sed 's/^ *//' | demo_show
	_demo_webmail_start webmail "$DEMO_WEBMAIL_ADDR" || return 1
	_demo_webmail_use "$DEMO_WEBMAIL_ADDR" "$LAB_BOB" "<password>" "$LAB_BOB_PASSWORD"
	[[ $out == *"click 2: ok"* ]] ||
		{ demo_bad "bob's webmail session did not last" "la session webmail de bob n’a pas tenu"; return 1; }
	_demo_logins "$DEMO_WEBMAIL_ADDR"
	demo_say "The same password, straight to IMAP from anywhere else ($LAB_OUT_BAD):" \
		"Le même mot de passe, directement en IMAP depuis n’importe où ailleurs ($LAB_OUT_BAD) :"
	demo_showcmd python3 tests/lab/mail.py imap-login --user "$LAB_BOB" --password "<password>" --bind "$LAB_OUT_BAD"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD" --bind "$LAB_OUT_BAD" 2>&1 | tail -n 1)
	printf '%s\n' "$out" | demo_show
	[[ $out == NO* ]] || { demo_bad "the bare password was accepted outside the webmail" "le mot de passe seul a été accepté hors du webmail"; return 1; }
	_demo_logins "$LAB_OUT_BAD" 2
	demo_ok "through the webmail host the password is enough for Dovecot; from anywhere else a code is still needed." \
		"depuis l’hôte du webmail, le mot de passe suffit à Dovecot ; de partout ailleurs, le code reste exigé."
	demo_lesson "Exempting the webmail moves the gate to the webmail: it must ask for its own second factor, and only its address may be exempt." \
		"Exempter le webmail déplace la porte vers le webmail : il doit demander son propre second facteur, et seule son adresse peut être exemptée."
	_demo_webmail_apppass || return 1
	return 0
}

# Scenario 9: set-up 2 of docs/mfa.md, "Webmail": an app password typed
# into the webmail that is NOT exempt (the Roundcube of scenario 7, still
# running). The app password goes first: carol's refusals count towards
# her lockout (max_failures), which would refuse the app password too.
_demo_webmail_apppass() {
	local app
	demo_scenario "9. Webmail, the other supported set-up: carol types an app password into the Roundcube at $DEMO_WEBMAIL_PLAIN_ADDR (not exempt)" \
		"9. Webmail, l’autre configuration possible : carol saisit un mot de passe d’application dans le Roundcube de $DEMO_WEBMAIL_PLAIN_ADDR (non exempté)"
	demo_say "An app password has no code in it: Roundcube can replay it on every request. It is shown once; carol types it into the webmail's login form." \
		"Un mot de passe d’application ne contient pas de code : Roundcube peut le rejouer à chaque requête. Il n’est affiché qu’une fois ; carol le saisit dans le formulaire du webmail."
	demo_showcmd messec-mfa --store mfa.lmdb app-password add "$LAB_CAROL" webmail --services imap,smtp
	app=$("$MFA_CLI" --store "$LAB_DIR/mfa/mfa.lmdb" app-password add "$LAB_CAROL" webmail --services imap,smtp 2>&1)
	printf '%s\n' "$app" | demo_show
	app=$(printf '%s\n' "$app" | tail -n 1)
	[ -n "$app" ] || { demo_bad "no app password was printed" "aucun mot de passe d’application n’a été affiché"; return 1; }
	_demo_webmail_use "$DEMO_WEBMAIL_PLAIN_ADDR" "$LAB_CAROL" "<app password>" "$app"
	_demo_logins "$DEMO_WEBMAIL_PLAIN_ADDR"
	[[ $out == *"login: ok"*"click 1: ok"*"click 2: ok"* ]] &&
		[ "$(grep -cE "mfa\($LAB_CAROL,$DEMO_WEBMAIL_PLAIN_ADDR,.*mfa: ok: app password 'webmail' used" "$LAB_DOVECOT_LOG")" -ge 3 ] ||
		{ demo_bad "carol's webmail session with her app password did not last" \
			"la session webmail de carol avec son mot de passe d’application n’a pas tenu"; return 1; }
	demo_say "Carol's main password alone, typed into the same webmail:" \
		"Le mot de passe principal de carol seul, saisi dans le même webmail :"
	_demo_webmail_use "$DEMO_WEBMAIL_PLAIN_ADDR" "$LAB_CAROL" "<password>" "$LAB_CAROL_PASSWORD"
	_demo_logins "$DEMO_WEBMAIL_PLAIN_ADDR" 2
	[[ $out == *"login: refused"* ]] &&
		grep -qE "mfa\($LAB_CAROL,$DEMO_WEBMAIL_PLAIN_ADDR,.*mfa: fail: no code" "$LAB_DOVECOT_LOG" ||
		{ demo_bad "carol's main password alone was accepted through the webmail" \
			"le mot de passe principal seul de carol a été accepté via le webmail"; return 1; }
	demo_ok "the app password logs in and lasts on every click (each IMAP login: \"app password 'webmail' used\"); the main password alone is refused (\"no code\")." \
		"le mot de passe d’application connecte et tient à chaque clic (chaque connexion IMAP : « app password 'webmail' used ») ; le mot de passe principal seul est refusé (« no code »)."
	demo_lesson "Without an exempt webmail, give each user an app password for it: it works for IMAP and SMTP from anywhere, so the web login itself has no second factor." \
		"Sans webmail exempté, donnez à chacun un mot de passe d’application pour lui : il vaut pour IMAP et SMTP depuis partout, donc la connexion web elle-même n’a pas de second facteur."
	return 0
}
