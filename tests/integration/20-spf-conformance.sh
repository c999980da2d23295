#!/bin/bash
# NAME
#	20-spf-conformance.sh - the RFC 7208 SPF suite through messec-spf over real DNS
# DESCRIPTION
#	Creates a private network namespace whose resolv.conf points at
#	127.0.0.1, where tests/conformance/spf/zonedns.py serves each
#	scenario's zone data over UDP and TCP. Every case of
#	rfc7208-tests.yml (../shared/conformance/spf, or $MESSEC_CONFORMANCE/spf)
#	runs through messec-spf, i.e. ma_spf_check(), the milter's code path,
#	with the system resolver (res_n*). One TAP line per case; cases listed
#	in tests/conformance/spf/known-failures.txt print "not ok ... # TODO
#	known failure: why" (tests/run counts them as todo, not failed); any
#	other failure is "not ok", and so is a listed case that passes again
#	(the list must be updated). A final case asserts at
#	least 190 of 203 pass; the suite runs again with 8 threads per case on
#	one shared context and must score the same. messec's own cases (messec-extra.yml) follow,
#	then a name server that never answers (tests/lab/blackhole.py) and the
#	CLI's argument errors. rfc4408-tests.yml runs for information only
#	(TAP comment lines).
# DIAGNOSTICS
#	Exit status 0 if no case failed. The namespace and its resolv.conf are
#	removed on exit (trap).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lab/lib.sh"
cd "$ROOT" || exit 1
B=${B:-build}
BIN=$ROOT/$B/milter-auth/messec-spf
SUITES=${MESSEC_CONFORMANCE:-$ROOT/../shared/conformance}/spf
HARNESS=$ROOT/tests/conformance/spf/run.py
PY=/usr/bin/python3	# Debian's python3 has python3-yaml and python3-dnslib
NS=messec-spf-$$
BH_PID=

cleanup() {
	[ -n "$BH_PID" ] && kill "$BH_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_require "spf: prerequisites" ip "$PY" || lab_finish
if [ ! -x "$BIN" ]; then
	fail "spf: messec-spf built" "$BIN missing (make B=$B)"
	lab_finish
fi
if ! "$PY" -c 'import yaml, dnslib' 2>/dev/null; then
	fail "spf: prerequisites" "python3-yaml and python3-dnslib needed (packaging/debian-deps.txt)"
	lab_finish
fi
if [ ! -r "$SUITES/rfc7208-tests.yml" ]; then
	fail "spf: suite present" "$SUITES/rfc7208-tests.yml not found (set MESSEC_CONFORMANCE)"
	lab_finish
fi

ip netns add "$NS" && ip -n "$NS" link set lo up || { fail "spf: netns" "cannot create $NS"; lab_finish; }
mkdir -p "/etc/netns/$NS"
# The options only shorten the libspf2 comparison run: messec's engine
# sets its own per-query timeout (spf_dns.c) whatever resolv.conf says.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$NS/resolv.conf"
in_ns() { ip netns exec "$NS" "$@"; }

# The suite: its TAP lines go straight to tests/run and count as this
# script's cases (a known failure is a TODO, lab_tap counts it as such).
out=$(in_ns "$PY" "$HARNESS" --bin "$BIN" --suite "$SUITES/rfc7208-tests.yml" \
	--known tests/conformance/spf/known-failures.txt --min 190 2>&1)
printf '%s\n' "$out"
lab_tap "$out"
[ -n "$(printf '%s\n' "$out" | grep -E '^ok - spf rfc7208 pass count|^not ok - spf rfc7208 pass count')" ] ||
	fail "spf: rfc7208 harness ran" "no pass-count line"

single=$(printf '%s\n' "$out" | sed -n 's/^# rfc7208: \([0-9]*\/[0-9]*\) passed$/\1/p')

# Thread safety: every case again in 8 threads at once on one shared
# context (messec-spf -j 8, like libmilter's threads); a disagreement
# between threads fails that case (exit 3), so the count must not drop.
multi=$(in_ns "$PY" "$HARNESS" --bin "$BIN" --suite "$SUITES/rfc7208-tests.yml" --jobs 8 --info 2>&1 |
	sed -n 's/^# rfc7208 (8 threads per case): \([0-9]*\/[0-9]*\) passed$/\1/p')
if [ -n "$single" ] && [ "$multi" = "$single" ]; then
	ok "spf: rfc7208 with 8 threads per case on one context: $multi"
else
	fail "spf: rfc7208 with 8 threads per case on one context" "single thread $single, 8 threads $multi"
fi

out=$(in_ns "$PY" "$HARNESS" --bin "$BIN" --suite tests/conformance/spf/messec-extra.yml 2>&1)
printf '%s\n' "$out"
lab_tap "$out"

# For information: the RFC 4408 suite (comment lines only).
in_ns "$PY" "$HARNESS" --bin "$BIN" --suite "$SUITES/rfc4408-tests.yml" --info 2>&1 |
	grep '^#' | head -n 20

# For information: raw libspf2 (messec-spf -L) on the same suite.
in_ns "$PY" "$HARNESS" --bin "$BIN" --suite "$SUITES/rfc7208-tests.yml" --info --libspf2 2>&1 |
	grep '^# rfc7208'

# A name server that reads every query and never answers: the default
# timeouts (3 s per query, 10 s in all) must give temperror, not a hang,
# even with a resolv.conf asking for 30 s x 5 attempts (which messec
# overrides). "timeout 60" is a hang guard, not a performance assertion.
printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:5\n' >"/etc/netns/$NS/resolv.conf"
in_ns "$PY" tests/lab/blackhole.py 127.0.0.1 53 >/dev/null 2>&1 &
BH_PID=$!
sleep 1
res=$(in_ns timeout 60 "$BIN" 192.0.2.1 someone@dead.example helo.example 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(printf '%s\n' "$res" | head -n 1)" = temperror ]; then
	ok "spf: non-answering DNS server gives temperror (default timeouts)"
else
	fail "spf: non-answering DNS server gives temperror (default timeouts)" "rc=$rc: $res"
fi
kill "$BH_PID" 2>/dev/null; wait "$BH_PID" 2>/dev/null; BH_PID=

# CLI argument errors: exit 2, no result line.
cli_case() {
	local name=$1 want=$2
	shift 2
	"$BIN" "$@" >/dev/null 2>&1
	local rc=$?
	[ "$rc" -eq "$want" ] && ok "spf: messec-spf $name (exit $want)" ||
		fail "spf: messec-spf $name (exit $want)" "exit $rc"
}
cli_case "no arguments" 2
cli_case "two arguments" 2 192.0.2.1 a@b.example
cli_case "four arguments" 2 192.0.2.1 a@b.example helo.example extra
cli_case "garbage IP" 2 192.0.2.300 a@b.example helo.example
cli_case "IP with junk" 2 "192.0.2.1 x" a@b.example helo.example
cli_case "empty IP" 2 "" a@b.example helo.example
cli_case "bad timeout option" 2 -t 0 192.0.2.1 a@b.example helo.example

lab_finish
