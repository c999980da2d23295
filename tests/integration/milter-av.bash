# NAME
#	tests/integration/milter-av.bash - shared steps of the 6x-milter-av lab tests
# SYNOPSIS
#	. "$(dirname "$0")/milter-av.bash"
#	av_lab_up [extra config lines]   # lab + test database + the milter on port 25
#	av_msg KIND SUBJECT              # an .eml (av_messages.py) in AV_TMP; prints its path
#	av_send FILE                     # send on port 25 from an "Internet" address; AV_REPLY
#	av_fetch TOKEN [COUNT]           # delivered message(s) with Subject TOKEN (IMAP)
#	av_not_delivered TOKEN           # IMAP works and no such message is in the INBOX
#	av_finish                        # SIGTERM, sanitizer check, lab_finish
# DESCRIPTION
#	Not a test itself (no .sh suffix). The official ClamAV databases need
#	the Internet: av_lab_up writes the tests' own database (EICAR,
#	Messec.Test.Hash, Messec.Test.Body: av_messages.py db) into
#	AV_DB, readable by the milter's user (nobody). The milter runs inside
#	the lab namespace as nobody after binding its socket.
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
B=${B:-build}
# MESSEC_MILTER_AV_BIN runs another binary (the installed package's:
# tests/packages/70-debian-packages.sh).
AV_BIN=${MESSEC_MILTER_AV_BIN:-$B/milter-av/messec-milter-av}
AV_GEN=$(dirname "${BASH_SOURCE[0]}")/av_messages.py
AV_TMP=$(mktemp -d /tmp/messec-av-lab.XXXXXX)
AV_DB=$AV_TMP/db
chmod 755 "$AV_TMP"
trap 'rm -rf "$AV_TMP"' EXIT	# lab_up keeps this trap and runs it first

av_write_conf() {
	{
		echo "socket = unix:$LAB_DIR/av.sock"
		echo "socket_mode = 0666"
		echo "user = nobody"
		echo "pid_file ="
		echo "log_level = info"
		echo "database_dir = $AV_DB"
		echo "spool_dir = $AV_TMP/spool"
		echo "memory_spool_max = 64K"
		echo "reload_check_interval = 1s"
		local l
		for l in "$@"; do echo "$l"; done
	} >"$AV_TMP/milter-av.conf"
	chmod 644 "$AV_TMP/milter-av.conf"
}

av_accepts() {
	"$LAB_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])' "$LAB_DIR/av.sock"
}

# av_start: start over whatever a previous process left at the socket path.
av_start() {
	lab_spawn milter-av -- "$AV_BIN" -f -c "$AV_TMP/milter-av.conf" >/dev/null ||
		{ fail "milter-av starts" "spawn failed: $(tail -n 5 "$LAB_DIR/milter-av.log")"; return 1; }
	AV_PID=$(cat "$LAB_DIR/pids/milter-av.pid")
	AV_LOG=$LAB_DIR/milter-av.log
	lab_wait 20 av_accepts ||
		{ fail "milter-av starts" "socket does not accept: $(tail -n 5 "$AV_LOG")"; return 1; }
	kill -0 "$AV_PID" 2>/dev/null ||
		{ fail "milter-av starts" "pid $AV_PID gone: $(tail -n 5 "$AV_LOG")"; return 1; }
}

av_lab_up() {
	lab_require "milter-av lab prerequisites" python3 || lab_finish
	[ -x "$AV_BIN" ] || { fail "milter binary built" "$AV_BIN missing"; lab_finish; }
	mkdir -p "$AV_DB" "$AV_TMP/spool"
	chmod 1777 "$AV_TMP/spool"
	"$LAB_PY" "$AV_GEN" db "$AV_DB"
	chmod 755 "$AV_DB"
	chmod 644 "$AV_DB"/*
	lab_up LAB_MILTERS='unix:@LABDIR@/av.sock'
	av_write_conf "$@"
	av_start || lab_finish
}

av_msg() {
	local f=$AV_TMP/$2.eml
	"$LAB_PY" "$AV_GEN" msg "$1" "$2" "$f" && echo "$f"
}

av_send() {
	AV_REPLY=$(lab_mail send --bind "$LAB_OUT_GOOD" --from bob@sender.example --to "$LAB_ALICE" \
		--file "$1" 2>&1 | tail -n 3 | tr '\n' ' ')
}

av_fetch() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--search "SUBJECT $1" --count "${2:-1}" --wait 15 2>/dev/null
}

av_not_delivered() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
		--search "SUBJECT $1" --count 1 >/dev/null 2>&1
	[ $? -eq 4 ]
}

av_finish() {
	if [ -n "${AV_PID:-}" ] && kill -0 "$AV_PID" 2>/dev/null; then
		kill -TERM "$AV_PID"
		lab_wait 30 sh -c "! kill -0 $AV_PID 2>/dev/null" ||
			fail "milter-av stops on SIGTERM" "still running after 30 s"
	fi
	[ -n "${AV_LOG:-}" ] && lab_sanitizer_check "no sanitizer report in the milter-av log" "$AV_BIN" "$AV_LOG"
	lab_finish
}
