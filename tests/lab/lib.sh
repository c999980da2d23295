# NAME
#	tests/lab/lib.sh - helpers for integration tests on the real-stack lab
# SYNOPSIS
#	. "$(dirname "$0")/../lab/lib.sh"
#	lab_up                     # start a lab with the caller's LAB_* hooks
#	lab_mail send --from a@reject.example --to "$LAB_ALICE" --bind "$LAB_OUT_GOOD"
#	ok "name" / fail "name" "reason"
#	lab_finish                 # last line of the script
# DESCRIPTION
#	Integration tests are bash scripts that print one TAP line per case,
#	"ok - NAME" or "not ok - NAME # REASON" (tests/run counts them), and
#	end with lab_finish, which prints the TAP plan "1..N" (N = the cases
#	reported) and the closing count "# P passed, F failed". tests/run
#	fails a script that exits non-zero, prints no plan or no closing
#	count, or whose plan does not match the cases it printed: a script
#	that dies half-way (an unset variable under set -u, a command not
#	found) never reaches lab_finish and so always counts as failed.
#
#	A missing prerequisite is a failure (lab_require). skip NAME REASON
#	("ok - NAME # SKIP REASON") is only for a check that cannot apply to
#	this build (a sanitizer report in a build without sanitizers).
#	todo NAME REASON ("not ok - NAME # TODO REASON") marks a documented
#	known failure; a case on such a list that starts passing must be
#	reported with fail, so the list never goes stale. lab_tap OUTPUT
#	counts the TAP lines a helper program printed itself.
#
#	lab_up [VAR=value...] runs tests/lab/up with the caller's environment
#	(plus the given assignments), exports the LAB_* variables of the new
#	lab (LAB_DIR, LAB_NS, LAB_MAILLOG, LAB_CA, LAB_ALICE...) and installs an
#	EXIT trap that tears down every lab this script started (an EXIT trap
#	the script set before is kept and runs first; a script that sets its
#	own trap afterwards must call lab_on_exit from it, handing it the
#	exit status first thing: trap 'st=$?; cleanup; lab_on_exit $st' EXIT,
#	since cleanup's own status would replace $?). Calling it
#	twice gives two labs; the LAB_* variables then describe the second one
#	(the first one's directory stays in LAB_DIRS[0]). If up fails, its
#	output is shown, a case "lab up" fails and the script exits.
#
#	On exit, if any case failed, the tails of the lab's logs are printed
#	(as TAP comments) before the lab is torn down. LAB_KEEP=1 keeps the
#	lab directories for reading.
#
#	Wait helpers return 0 as soon as the condition holds, 1 on timeout
#	(default 20 s); they never print TAP lines themselves.
LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_PY=/usr/bin/python3
LAB_PASSED=0
LAB_FAILED=0
LAB_SKIPPED=0
LAB_TODO=0
LAB_DIRS=()

# ok NAME: report a passing case.
ok() {
	echo "ok - $1"
	LAB_PASSED=$((LAB_PASSED + 1))
}

# fail NAME REASON: report a failing case (the reason is kept on one line).
fail() {
	local why=${2:-failed}
	why=${why//$'\n'/ | }
	echo "not ok - $1 # ${why:0:400}"
	LAB_FAILED=$((LAB_FAILED + 1))
}

# skip NAME REASON: a case that cannot apply to this build (TAP SKIP).
skip() {
	echo "ok - $1 # SKIP ${2:-not applicable}"
	LAB_SKIPPED=$((LAB_SKIPPED + 1))
}

# todo NAME REASON: a documented known failure (TAP TODO, not a failure).
todo() {
	echo "not ok - $1 # TODO ${2:-known failure}"
	LAB_TODO=$((LAB_TODO + 1))
}

# lab_tap OUTPUT: count the TAP case lines a helper program printed (and
# that the script echoed itself) as this script's cases.
lab_tap() {
	local l
	while IFS= read -r l; do
		case $l in
		"not ok "*"# TODO"*) LAB_TODO=$((LAB_TODO + 1)) ;;
		"not ok "* | "not ok") LAB_FAILED=$((LAB_FAILED + 1)) ;;
		"ok "*"# SKIP"*) LAB_SKIPPED=$((LAB_SKIPPED + 1)) ;;
		"ok "* | ok) LAB_PASSED=$((LAB_PASSED + 1)) ;;
		esac
	done <<<"$1"
}

# lab_sanitizer_check NAME BINARY LOG: fail NAME when LOG holds an
# AddressSanitizer/LeakSanitizer/UBSan report; ok when BINARY was built
# with sanitizers (make SANITIZE=1) and LOG has none; skip otherwise: a
# plain build cannot report anything, so its silence proves nothing.
lab_sanitizer_check() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$3" 2>/dev/null; then
		fail "$1" "$(grep -m3 -E 'Sanitizer|runtime error|^    #[0-9]' "$3" | tr '\n' ' ')"
	elif grep -qaE '__asan_init|__ubsan_handle_' "$2" 2>/dev/null; then
		ok "$1"
	else
		skip "$1" "$2 is not built with sanitizers (make SANITIZE=1)"
	fi
}

# check NAME COMMAND...: ok if COMMAND succeeds, else fail with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		fail "$name" "$(printf '%s' "$out" | tail -n 3)"
	fi
}

# lab_require NAME CMD...: fail NAME when a command is missing (no skip).
lab_require() {
	local name=$1 c missing=
	shift
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=" $c"
	done
	if [ -n "$missing" ]; then
		fail "$name" "missing prerequisite:$missing"
		return 1
	fi
	return 0
}

# Dump the tails of the labs' logs as TAP comments.
lab_dump_logs() {
	local d f
	for d in "${LAB_DIRS[@]+"${LAB_DIRS[@]}"}"; do
		for f in "$d"/maillog "$d"/*.log; do
			[ -s "$f" ] || continue
			echo "# ---- tail of $f"
			tail -n "${LAB_LOG_LINES:-25}" "$f" | sed 's/^/# /'
		done
	done
}

lab_down_all() {
	local d
	[ "$LAB_FAILED" -gt 0 ] && lab_dump_logs
	for d in "${LAB_DIRS[@]+"${LAB_DIRS[@]}"}"; do
		"$LAB_LIB_DIR/down" "$d" >&2 || echo "# lab down $d reported a problem" >&2
	done
	LAB_DIRS=()
}

LAB_PREV_EXIT_TRAP=
# lab_on_exit [STATUS]: the EXIT trap; STATUS defaults to $? on entry.
lab_on_exit() {
	local rc=${1:-$?}
	if [ -n "$LAB_PREV_EXIT_TRAP" ]; then
		eval "$LAB_PREV_EXIT_TRAP"
	fi
	[ "$rc" -ne 0 ] && echo "# exiting with status $rc"
	lab_down_all
	exit $rc
}

# Install lab_on_exit as the EXIT trap, keeping a handler the caller set
# before (it runs first). A handler that already calls lab_on_exit is kept.
lab_install_trap() {
	local cur
	cur=$(trap -p EXIT)
	if [[ $cur == *lab_on_exit* || $cur == *lab_down* ]]; then
		return 0
	fi
	if [ -n "$cur" ]; then
		eval "set -- $cur"
		LAB_PREV_EXIT_TRAP=$3
	fi
	trap lab_on_exit EXIT
}

# lab_up [VAR=value...]: bring a lab up; see DESCRIPTION.
lab_up() {
	local out dir
	if ! out=$(env LAB_OWNER_PID=$$ "$@" "$LAB_LIB_DIR/up" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/# /'
		fail "lab up" "tests/lab/up failed: $(printf '%s' "$out" | grep -m1 'FAILED' || printf '%s' "$out" | tail -n 1)"
		lab_finish
	fi
	dir=$(printf '%s\n' "$out" | tail -n 1)
	LAB_DIRS+=("$dir")
	lab_install_trap
	trap 'exit 130' INT TERM
	set -a
	# shellcheck disable=SC1091
	. "$dir/env"
	set +a
}

# lab_down: tear down all labs now (the EXIT trap does it otherwise).
lab_down() { lab_down_all; }

# lab_exec CMD...: run a command inside the current lab's namespace.
lab_exec() { ip netns exec "$LAB_NS" "$@"; }

# lab_mail SUBCOMMAND ARGS...: tests/lab/mail.py inside the namespace.
lab_mail() { ip netns exec "$LAB_NS" "$LAB_PY" "$LAB_LIB_DIR/mail.py" "$@"; }

# lab_dig ARGS...: dig against the lab's unbound.
lab_dig() { ip netns exec "$LAB_NS" dig @127.0.0.1 "$@"; }

# lab_spawn NAME [--] CMD...: run a daemon under test in the lab (see spawn).
lab_spawn() { "$LAB_LIB_DIR/spawn" "$LAB_DIR" "$@"; }

# lab_wait SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
lab_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# lab_wait_log FILE REGEX [SECONDS]: wait until FILE has a line matching REGEX (ERE).
lab_wait_log() { lab_wait "${3:-20}" grep -qE -- "$2" "$1"; }

# lab_log_mark FILE: the current size of FILE, for lab_wait_log_since.
lab_log_mark() { stat -c %s "$1" 2>/dev/null || echo 0; }

# lab_wait_log_since FILE MARK REGEX [SECONDS]: like lab_wait_log, but only
# lines written after lab_log_mark returned MARK count.
lab_wait_log_since() {
	lab_wait "${4:-20}" sh -c 'tail -c +"$(($2 + 1))" "$1" | grep -qE -- "$3"' sh "$1" "$2" "$3"
}

# lab_wait_maillog REGEX [SECONDS] / lab_wait_dovecot_log REGEX [SECONDS]
lab_wait_maillog() { lab_wait_log "$LAB_MAILLOG" "$1" "${2:-20}"; }
lab_wait_dovecot_log() { lab_wait_log "$LAB_DOVECOT_LOG" "$1" "${2:-20}"; }

# lab_mailbox_count USER: messages in USER's INBOX maildir (new + cur).
lab_mailbox_count() {
	local u=${1%@*} n=0 d
	for d in "$LAB_MAILDIR_ROOT/$u/new" "$LAB_MAILDIR_ROOT/$u/cur"; do
		[ -d "$d" ] && n=$((n + $(find "$d" -type f | wc -l)))
	done
	echo "$n"
}

# lab_wait_mailbox USER COUNT [SECONDS]: wait until USER has >= COUNT messages.
lab_wait_mailbox() {
	local secs=${3:-20} i
	for ((i = 0; i < secs * 5; i++)); do
		[ "$(lab_mailbox_count "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# lab_capture_count: messages in the capture sink (complete ones: *.env).
lab_capture_count() { find "$LAB_CAPTURE_DIR" -name '*.env' | wc -l; }

# lab_wait_capture COUNT [SECONDS]: wait until the sink holds >= COUNT messages.
lab_wait_capture() {
	local secs=${2:-20} i
	for ((i = 0; i < secs * 5; i++)); do
		[ "$(lab_capture_count)" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

# lab_capture_last: path of the newest captured .eml (its .env is beside it).
lab_capture_last() {
	local f
	f=$(find "$LAB_CAPTURE_DIR" -name '*.env' | sort | tail -n 1)
	[ -n "$f" ] && echo "${f%.env}.eml"
}

# lab_capture_subject SUBJECT: path of the captured .eml (complete: its
# .env is beside it) whose Subject line starts with SUBJECT; 1 if none.
lab_capture_subject() {
	local f
	for f in "$LAB_CAPTURE_DIR"/*.eml; do
		[ -e "${f%.eml}.env" ] && grep -q "^Subject: $1" "$f" && { echo "$f"; return 0; }
	done
	return 1
}

# lab_wait_port PORT [SECONDS]: wait until something listens on TCP PORT in the lab.
lab_wait_port() {
	lab_wait "${2:-20}" sh -c "ip netns exec '$LAB_NS' ss -Hltn 'sport = :$1' | grep -q ."
}

# lab_wait_socket PATH [SECONDS]: wait until the unix socket PATH exists.
lab_wait_socket() { lab_wait "${2:-20}" test -S "$1"; }

# lab_postqueue ARGS...: postqueue of the lab's Postfix (e.g. -p, -f).
lab_postqueue() { lab_exec postqueue -c "$LAB_POSTFIX_CONFIG" "$@"; }

# lab_finish: print the plan and the closing count; exit 0 if no case
# failed, else 1.
lab_finish() {
	echo "1..$((LAB_PASSED + LAB_FAILED + LAB_SKIPPED + LAB_TODO))"
	echo "# $LAB_PASSED passed, $LAB_FAILED failed, $LAB_SKIPPED skipped, $LAB_TODO todo"
	[ "$LAB_FAILED" -eq 0 ] && exit 0
	exit 1
}
