#!/bin/bash
# NAME
#	53-mfa-async.sh - the mfa passdb decides off Dovecot's auth event
#	loop: ordering, replay protection under the queue, clients that go
#	away, shutdown with logins queued; on the lab's real Dovecot
# DESCRIPTION
#	Speaks Dovecot's auth client protocol (1.2, doc/auth-protocol.txt) on
#	the lab's auth socket, several AUTH requests pipelined on one
#	connection (distinct ids, "no-penalty": no anvil delay):
#
#	ordering: six app-password logins (each a store commit, run by the
#	plugin's worker thread; an HMAC check since issue 19, yescrypt
#	before) then two logins mfa answers without its
#	store (an exempt network; a service not in services=). Both cheap
#	replies must arrive before the last app-password reply. Not a timing
#	check, an ordering one: a synchronous passdb answers one connection's
#	requests strictly in order (the plugin before the worker thread fails
#	this case: checked when it was written).
#	replay: 12 users, each user's current code sent by 4 concurrent
#	clients (48 logins in flight): exactly one success per user.
#	gave up: a client sends 3 app-password logins and hangs up at once;
#	each is still decided and logged, Dovecot does not crash, and the
#	next login works.
#	shutdown: 8 app-password logins queued, the auth process gets
#	SIGTERM after the first reply: each queued login is answered (logged
#	as ok, or tempfail "shutting down"), no panic or crash, and the
#	restarted auth process serves logins.
set -u
. "$(dirname "$0")/../lab/lib.sh"
B=${B:-build}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SO=$REPO/$B/dovecot-mfa-plugin/libauthdb_mfa.so
CLI=$REPO/$B/dovecot-mfa-plugin/messec-mfa
EXEMPT_NET=198.51.100.0/24

lab_require "prerequisites" ip dovecot python3 openssl || lab_finish
[ -x "$CLI" ] && [ -r "$SO" ] || { fail "plugin and CLI built" "run make B=$B first ($SO)"; lab_finish; }

. "$(dirname "$0")/mfa.bash"
mfa_lab_up_lmdb "max_failures=1000 ip_max_failures=1000 exempt_nets=$EXEMPT_NET services=imap,pop3,smtp"

# Twelve more users in the lab's passwd-file (Dovecot re-reads it when it
# changes), each enrolled; their secrets go to the client in a file.
users=$tmp/users.tsv
: >"$users"
for i in $(seq -w 1 12); do
	u=user$i@$LAB_DOMAIN p=pw-$i-lab
	echo "$u:{SHA512-CRYPT}$(openssl passwd -6 "$p")::::::" >>"$LAB_DIR/dovecot/users"
	out=$(mfa enroll "$u" --no-qr 2>&1)
	s=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	[ -n "$s" ] || { fail "enroll $u" "$out"; lab_finish; }
	printf '%s\t%s\t%s\n' "$u" "$p" "$s" >>"$users"
done
mfa enroll "$LAB_ALICE" --no-qr >/dev/null 2>&1 || { fail "enroll alice" "CLI failed"; lab_finish; }
app=$(mfa app-password add "$LAB_ALICE" bench | tail -n 1)
[[ $app == ????-????-* ]] && ok "setup: 12 users enrolled, an app password for alice" ||
	{ fail "setup: app password for alice" "$app"; lab_finish; }

# client MODE: the auth protocol client below; prints "ok NAME" or
# "not ok NAME # why" lines, turned into TAP by the loop.
client() {
	lab_exec python3 - "$1" "$LAB_DOVECOT_AUTH_SOCKET" "$users" "$LAB_ALICE" "$app" \
		"$LAB_BOB" "$LAB_BOB_PASSWORD" "$LAB_CAROL" "$LAB_CAROL_PASSWORD" <<'PY'
import base64, hashlib, hmac, os, socket, struct, sys, threading, time

mode, path, users_file, alice, app, bob, bob_pw, carol, carol_pw = sys.argv[1:10]


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


class Conn:
    n = 0

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(60)
        self.s.connect(path)
        self.buf = b""
        Conn.n += 1
        self.s.sendall(b"VERSION\t1\t2\nCPID\t%d\n" % (os.getpid() * 100 + Conn.n))
        while self.line() != "DONE":
            pass

    def line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("utf-8", "replace")

    @staticmethod
    def auth(rid, user, pw, rip, service="imap"):
        resp = base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode())
        return (b"AUTH\t%d\tPLAIN\tservice=%s\tsecured\tno-penalty\tlip=127.0.0.1\t"
                b"rip=%s\tresp=%s\n" % (rid, service.encode(), rip.encode(), resp))

    def replies(self, count):
        """[(id, 'OK'|'FAIL'|...)] in arrival order, up to count or EOF."""
        out = []
        while len(out) < count:
            line = self.line()
            if line is None:
                break
            f = line.split("\t")
            if len(f) >= 2 and f[0] in ("OK", "FAIL", "CONT"):
                out.append((int(f[1]), f[0]))
        return out


def result(ok, name, why=""):
    print(("ok %s" % name) if ok else ("not ok %s # %s" % (name, why)), flush=True)


if mode == "order":
    c = Conn()
    apps = 6
    lines = [Conn.auth(i, alice, app, "192.0.2.%d" % (10 + i)) for i in range(1, apps + 1)]
    lines.append(Conn.auth(apps + 1, bob, bob_pw, "198.51.100.7"))
    lines.append(Conn.auth(apps + 2, carol, carol_pw, "192.0.2.30", "sieve"))
    c.s.sendall(b"".join(lines))
    got = c.replies(apps + 2)
    order = [rid for rid, _ in got]
    res = dict(got)
    result(len(got) == apps + 2 and all(v == "OK" for v in res.values()),
           "ordering: all 8 pipelined logins succeed", "replies %s" % got)
    last_app = order.index(apps) if apps in order else -1
    for rid, name in ((apps + 1, "exempt network"), (apps + 2, "service not covered")):
        pos = order.index(rid) if rid in order else 99
        result(last_app >= 0 and pos < last_app,
               "ordering: the %s login is answered before the last app-password login" % name,
               "reply order %s" % order)
elif mode == "replay":
    users = [l.rstrip("\n").split("\t") for l in open(users_file) if l.strip()]
    clients = 4
    codes = {u: totp(s) for u, _, s in users}
    results = [None] * clients

    def run(k):
        c = Conn()
        c.s.sendall(b"".join(Conn.auth(i + 1, u, p + codes[u], "192.0.2.%d" % (40 + k))
                             for i, (u, p, _) in enumerate(users)))
        results[k] = c.replies(len(users))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = {u: 0 for u, _, _ in users}
    answered = 0
    for got in results:
        for rid, verdict in got or []:
            answered += 1
            if verdict == "OK":
                wins[users[rid - 1][0]] += 1
    result(answered == clients * len(users),
           "replay: %d concurrent TOTP logins all answered" % (clients * len(users)),
           "%d answered" % answered)
    bad = {u: n for u, n in wins.items() if n != 1}
    result(not bad, "replay: each user's code accepted exactly once over %d clients" % clients,
           "successes %s" % bad)
elif mode == "giveup":
    c = Conn()
    c.s.sendall(b"".join(Conn.auth(i, alice, app, "192.0.2.%d" % (60 + i)) for i in (1, 2, 3)))
    c.s.close()
    print("sent", flush=True)
elif mode == "shutdown":
    c = Conn()
    c.s.sendall(b"".join(Conn.auth(i, alice, app, "192.0.2.%d" % (70 + i)) for i in range(1, 9)))
    first = c.replies(1)
    print("first %s" % first, flush=True)
    sys.stdout.close()
    try:
        c.replies(7)
    except OSError:
        pass    # the auth process went away under it: that is the case
elif mode == "one":
    c = Conn()
    c.s.sendall(Conn.auth(1, alice, app, "192.0.2.90"))
    got = c.replies(1)
    result(got == [(1, "OK")], "after: a new login succeeds", "reply %s" % got)
PY
}
report() {
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) l=${line#not ok }; fail "${l%% # *}" "${l#* # }" ;;
		esac
	done
}
# client_cases MODE [LABEL]: run the client, report its lines (LABEL goes
# into "after:" names), and fail when it does not exit 0: a client that
# raises must not just lose its cases.
client_cases() {
	local out rc
	out=$(client "$1" 2>&1)
	rc=$?
	[ -n "${2:-}" ] && out=$(printf '%s\n' "$out" | sed "s/ after: / $2, after: /")
	report <<<"$out"
	[ "$rc" -eq 0 ] || fail "$1: the protocol client ran to its end" \
		"exit $rc: $(printf '%s\n' "$out" | grep -v '^ok ' | tail -n 3)"
}
no_crash() {
	if grep -qE "Panic|Fatal|killed with signal|Assertion|assertion failed" "$LAB_DOVECOT_LOG"; then
		fail "$1: no panic, fatal or crash in Dovecot's log" \
			"$(grep -E 'Panic|Fatal|signal|ssertion' "$LAB_DOVECOT_LOG" | head -3)"
	else
		ok "$1: no panic, fatal or crash in Dovecot's log"
	fi
}

client_cases order
lab_wait_dovecot_log "$(dblog mfa "$LAB_BOB" "198.51.100.7")mfa: pass-through: exempt network" 10 &&
	ok "ordering: the exempt login was decided by mfa (pass-through)" ||
	fail "ordering: the exempt login was decided by mfa (pass-through)" "no log line"

client_cases replay

out=$(client giveup 2>&1) || fail "giveup: the protocol client ran to its end" "$out"
for i in 1 2 3; do
	lab_wait_dovecot_log "$(dblog mfa "$LAB_ALICE" "192.0.2.6$i")mfa: ok: app password" 20 ||
		{ fail "gave up: each login still decided and logged" "none for 192.0.2.6$i"; break; }
	[ "$i" = 3 ] && ok "gave up: each login still decided and logged"
done
client_cases one "gave up"
no_crash "gave up"

master=$(cat "$LAB_DIR/pids/dovecot.pid")
# The auth process (comm "auth", title "<instance>/auth"), not an auth worker.
auth=$(ps --ppid "$master" -o pid=,comm=,args= | awk '$2 == "auth" && !/worker/ { print $1; exit }')
[ -n "$auth" ] || { fail "shutdown: auth process found" "no child 'auth' of $master"; lab_finish; }
exec 3< <(client shutdown 2>&1)
shutdown_client=$!
read -r -t 60 first <&3
[[ $first == "first [(1, 'OK')]" ]] && ok "shutdown: first queued login answered" ||
	fail "shutdown: first queued login answered" "$first"
kill -TERM "$auth"
answered=0
for i in 1 2 3 4 5 6 7 8; do
	lab_wait_dovecot_log "$(dblog mfa "$LAB_ALICE" "192.0.2.7$i")mfa: (ok: app password|tempfail: auth process shutting down)" 20 &&
		answered=$((answered + 1))
done
exec 3<&-
wait "$shutdown_client" || fail "shutdown: the protocol client ran to its end" "exit $?"
echo "# shutdown: $(grep -cE "192\.0\.2\.7[1-8][,)].*mfa: ok" "$LAB_DOVECOT_LOG") decided," \
	"$(grep -cE "192\.0\.2\.7[1-8][,)].*shutting down" "$LAB_DOVECOT_LOG") failed as shutting down"
[ "$answered" = 8 ] && ok "shutdown: every queued login answered (ok or tempfail)" ||
	fail "shutdown: every queued login answered (ok or tempfail)" "$answered of 8 in the log"
for _ in $(seq 50); do kill -0 "$auth" 2>/dev/null || break; sleep 0.2; done
kill -0 "$auth" 2>/dev/null && fail "shutdown: auth process exited" "pid $auth still there" ||
	ok "shutdown: auth process exited"
client_cases one shutdown
no_crash "shutdown"

lab_finish
