#!/bin/bash
# NAME
#	52-mfa-redis.sh - two Dovecot hosts share replay and lockout state
#	through one Redis (mfa passdb, store=redis://...)
# DESCRIPTION
#	One private redis-server (unix socket only, AOF with fsync always, run
#	as the dovecot user) in a temp directory both labs can reach, and TWO
#	labs (two network namespaces, two real Dovecots), each with the mfa
#	passdb on that Redis and its own copy of one key file (hosts sharing
#	a Redis must share the key file). Users are enrolled with the real
#	CLI against Redis; codes are computed here (RFC 6238, python3 hmac).
#	Cases: a code accepted on A is a replay on B; failures spread over A
#	and B lock the user on both; a CLI unlock (on B) clears it on both;
#	redis-server killed (by PID) -> [UNAVAILABLE] on both, never success;
#	restarted -> logins work again, the replay state survived; no secret
#	in Redis's files.
#
#	Every login comes from its own source address (192.0.2.100.., all
#	local on each lab's lo), so Dovecot's per-IP auth penalty (2..15 s per
#	login after a failure from the same address, even with
#	auth_failure_delay=0) never delays one. fresh() sets CODE in this
#	shell, never in $(...), so the last step used advances.
set -u
. "$(dirname "$0")/../lab/lib.sh"
B=${B:-build}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SO=$REPO/$B/dovecot-mfa-plugin/libauthdb_mfa.so
CLI=$REPO/$B/dovecot-mfa-plugin/messec-mfa

lab_require "prerequisites" ip dovecot python3 redis-server setpriv || lab_finish
[ -x "$CLI" ] && [ -r "$SO" ] || { fail "plugin and CLI built" "run make B=$B first ($SO)"; lab_finish; }

tmp=$(mktemp -d /tmp/mfa-redis-it.XXXXXX)
chmod 0755 "$tmp"	# the dovecot user must reach the socket below
RDIR=$tmp/redis
. "$(dirname "$0")/redis.bash"
redis_dir "$RDIR" dovecot dovecot --appendonly yes --appendfsync always	# SOCK
STORE="redis://$SOCK?db=2"
cleanup() { redis_kill; rm -rf "$tmp"; }
trap 'cleanup' EXIT

redis_start || { fail "redis-server starts" "no socket $SOCK: $(tail -n 3 "$RDIR/redis.log")"; lab_finish; }

# The same passdb block on both hosts; @LABDIR@ is each lab's directory.
# redis_timeout: the lab shares a small, busy machine with other tests;
# production keeps the default (docs/mfa.md). 200 ms was too short once:
# with AOF fsync always and other labs' builds on the disk, one write after
# the restart took longer (host B answered [UNAVAILABLE] to a valid code);
# no case here needs a short timeout (Redis down = refused at once).
. "$(dirname "$0")/mfa.bash"
passdb=$tmp/passdb.conf
mfa_passdb_conf "store=$STORE key_file=@LABDIR@/mfa/mfa.key redis_timeout=1000 max_failures=4 lockout=10m ip_max_failures=1000 issuer=messec-lab" "$passdb"

lab_up LAB_DOVECOT_AUTH_PLUGIN="$SO" LAB_DOVECOT_PASSDB_FIRST="$passdb"
trap 'exit_rc=$?; cleanup; lab_on_exit $exit_rc' EXIT
A_NS=$LAB_NS A_DIR=$LAB_DIR A_CA=$LAB_CA A_LOG=$LAB_DOVECOT_LOG
lab_up LAB_DOVECOT_AUTH_PLUGIN="$SO" LAB_DOVECOT_PASSDB_FIRST="$passdb"
B_NS=$LAB_NS B_DIR=$LAB_DIR B_CA=$LAB_CA B_LOG=$LAB_DOVECOT_LOG
[ "$A_NS" != "$B_NS" ] && ok "two labs (two Dovecots) up" || fail "two labs (two Dovecots) up" "same namespace"
install -d -o dovecot -g dovecot -m 0700 "$A_DIR/mfa" "$B_DIR/mfa"

# The CLI on host A creates the key (and mfa:meta in Redis); host B gets a copy.
mfa_a() { "$CLI" --store "$STORE" --key-file "$A_DIR/mfa/mfa.key" "$@"; }
mfa_b() { "$CLI" --store "$STORE" --key-file "$B_DIR/mfa/mfa.key" "$@"; }


# imap_a|imap_b USER PASSWORD: one IMAP login on host A|B from a new
# address; the client's output in R.
imap_a() {
	newsrc
	R=$(LAB_NS=$A_NS LAB_CA=$A_CA lab_mail imap-login --user "$1" --password "$2" --bind "$SRC" 2>&1)
}
imap_b() {
	newsrc
	R=$(LAB_NS=$B_NS LAB_CA=$B_CA lab_mail imap-login --user "$1" --password "$2" --bind "$SRC" 2>&1)
}

log_has() {	# NAME LOGFILE MARK REGEX
	if lab_wait 10 sh -c 'tail -c +$(($2 + 1)) "$1" | grep -qE -- "$3"' _ "$2" "$3" "$4"; then
		ok "$1"
	else
		fail "$1" "no '$4' in $(basename "$2")"
	fi
}

U=$LAB_ALICE; P=$LAB_ALICE_PASSWORD
# Bob for the Redis-down part: one user gets a new code only every 30 s.
U2=$LAB_BOB; P2=$LAB_BOB_PASSWORD

#
# Enrolment against Redis.
#
for u in "$U" "$U2"; do
	out=$(mfa_a enroll "$u" --no-qr 2>&1)
	SECRET[$u]=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	[ -n "${SECRET[$u]}" ] && ok "cli: enroll $u against redis (host A)" ||
		fail "cli: enroll $u against redis (host A)" "$out"
done
install -o dovecot -g dovecot -m 0600 "$A_DIR/mfa/mfa.key" "$B_DIR/mfa/mfa.key"
out=$(mfa_b status "$U" 2>&1)
[[ $out == *"$U"* ]] && ok "cli: host B sees the enrolment (same Redis, copied key)" ||
	fail "cli: host B sees the enrolment (same Redis, copied key)" "$out"

#
# Replay across hosts.
#
fresh "$U"; code=$CODE
imap_a "$U" "$P$code"
expect "host A: password + code" ok "$R"
mark=$(lab_log_mark "$B_LOG")
imap_b "$U" "$P$code"
expect "host B: the same code again is refused" no "$R"
log_has "host B: ... logged as replay" "$B_LOG" "$mark" "mfa: fail: code already used \(replay\)"

#
# Lockout with failures spread over both hosts (max_failures=4): the
# replay on B was failure 1.
#
imap_a "$U" "$P"
expect "host A: no code (failure 2)" no "$R"
imap_b "$U" "$P"
expect "host B: no code (failure 3)" no "$R"
mark=$(lab_log_mark "$A_LOG")
imap_a "$U" "$P"
expect "host A: no code (failure 4)" no "$R"
log_has "host A: ... the fourth failure (two on each host) locks the user" "$A_LOG" "$mark" "user locked for"
fresh "$U"; code=$CODE
mark=$(lab_log_mark "$B_LOG")
imap_b "$U" "$P$code"
expect "host B: locked, a valid code is refused" no "$R"
log_has "host B: ... refused as locked" "$B_LOG" "$mark" "mfa: fail: locked"
imap_a "$U" "$P$code"
expect "host A: locked, a valid code is refused" no "$R"

#
# Unlock with the CLI on host B: clears it for both hosts.
#
out=$(mfa_b unlock "$U" 2>&1) && ok "cli: unlock (host B)" || fail "cli: unlock (host B)" "$out"
fresh "$U"; code=$CODE
imap_a "$U" "$P$code"
expect "host A: after unlock, password + code" ok "$R"
fresh "$U"; code=$CODE
imap_b "$U" "$P$code"
expect "host B: after unlock, password + code" ok "$R"

#
# No secret in Redis's files (AOF): only the AES-GCM sealed record.
#
if out=$(python3 - "${SECRET[$U]}" "$RDIR" "$U" 2>&1 <<'PY'
import base64, os, sys
s, top, user = sys.argv[1:4]
raw = base64.b32decode(s + "=" * (-len(s) % 8))
seen = False
for root, _, files in os.walk(top):
    for f in files:
        path = os.path.join(root, f)
        if not os.path.isfile(path):
            continue	# the socket
        data = open(path, "rb").read()
        seen = seen or ("mfa:u:" + user).encode() in data
        if raw in data or s.encode() in data:
            sys.exit("secret in " + path)
if not seen:
    sys.exit("no user record in Redis's files: nothing was checked")
PY
); then ok "redis files hold the user record but no secret (sealed at rest)"
else fail "redis files hold the user record but no secret (sealed at rest)" "$out"; fi

#
# Redis down: temporary failure on both hosts, never success.
#
redis_kill
fresh "$U2"; code=$CODE
mark=$(lab_log_mark "$A_LOG")
imap_a "$U2" "$P2$code"
expect "redis down: host A answers [UNAVAILABLE] (right password + code)" unavail "$R"
log_has "redis down: ... host A logs the store error" "$A_LOG" "$mark" "mfa: tempfail: .*redis"
imap_b "$U2" "$P2$code"
expect "redis down: host B answers [UNAVAILABLE] (right password + code)" unavail "$R"
out=$(mfa_b status "$U2" 2>&1) && fail "redis down: cli fails" "$out" || ok "redis down: cli fails"

#
# Redis back (same AOF): works again, and the state survived.
#
redis_start || fail "redis-server restarts" "$(tail -n 3 "$RDIR/redis.log")"
imap_a "$U2" "$P2$code"
expect "redis back: host A, password + code" ok "$R"
imap_b "$U2" "$P2$code"
expect "redis back: host B, the same code is a replay" no "$R"
fresh "$U2"; code=$CODE
imap_b "$U2" "$P2$code"
expect "redis back: host B, password + next code" ok "$R"

lab_finish
