#!/bin/bash
# NAME
#	02-lab-hooks.sh - every hook of tests/lab/up does what tests/lab/README.md says
# DESCRIPTION
#	One lab with all hooks set at once, then a deliberately broken lab.
#	Each case proves the hook reached the real server: a milter address
#	with nothing behind it tempfails port 25 (milter_default_action =
#	tempfail) but not 587; a policy server started with tests/lab/spawn
#	rejects one recipient; extra unbound data resolves; extra main.cf and
#	dovecot.conf settings show in the banners; a first passdb is consulted
#	before the passwd-file; Dovecot's children get LAB_DOVECOT_ENV; the auth
#	plugin path is visible in Dovecot's mount namespace; a failed up
#	cleans after itself.
set -u
. "$(dirname "$0")/../lab/lib.sh"

tmp=$(mktemp -d)
cat >"$tmp/unbound.extra" <<'X'
local-zone: "hooked.example." static
local-data: 'hooked.example. 300 IN TXT "hook=@LABDIR@"'
X
echo 'smtpd_banner = $myhostname ESMTP lab-hook-banner' >"$tmp/main.extra"
echo 'login_greeting = lab-hook-greeting' >"$tmp/dovecot.extra"
cat >"$tmp/passdb.first" <<'X'
passdb {
  driver = static
  args = password=%{env:MESSEC_LAB_HOOK}
  result_failure = continue
  result_internalfail = continue
}
X
plugin=/usr/lib/dovecot/modules/auth/libauthdb_imap.so

lab_up LAB_MILTERS='inet:127.0.0.1:9' \
	LAB_POLICY='inet:127.0.0.1:10099' \
	LAB_UNBOUND_EXTRA="$tmp/unbound.extra" \
	LAB_POSTFIX_MAIN_EXTRA="$tmp/main.extra" \
	LAB_DOVECOT_EXTRA="$tmp/dovecot.extra" \
	LAB_DOVECOT_PASSDB_FIRST="$tmp/passdb.first" \
	LAB_DOVECOT_ENV='MESSEC_LAB_HOOK=env-ok' \
	LAB_DOVECOT_AUTH_PLUGIN="$plugin" \
	LAB_PRE_POSTFIX_HOOK='tests/lab/spawn "$LAB_DIR" early-sleeper -- sleep 3600'

if lab_spawn policy -- /usr/bin/python3 "$LAB_LIB_DIR/policy_probe.py" 127.0.0.1 10099 blocked@remote.example &&
	lab_wait_port 10099; then
	ok "spawn: a daemon runs in the lab netns with its PID recorded"
else
	fail "spawn: a daemon runs in the lab netns with its PID recorded" "$(tail -n 5 "$LAB_DIR/policy.log")"
fi

out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from s@reject.example --to "$LAB_ALICE" 2>&1)
[[ $out == *'451 4.7.1'* ]] && ok "LAB_MILTERS: unreachable milter tempfails port 25" ||
	fail "LAB_MILTERS: unreachable milter tempfails port 25" "$out"

out=$(lab_mail send --port 587 --starttls --auth "$LAB_BOB" "$LAB_BOB_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_BOB" --to friend@remote.example 2>&1)
[[ $out == 250* ]] && ok "LAB_SUBMISSION_MILTERS: unset, 587 takes mail" ||
	fail "LAB_SUBMISSION_MILTERS: unset, 587 takes mail" "$out"

out=$(lab_mail send --port 587 --starttls --auth "$LAB_BOB" "$LAB_BOB_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_BOB" --to blocked@remote.example 2>&1)
if [[ $out == *'554 5.7.1'*'policy probe'* ]] && grep -q 'state=RCPT recipient=blocked@remote.example sasl_username=bob@lab.example' "$LAB_DIR/policy.log"; then
	ok "LAB_POLICY: check_policy_service consulted at RCPT"
else
	fail "LAB_POLICY: check_policy_service consulted at RCPT" "$out"
fi
lab_wait_log "$LAB_DIR/policy.log" 'state=END-OF-MESSAGE' 5 &&
	ok "LAB_POLICY: consulted at END-OF-DATA" || fail "LAB_POLICY: consulted at END-OF-DATA" "$(tail -n 3 "$LAB_DIR/policy.log")"

out=$(lab_dig +short TXT hooked.example)
[[ $out == "\"hook=$LAB_DIR\"" ]] && ok "LAB_UNBOUND_EXTRA: extra zone served, @LABDIR@ expanded" ||
	fail "LAB_UNBOUND_EXTRA: extra zone served, @LABDIR@ expanded" "got: $out"

banner() {
	lab_exec "$LAB_PY" -c 'import socket,sys
s=socket.create_connection((sys.argv[1],int(sys.argv[2])),10)
print(s.recv(512).decode().strip())' "$LAB_MX_ADDR" "$1"
}
out=$(banner 25)
[[ $out == *lab-hook-banner* ]] && ok "LAB_POSTFIX_MAIN_EXTRA: appended to main.cf" ||
	fail "LAB_POSTFIX_MAIN_EXTRA: appended to main.cf" "banner: $out"
out=$(banner 143)
[[ $out == *lab-hook-greeting* ]] && ok "LAB_DOVECOT_EXTRA: appended to dovecot.conf" ||
	fail "LAB_DOVECOT_EXTRA: appended to dovecot.conf" "greeting: $out"

# The first passdb's password comes from LAB_DOVECOT_ENV through
# import_environment and %{env:...} (Dovecot rewrites /proc/PID/environ for
# its process titles, so the environment is checked by its effect).
out=$(lab_mail imap-login --user alice --password env-ok 2>&1)
[[ $out == OK* ]] && ok "LAB_DOVECOT_PASSDB_FIRST + LAB_DOVECOT_ENV: first passdb decides, sees the env" ||
	fail "LAB_DOVECOT_PASSDB_FIRST + LAB_DOVECOT_ENV: first passdb decides, sees the env" "$out"
out=$(lab_mail imap-login --user alice --password "$LAB_ALICE_PASSWORD" 2>&1)
[[ $out == OK* ]] && ok "LAB_DOVECOT_PASSDB_FIRST: failure continues to the passwd-file" ||
	fail "LAB_DOVECOT_PASSDB_FIRST: failure continues to the passwd-file" "$out"

dpid=$(cat "$LAB_DIR/pids/dovecot.pid")
if nsenter -t "$dpid" -m cmp -s "$plugin" /usr/lib/dovecot/modules/auth/libauthdb_imap.so &&
	nsenter -t "$dpid" -m findmnt -n /usr/lib/dovecot/modules/auth/libauthdb_imap.so >/dev/null &&
	! findmnt -n /usr/lib/dovecot/modules/auth >/dev/null; then
	ok "LAB_DOVECOT_AUTH_PLUGIN: bind-mounted in Dovecot's private mount namespace only"
else
	fail "LAB_DOVECOT_AUTH_PLUGIN: bind-mounted in Dovecot's private mount namespace only" "mounts: $(nsenter -t "$dpid" -m findmnt -n -R /usr/lib/dovecot/modules/auth 2>&1)"
fi

sp=$(cat "$LAB_DIR/pids/early-sleeper.pid" 2>/dev/null)
if [ -n "$sp" ] && kill -0 "$sp" 2>/dev/null; then
	ok "LAB_PRE_POSTFIX_HOOK: ran before Postfix, its daemon is recorded"
else
	fail "LAB_PRE_POSTFIX_HOOK: ran before Postfix, its daemon is recorded" "pid '$sp'; $(cat "$LAB_DIR/pre-postfix-hook.log" 2>/dev/null)"
fi
lab_down
# A stopped process may linger as a zombie until init reaps it.
live() { local st; st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ "$st" != Z ] && [ "$st" != X ]; }
if [ -n "$sp" ] && ! live "$sp"; then
	ok "down stops spawned daemons"
else
	fail "down stops spawned daemons" "pid $sp still alive"
fi

#
# A broken lab: up fails, names the stage, shows the log, leaves nothing.
#
echo 'inet_interfaces = 192.0.2.999' >"$tmp/bad.extra"
out=$(LAB_POSTFIX_MAIN_EXTRA="$tmp/bad.extra" "$LAB_LIB_DIR/up" 2>&1)
rc=$?
name=$(printf '%s\n' "$out" | sed -n "s/.*FAILED at stage 'postfix' (lab \(mlab-[0-9a-f-]*\) in .*/\1/p")
if [ $rc -ne 0 ] && [ -n "$name" ] && [[ $out == *'192.0.2.999'* ]] &&
	! ip netns list | grep -qw "$name" && [ ! -e "/etc/netns/$name" ] &&
	[ ! -e "/run/messec-lab/$name" ] && [ -z "$(pgrep -f "/run/messec-lab/$name/")" ]; then
	ok "failed up names the stage, prints the log and cleans up"
else
	fail "failed up names the stage, prints the log and cleans up" "rc=$rc name=$name: $(printf '%s' "$out" | head -n 5)"
fi
#
# gc: a lab whose owner died is torn down; one whose owner lives is kept.
#
sleep 0 &
dead=$!
wait "$dead"
stale=$(LAB_OWNER_PID=$dead "$LAB_LIB_DIR/up" 2>/dev/null | tail -n 1)
lab_up
"$LAB_LIB_DIR/gc" >/dev/null 2>&1
if [ -n "$stale" ] && [ ! -e "$stale" ] && [ -d "$LAB_DIR" ] && lab_exec true; then
	ok "gc tears down a lab whose owner died, keeps a live one"
else
	fail "gc tears down a lab whose owner died, keeps a live one" "stale=$stale exists=$([ -e "$stale" ] && echo yes)"
	[ -n "$stale" ] && "$LAB_LIB_DIR/down" "$stale"
fi

rm -rf "$tmp"
lab_finish
