#!/bin/bash
# NAME
#	50-mfa-login.sh - TOTP second factor on the lab's real Dovecot: IMAP,
#	POP3 and SMTP AUTH (Postfix submission via Dovecot SASL)
# DESCRIPTION
#	Loads build/dovecot-mfa-plugin/libauthdb_mfa.so into the lab's Dovecot
#	with the shipped passdb block (packaging/dovecot/05-messec-mfa.conf,
#	args replaced), before the lab's passwd-file passdb. Users are enrolled
#	with the real CLI; codes are computed here from the secret the CLI
#	prints (RFC 6238, python3 hmac), never by the code under test.
#	Cases: wrong password, password without code, password + code, replay
#	(IMAP, POP3, SMTP), a code from 10 minutes ago, wrong password + valid
#	code, code alone, not enrolled, lockout and unlock, app passwords,
#	exempt network, secrets absent from log and store.
set -u
. "$(dirname "$0")/../lab/lib.sh"
B=${B:-build}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SO=$REPO/$B/dovecot-mfa-plugin/libauthdb_mfa.so
CLI=$REPO/$B/dovecot-mfa-plugin/messec-mfa
EXEMPT=203.0.113.10	# the "webmail host" (LAB_OUT_OTHER)

lab_require "prerequisites" ip dovecot python3 || lab_finish
[ -x "$CLI" ] && [ -r "$SO" ] || { fail "plugin and CLI built" "run make B=$B first ($SO)"; lab_finish; }

tmp=$(mktemp -d /tmp/mfa-it.XXXXXX)
passdb=$tmp/passdb.conf
sed "s|^  args = .*|  args = store=@LABDIR@/mfa/mfa.lmdb max_failures=5 lockout=10m ip_max_failures=1000 exempt_nets=$EXEMPT/32 issuer=messec-lab|" \
	"$REPO/packaging/dovecot/05-messec-mfa.conf" >"$passdb"
lab_up LAB_DOVECOT_AUTH_PLUGIN="$SO" LAB_DOVECOT_PASSDB_FIRST="$passdb"
trap 'rm -rf "$tmp"; lab_on_exit' EXIT

# The store directory belongs to Dovecot's auth user (default_internal_user).
install -d -o dovecot -g dovecot -m 0700 "$LAB_DIR/mfa"
STORE=$LAB_DIR/mfa/mfa.lmdb
mfa() { "$CLI" --store "$STORE" "$@"; }

# totp SECRET STEP: RFC 6238 code (SHA1, 30 s, 6 digits) of a time step.
totp() {
	python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys
s = sys.argv[1]
key = base64.b32decode(s + "=" * (-len(s) % 8))
mac = hmac.new(key, struct.pack(">Q", int(sys.argv[2])), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}
step_now() { echo $(( $(date +%s) / 30 )); }

# fresh USER: a code newer than the last one this script had accepted
# for USER, within the server's window (waits for the clock if needed).
declare -A LAST SECRET
fresh() {
	local u=$1 s now
	now=$(step_now)
	s=${LAST[$u]:--1}
	s=$((s + 1))
	[ "$s" -lt "$now" ] && s=$now
	while [ "$s" -gt $(( $(step_now) + 1 )) ]; do sleep 1; done
	LAST[$u]=$s
	totp "${SECRET[$u]}" "$s"
}

enroll() {
	local u=$1 out
	out=$(mfa enroll "$u" ${2:-} 2>&1) || { fail "enroll $u" "$out"; return 1; }
	if [ -z "${2:-}" ]; then
		[ "$(printf '%s\n' "$out" | grep -c $'\xe2\x96\x88')" -ge 10 ] &&
			ok "enroll $u: QR code printed in the terminal" ||
			fail "enroll $u: QR code printed in the terminal" "no block lines"
	fi
	SECRET[$u]=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	[ -n "${SECRET[$u]}" ] && ok "enroll $u: otpauth URI with the secret" || fail "enroll $u" "$out"
}

imap() { lab_mail imap-login --user "$1" --password "$2" ${3:+--bind "$3"} 2>&1; }
pop3() { lab_mail pop3-login --user "$1" --password "$2" 2>&1; }
smtp() { lab_mail smtp-auth --user "$1" --password "$2" 2>&1; }

# expect NAME WANT(ok|no|unavail) OUTPUT
expect() {
	local name=$1 want=$2 out got
	out=$(printf '%s\n' "$3" | tail -n 1)	# mail.py's reply line comes last
	case "$out" in
	OK*|+OK*|235*) got=ok ;;
	*UNAVAILABLE*|*'Temporary authentication failure'*|454*) got=unavail ;;
	NO*|-ERR*|535*) got=no ;;
	*) got="other" ;;
	esac
	[ "$got" = "$want" ] && ok "$name" || fail "$name" "want $want, got: $out"
}

A=$LAB_ALICE; AP=$LAB_ALICE_PASSWORD
B_=$LAB_BOB; BP=$LAB_BOB_PASSWORD
C=$LAB_CAROL; CP=$LAB_CAROL_PASSWORD

#
# Enrolment and the basic IMAP cases (alice).
#
enroll "$A"
enroll "$B_" --no-qr
enroll "$C" --no-qr
out=$(mfa enroll "$A" 2>&1) && fail "enroll: a second enroll needs --force" "$out" ||
	ok "enroll: a second enroll needs --force"
expect "imap: wrong password, no code" no "$(imap "$A" wrong-password)"
expect "imap: right password without code" no "$(imap "$A" "$AP")"
code=$(fresh "$A")
expect "imap: right password + current code" ok "$(imap "$A" "$AP$code")"
expect "imap: same code again (replay)" no "$(imap "$A" "$AP$code")"
lab_wait_dovecot_log "mfa: fail: code already used \(replay\)" 5 &&
	ok "log: replay logged with its reason" || fail "log: replay logged with its reason" "no 'replay' line"
old=$(totp "${SECRET[$A]}" $(( $(step_now) - 20 )))
expect "imap: code from 10 minutes ago" no "$(imap "$A" "$AP$old")"
code=$(fresh "$A")
expect "imap: wrong password + valid code" no "$(imap "$A" "wrong-password$code")"
grep -A2 "mfa($A,.*mfa: next: code ok" "$LAB_DOVECOT_LOG" | grep -q "passwd-file($A,.*Password mismatch" &&
	ok "imap: ... mfa accepted the code, the password passdb refused the password" ||
	fail "imap: ... mfa accepted the code, the password passdb refused the password" "no code ok + mismatch in the log"
code=$(fresh "$A")
expect "imap: code alone" no "$(imap "$A" "$code")"
expect "imap: user not enrolled (unenrolled=deny)" no "$(imap nobody@lab.example "whatever123456")"

#
# Replay over POP3 (bob) and SMTP AUTH on submission (carol).
#
code=$(fresh "$B_")
expect "pop3: right password + current code" ok "$(pop3 "$B_" "$BP$code")"
expect "pop3: same code again (replay)" no "$(pop3 "$B_" "$BP$code")"
expect "pop3: right password without code" no "$(pop3 "$B_" "$BP")"
code=$(fresh "$C")
expect "smtp: AUTH with password + current code" ok "$(smtp "$C" "$CP$code")"
expect "smtp: same code again (replay)" no "$(smtp "$C" "$CP$code")"
expect "smtp: right password without code" no "$(smtp "$C" "$CP")"
grep -q "mfa($C,[^)]*): mfa: next: code ok" "$LAB_DOVECOT_LOG" &&
	grep -q "submission/smtpd.*auth=1 " "$LAB_MAILLOG" &&
	ok "smtp: decision made by Dovecot's passdb chain (service=smtp)" ||
	fail "smtp: decision made by Dovecot's passdb chain (service=smtp)" "no mfa line for $C"

#
# Lockout after max_failures (5) consecutive failures, unlock by the CLI.
#
for i in 1 2 3 4 5; do imap "$C" "$CP""000000" >/dev/null; done
code=$(fresh "$C")
expect "lockout: right password + valid code refused while locked" no "$(imap "$C" "$CP$code")"
mfa status "$C" | grep -q "locked_until=" && ok "lockout: messec-mfa status shows the lock" ||
	fail "lockout: messec-mfa status shows the lock" "$(mfa status "$C" 2>&1)"
out=$(mfa unlock "$C" 2>&1) && ok "lockout: messec-mfa unlock" || fail "lockout: messec-mfa unlock" "$out"
code=$(fresh "$C")
expect "lockout: login works after unlock" ok "$(imap "$C" "$CP$code")"

#
# App passwords (alice): accepted alone, per service, revoked one by one.
#
app=$(mfa app-password add "$A" phone | tail -n 1)
app2=$(mfa app-password add "$A" laptop --services smtp | tail -n 1)
expect "app password: accepted over IMAP without a code" ok "$(imap "$A" "$app")"
expect "app password: accepted over SMTP" ok "$(smtp "$A" "$app")"
expect "app password: smtp-only one refused over IMAP" no "$(imap "$A" "$app2")"
expect "app password: smtp-only one accepted over SMTP" ok "$(smtp "$A" "$app2")"
mfa app-password list "$A" | grep -q "^phone .*last_used=20" && ok "app password: last use recorded" ||
	fail "app password: last use recorded" "$(mfa app-password list "$A" 2>&1)"
mfa app-password revoke "$A" phone >/dev/null
expect "app password: revoked one refused" no "$(imap "$A" "$app")"
expect "app password: the other one still works" ok "$(smtp "$A" "$app2")"

#
# Exempt network (webmail host logs in with the bare password).
#
expect "exempt network: bare password accepted from $EXEMPT" ok "$(imap "$B_" "$BP" "$EXEMPT")"
expect "exempt network: wrong password still refused" no "$(imap "$B_" wrong "$EXEMPT")"
expect "exempt network: other hosts still need a code" no "$(imap "$B_" "$BP" "$LAB_OUT_GOOD")"

#
# Nothing secret in the log or the store.
#
leak=
for u in "$A" "$B_" "$C"; do
	grep -qF "${SECRET[$u]}" "$LAB_DOVECOT_LOG" && leak="$leak secret-of-$u"
done
for p in "$AP" "$BP" "$CP" "$app" "$app2" "$code"; do
	grep -qF -- "$p" "$LAB_DOVECOT_LOG" && leak="$leak ${p:0:3}..."
done
[ -z "$leak" ] && grep -q "mfa: " "$LAB_DOVECOT_LOG" &&
	ok "log: no password, code, app password or secret in Dovecot's log" ||
	fail "log: no password, code, app password or secret in Dovecot's log" "found:$leak"
out=$(python3 - "$STORE" "${SECRET[$A]}" "${SECRET[$B_]}" "${SECRET[$C]}" "$app2" <<'PY'
import base64, sys
data = open(sys.argv[1], "rb").read()
bad = []
for s in sys.argv[2:5]:
    raw = base64.b32decode(s + "=" * (-len(s) % 8))
    if raw in data or s.encode() in data:
        bad.append(s[:4])
if sys.argv[5].encode() in data:
    bad.append("app password")
print(" ".join(bad))
PY
)
[ -z "$out" ] && ok "store: no plaintext secret or app password in the file" ||
	fail "store: no plaintext secret or app password in the file" "found: $out"
mode=$(stat -c '%a %U' "$STORE" "$STORE.key" | sort -u | tr '\n' ' ')
[ "$mode" = "600 dovecot " ] && ok "store: store and key are 0600, owned by the auth user" ||
	fail "store: store and key are 0600, owned by the auth user" "$mode"

lab_finish
