# NAME
#	tests/integration/policyd.bash - shared steps of the 7x-policyd lab tests
# SYNOPSIS
#	. "$(dirname "$0")/policyd.bash"    # after tests/lab/lib.sh
#	pd_redis_start DIR     # redis-server as nobody on DIR/redis/redis.sock
#	                       # (SOCK), no persistence; REDIS_PID; 0 once up
#	pd_redis_kill          # kill it by PID (continued first if stopped)
# DESCRIPTION
#	Not a test itself (no .sh suffix: tests/run does not run it). The
#	Redis server runs in the test's shell (not in the netns: it only
#	listens on a unix socket, which the lab's daemons reach through the
#	file system), as nobody, like the policyd instances it serves.

pd_redis_start() {
	local dir=$1
	install -d -o nobody -m 0700 "$dir/redis"
	SOCK=$dir/redis/redis.sock
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --dir "$dir/redis" \
		--save '' --appendonly no --logfile "$dir/redis/redis.log" --daemonize no &
	REDIS_PID=$!
	lab_wait 20 test -S "$SOCK"
}

pd_redis_kill() {
	[ -n "${REDIS_PID:-}" ] || return 0
	kill -CONT "$REDIS_PID" 2>/dev/null
	kill -KILL "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
	rm -f "$SOCK"
}
