# shellcheck shell=bash disable=SC2034
# NAME
#	bench/lib.sh - helpers shared by the benchmarks (lab, process counters, medians)
# SYNOPSIS
#	. "$(dirname "$0")/../lib.sh"
#	bench_lab_up [VAR=value...]       # tests/lab/up with hooks; EXIT trap tears it down
#	bench_cpu_ticks PID...            # utime+stime of the processes, in clock ticks
#	bench_hwm_kb PID                  # VmHWM (peak RSS) in kB
#	bench_median N...                 # median of numbers (average of the middle two)
#	bench_apt_need PKG...             # apt-get install the packages that are missing
# DESCRIPTION
#	Benchmarks run by hand (make bench), never from make check. They use the
#	same lab as the integration tests (tests/lab/up and down): real unbound,
#	Postfix and Dovecot in a private network namespace. bench_lab_up exports
#	the lab's LAB_* variables and installs an EXIT trap that stops the lab
#	(BENCH_KEEP=1 keeps the lab directory for reading its logs).
#
#	CPU time is read from /proc/PID/stat fields 14 and 15 (utime, stime,
#	in clock ticks of 1/CLK_TCK s); for a thread-group leader these include
#	every thread of the process (proc(5)).
# DIAGNOSTICS
#	bench_lab_up exits 1 with the lab's error output if the lab fails.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/.." && pwd)
BENCH_LABS=()
BENCH_CLK_TCK=$(getconf CLK_TCK)

bench_log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
bench_die() { bench_log "ERROR: $*"; exit 1; }

# EXIT trap: stop the labs, remove BENCH_TMP (a scratch directory), keep
# the exit status. ERR trap: name the command that stopped a set -e script.
bench_on_exit() {
	local rc=$? d
	[ -n "${BENCH_TMP:-}" ] && rm -rf "$BENCH_TMP"
	for d in "${BENCH_LABS[@]+"${BENCH_LABS[@]}"}"; do
		LAB_KEEP=${BENCH_KEEP:-0} "$BENCH_REPO/tests/lab/down" "$d" >&2 ||
			bench_log "lab down $d reported a problem"
	done
	BENCH_LABS=()
	exit $rc
}

bench_traps() {
	trap bench_on_exit EXIT
	trap 'exit 130' INT TERM
	trap 'bench_log "stopped at line $LINENO: $BASH_COMMAND (status $?)"' ERR
}

# bench_lab_up [VAR=value...]: start a lab, export its LAB_* variables.
bench_lab_up() {
	local out dir
	if ! out=$(env "$@" "$BENCH_REPO/tests/lab/up" 2>&1); then
		printf '%s\n' "$out" >&2
		bench_die "tests/lab/up failed"
	fi
	dir=$(printf '%s\n' "$out" | tail -n 1)
	BENCH_LABS+=("$dir")
	bench_traps
	set -a
	# shellcheck disable=SC1091
	. "$dir/env"
	set +a
}

# bench_cpu_ticks PID...: sum of utime+stime (clock ticks) of the processes.
# The command name (field 2) may hold spaces: cut after the last ')'.
bench_cpu_ticks() {
	local p sum=0 rest f
	for p in "$@"; do
		rest=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# After "comm) " comes field 3 (state): utime (14), stime (15)
		# are at 0-based indexes 11 and 12.
		read -r -a f <<<"$rest"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}

# bench_sys_ticks: "BUSY IDLE" clock ticks of the whole machine (all CPUs)
# from the first line of /proc/stat (busy: user nice system irq softirq
# steal; idle: idle iowait).
bench_sys_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat
}

# bench_hwm_kb PID: peak resident set size (VmHWM) in kB.
bench_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# bench_median N...: the median (mean of the two middle values for an even count).
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.10g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_apt_need PKG...: install missing Debian packages (benchmarks only).
bench_apt_need() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	bench_log "installing ${missing[*]} (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		bench_die "apt-get install ${missing[*]} failed"
}

# bench_machine: one line per fact about the machine and the software.
bench_machine() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel: $(uname -r); Debian $(cat /etc/debian_version)"
	echo "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "git: $(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$BENCH_REPO" status --porcelain 2>/dev/null | grep -q . && echo ' (dirty tree)')"
}
