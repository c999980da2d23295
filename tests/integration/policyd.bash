# NAME
#	tests/integration/policyd.bash - shared set-up of the 7x-policyd lab tests
# SYNOPSIS
#	. "$(dirname "$0")/policyd.bash"
#	pd_lab_up PORT    # the lab, Postfix asking policyd at inet:127.0.0.1:PORT;
#	                  # PD (the binary), port, cfgdir (a temp dir, removed at exit)
#	pd_redis_lab_up   # the lab (no policy hook) and a private redis-server
#	                  # (redis.bash: SOCK, REDIS_PID, redis_kill/start), PD,
#	                  # tmp (a temp dir, removed at exit); one TAP case
#	pd_ask PORT name=value...   # one request to 127.0.0.1:PORT (policy
#	                  # protocol, in the lab netns); prints the answer line
# DESCRIPTION
#	Not a test itself (no .sh suffix). The config written to cfgdir must
#	be readable by the daemon's user (nobody): cfgdir is 0755.
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
B=${B:-build}
# MESSEC_POLICYD_BIN runs another binary (the installed package's:
# tests/packages/70-debian-packages.sh).
PD=${MESSEC_POLICYD_BIN:-$B/policyd/messec-policyd}

pd_lab_up() {
	[ -x "$PD" ] || fail "policyd is built" "$PD missing (make)"
	port=$1
	lab_up LAB_POLICY="inet:127.0.0.1:$port"
	cfgdir=$(mktemp -d)
	chmod 755 "$cfgdir"
	trap 'st=$?; rm -rf "$cfgdir"; lab_on_exit $st' EXIT
}

pd_redis_lab_up() {
	lab_require "prerequisites" redis-server setpriv || lab_finish
	[ -x "$PD" ] || { fail "policyd is built" "$PD missing (make)"; lab_finish; }
	lab_up
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	. "$(dirname "${BASH_SOURCE[0]}")/redis.bash"
	redis_dir "$tmp/redis" nobody nogroup --appendonly no	# SOCK
	trap 'st=$?; redis_kill; rm -rf "$tmp"; lab_on_exit $st' EXIT
	redis_start && ok "redis-server starts in the lab" ||
		fail "redis-server starts in the lab" "$(tail -n 3 "$tmp/redis/redis.log")"
}

pd_ask() {
	local port=$1
	shift
	lab_exec "$LAB_PY" "$LAB_LIB_DIR/../policy_client.py" "127.0.0.1:$port" "$@" 2>&1
}
