# NAME
#	demo/layers/40-mfa.sh - second factor: a stolen password no longer opens the mailbox
# DESCRIPTION
#	Loads the messec passdb (libauthdb_mfa.so, driver "mfa") into the lab's
#	Dovecot in front of its passwd-file passdb, with unenrolled=allow (the
#	usual roll-out mode: only enrolled users need a code, so the other demo
#	layers keep logging in as alice). Bob is enrolled with the real CLI; his
#	IMAP login is then refused with the bare password, accepted with
#	password + current TOTP code, and the same code is refused a second
#	time (replay). The code is computed by the demo from the printed secret,
#	as bob's authenticator app would.

setup() {
	MFA_SO=$DEMO_B/dovecot-mfa-plugin/libauthdb_mfa.so
	MFA_CLI=$DEMO_B/dovecot-mfa-plugin/messec-mfa
	[ -r "$MFA_SO" ] && [ -x "$MFA_CLI" ] || { echo "40-mfa: build the plugin first (make)" >&2; return 1; }
	export LAB_DOVECOT_AUTH_PLUGIN=$MFA_SO
	# Not a pipeline: demo_add_* export variables, which a subshell would lose.
	demo_add_passdb_first < <(sed "s|^  args = .*|  args = store=@LABDIR@/mfa/mfa.lmdb unenrolled=allow|" \
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
	local store out secret code
	MFA_CLI=$DEMO_B/dovecot-mfa-plugin/messec-mfa
	demo_title "Layer 4: second factor (TOTP) for IMAP, POP3 and SMTP AUTH"
	store=$LAB_DIR/mfa/mfa.lmdb
	demo_say "The store was created when the lab started, by enrolling carol:"
	demo_cmd "messec-mfa --store mfa.lmdb status" "$MFA_CLI" --store "$store" status

	demo_say "Before enrolment, bob logs in with his password alone (roll-out mode: unenrolled=allow):"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD" 2>&1 | tail -n 1)
	printf '%s\n' "$out" | demo_show

	demo_say "The admin enrols bob; bob scans the QR code with his authenticator app:"
	out=$("$MFA_CLI" --store "$store" enroll "$LAB_BOB" 2>&1)
	printf '%s\n' "$out" | demo_show
	secret=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	[ -n "$secret" ] || { demo_bad "enrolment printed no otpauth URI"; return 1; }

	demo_say "An attacker who stole bob's password tries IMAP with it:"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD" 2>&1 | tail -n 1)
	printf '%s\n' "$out" | demo_show
	[[ $out == NO* ]] || { demo_bad "the bare password was accepted"; return 1; }
	demo_ok "refused: the password alone is no longer enough."

	code=$(_demo_totp "$secret")
	demo_say "Bob types his password followed by the code his app shows ($code):"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD$code" 2>&1 | tail -n 1)
	printf '%s\n' "$out" | demo_show
	[[ $out == OK* ]] || { demo_bad "password + code was refused"; return 1; }
	demo_ok "logged in."

	demo_say "Someone who watched bob type replays the same password + code:"
	out=$(lab_mail imap-login --user "$LAB_BOB" --password "$LAB_BOB_PASSWORD$code" 2>&1 | tail -n 1)
	printf '%s\n' "$out" | demo_show
	[[ $out == NO* ]] || { demo_bad "the replayed code was accepted"; return 1; }
	demo_ok "refused: each code works once (RFC 6238 section 5.2)."

	demo_say "Dovecot's log: one line per decision, never the password or the code:"
	grep -E "mfa\($LAB_BOB" "$LAB_DOVECOT_LOG" | grep -E "mfa: " | sed 's/^.*auth: //' | tail -n 4 | demo_show
	return 0
}
