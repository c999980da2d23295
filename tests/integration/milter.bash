# NAME
#	tests/integration/milter.bash - steps shared by the milter lab tests (3x auth, 4x av)
# SYNOPSIS
#	. "$(dirname "${BASH_SOURCE[0]}")/milter.bash"	# from milter-auth.bash, milter-av.bash
#	milter_write_conf FILE SOCK [LINES...]     # config head every milter test uses, then LINES
#	milter_accepts SOCK                        # the unix socket accepts a connection
#	milter_start LABEL NAME SOCK SECS BIN ARGS # lab_spawn NAME; MILTER_PID, MILTER_LOG
#	milter_stop LABEL PID BIN LOG              # SIGTERM, wait, sanitizer check of LOG
#	milter_fetch TOKEN [COUNT]                 # delivered message(s) with Subject TOKEN (IMAP)
#	milter_not_delivered TOKEN                 # IMAP works and no such message is in the INBOX
#	milter_send_bg TMP N SEND                  # N mails in the background; TMP/replies, MILTER_SENDER
#	milter_kill_redelivery ...                 # the kill -9 while mail flows case (35, 41)
#
#	Outside the lab (30, 43: unshare -n, no Postfix):
#	milter_robust_setup PREFIX BIN             # prerequisites, $dir, $pid, cleanup trap
#	milter_robust_start CONF SOCK              # BIN in its own netns; $pid; waits for SOCK
#	milter_client ARGS...                      # tests/milter_client.py, its TAP lines are ours
# DESCRIPTION
#	Not a test itself (no .sh suffix: tests/run does not run it).
#	milter-auth.bash and milter-av.bash source it and keep their ma_* and
#	av_* names as thin wrappers (the tests call those).
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
B=${B:-build}

# milter_write_conf FILE SOCK [LINES...]: a milter config with the lab's
# socket (world-connectable: Postfix runs as postfix), user nobody, no pid
# file, then LINES.
milter_write_conf() {
	local file=$1 sock=$2 l
	shift 2
	{
		echo "socket = unix:$sock"
		echo "socket_mode = 0666"
		echo "user = nobody"
		echo "pid_file ="
		echo "log_level = info"
		for l in "$@"; do echo "$l"; done
	} >"$file"
	chmod 644 "$file"
}

# milter_accepts SOCK: the socket accepts a connection (a socket file left
# by a dead process exists but refuses).
milter_accepts() {
	"$LAB_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])' "$1"
}

# milter_start LABEL NAME SOCK SECS BIN ARGS...: start the milter the way
# an admin's unit does, over whatever a previous process left at SOCK
# (nothing is removed first: the daemon must deal with a stale socket
# itself), then wait up to SECS until SOCK accepts connections. LABEL
# names the failing case. Sets MILTER_PID and MILTER_LOG (also on failure).
milter_start() {
	local label=$1 name=$2 sock=$3 secs=$4
	shift 4
	MILTER_PID= MILTER_LOG=$LAB_DIR/$name.log
	lab_spawn "$name" -- "$@" >/dev/null ||
		{ fail "$label" "spawn failed: $(tail -n 5 "$MILTER_LOG")"; return 1; }
	MILTER_PID=$(cat "$LAB_DIR/pids/$name.pid")
	lab_wait "$secs" milter_accepts "$sock" ||
		{ fail "$label" "socket does not accept: $(tail -n 5 "$MILTER_LOG")"; return 1; }
	kill -0 "$MILTER_PID" 2>/dev/null ||
		{ fail "$label" "pid $MILTER_PID gone: $(tail -n 5 "$MILTER_LOG")"; return 1; }
}

# milter_stop LABEL PID BIN LOG: SIGTERM (clean exit: LeakSanitizer runs
# in an ASan build), then LOG's sanitizer check (a skip in a build
# without sanitizers). LABEL: "NAME" in "NAME stops on SIGTERM" and
# "no sanitizer report in the NAME log".
milter_stop() {
	local label=$1 pid=$2 bin=$3 log=$4
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		lab_wait 30 sh -c "! kill -0 $pid 2>/dev/null" ||
			fail "$label stops on SIGTERM" "still running after 30 s"
	fi
	[ -n "$log" ] && lab_sanitizer_check "no sanitizer report in the $label log" "$bin" "$log"
}

# milter_metrics PORT: the /metrics exposition served on 127.0.0.1:PORT
# inside the lab (the error text instead when it cannot be read).
milter_metrics() {
	lab_exec "$LAB_PY" -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$1" 2>&1
}

# milter_fetch TOKEN [COUNT]: the delivered message(s) whose Subject holds TOKEN.
milter_fetch() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--search "SUBJECT $1" --count "${2:-1}" --wait 15 2>/dev/null
}

# milter_not_delivered TOKEN: IMAP answers and alice's INBOX has no message
# whose Subject holds TOKEN (mail.py imap-fetch exit 4: "found 0, wanted
# 1"; a login or connection error exits otherwise and does not count).
milter_not_delivered() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
		--search "SUBJECT $1" --count 1 >/dev/null 2>&1
	[ $? -eq 4 ]
}

# milter_send_bg TMP N SEND: send N messages one after the other in the
# background (SEND I prints the reply's last line), logging "start I" in
# TMP/starts before each and "I REPLY" in TMP/replies after it, so a test
# knows exactly which messages began after an event. MILTER_SENDER: its pid.
milter_send_bg() {
	local tmp=$1 n=$2 send=$3
	: >"$tmp/replies"
	: >"$tmp/starts"
	(
		for i in $(seq 1 "$n"); do
			echo "start $i" >>"$tmp/starts"
			echo "$i $("$send" "$i")" >>"$tmp/replies"
			sleep 0.2
		done
	) &
	MILTER_SENDER=$!
}

# milter_kill_redelivery TMP SOCK PIDVAR START SEND N RUN WHAT: N messages
# are sent one after the other (SEND I prints the reply's last line)
# while the milter (pid in the variable PIDVAR) is killed with kill -9
# after the 10th reply. Postfix (milter_default_action = tempfail, the
# documented snippet) must answer 4xx while it is gone -- never accept
# WHAT mail ("unchecked", "unscanned"), never 5xx. START restarts it over
# the stale socket file (as a service manager would); the sender retries
# every deferred message, as a real MTA would. Then each of the N
# messages (Subject RUN-I) is in the mailbox exactly once; their headers
# are left in MILTER_KILL_OUT for the caller's own check.
milter_kill_redelivery() {
	local tmp=$1 sock=$2 pidvar=$3 start=$4 send=$5 n=$6 run=$7 what=$8
	local pid=${!pidvar} sender i r dead_after want after_death restart_at window
	local n_window n_4xx retry_bad got total uniq

	# The starts tell exactly which messages began after the milter was
	# dead (under load the kill lands a few messages later than planned;
	# those messages are rightly checked by the still-living one).
	milter_send_bg "$tmp" "$n" "$send"
	sender=$MILTER_SENDER

	lab_wait 60 sh -c "[ \$(wc -l <'$tmp/replies') -ge 10 ]"
	kill -9 "$pid"
	# A big (ASan) process takes a moment to be torn down after SIGKILL.
	if lab_wait 20 sh -c "! kill -0 $pid 2>/dev/null"; then
		dead_after=$(wc -l <"$tmp/starts")	# messages begun before death
		ok "milter killed with SIGKILL (pid $pid gone)"
	else
		dead_after=$n
		fail "milter killed with SIGKILL" "pid $pid still alive 20 s after kill -9"
	fi
	# Wait until three messages begun after its death have their replies.
	want=$((dead_after + 3))
	[ "$want" -gt "$n" ] && want=$n
	lab_wait 60 sh -c "[ \$(wc -l <'$tmp/replies') -ge $want ]"
	after_death=$(awk -v d="$dead_after" '$1 > d' "$tmp/replies")
	# Replies are written in order: the first restart_at messages all
	# finished before the restart.
	restart_at=$(wc -l <"$tmp/replies")
	# Restart as an admin's unit would: over the socket file the killed
	# process left behind (kill -9 runs no cleanup), nothing removed first.
	if [ -S "$sock" ] && ! milter_accepts "$sock" 2>/dev/null; then
		ok "kill -9 left a stale socket file (it refuses connections)"
	else
		fail "kill -9 left a stale socket file (it refuses connections)" "$(ls -l "$sock" 2>&1)"
	fi
	"$start" || { wait "$sender"; lab_finish; }
	ok "milter restarts over the stale socket and accepts connections"
	wait "$sender"

	# Only messages begun after death and finished before the restart count.
	window=$(awk -v d="$dead_after" -v r="$restart_at" '$1 > d && $1 <= r' "$tmp/replies")
	n_window=$(grep -c . <<<"$window")
	n_4xx=$(grep -cE '^[0-9]+ .*\b4[0-9][0-9] ' <<<"$window")
	if [ "$n_window" -ge 3 ] && [ "$n_4xx" -eq "$n_window" ]; then
		ok "milter gone: Postfix defers with 4xx ($n_4xx messages, none accepted $what)"
	else
		fail "milter gone: Postfix defers with 4xx" \
			"$n_4xx of $n_window messages begun after death were 4xx (died after $dead_after, restart at $restart_at): $(tr '\n' '|' <<<"$after_death" | cut -c1-600)"
	fi
	grep -qE '^[0-9]+ .*\b5[0-9][0-9] ' "$tmp/replies" &&
		fail "no 5xx while the milter is down" "$(grep -E '\b5[0-9][0-9] ' "$tmp/replies")" ||
		ok "no 5xx while the milter is down"

	# Retry the deferred ones against the restarted milter.
	retry_bad=
	for i in $(grep -vE '^[0-9]+ 250 ' "$tmp/replies" | cut -d' ' -f1); do
		r=$("$send" "$i")
		[[ $r == "250 "* ]] || retry_bad+=" $i:$r"
	done
	[ -z "$retry_bad" ] && ok "every deferred message accepted after restart" ||
		fail "every deferred message accepted after restart" "$retry_bad"

	MILTER_KILL_OUT=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--headers-only --search "SUBJECT $run-" --count "$n" --wait 30 2>/dev/null)
	got=$(grep -oE "^Subject: $run-[0-9]+" <<<"$MILTER_KILL_OUT" | sort)
	total=$(grep -c . <<<"$got")
	uniq=$(sort -u <<<"$got" | grep -c .)
	[ "$total" -eq "$n" ] && [ "$uniq" -eq "$n" ] &&
		ok "all $n messages delivered exactly once" ||
		fail "all $n messages delivered exactly once" "total $total, distinct $uniq"
}

# --- outside the lab: the milter alone in a netns with only loopback ---

# milter_robust_setup PREFIX BIN: prerequisites and the binary, then
# dir (a private temp dir) and pid (the milter, killed at exit).
milter_robust_setup() {
	lab_require "robustness prerequisites" unshare python3 || lab_finish
	[ -x "$2" ] || { fail "milter binary built" "$2 missing"; lab_finish; }
	dir=$(mktemp -d "/tmp/$1.XXXXXX")
	pid=
	trap milter_robust_cleanup EXIT
}
milter_robust_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}

# milter_robust_start BIN CONF SOCK: BIN in a network namespace of its
# own (unshare -n: every DNS query fails at once, no traffic leaves),
# stderr appended to $dir/milter.log; pid set; waits up to 10 s for SOCK.
milter_robust_start() {
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1} \
		unshare -n "$1" -f -c "$2" 2>>"$dir/milter.log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$3" ] && break; sleep 0.1; done
	[ -S "$3" ]
}

# milter_client ARGS...: tests/milter_client.py against the milter ($pid)
# with the caller's MILTER_CLIENT_ARGS (an array: --socket, ...) first;
# its TAP lines are the caller's cases; a client that dies (exit status
# without a "not ok") fails one case of its own.
milter_client() {
	local out rc
	out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/../milter_client.py" \
		"${MILTER_CLIENT_ARGS[@]}" --pid "$pid" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	lab_tap "$out"
	[ "$rc" -eq 0 ] || grep -q '^not ok' <<<"$out" ||
		fail "milter_client.py $* ran to its end" "exit $rc: $(tail -n 3 <<<"$out")"
}
