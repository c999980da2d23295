#!/bin/bash
# NAME
#	43-milter-av-robustness.sh - hostile milter protocol input, engine failures
# DESCRIPTION
#	Runs messec-milter-av on a unix socket in a private temp dir, in a
#	network namespace of its own (unshare -n), on the tests' own signature
#	database. tests/milter_client.py sends what a broken or hostile MTA
#	could send (MAIL with no CONNECT, HEADER before MAIL, EOM with
#	nothing -- callbacks in any order, with no private data --, 1 MB body
#	packets, ABORT mid-header, garbage, truncated packets, 1000
#	connections), checking after each case that a normal transaction is
#	still accepted with X-Virus-Status: clean; as an old MTA and as one
#	that offers no-reply steps like Postfix. Then the failure semantics:
#	a database directory with no signatures -> every message tempfailed
#	(error_action = tempfail), never accepted; error_action = accept ->
#	accepted with X-Virus-Status: unscanned (...); SIGHUP after the
#	database appears -> clean verdicts again; a database replaced by a
#	broken one -> the old engine is kept (logged) and still detects.
set -u
. "$(dirname "$0")/milter.bash"
BIN=$B/milter-av/messec-milter-av
GEN=$(dirname "$0")/av_messages.py
milter_robust_setup messec-av-robust "$BIN"	# dir, pid (30 does the same)
mkdir "$dir/db" "$dir/empty"
python3 "$GEN" db "$dir/db"

write_conf() {	# $1 database dir, $2... extra lines
	local db=$1
	shift
	{
		echo "socket = unix:$dir/av.sock"
		echo "user ="
		echo "pid_file = $dir/av.pid"
		echo "database_dir = $db"
		echo "spool_dir = $dir"
		echo "memory_spool_max = 64K"
		echo "max_message_size = 20M"
		echo "reload_check_interval = 0"
		local l
		for l in "$@"; do echo "$l"; done
	} >"$dir/av.conf"
}

start() { milter_robust_start "$BIN" "$dir/av.conf" "$dir/av.sock"; }

stop() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	rm -f "$dir/av.sock"
	return $rc
}

# One transaction; prints the final reply letter and the X-Virus-Status values.
probe() {	# $1 body text
	python3 - "$dir/av.sock" "$(dirname "$0")/.." "$1" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import milter_client as mc
m = mc.Milter(sys.argv[1])
m.negotiate()
m.connect('mail.example.org', '192.0.2.10')
m.helo('mail.example.org')
m.mail('bob@example.org')
m.rcpt('alice@example.net')
m.call(mc.C_DATA)
m.header('From', 'bob@example.org')
m.header('Subject', 'probe')
m.eoh()
m.body(sys.argv[3].encode() + b'\r\n')
r = m.eom()
m.close()
print(mc.final(r), '|'.join(mc.ar_headers(r, b'x-virus-status')), r[-1][1][:120])
PY
}

write_conf "$dir/db"
if start; then
	ok "milter starts on a unix socket with the test database"
else
	fail "milter starts on a unix socket with the test database" "$(tail -n 5 "$dir/milter.log")"
	lab_finish
fi

# milter_client (milter.bash): its TAP lines are this script's cases.
MILTER_CLIENT_ARGS=(--socket "$dir/av.sock" --authserv-id clean --check-header X-Virus-Status --generic)
milter_client --connections 1000
milter_client --connections 200 --no-reply

out=$(probe "MESSEC-AV-TEST-BODY-SIGNATURE-7F3A")
[[ $out == y*"554 5.7.1"*Messec.Test.Body* ]] && ok "raw protocol: body signature rejected 554 5.7.1" ||
	fail "raw protocol: body signature rejected 554 5.7.1" "$out"
stop && ok "SIGTERM: clean exit" || fail "SIGTERM: clean exit" "status $?"

# No signatures: the engine is not loaded.
write_conf "$dir/empty"
start || { fail "milter starts with an empty database dir" "$(tail -n 5 "$dir/milter.log")"; lab_finish; }
grep -q "engine load: cannot load the databases in $dir/empty.*no engine: messages get error_action" "$dir/milter.log" &&
	ok "empty database dir: the load failure is logged, the milter serves" ||
	fail "empty database dir: the load failure is logged" "$(tail -n 3 "$dir/milter.log")"
out=$(probe "hello")
[[ $out == y*"451 4.3.0"*"no virus database loaded"* ]] && ok "no engine: tempfail 451 (error_action = tempfail)" ||
	fail "no engine: tempfail 451" "$out"
# The database appears; SIGHUP loads it.
cp "$dir/db"/* "$dir/empty/"
kill -HUP "$pid"
lab_wait_log "$dir/milter.log" "engine reload \(SIGHUP\): ClamAV" 20
out=$(probe "hello")
[[ $out == a*clean* ]] && ok "SIGHUP after the database appeared: engine loaded, clean accepted" ||
	fail "SIGHUP after the database appeared: engine loaded" "$out $(tail -n 3 "$dir/milter.log")"
# A broken database: the reload fails, the old engine stays.
echo "broken line" >"$dir/empty/bad.ndb"
kill -HUP "$pid"
lab_wait_log "$dir/milter.log" "engine reload \(SIGHUP\): .*Malformed database; keeping the previous engine" 20
out=$(probe "MESSEC-AV-TEST-BODY-SIGNATURE-7F3A")
if grep -q "engine reload (SIGHUP): .*Malformed database; keeping the previous engine" "$dir/milter.log" && [[ $out == y*"554 5.7.1"*Messec.Test.Body* ]]; then
	ok "broken database on reload: logged, the old engine kept and still detects"
else
	fail "broken database on reload: old engine kept" "$out $(tail -n 3 "$dir/milter.log")"
fi
stop || true

# Low-memory reload: the old engine is dropped first, then the new one loads.
write_conf "$dir/db" "reload_mode = low_memory"
start || { fail "milter starts with reload_mode = low_memory" "$(tail -n 5 "$dir/milter.log")"; lab_finish; }
mark=$(lab_log_mark "$dir/milter.log")
kill -HUP "$pid"
if lab_wait_log_since "$dir/milter.log" "$mark" "engine reload \(SIGHUP\): ClamAV" 20 &&
	tail -c +"$((mark + 1))" "$dir/milter.log" |
	grep -q "engine reload (SIGHUP): low-memory mode, old engine dropped first"; then
	out=$(probe "MESSEC-AV-TEST-BODY-SIGNATURE-7F3A")
	[[ $out == y*"554 5.7.1"*Messec.Test.Body* ]] &&
		ok "reload_mode = low_memory: old engine dropped first, new one loaded and detecting" ||
		fail "reload_mode = low_memory: new engine detects" "$out"
else
	fail "reload_mode = low_memory: old engine dropped first, new one loaded" "$(tail -n 4 "$dir/milter.log")"
fi
stop || true

write_conf "$dir/nonexistent" "error_action = accept"
start || { fail "milter starts with error_action = accept" "$(tail -n 5 "$dir/milter.log")"; lab_finish; }
out=$(probe "hello")
[[ $out == a*"unscanned (no virus database loaded)"* ]] &&
	ok "no engine, error_action = accept: accepted only with X-Virus-Status: unscanned" ||
	fail "no engine, error_action = accept: tagged unscanned" "$out"
stop || true
lab_sanitizer_check "no sanitizer report" "$BIN" "$dir/milter.log"
lab_finish
