#!/bin/bash
# NAME
#	60-postfix-setup.sh - messec-postfix-setup touches only messec's entries
# DESCRIPTION
#	A private Postfix config directory (the lab's main.cf and master.cf,
#	filled in) that already has an OpenDKIM-style milter, a second milter
#	with its own settings, non_smtpd_milters = $smtpd_milters, recipient
#	restrictions and milter_default_action = accept. postconf itself reads
#	and writes it; no Postfix runs. Cases: --dry-run prints the change and
#	writes nothing; a layer whose daemon is not installed is refused;
#	enable adds exactly our entry (after the admin's milters, or first
#	among the restrictions); enable twice changes nothing; status answers;
#	an entry present through $smtpd_milters is not added twice; disable
#	gives back the original main.cf byte for byte, also for a parameter
#	enable had to create.
#
#	The script under test is packaging/messec-postfix-setup, or
#	$MESSEC_POSTFIX_SETUP (to run a broken copy and watch this fail).
set -u
. "$(dirname "$0")/../lab/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
setup=${MESSEC_POSTFIX_SETUP:-$root/packaging/messec-postfix-setup}
B=${B:-build}
case $B in /*) ;; *) B=$root/$B ;; esac
lab_require "prerequisites" postconf cmp || lab_finish
if [ ! -x "$B/milter-auth/messec-milter-auth" ]; then
	fail "prerequisites" "$B/milter-auth/messec-milter-auth not built (make)"
	lab_finish
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$tmp/postfix
mkdir -p "$cfg" "$tmp/queue/messec"
sed -e 's/@[A-Z_0-9]*@//g' "$root/tests/lab/conf/main.cf.in" >"$cfg/main.cf"
sed -e 's/@[A-Z_0-9]*@//g' "$root/tests/lab/conf/master.cf.in" >"$cfg/master.cf"
pc() { postconf -c "$cfg" "$@" 2>/dev/null; }
# The admin's own setup, written by postconf as an admin would.
pc -e "queue_directory = $tmp/queue" \
	'smtpd_milters = inet:127.0.0.1:8891, { unix:/run/opendmarc/opendmarc.sock, default_action=accept }' \
	'non_smtpd_milters = $smtpd_milters' \
	'smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, check_recipient_access hash:/etc/postfix/rcpt' \
	'milter_default_action = accept'
cp "$cfg/main.cf" "$tmp/original.cf"

# run ARGS...: the script with the built milter on PATH (it counts as
# installed), output in $out, status in $rc.
run() {
	out=$(PATH="$B/milter-auth:$PATH" "$setup" -c "$cfg" "$@" 2>&1); rc=$?
}
same_as() { cmp -s "$1" "$cfg/main.cf"; }
ours='{ unix:messec/milter-auth.sock, default_action=tempfail }'

# --dry-run: the change is printed, nothing written.
run --dry-run enable milter-auth
if [ "$rc" -eq 0 ] && grep -qF "+ smtpd_milters = inet:127.0.0.1:8891, { unix:/run/opendmarc/opendmarc.sock, default_action=accept }, $ours" <<<"$out" &&
	same_as "$tmp/original.cf"; then
	ok "dry-run prints the new smtpd_milters and writes nothing"
else
	fail "dry-run prints the new smtpd_milters and writes nothing" "rc=$rc $out"
fi

# A layer whose daemon is not installed is refused, main.cf untouched.
run enable policyd
if [ "$rc" -eq 2 ] && grep -q "not installed" <<<"$out" && same_as "$tmp/original.cf"; then
	ok "enable refuses a layer whose daemon is not installed"
else
	fail "enable refuses a layer whose daemon is not installed" "rc=$rc $out"
fi

# enable: our entry after the admin's milters, nothing else changed.
run enable milter-auth
got=$(pc -n -h smtpd_milters)
want="inet:127.0.0.1:8891, { unix:/run/opendmarc/opendmarc.sock, default_action=accept }, $ours"
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
	ok "enable milter-auth appends its entry after the existing milters"
else
	fail "enable milter-auth appends its entry after the existing milters" "rc=$rc got '$got' $out"
fi
if diff <(grep -v '^smtpd_milters =' "$tmp/original.cf") <(grep -v '^smtpd_milters =' "$cfg/main.cf") >/dev/null; then
	ok "enable milter-auth changes no other line"
else
	fail "enable milter-auth changes no other line" "$(diff "$tmp/original.cf" "$cfg/main.cf" | head -5)"
fi
if [ "$(pc -n -h milter_default_action)" = accept ] && [ "$(pc -n -h non_smtpd_milters)" = '$smtpd_milters' ]; then
	ok "milter_default_action and non_smtpd_milters keep the admin's values"
else
	fail "milter_default_action and non_smtpd_milters keep the admin's values" "$(pc -n milter_default_action non_smtpd_milters)"
fi

# enable twice: byte-identical, "no change".
cp "$cfg/main.cf" "$tmp/enabled-once.cf"
run enable milter-auth
if [ "$rc" -eq 0 ] && same_as "$tmp/enabled-once.cf" && grep -q "no change" <<<"$out"; then
	ok "enable twice changes nothing"
else
	fail "enable twice changes nothing" "rc=$rc $(diff "$tmp/enabled-once.cf" "$cfg/main.cf" | head -4) $out"
fi

# status.
run status milter-auth
if [ "$rc" -eq 0 ] && grep -q "smtpd_milters: enabled" <<<"$out"; then
	ok "status milter-auth: enabled, exit 0"
else
	fail "status milter-auth: enabled, exit 0" "rc=$rc $out"
fi
run status milter-av
if [ "$rc" -eq 1 ] && grep -q "smtpd_milters: disabled" <<<"$out"; then
	ok "status milter-av: disabled, exit 1"
else
	fail "status milter-av: disabled, exit 1" "rc=$rc $out"
fi

# policyd (forced: not shipped yet): first among the restrictions.
run --force enable policyd
got=$(pc -n -h smtpd_recipient_restrictions)
if [ "$rc" -eq 0 ] && [ "$got" = "check_policy_service unix:messec/policyd.sock, permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, check_recipient_access hash:/etc/postfix/rcpt" ]; then
	ok "enable policyd puts check_policy_service first, the rest unchanged"
else
	fail "enable policyd puts check_policy_service first, the rest unchanged" "rc=$rc got '$got' $out"
fi

# milter-av joins non_smtpd_milters too, but there it is already present
# through $smtpd_milters: that line stays.
run --force enable milter-av
if [ "$rc" -eq 0 ] && [ "$(pc -n -h non_smtpd_milters)" = '$smtpd_milters' ] &&
	pc -n -h smtpd_milters | grep -qF '{ unix:messec/milter-av.sock, default_action=tempfail }'; then
	ok "an entry present through \$smtpd_milters is not added twice"
else
	fail "an entry present through \$smtpd_milters is not added twice" "rc=$rc $(pc -n smtpd_milters non_smtpd_milters)"
fi

# disable everything: the original, byte for byte; a second disable is a no-op.
run disable milter-auth; r1=$rc
run disable milter-av; r2=$rc
run disable policyd; r3=$rc
if [ "$r1$r2$r3" = 000 ] && same_as "$tmp/original.cf"; then
	ok "disable gives back the original main.cf byte for byte"
else
	fail "disable gives back the original main.cf byte for byte" "rc=$r1$r2$r3 $(diff "$tmp/original.cf" "$cfg/main.cf" | head -6)"
fi
run disable milter-auth
if [ "$rc" -eq 0 ] && same_as "$tmp/original.cf" && grep -q "no change" <<<"$out"; then
	ok "disable twice changes nothing"
else
	fail "disable twice changes nothing" "rc=$rc $out"
fi

# A parameter enable must create (no smtpd_milters at all) is deleted again.
pc -X smtpd_milters non_smtpd_milters
cp "$cfg/main.cf" "$tmp/bare.cf"
run enable milter-auth
if [ "$(pc -n -h smtpd_milters)" = "$ours" ]; then
	ok "enable creates smtpd_milters with only our entry when it was unset"
else
	fail "enable creates smtpd_milters with only our entry when it was unset" "$(pc -n smtpd_milters) $out"
fi
run disable milter-auth
if [ "$rc" -eq 0 ] && same_as "$tmp/bare.cf" && [ -z "$(pc -n smtpd_milters)" ]; then
	ok "disable deletes the parameter enable created"
else
	fail "disable deletes the parameter enable created" "rc=$rc $(diff "$tmp/bare.cf" "$cfg/main.cf" | head -4)"
fi

lab_finish
