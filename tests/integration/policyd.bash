# NAME
#	tests/integration/policyd.bash - shared set-up of the 7x-policyd lab tests
# SYNOPSIS
#	. "$(dirname "$0")/policyd.bash"
#	pd_lab_up PORT    # the lab, Postfix asking policyd at inet:127.0.0.1:PORT;
#	                  # PD (the binary), port, cfgdir (a temp dir, removed at exit)
# DESCRIPTION
#	Not a test itself (no .sh suffix). The config written to cfgdir must
#	be readable by the daemon's user (nobody): cfgdir is 0755.
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
B=${B:-build}
PD=$B/policyd/messec-policyd

pd_lab_up() {
	[ -x "$PD" ] || fail "policyd is built" "$PD missing (make)"
	port=$1
	lab_up LAB_POLICY="inet:127.0.0.1:$port"
	cfgdir=$(mktemp -d)
	chmod 755 "$cfgdir"
	trap 'st=$?; rm -rf "$cfgdir"; lab_on_exit $st' EXIT
}
