#!/bin/bash
# NAME
#	54-mfa-admin.sh - the mfa passdb's defaults and the admin's commands
#	on the lab's real Dovecot: store= alone, disable, rekey,
#	unenrolled=allow, failures counted per remote IP
# DESCRIPTION
#	Lab 1, the shipped passdb block with "args = store=PATH" and nothing
#	else, PATH not existing yet (issue 7 item 3):
#	- the first login creates the store and its key (0600, owned by
#	  Dovecot's auth user) and is refused: not enrolled (unenrolled=deny
#	  is the default);
#	- messec-mfa status / disable: a disabled user's password + valid code
#	  is refused as not enrolled;
#	- messec-mfa rekey while Dovecot runs: a new key file, and the running
#	  plugin still accepts the next code (it reads the new key); an app
#	  password (stored as HMAC under a key derived from the old key, issue
#	  19) is revoked by the same rekey, named in its output, and refused.
#	Lab 2, "args = config=FILE", the settings in FILE (the format of the
#	shipped packaging/dovecot/mfa.conf): unenrolled = allow,
#	ip_max_failures = 2, an issuer; the CLI gets only --config FILE
#	(item 7: the same store, with the same config file):
#	- the CLI enrols into the store FILE names, with FILE's issuer;
#	- a user who never enrolled logs in with the bare password (the next
#	  passdb still checks it: a wrong one is refused);
#	- two failures from one address lock that address: an enrolled user's
#	  right password + code from it is refused ("too many failures from
#	  this IP"), the same user from another address gets in.
#	On Dovecot 2.4 (LAB_DOVECOT=2.4), also: every key of mfa_settings.c's
#	table is accepted by the lab's doveconf as mfa_<key> in the passdb
#	block (the settings module declares them all).
#	Codes are computed here from the secret the CLI prints (mfa.bash).
set -u
. "$(dirname "$0")/../lab/lib.sh"
B=${B:-build}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SO=$REPO/$B/dovecot-mfa-plugin/libauthdb_mfa.so
CLI=$REPO/$B/dovecot-mfa-plugin/messec-mfa

lab_require "prerequisites" ip dovecot python3 || lab_finish
[ -x "$CLI" ] && [ -r "$SO" ] || { fail "plugin and CLI built" "run make B=$B first ($SO)"; lab_finish; }

. "$(dirname "$0")/mfa.bash"

#
# Lab 1: store= alone.
#
mfa_lab_up_lmdb ""
A=$LAB_ALICE; AP=$LAB_ALICE_PASSWORD

# 2.4: each key of the plugin's settings table (mfa_settings.c, the list
# the CLI and 2.3's args accept) is a setting doveconf knows. doveconf runs
# in Dovecot's mount namespace, where the lab mounted the settings module.
if [ "${LAB_DOVECOT:-2.3}" = 2.4 ]; then
	keys=$(sed -n 's/^\t{ "\([a-z_]*\)", CFG_.*/\1/p' "$REPO/dovecot-mfa-plugin/mfa_settings.c")
	{
		cat "$LAB_DOVECOT_CONFIG"
		echo "passdb mfa {"
		for k in config $keys; do echo "  mfa_$k = probe-$k"; done
		echo "}"
	} >"$tmp/all-keys.conf"
	out=$(nsenter -m -t "$(cat "$LAB_DIR/pids/dovecot.pid")" "$LAB_DOVECONF" -c "$tmp/all-keys.conf" -n 2>&1)
	missing=
	for k in config $keys; do
		grep -qx "  mfa_$k = probe-$k" <<<"$out" || missing="$missing mfa_$k"
	done
	[ "$(wc -w <<<"$keys")" -ge 10 ] && [ -z "$missing" ] &&
		ok "2.4: doveconf accepts mfa_<key> for all $(wc -w <<<"$keys") settings keys and mfa_config" ||
		fail "2.4: doveconf accepts mfa_<key> for all settings keys and mfa_config" \
			"keys: $(wc -w <<<"$keys"); missing:$missing; $(grep -m2 -i 'error\|unknown' <<<"$out")"
fi
B_=$LAB_BOB; BP=$LAB_BOB_PASSWORD

[ ! -e "$STORE" ] && ok "store= alone: no store before the first login" ||
	fail "store= alone: no store before the first login" "$(ls -l "$STORE")"
imap "$A" "$AP"	# the right bare password: only unenrolled=deny refuses it
expect "store= alone: an unenrolled user is refused (unenrolled=deny by default)" no "$R"
logged "store= alone: logged as not enrolled" \
	"$(dblog mfa "$A" "$SRC")mfa: fail: not enrolled"
mode=$(stat -c '%a %U' "$STORE" "$STORE.key" 2>&1 | sort -u | tr '\n' ' ')
[ "$mode" = "600 dovecot " ] && ok "store= alone: the plugin created store and key, 0600, owned by the auth user" ||
	fail "store= alone: the plugin created store and key, 0600, owned by the auth user" "$mode"

enroll "$A" --no-qr
enroll "$B_" --no-qr
fresh "$A"
imap "$A" "$AP$CODE"
expect "enrolled: password + code accepted" ok "$R"
out=$(mfa status "$A" 2>&1)
[[ $out == *"$A: enrolled"* ]] && ok "status: shows the user enrolled" || fail "status: shows the user enrolled" "$out"

out=$(mfa disable "$A" 2>&1) && ok "disable: command succeeds" || fail "disable: command succeeds" "$out"
out=$(mfa status "$A" 2>&1)
[[ $out == *"$A: not enrolled"* ]] && ok "disable: status shows not enrolled" ||
	fail "disable: status shows not enrolled" "$out"
fresh "$A"
imap "$A" "$AP$CODE"
expect "disable: password + a code of the old secret refused" no "$R"
imap "$A" "$AP"
expect "disable: the right bare password refused (not enrolled, unenrolled=deny)" no "$R"
logged "disable: logged as not enrolled" \
	"$(dblog mfa "$A" "$SRC")mfa: fail: not enrolled"

fresh "$B_"
imap "$B_" "$BP$CODE"
expect "rekey: before, password + code accepted" ok "$R"
app=$(mfa app-password add "$B_" tablet | tail -n 1)
imap "$B_" "$app"
expect "rekey: before, the app password is accepted" ok "$R"
k0=$(sha256sum <"$STORE.key")
out=$(mfa rekey 2>&1) && ok "rekey: command succeeds" || fail "rekey: command succeeds" "$out"
[[ $out == *"app password 'tablet' of $B_ revoked"* ]] &&
	ok "rekey: names the app password it revoked (tied to the old key)" ||
	fail "rekey: names the app password it revoked (tied to the old key)" "$out"
out=$(mfa app-password list "$B_" 2>&1)
[[ $out != *tablet* ]] && ok "rekey: the revoked app password is no longer listed" ||
	fail "rekey: the revoked app password is no longer listed" "$out"
imap "$B_" "$app"
expect "rekey: the revoked app password is refused" no "$R"
[ "$(sha256sum <"$STORE.key")" != "$k0" ] && ok "rekey: a new key file" || fail "rekey: a new key file" "unchanged"
mode=$(stat -c '%a %U' "$STORE.key")
[ "$mode" = "600 dovecot" ] && ok "rekey: the new key is 0600, owned by the auth user" ||
	fail "rekey: the new key is 0600, owned by the auth user" "$mode"
fresh "$B_"
imap "$B_" "$BP$CODE"
expect "rekey: the running plugin accepts the next code (same secret, new key)" ok "$R"
grep -aq "${SECRET[$B_]}" "$STORE" && fail "rekey: no plaintext secret in the store" "found" ||
	ok "rekey: no plaintext secret in the store"

#
# Lab 2: a config file (unenrolled = allow, ip_max_failures = 2) for both.
#
lab_down
# The store directory inside this script's scratch directory, owned by
# Dovecot's auth user; the config file names it.
chmod 0711 "$tmp"
install -d -o dovecot -g dovecot -m 0700 "$tmp/mfa2"
STORE=$tmp/mfa2/mfa.lmdb
cat >"$tmp/mfa.conf" <<EOF
# as packaging/dovecot/mfa.conf
store = $STORE
unenrolled = allow
ip_max_failures = 2
max_failures = 1000
issuer = lab-config-issuer
EOF
mfa_passdb_conf "config=$tmp/mfa.conf" "$tmp/passdb2.conf"
lab_up LAB_DOVECOT_AUTH_PLUGIN="$SO" LAB_DOVECOT_PASSDB_FIRST="$tmp/passdb2.conf"
A=$LAB_ALICE; AP=$LAB_ALICE_PASSWORD
C=$LAB_CAROL; CP=$LAB_CAROL_PASSWORD
LAST=() SECRET=()
# With unenrolled=allow the plugin never creates a store (an empty one
# would let everyone in): enrolling alice creates it. The CLI gets only
# the config file.
mfa() { "$CLI" --config "$tmp/mfa.conf" "$@"; }
out=$(mfa enroll "$A" --no-qr 2>&1)
SECRET[$A]=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
[ -n "${SECRET[$A]}" ] && [ -s "$STORE" ] && ok "config file: the CLI enrols into the store it names" ||
	fail "config file: the CLI enrols into the store it names" "$out"
[[ $out == *"issuer=lab-config-issuer"* ]] && ok "config file: the CLI uses its issuer" ||
	fail "config file: the CLI uses its issuer" "$out"

imap "$C" "$CP"
expect "config file: unenrolled=allow: a user who never enrolled logs in with the bare password" ok "$R"
logged "unenrolled=allow: logged as pass-through" \
	"$(dblog mfa "$C" "$SRC")mfa: pass-through: not enrolled \(unenrolled=allow\)"
imap "$C" wrong-password
expect "unenrolled=allow: a wrong password is still refused (next passdb)" no "$R"
imap "$A" "$AP"
expect "unenrolled=allow: an enrolled user still needs the code" no "$R"

BAD=192.0.2.77
imap "$A" "${AP}000000" "$BAD"
expect "per IP: first failure from $BAD" no "$R"
imap "$A" "${AP}111111" "$BAD"
expect "per IP: second failure from $BAD" no "$R"
fresh "$A"
imap "$A" "$AP$CODE" "$BAD"
expect "per IP: right password + code from $BAD refused after ip_max_failures" no "$R"
logged "per IP: logged as too many failures from this IP" \
	"$(dblog mfa "$A" "$BAD")mfa: fail: too many failures from this IP" 30
imap "$A" "$AP$CODE"
expect "per IP: the same user and code from another address accepted" ok "$R"

lab_finish
