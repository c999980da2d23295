#!/bin/bash
# NAME
#	30-milter-auth-robustness.sh - hostile milter protocol input
# DESCRIPTION
#	Runs messec-milter-auth on a unix socket in a private temp dir, in a
#	network namespace of its own with only loopback (unshare -n), so every
#	DNS query fails at once and no traffic leaves the machine: the SPF,
#	DKIM and DMARC code paths all run (as temperror). Then
#	tests/milter_client.py sends what a broken or hostile MTA could send
#	(MAIL with no CONNECT, HEADER before MAIL, EOM with nothing, 1 MB body
#	packets, ABORT mid-header, garbage and truncated packets, 1000
#	connections...), checking after each case that the milter still
#	answers a normal transaction with our A-R; once as an MTA that offers
#	no protocol flags, once as one that offers no-reply steps as Postfix
#	does (case names "no-reply: ..."). Finally: the process is
#	alive, SIGHUP with a broken config keeps the old one, SIGHUP with a
#	good one applies it, and no sanitizer report was written.
set -u
. "$(dirname "$0")/milter.bash"
BIN=$B/milter-auth/messec-milter-auth
milter_robust_setup messec-ma-robust "$BIN"	# dir, pid (43 does the same)

write_conf() {	# $1 authserv-id
	cat >"$dir/milter-auth.conf" <<CONF
socket = unix:$dir/auth.sock
user =
pid_file = $dir/milter-auth.pid
authserv_id = $1
internal_networks = 127.0.0.1
log_level = info
CONF
}
write_conf robust.test

if milter_robust_start "$BIN" "$dir/milter-auth.conf" "$dir/auth.sock"; then
	ok "milter starts on a unix socket"
else
	fail "milter starts on a unix socket" "$(tail -n 5 "$dir/milter.log")"
	lab_finish
fi

# milter_client (milter.bash): its TAP lines are this script's cases.
MILTER_CLIENT_ARGS=(--socket "$dir/auth.sock" --authserv-id robust.test)
milter_client --connections 1000
# Again as an MTA that offers no-reply steps (Postfix): no reply at
# connect/HELO/header/EOH/body, no RCPT/DATA sent; verdicts at EOM.
milter_client --connections 200 --no-reply

# Reload: a broken config is refused and the old one stays.
echo "no_such_key = 1" >>"$dir/milter-auth.conf"
kill -HUP "$pid"
if lab_wait_log "$dir/milter.log" 'keeping the previous configuration' 10 &&
	grep -q 'milter-auth.conf:7: .*no_such_key' "$dir/milter.log" &&
	kill -0 "$pid" 2>/dev/null; then
	ok "SIGHUP with a bad config: path:line logged, old config kept, still running"
else
	fail "SIGHUP with a bad config: path:line logged, old config kept, still running" \
		"$(tail -n 5 "$dir/milter.log")"
fi
out=$(python3 - "$dir/auth.sock" "$(dirname "$0")/.." <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import milter_client as mc
print(mc.ar_headers(mc.transaction(sys.argv[1], 'x'))[0].split(';')[0])
PY
)
[ "$out" = robust.test ] && ok "after the bad reload the old authserv-id is used" ||
	fail "after the bad reload the old authserv-id is used" "$out"

write_conf reloaded.test
kill -HUP "$pid"
lab_wait_log "$dir/milter.log" 'configuration reloaded' 10
out=$(python3 - "$dir/auth.sock" "$(dirname "$0")/.." <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import milter_client as mc
print(mc.ar_headers(mc.transaction(sys.argv[1], 'x'))[0].split(';')[0])
PY
)
[ "$out" = reloaded.test ] && ok "SIGHUP with a good config: new authserv-id used" ||
	fail "SIGHUP with a good config: new authserv-id used" "$out $(tail -n 3 "$dir/milter.log")"

if grep -q '^ROBUST1: \|: ROBUST1: spf=' "$dir/milter.log" &&
	grep -q 'ROBUST1: spf=temperror dkim=none dmarc=temperror action=accept' "$dir/milter.log"; then
	ok "one verdict line per message, queue id first"
else
	fail "one verdict line per message, queue id first" "$(grep ROBUST1 "$dir/milter.log" | tail -n 2)"
fi

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] && ok "SIGTERM: clean exit" || fail "SIGTERM: clean exit" "status $rc"
lab_sanitizer_check "no sanitizer report" "$BIN" "$dir/milter.log"
[ ! -e "$dir/milter-auth.pid" ] && ok "pid file removed at exit" ||
	fail "pid file removed at exit" "still there"
lab_finish
