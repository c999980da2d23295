#!/bin/bash
# NAME
#	55-mfa-apppass-upgrade.sh - an app password stored as yescrypt by the
#	old plugin is re-stored as HMAC-SHA-256 at its first real login
# DESCRIPTION
#	Issue 19 item 2, on the lab's real Dovecot. The store is a copy of
#	dovecot-mfa-plugin/tests/compat/lmdb-v1.lmdb and its key file: an
#	LMDB store written by the plugin's code before issue 19 (commit
#	ebfd37e), holding the app password "phone" of alice@lab.example
#	(tests/compat/app-password.txt) as a version 1 record with a
#	yescrypt hash (see compat_fixture.h and test_store_compat.c).
#	- before any login, messec-mfa app-password list shows it as
#	  scheme=yescrypt, never used;
#	- a wrong app password of the same id over IMAP is refused and the
#	  record stays yescrypt;
#	- the right one logs in over IMAP; the log line says it was
#	  re-stored; the CLI now shows scheme=hmac-sha256 and the last use;
#	- it logs in again (now checked by HMAC) and over SMTP AUTH, with
#	  no second re-store; a wrong one is still refused.
#	The unit test mfa_test_apppass_upgrade checks the same story on
#	both backends record by record (tag, same commit as last use).
set -u
. "$(dirname "$0")/../lab/lib.sh"
B=${B:-build}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SO=$REPO/$B/dovecot-mfa-plugin/libauthdb_mfa.so
CLI=$REPO/$B/dovecot-mfa-plugin/messec-mfa
COMPAT=$REPO/dovecot-mfa-plugin/tests/compat

lab_require "prerequisites" ip dovecot python3 || lab_finish
[ -x "$CLI" ] && [ -r "$SO" ] || { fail "plugin and CLI built" "run make B=$B first ($SO)"; lab_finish; }

. "$(dirname "$0")/mfa.bash"

mfa_lab_up_lmdb ""
A=alice@lab.example	# the fixture's user (a lab user: the next passdb knows her)
[ "$LAB_ALICE" = "$A" ] || { fail "lab user" "LAB_ALICE is $LAB_ALICE, the fixture's user is $A"; lab_finish; }
install -o dovecot -g dovecot -m 0600 "$COMPAT/lmdb-v1.lmdb" "$STORE"
install -o dovecot -g dovecot -m 0600 "$COMPAT/lmdb-v1.key" "$STORE.key"
app=$(head -n 1 "$COMPAT/app-password.txt")
# The same id (first group), another password: one character changed.
c=${app:20:1}
[ "$c" = a ] && d=b || d=a
wrong=${app:0:20}$d${app:21}

out=$(mfa app-password list "$A" 2>&1)
[[ $out == "phone id=${app:0:4} "*"last_used=never"*"scheme=yescrypt"* ]] &&
	ok "old store: the app password is listed as yescrypt, never used" ||
	fail "old store: the app password is listed as yescrypt, never used" "$out"

imap "$A" "$wrong"
expect "old record: a wrong app password of the same id is refused" no "$R"
logged "old record: logged as a bad app password" \
	"mfa\($(re "$A"),$(re "$SRC"),.*: mfa: fail: bad app password \(id ${app:0:4}\)"
out=$(mfa app-password list "$A" 2>&1)
[[ $out == *"last_used=never"*"scheme=yescrypt"* ]] &&
	ok "old record: unchanged by the wrong password" ||
	fail "old record: unchanged by the wrong password" "$out"

imap "$A" "$app"
expect "old record: the app password logs in over IMAP" ok "$R"
logged "old record: logged as re-stored in the new scheme" \
	"mfa\($(re "$A"),$(re "$SRC"),.*: mfa: ok: app password 'phone' used \(re-stored as hmac-sha256\)"
out=$(mfa app-password list "$A" 2>&1)
[[ $out == "phone id=${app:0:4} "*"last_used=20"*"scheme=hmac-sha256" ]] &&
	ok "re-stored: listed as hmac-sha256 with its last use" ||
	fail "re-stored: listed as hmac-sha256 with its last use" "$out"

imap "$A" "$app"
expect "re-stored: the app password logs in again over IMAP" ok "$R"
logged "re-stored: the second login is not re-stored again" \
	"mfa\($(re "$A"),$(re "$SRC"),.*: mfa: ok: app password 'phone' used$"
smtp "$A" "$app"
expect "re-stored: the app password logs in over SMTP AUTH" ok "$R"
imap "$A" "$wrong"
expect "re-stored: a wrong app password of the same id is still refused" no "$R"
n=$(grep -c "re-stored as hmac-sha256" "$LAB_DOVECOT_LOG")
[ "$n" = 1 ] && ok "re-stored: exactly one re-store logged" ||
	fail "re-stored: exactly one re-store logged" "$n lines"
out=$(mfa app-password list "$A" 2>&1)
[[ $out == *"scheme=hmac-sha256" ]] && ok "re-stored: still hmac-sha256 after the later logins" ||
	fail "re-stored: still hmac-sha256 after the later logins" "$out"

lab_finish
