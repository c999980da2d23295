# NAME
#	tests/integration/redis.bash - a private redis-server for a lab test (52, 72)
# SYNOPSIS
#	. "$(dirname "$0")/redis.bash"      # after tests/lab/lib.sh
#	redis_dir DIR USER GROUP [ARGS...]  # DIR (0700, USER's), SOCK=DIR/redis.sock; ARGS for redis-server
#	redis_start                         # run it as USER:GROUP; REDIS_PID; waits for SOCK
#	redis_kill                          # SIGKILL (by PID), wait, remove SOCK; safe when not running
# DESCRIPTION
#	Not a test itself (no .sh suffix). The server listens on a unix socket
#	only (--port 0: nothing on the network), keeps no RDB snapshot, logs to
#	DIR/redis.log and runs unprivileged (setpriv), so a test may kill and
#	restart it by its PID.
REDIS_PID=

redis_dir() {
	REDIS_DIR=$1 REDIS_USER=$2 REDIS_GROUP=$3
	shift 3
	REDIS_ARGS=("$@")
	install -d -o "$REDIS_USER" -g "$REDIS_GROUP" -m 0700 "$REDIS_DIR"
	SOCK=$REDIS_DIR/redis.sock
}

redis_start() {
	setpriv --reuid="$REDIS_USER" --regid="$REDIS_GROUP" --clear-groups \
		redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
		--dir "$REDIS_DIR" --save '' "${REDIS_ARGS[@]}" \
		--logfile "$REDIS_DIR/redis.log" --daemonize no &
	REDIS_PID=$!
	lab_wait 20 test -S "$SOCK"
}

redis_kill() {
	[ -n "$REDIS_PID" ] || return 0
	kill -KILL "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
	rm -f "$SOCK"
}
