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
#	code, code alone, not enrolled (a real user, right password), lockout and unlock, app passwords,
#	exempt network (and a forwarded exempt address from an untrusted host
#	ignored), secrets absent from log and store.
#
#	Determinism (the machine may be loaded, other labs run in parallel):
#	- fresh() sets CODE in this shell (never call it in $(...)): the last
#	  step used per user must survive, or a later case reuses a code and
#	  is refused as a replay by accident.
#	- Every login comes from its own source address (SRC, one of the
#	  lab's 192.0.2.0/24, all local on the namespace's lo): Dovecot's
#	  per-IP auth penalty (anvil, 2..15 s per login after a failure from
#	  the same IP, even with auth_failure_delay=0) never applies, and log
#	  lines are matched by that address instead of by their order or
#	  position. The exempt-network cases keep their fixed addresses.
#	- Log lines reach dovecot.log after the client got its reply (Dovecot's
#	  log process writes them): positive checks wait for them, negative
#	  checks (leaks) first wait for the last login's line.
set -u
. "$(dirname "$0")/../lab/lib.sh"
B=${B:-build}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# MESSEC_MFA_SO/MESSEC_MFA_CLI: the installed package's (tests/packages/).
SO=${MESSEC_MFA_SO:-$REPO/$B/dovecot-mfa-plugin/libauthdb_mfa.so}
CLI=${MESSEC_MFA_CLI:-$REPO/$B/dovecot-mfa-plugin/messec-mfa}
EXEMPT=203.0.113.10	# the "webmail host" (LAB_OUT_OTHER)

lab_require "prerequisites" ip dovecot python3 || lab_finish
[ -x "$CLI" ] && [ -r "$SO" ] || { fail "plugin and CLI built" "run make B=$B first ($SO)"; lab_finish; }

. "$(dirname "$0")/mfa.bash"
mfa_lab_up_lmdb "max_failures=5 lockout=10m ip_max_failures=1000 exempt_nets=$EXEMPT/32 issuer=messec-lab"

A=$LAB_ALICE; AP=$LAB_ALICE_PASSWORD
B_=$LAB_BOB; BP=$LAB_BOB_PASSWORD
C=$LAB_CAROL; CP=$LAB_CAROL_PASSWORD

#
# Enrolment and the basic IMAP cases (alice).
#
enroll "$A"
enroll "$B_" --no-qr
# carol is a real user of the lab's passwd-file, not enrolled yet: with
# her right bare password only unenrolled=deny (the default) refuses her.
imap "$C" "$CP"
expect "imap: real user not enrolled, right password (unenrolled=deny)" no "$R"
logged "log: refused as not enrolled" "$(dblog mfa "$C" "$SRC")mfa: fail: not enrolled"
enroll "$C" --no-qr
out=$(mfa enroll "$A" 2>&1) && fail "enroll: a second enroll needs --force" "$out" ||
	ok "enroll: a second enroll needs --force"
imap "$A" wrong-password
expect "imap: wrong password, no code" no "$R"
imap "$A" "$AP"
expect "imap: right password without code" no "$R"
fresh "$A"; code=$CODE
imap "$A" "$AP$code"
expect "imap: right password + current code" ok "$R"
imap "$A" "$AP$code"
expect "imap: same code again (replay)" no "$R"
logged "log: replay logged with its reason" \
	"$(dblog mfa "$A" "$SRC")mfa: fail: code already used \(replay\)"
old=$(totp "${SECRET[$A]}" $(( $(step_now) - 20 )))
imap "$A" "$AP$old"
expect "imap: code from 10 minutes ago" no "$R"
fresh "$A"; code=$CODE
imap "$A" "wrong-password$code"
expect "imap: wrong password + valid code" no "$R"
# Both lines of this one login (its own source address), in either order.
name="imap: ... mfa accepted the code, the password passdb refused the password"
if lab_wait_dovecot_log "$(dblog mfa "$A" "$SRC")mfa: next: code ok" 10 &&
	lab_wait_dovecot_log "$(dblog passwd-file "$A" "$SRC").*Password mismatch" 10; then
	ok "$name"
else
	fail "$name" "no code ok + mismatch in the log for $SRC: $(grep -F ",$SRC," "$LAB_DOVECOT_LOG" | grep -E 'mfa|passwd' | tail -n 2)"
fi
# (bob: alice would have to wait for the clock, one new code per 30 s)
fresh "$B_"; code=$CODE
imap "$B_" "$code"
expect "imap: code alone" no "$R"
imap nobody@lab.example "whatever123456"
expect "imap: user who does not exist" no "$R"

#
# Replay over POP3 (bob) and SMTP AUTH on submission (carol).
#
fresh "$B_"; code=$CODE
pop3 "$B_" "$BP$code"
expect "pop3: right password + current code" ok "$R"
pop3 "$B_" "$BP$code"
expect "pop3: same code again (replay)" no "$R"
pop3 "$B_" "$BP"
expect "pop3: right password without code" no "$R"
fresh "$C"; code=$CODE
smtp "$C" "$CP$code"
expect "smtp: AUTH with password + current code" ok "$R"
okaddr=$SRC
smtp "$C" "$CP$code"
expect "smtp: same code again (replay)" no "$R"
smtp "$C" "$CP"
expect "smtp: right password without code" no "$R"
# Postfix SASL requests carry no session id: the prefix is mfa(user,ip).
name="smtp: decision made by Dovecot's passdb chain (service=smtp)"
if lab_wait_dovecot_log "$(dblog mfa "$C" "$okaddr")mfa: next: code ok" 10 &&
	lab_wait_maillog "submission/smtpd.*\[$(re "$okaddr")\].* auth=1 " 10; then
	ok "$name"
else
	fail "$name" "no mfa 'code ok' line for $C from $okaddr, or no auth=1 in the maillog"
fi

#
# Lockout after max_failures (5) consecutive failures, unlock by the CLI.
# The two SMTP failures above count too: the third login here locks.
#
srcs=()
for _ in 1 2 3 4 5; do
	imap "$C" "$CP""000000"
	srcs+=("$SRC")
done
logged "lockout: the fifth consecutive failure (third here) locks the user" \
	"$(dblog mfa "$C" "${srcs[2]}")mfa: fail: .*; user locked for"
fresh "$C"; code=$CODE
imap "$C" "$CP$code"
expect "lockout: right password + valid code refused while locked" no "$R"
mfa status "$C" | grep -q "locked_until=" && ok "lockout: messec-mfa status shows the lock" ||
	fail "lockout: messec-mfa status shows the lock" "$(mfa status "$C" 2>&1)"
out=$(mfa unlock "$C" 2>&1) && ok "lockout: messec-mfa unlock" || fail "lockout: messec-mfa unlock" "$out"
fresh "$C"; code=$CODE
imap "$C" "$CP$code"
expect "lockout: login works after unlock" ok "$R"

#
# App passwords (alice): accepted alone, per service, revoked one by one.
#
app=$(mfa app-password add "$A" phone | tail -n 1)
app2=$(mfa app-password add "$A" laptop --services smtp | tail -n 1)
[[ $app =~ ^([2-9a-hjkmnp-z]{4}-){7}[2-9a-hjkmnp-z]{4}$ ]] &&
	ok "app password: shown as 8 groups of 4 unambiguous characters" ||
	fail "app password: shown as 8 groups of 4 unambiguous characters" "$app"
imap "$A" "$app"
expect "app password: accepted over IMAP without a code" ok "$R"
smtp "$A" "$app"
expect "app password: accepted over SMTP" ok "$R"
imap "$A" "$app2"
expect "app password: smtp-only one refused over IMAP" no "$R"
smtp "$A" "$app2"
expect "app password: smtp-only one accepted over SMTP" ok "$R"
mfa app-password list "$A" | grep -q "^phone .*last_used=20" && ok "app password: last use recorded" ||
	fail "app password: last use recorded" "$(mfa app-password list "$A" 2>&1)"
mfa app-password revoke "$A" phone >/dev/null
imap "$A" "$app"
expect "app password: revoked one refused" no "$R"
smtp "$A" "$app2"
expect "app password: the other one still works" ok "$R"

#
# Exempt network (webmail host logs in with the bare password). These keep
# their fixed addresses: the address is what is tested.
#
imap "$B_" "$BP" "$EXEMPT"
expect "exempt network: bare password accepted from $EXEMPT" ok "$R"
imap "$B_" wrong "$EXEMPT"
expect "exempt network: wrong password still refused" no "$R"
imap "$B_" "$BP" "$LAB_OUT_GOOD"
expect "exempt network: other hosts still need a code" no "$R"
# A host outside login_trusted_networks (empty here) that claims the
# webmail's address (IMAP ID x-originating-ip): Dovecot ignores the claim,
# the passdb sees the real address, a code is needed (docs/mfa.md, Webmail).
newsrc
R=$(lab_mail imap-login --user "$B_" --password "$BP" --bind "$SRC" --forward-ip "$EXEMPT" 2>&1)
expect "exempt network: a forwarded webmail address from an untrusted host is ignored" no "$R"
logged "log: refused under the real address, not the forwarded one" "$(dblog mfa "$B_" "$SRC")mfa: fail: no code"

#
# Nothing secret in the log or the store.
#
# The last login's line first: the log is complete up to it.
lab_wait_dovecot_log "$(dblog mfa "$B_" "$LAB_OUT_GOOD")mfa: fail: " 10 ||
	fail "log: last login logged" "no mfa line for $B_ from $LAB_OUT_GOOD"
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
