# NAME
#	tests/integration/mfa.bash - shared steps of the 5x-mfa lab tests
# SYNOPSIS
#	. "$(dirname "$0")/mfa.bash"        # after tests/lab/lib.sh
#	totp SECRET STEP                    # RFC 6238 code of a time step (stdout)
#	SECRET[user]=BASE32; fresh USER     # CODE = an unused code for USER
#	newsrc                              # SRC = an unused source address
#	mfa_passdb_conf ARGS FILE           # the shipped passdb block, args = ARGS
#	dblog DRIVER USER IP                # ERE: start of a passdb's log line
#	mfa_lab_up_lmdb ARGS                # lab with it first; tmp, STORE, mfa()
#	enroll USER [--no-qr]               # CLI enrolment, SECRET[USER] from its URI
#	imap|pop3|smtp USER PASSWORD [SRC]  # one login from a new address; R = output
#	expect NAME ok|no|unavail "$R"      # one TAP line on the login's reply
#	logged NAME ERE [SECONDS]           # one TAP line: dovecot.log gets ERE
# DESCRIPTION
#	Not a test itself (no .sh suffix: tests/run does not run it). Codes
#	are computed here, never by the code under test (python3 hmac, SHA1,
#	30 s, 6 digits: RFC 6238 with the RFC 4226 5.3 truncation).
#
#	fresh sets CODE in the calling shell: never call it as $(fresh ...),
#	or LAST[USER] stays behind in the subshell and a later code is a replay
#	by accident. A user gets a new code only every 30 s, so tests spread
#	codes over users where the user is not what is tested.
#
#	Every login comes from its own source address (newsrc): Dovecot 2.3
#	delays logins from an address with recent failures (anvil's auth
#	penalty, 2..15 s, not removed by auth_failure_delay = 0), also the next
#	successful one. 192.0.2.100..254 are unused by the lab's named
#	addresses; the lab's /24 on lo makes every one of them bindable.
#
#	LAB_DOVECOT=2.4 (tests/lab/up): the same tests against the lab's
#	Dovecot 2.4.1. SO becomes the plugin built for it (make mfa24), its
#	settings module goes to the lab (LAB_DOVECOT_SETTINGS_MODULE), the
#	passdb block is packaging/dovecot/05-messec-mfa-2.4.conf with each
#	ARGS word key=value as "mfa_key = value", and dblog matches 2.4's
#	log prefix. Set before this file is sourced (after SO, REPO, B).

# totp SECRET STEP: RFC 6238 code (SHA1, 30 s, 6 digits) of a time step.
totp() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys
s = sys.argv[1]
key = base64.b32decode(s + "=" * (-len(s) % 8))
mac = hmac.new(key, struct.pack(">Q", int(sys.argv[2])), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}
step_now() { echo $(( $(date +%s) / 30 )); }

# fresh USER: CODE = a code of a step after the last one this script used
# for USER, within the server's window (window=1: steps now-1..now+1;
# waits for the clock if needed).
declare -gA LAST SECRET
CODE=
fresh() {
	local u=$1 s now
	now=$(step_now)
	s=${LAST[$u]:--1}
	s=$((s + 1))
	[ "$s" -lt "$now" ] && s=$now
	while [ "$s" -gt $(( $(step_now) + 1 )) ]; do sleep 1; done
	LAST[$u]=$s
	CODE=$(totp "${SECRET[$u]}" "$s")
}

# newsrc: SRC = a source address no login of this script used before.
NSRC=99
newsrc() {
	NSRC=$((NSRC + 1))
	[ "$NSRC" -le 254 ] || { fail "newsrc" "out of source addresses"; lab_finish; }
	SRC=192.0.2.$NSRC
}

if [ "${LAB_DOVECOT:-2.3}" = 2.4 ]; then
	export LAB_DOVECOT
	SO=${MESSEC_MFA24_SO:-$REPO/$B/dovecot-mfa-plugin/dovecot24/libauthdb_mfa.so}
	export LAB_DOVECOT_SETTINGS_MODULE=${SO%/*}/libmessec_mfa_settings.so
	if [ ! -r "$SO" ] || [ ! -r "$LAB_DOVECOT_SETTINGS_MODULE" ]; then
		fail "plugin for Dovecot 2.4 built" "no $SO or $LAB_DOVECOT_SETTINGS_MODULE: make dovecot24"
		lab_finish
	fi
fi

# mfa_passdb_conf ARGS FILE: packaging/dovecot/05-messec-mfa.conf (the
# block admins install) with "args = ARGS"; for 2.4 05-messec-mfa-2.4.conf
# with "mfa_KEY = VALUE" per ARGS word (config= is mfa_config). Needs REPO.
mfa_passdb_conf() {
	local w lines=
	if [ "${LAB_DOVECOT:-2.3}" = 2.4 ]; then
		for w in $1; do
			lines+="  mfa_${w%%=*} = ${w#*=}"$'\n'
		done
		awk -v l="$lines" '/^  mfa_config = / { printf "%s", l; next } { print }' \
			"$REPO/packaging/dovecot/05-messec-mfa-2.4.conf" >"$2"
		return
	fi
	sed "s|^  args = .*|  args = $1|" "$REPO/packaging/dovecot/05-messec-mfa.conf" >"$2"
}

# dblog DRIVER USER IP: an ERE matching the start of the log line of the
# passdb DRIVER (the lab names each 2.4 passdb after its driver) for USER's
# login from IP, up to the ": " before the passdb's own text.
#   2.3: mfa(alice@lab.example,192.0.2.100,<session>): mfa: next: code ok
#   2.4: auth(alice@lab.example,192.0.2.100,sasl:plain)<session>: mfa: mfa: next: code ok
dblog() {
	if [ "${LAB_DOVECOT:-2.3}" = 2.4 ]; then
		printf 'auth\\(%s,%s[,)].*: %s: ' "$(re "$2")" "$(re "$3")" "$(re "$1")"
	else
		printf '%s\\(%s,%s[,)].*: ' "$(re "$1")" "$(re "$2")" "$(re "$3")"
	fi
}

# mfa_lab_up_lmdb ARGS: a lab whose Dovecot has that block, with
# "store=@LABDIR@/mfa/mfa.lmdb ARGS", first in its passdb chain. Sets tmp
# (a scratch directory removed at exit with the lab), STORE. Needs REPO,
# SO (the plugin) and CLI.
mfa_lab_up_lmdb() {
	tmp=${tmp:-$(mktemp -d /tmp/mfa-it.XXXXXX)}	# one per script, also for a second lab
	trap 'exit_rc=$?; rm -rf "$tmp"; lab_on_exit $exit_rc' EXIT
	mfa_passdb_conf "store=@LABDIR@/mfa/mfa.lmdb $1" "$tmp/passdb.conf"
	lab_up LAB_DOVECOT_AUTH_PLUGIN="$SO" LAB_DOVECOT_PASSDB_FIRST="$tmp/passdb.conf"
	# The store directory belongs to Dovecot's auth user (default_internal_user).
	install -d -o dovecot -g dovecot -m 0700 "$LAB_DIR/mfa"
	STORE=$LAB_DIR/mfa/mfa.lmdb
}

# mfa ARGS: the CLI on the test's store.
mfa() { "$CLI" --store "$STORE" "$@"; }

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

# imap|pop3|smtp USER PASSWORD [SOURCE]: one login, from SOURCE or a new
# address (SRC); the client's output in R. Postfix hands the client
# address to Dovecot's SASL (rip), so the penalty is per address there too.
login() {
	local cmd=$1
	shift
	if [ -n "${3:-}" ]; then SRC=$3; else newsrc; fi
	R=$(lab_mail "$cmd" --user "$1" --password "$2" --bind "$SRC" 2>&1)
}
imap() { login imap-login "$@"; }
pop3() { login pop3-login "$@"; }
smtp() { login smtp-auth "$@"; }
# re ADDRESS|USER: the text as an ERE matching itself
re() { printf '%s' "$1" | sed 's/[.[\*^$()+?{}|]/\\&/g'; }

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

# logged NAME ERE [SECONDS]: ok if dovecot.log gets a line matching ERE.
logged() {
	lab_wait_dovecot_log "$2" "${3:-10}" && ok "$1" || fail "$1" "no line /$2/ in dovecot.log"
}
