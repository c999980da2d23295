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
#	an entry present through $smtpd_milters is not added twice; milter-av
#	comes after milter-auth whichever is enabled first; policyd joins the
#	recipient and end-of-data restrictions (creating the latter) and warns
#	when smtpd_relay_restrictions is empty; disable gives back the
#	original main.cf byte for byte, also for a parameter enable had to
#	create.
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
for d in milter-auth/messec-milter-auth milter-av/messec-milter-av policyd/messec-policyd; do
	if [ ! -x "$B/$d" ]; then
		fail "prerequisites" "$B/$d not built (make)"
		lab_finish
	fi
done

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
# The lab template's hook line "smtpd_end_of_data_restrictions = @POLICY_EOD@"
# is empty here; an admin's main.cf has no such line (an explicit empty
# value comes back deleted after enable+disable: same meaning, documented).
pc -X smtpd_end_of_data_restrictions
cp "$cfg/main.cf" "$tmp/original.cf"

# run ARGS...: the script with the built daemons on PATH (they count as
# installed), output in $out, status in $rc. run_auth_only: only
# milter-auth on PATH.
run() {
	out=$(PATH="$B/milter-auth:$B/milter-av:$B/policyd:$PATH" "$setup" -c "$cfg" "$@" 2>&1); rc=$?
}
run_auth_only() {
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
run_auth_only enable policyd
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

# milter-av (installed): after the admin's milters and milter-auth; it
# joins non_smtpd_milters too, but there it is already present through
# $smtpd_milters: that line stays.
av='{ unix:messec/milter-av.sock, default_action=tempfail }'
run enable milter-av
got=$(pc -n -h smtpd_milters)
if [ "$rc" -eq 0 ] && [ "$got" = "inet:127.0.0.1:8891, { unix:/run/opendmarc/opendmarc.sock, default_action=accept }, $ours, $av" ]; then
	ok "enable milter-av appends its entry after the admin's milters and milter-auth"
else
	fail "enable milter-av appends its entry after the admin's milters and milter-auth" "rc=$rc got '$got' $out"
fi
if [ "$(pc -n -h non_smtpd_milters)" = '$smtpd_milters' ]; then
	ok "an entry present through \$smtpd_milters is not added twice"
else
	fail "an entry present through \$smtpd_milters is not added twice" "$(pc -n non_smtpd_milters)"
fi

# policyd: --dry-run names both restriction lists; enable puts
# check_policy_service first in the recipient restrictions (before the
# admin's permits, so authenticated users meet the sender-login check)
# and creates the end-of-data restrictions.
pol='check_policy_service unix:messec/policyd.sock'
cp "$cfg/main.cf" "$tmp/before-policyd.cf"
run --dry-run enable policyd
if [ "$rc" -eq 0 ] && grep -qF "+ smtpd_recipient_restrictions = $pol, permit_mynetworks" <<<"$out" &&
	grep -qF "+ smtpd_end_of_data_restrictions = $pol" <<<"$out" && same_as "$tmp/before-policyd.cf"; then
	ok "dry-run enable policyd prints both restriction lists and writes nothing"
else
	fail "dry-run enable policyd prints both restriction lists and writes nothing" "rc=$rc $out"
fi
run enable policyd
got=$(pc -n -h smtpd_recipient_restrictions)
if [ "$rc" -eq 0 ] && [ "$got" = "$pol, permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, check_recipient_access hash:/etc/postfix/rcpt" ]; then
	ok "enable policyd puts check_policy_service first, the rest unchanged"
else
	fail "enable policyd puts check_policy_service first, the rest unchanged" "rc=$rc got '$got' $out"
fi
got=$(pc -n -h smtpd_end_of_data_restrictions)
if [ "$got" = "$pol" ] && ! grep -q "smtpd_relay_restrictions is empty" <<<"$out"; then
	ok "enable policyd creates smtpd_end_of_data_restrictions with only its check (no relay warning)"
else
	fail "enable policyd creates smtpd_end_of_data_restrictions with only its check (no relay warning)" "got '$got' $out"
fi
run status policyd
if [ "$rc" -eq 0 ] && grep -q "smtpd_recipient_restrictions: enabled" <<<"$out" &&
	grep -q "smtpd_end_of_data_restrictions: enabled" <<<"$out"; then
	ok "status policyd: enabled in both lists, exit 0"
else
	fail "status policyd: enabled in both lists, exit 0" "rc=$rc $out"
fi

# All three enabled again, one layer at a time: nothing changes.
cp "$cfg/main.cf" "$tmp/all.cf"
run enable milter-auth; r1=$rc
run enable milter-av; r2=$rc
run enable policyd; r3=$rc
if [ "$r1$r2$r3" = 000 ] && same_as "$tmp/all.cf"; then
	ok "enabling the three layers again changes nothing"
else
	fail "enabling the three layers again changes nothing" "rc=$r1$r2$r3 $(diff "$tmp/all.cf" "$cfg/main.cf" | head -4)"
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

# Order: milter-av enabled first, milter-auth later still goes before it.
run enable milter-av; r1=$rc
run enable milter-auth; r2=$rc
got=$(pc -n -h smtpd_milters)
if [ "$r1$r2" = 00 ] && [ "$got" = "inet:127.0.0.1:8891, { unix:/run/opendmarc/opendmarc.sock, default_action=accept }, $ours, $av" ]; then
	ok "milter-auth enabled after milter-av goes before it"
else
	fail "milter-auth enabled after milter-av goes before it" "rc=$r1$r2 got '$got' $out"
fi
run disable milter-auth; r1=$rc
run disable milter-av; r2=$rc
if [ "$r1$r2" = 00 ] && same_as "$tmp/original.cf"; then
	ok "disable after that order gives back the original"
else
	fail "disable after that order gives back the original" "rc=$r1$r2 $(diff "$tmp/original.cf" "$cfg/main.cf" | head -6)"
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

# policyd with relay control left to the recipient restrictions: a warning.
pc -e 'smtpd_relay_restrictions ='
cp "$cfg/main.cf" "$tmp/norelay.cf"
run enable policyd
if [ "$rc" -eq 0 ] && grep -q "smtpd_relay_restrictions is empty" <<<"$out"; then
	ok "enable policyd warns when smtpd_relay_restrictions is empty"
else
	fail "enable policyd warns when smtpd_relay_restrictions is empty" "rc=$rc $out"
fi
run disable policyd
if [ "$rc" -eq 0 ] && same_as "$tmp/norelay.cf"; then
	ok "disable policyd gives back that main.cf byte for byte"
else
	fail "disable policyd gives back that main.cf byte for byte" "rc=$rc $(diff "$tmp/norelay.cf" "$cfg/main.cf" | head -4)"
fi

lab_finish
