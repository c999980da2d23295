# NAME
#	demo/layers/05-tls.sh - layer "tls": STARTTLS, the certificate, no password in clear
# DESCRIPTION
#	Plain lab config (no messec component): Postfix submission (587) and
#	Dovecot IMAP (143) offer STARTTLS with the lab CA's certificate for
#	mx.lab.example; Postfix does not even offer AUTH before STARTTLS
#	(smtpd_tls_auth_only = yes) and Dovecot refuses LOGIN on a clear
#	connection (disable_plaintext_auth = yes). Shown with openssl s_client,
#	swaks and a few lines of python.

_tls_imap_clear() {
	# Log in WITHOUT STARTTLS; print the dialogue C: (client) / S: (server).
	lab_exec /usr/bin/python3 - "$LAB_MX_ADDR" "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 143), timeout=10)
f = s.makefile("rb")
def rd(tag):
    while True:
        l = f.readline().decode(errors="replace").rstrip("\r\n")
        print("S: " + l)
        if not l or l.startswith(tag + " ") or tag == "*":
            return
rd("*")
for tag, cmd, shown in (("a", "CAPABILITY", "CAPABILITY"),
                        ("b", "LOGIN %s %s" % (sys.argv[2], sys.argv[3]), "LOGIN %s <password>" % sys.argv[2]),
                        ("c", "LOGOUT", "LOGOUT")):
    print("C: %s %s" % (tag, shown))
    s.sendall(("%s %s\r\n" % (tag, cmd)).encode())
    rd(tag)
PY
}

run() {
	local out tr
	demo_title "Layer tls: STARTTLS on 587 and 143, the certificate, no password in clear" \
		"Couche tls : STARTTLS sur 587 et 143, le certificat, pas de mot de passe en clair"

	demo_scenario "1. Submission (587): STARTTLS and the server's certificate" \
		"1. Soumission (587) : STARTTLS et le certificat du serveur"
	demo_part send
	demo_showcmd openssl s_client -starttls smtp -connect "$LAB_MX_ADDR:587" -CAfile ca.crt -verify_hostname mx.lab.example -brief
	out=$(lab_exec openssl s_client -starttls smtp -connect "$LAB_MX_ADDR:587" -CAfile "$LAB_CA" \
		-verify_hostname mx.lab.example -brief </dev/null 2>&1)
	demo_part answer
	printf '%s\n' "$out" | grep -E '^(Protocol version|Ciphersuite|Peer certificate|Verification|Verified peername)' | demo_show
	demo_say "The certificate itself:" "Le certificat lui-même :"
	echo "  $(_b "\$ openssl s_client -starttls smtp -connect $LAB_MX_ADDR:587 -CAfile ca.crt </dev/null | openssl x509 -noout -subject -issuer -dates -ext subjectAltName")"
	lab_exec openssl s_client -starttls smtp -connect "$LAB_MX_ADDR:587" -CAfile "$LAB_CA" </dev/null 2>/dev/null |
		openssl x509 -noout -subject -issuer -dates -ext subjectAltName 2>&1 | demo_show
	if [[ $out != *"Verification: OK"* ]]; then
		demo_bad "the certificate did not verify for mx.lab.example" "le certificat n’est pas valide pour mx.lab.example"
		return 1
	fi
	demo_ok "TLS up, certificate valid for mx.lab.example (signed by the lab CA)." \
		"TLS établi, certificat valide pour mx.lab.example (signé par l’AC du labo)."
	demo_lesson "STARTTLS upgrades a clear connection; the client must check the name and the CA, or an attacker can sit in the middle." \
		"STARTTLS chiffre une connexion commencée en clair ; le client doit vérifier le nom et l’AC, sinon un attaquant peut s’intercaler."

	demo_scenario "2. IMAP (143): STARTTLS too" "2. IMAP (143) : STARTTLS aussi"
	demo_part send
	demo_showcmd openssl s_client -starttls imap -connect "$LAB_MX_ADDR:143" -CAfile ca.crt -verify_hostname mx.lab.example -brief
	out=$(lab_exec openssl s_client -starttls imap -connect "$LAB_MX_ADDR:143" -CAfile "$LAB_CA" \
		-verify_hostname mx.lab.example -brief </dev/null 2>&1)
	demo_part answer
	printf '%s\n' "$out" | grep -E '^(Protocol version|Ciphersuite|Peer certificate|Verification)' | demo_show
	if [[ $out != *"Verification: OK"* ]]; then
		demo_bad "IMAP STARTTLS did not verify" "le STARTTLS d’IMAP n’est pas valide"
		return 1
	fi
	demo_ok "same certificate on IMAP." "même certificat en IMAP."

	demo_scenario "3. AUTH before STARTTLS on 587: not even offered" \
		"3. AUTH avant STARTTLS sur 587 : même pas proposé"
	tr=$DEMO_TMP/tls-noauth.swaks
	demo_part send
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --port 587 --from "$LAB_ALICE" --to "$LAB_BOB" \
		--auth PLAIN --auth-user alice --auth-password "$LAB_ALICE_PASSWORD" --quit-after AUTH
	demo_part answer
	out=$(grep -E '^\*\*\*' "$tr" | tail -n 1)
	printf '%s\n' "$out" | demo_show
	if [[ $out != *"did not advertise authentication"* ]] || grep -qE '^<- +250[- ]AUTH' "$tr"; then
		demo_bad "AUTH was offered on a clear connection" "AUTH proposé sur une connexion en clair"
		return 1
	fi
	demo_say "The same with --tls: AUTH appears after STARTTLS and succeeds:" \
		"La même chose avec --tls : AUTH apparaît après STARTTLS et réussit :"
	tr=$DEMO_TMP/tls-auth.swaks
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --port 587 --tls --from "$LAB_ALICE" --to "$LAB_BOB" \
		--auth PLAIN --auth-user alice --auth-password "$LAB_ALICE_PASSWORD" --quit-after AUTH
	demo_part answer
	out=$(grep -E '^<~ +235' "$tr" | sed -E 's/^<~ +//')
	printf '%s\n' "$out" | demo_show
	[[ $out == *"235 2.7.0"* ]] || { demo_bad "AUTH inside TLS failed" "AUTH dans TLS a échoué"; return 1; }
	demo_ok "AUTH only inside TLS (smtpd_tls_auth_only = yes)." "AUTH seulement dans TLS (smtpd_tls_auth_only = yes)."

	demo_scenario "4. IMAP LOGIN on a clear connection" "4. LOGIN IMAP sur une connexion en clair"
	demo_part send
	demo_say "A misconfigured client logs in on 143 without STARTTLS (python, socket):" \
		"Un client mal configuré se connecte sur 143 sans STARTTLS (python, socket) :"
	out=$(_tls_imap_clear alice "$LAB_ALICE_PASSWORD" 2>&1)
	demo_part dialogue
	printf '%s\n' "$out" | demo_show
	demo_part answer
	printf '%s\n' "$out" | grep -E '^S: b ' | demo_show
	if [[ $out != *"S: b NO"*"PRIVACYREQUIRED"* && $out != *"S: b BAD"* ]] || [[ $out != *LOGINDISABLED* ]]; then
		demo_bad "LOGIN was not refused in clear" "LOGIN en clair non refusé"
		return 1
	fi
	demo_part log
	grep -E 'imap-login: .*(Aborted login|Disconnected).*(secured=no|rip=)' "$LAB_DOVECOT_LOG" | tail -n 1 | sed 's/^.*imap-login: /imap-login: /' | demo_show
	demo_ok "refused: the capability LOGINDISABLED said so in advance." "refusé : la capacité LOGINDISABLED l’annonçait."
	demo_lesson "The server refuses, but the password already crossed the wire: clients must insist on TLS too." \
		"Le serveur refuse, mais le mot de passe a déjà circulé : les clients doivent eux aussi exiger TLS."
	return 0
}
