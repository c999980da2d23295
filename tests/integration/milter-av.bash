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
#	the lab namespace as nobody after binding its socket. What these
#	share with the 3x milter-auth tests is in milter.bash.
. "$(dirname "${BASH_SOURCE[0]}")/milter.bash"
# MESSEC_MILTER_AV_BIN runs another binary (the installed package's:
# tests/packages/70-debian-packages.sh).
AV_BIN=${MESSEC_MILTER_AV_BIN:-$B/milter-av/messec-milter-av}
AV_GEN=$(dirname "${BASH_SOURCE[0]}")/av_messages.py
AV_TMP=$(mktemp -d /tmp/messec-av-lab.XXXXXX)
AV_DB=$AV_TMP/db
chmod 755 "$AV_TMP"
trap 'rm -rf "$AV_TMP"' EXIT	# lab_up keeps this trap and runs it first

av_write_conf() {
	milter_write_conf "$AV_TMP/milter-av.conf" "$LAB_DIR/av.sock" \
		"database_dir = $AV_DB" "spool_dir = $AV_TMP/spool" "memory_spool_max = 64K" \
		"reload_check_interval = 1s" "$@"
}

# av_start: milter_start (over a stale socket, wait until it accepts).
av_start() {
	milter_start "milter-av starts" milter-av "$LAB_DIR/av.sock" 20 \
		"$AV_BIN" -f -c "$AV_TMP/milter-av.conf"
	local rc=$?
	AV_PID=$MILTER_PID AV_LOG=$MILTER_LOG
	return $rc
}

# av_reload [LINES...]: rewrite the config (av_write_conf LINES), SIGHUP,
# wait until the milter logs its reload (the new config is then in use).
av_reload() {
	local mark
	mark=$(lab_log_mark "$AV_LOG")
	av_write_conf "$@"
	kill -HUP "$AV_PID"
	lab_wait_log_since "$AV_LOG" "$mark" "engine reload \(SIGHUP\)" 20 ||
		fail "SIGHUP reload" "$(tail -n 3 "$AV_LOG")"
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

av_fetch() { milter_fetch "$@"; }
av_not_delivered() { milter_not_delivered "$@"; }

av_finish() {
	milter_stop milter-av "${AV_PID:-}" "$AV_BIN" "${AV_LOG:-}"
	lab_finish
}
