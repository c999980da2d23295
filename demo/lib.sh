# NAME
#	demo/lib.sh - helpers for the trainer demo (demo/run) and its layers
# DESCRIPTION
#	A layer is demo/layers/NN-name.sh. demo/run sources each layer twice:
#	first to call its setup() (optional; runs BEFORE the lab is up: add
#	milters, policy, zones, Dovecot passdbs with the demo_add_* helpers),
#	then to call its run() (the lab is up: LAB_* variables are set, the
#	tests/lab/lib.sh helpers lab_mail, lab_exec, lab_spawn, lab_wait_* work).
#	run() returns non-zero when what it shows did not happen; demo/run then
#	reports the layer as failed and carries on with the next one.
#
#	Output is for a person watching a terminal: demo_title, demo_say,
#	demo_cmd (prints the command, then its output indented).
#	The build directory is $DEMO_B (absolute; from make's B).

_demo_tty=0
[ -t 1 ] && _demo_tty=1
_b() { [ $_demo_tty = 1 ] && printf '\033[1m%s\033[0m' "$*" || printf '%s' "$*"; }

# demo_title TEXT: a layer's heading.
demo_title() {
	echo
	echo "$(_b "==== $*")"
}

# demo_say TEXT...: one line of explanation.
demo_say() { echo "  $*"; }

# demo_show < text: indented block (e.g. a message, log lines).
demo_show() { sed 's/^/      | /'; }

# demo_cmd DESCRIPTION CMD...: show what runs, run it, show its output.
# Returns the command's status.
demo_cmd() {
	local what=$1 rc
	shift
	echo "  $(_b "\$ $what")"
	"$@" 2>&1 | demo_show
	rc=${PIPESTATUS[0]}
	return "$rc"
}

# demo_ok TEXT / demo_bad TEXT: a verdict line.
demo_ok() { echo "  => OK: $*"; }
demo_bad() { echo "  => NOT AS EXPECTED: $*"; }

# The hook files the demo lab is started with (one of each, shared by layers).
: "${DEMO_TMP:=$(mktemp -d /tmp/messec-demo.XXXXXX)}"

# demo_add_milter ADDR / demo_add_submission_milter ADDR: add a milter
# (e.g. unix:@LABDIR@/auth.sock) to port 25 / 587, after those already added.
demo_add_milter() { LAB_MILTERS=${LAB_MILTERS:+$LAB_MILTERS,}$1; export LAB_MILTERS; }
demo_add_submission_milter() {
	LAB_SUBMISSION_MILTERS=${LAB_SUBMISSION_MILTERS:+$LAB_SUBMISSION_MILTERS,}$1
	export LAB_SUBMISSION_MILTERS
}

# demo_set_policy ADDR: the check_policy_service address.
demo_set_policy() { export LAB_POLICY=$1; }

# demo_add_postfix_main / demo_add_unbound / demo_add_dovecot /
# demo_add_passdb_first: append stdin to the matching hook file.
_demo_append() {
	local var=$1 file=$DEMO_TMP/$2
	cat >>"$file"
	export "$var=$file"
}
demo_add_postfix_main() { _demo_append LAB_POSTFIX_MAIN_EXTRA postfix-main.extra; }
demo_add_unbound() { _demo_append LAB_UNBOUND_EXTRA unbound.extra; }
demo_add_dovecot() { _demo_append LAB_DOVECOT_EXTRA dovecot.extra; }
demo_add_passdb_first() { _demo_append LAB_DOVECOT_PASSDB_FIRST dovecot-passdb-first.extra; }

# demo_set_dovecot_plugin PATH: an auth plugin .so for the lab's Dovecot.
demo_set_dovecot_plugin() { export LAB_DOVECOT_AUTH_PLUGIN=$1; }

# demo_spawn_before_postfix NAME CMD...: start a daemon in the lab before
# Postfix takes mail (arguments are shell-quoted into LAB_PRE_POSTFIX_HOOK).
demo_spawn_before_postfix() {
	local name=$1 q
	shift
	q=$(printf '%q ' "$@")
	LAB_PRE_POSTFIX_HOOK="${LAB_PRE_POSTFIX_HOOK:+$LAB_PRE_POSTFIX_HOOK && }tests/lab/spawn \"\$LAB_DIR\" $name -- $q"
	export LAB_PRE_POSTFIX_HOOK
}

# demo_add_pre_postfix CMD: a bash command run inside `up` after DNS and
# Dovecot are up and before Postfix takes mail (LAB_DIR, LAB_NS are set),
# e.g. to start a milter so that no layer's mail meets an absent milter.
# Commands of several layers run in order.
demo_add_pre_postfix() {
	LAB_PRE_POSTFIX_HOOK=${LAB_PRE_POSTFIX_HOOK:+$LAB_PRE_POSTFIX_HOOK && }$1
	export LAB_PRE_POSTFIX_HOOK
}
