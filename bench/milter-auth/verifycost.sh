#!/bin/bash
# NAME
#	bench/milter-auth/verifycost.sh - CPU per DKIM verification,
#	dkim_verify_engine opendkim vs messec
# SYNOPSIS
#	[B=build] [N=20] [CALLGRIND=1] bench/milter-auth/verifycost.sh
# DESCRIPTION
#	Builds verifycost.c against $B's objects (run `make` first) and
#	verifies the differential test's dkimpy fixtures (RSA-2048 and
#	Ed25519, relaxed/relaxed, milter-auth/tests/dkim-diff/) with each
#	engine, keys from the lab's test records (key_file path: the same
#	DNS-wire code as real answers, no network, no resolver wait).
#	CALLGRIND=1 (default): instructions per verification from valgrind
#	--tool=callgrind, (Ir(N+1 runs) - Ir(1 run)) / N, so start-up is
#	excluded; repeatable on a busy machine. Also prints getrusage CPU
#	per message for N=2000 (record those only from an idle machine).
#	Takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
B=${B:-build}
N=${N:-20}
cd "$repo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
	printf 'rsa2048._domainkey.lab.example %s\n' "$(head -1 tests/lab/keys/lab-test-dkim-rsa2048.txt)"
	printf 'ed25519._domainkey.lab.example %s\n' "$(head -1 tests/lab/keys/lab-test-dkim-ed25519.txt)"
} >"$tmp/keys"
cc -O2 -Wall -D_GNU_SOURCE -Icommon/include -Imilter-auth -o "$tmp/verifycost" \
	"$here/verifycost.c" "$B/milter-auth/dkim_verify.o" "$B/milter-auth/dkim_result.o" \
	"$B/milter-auth/dkim_dns.o" "$B/milter-auth/dkim_vossl.o" "$B/milter-auth/dkim_canon.o" \
	"$B/libmessec.a" -lopendkim -lcrypto -lresolv -lpthread
ir() {	# total instructions of one run
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$tmp/verifycost" "$@" \
		>/dev/null 2>&1
	sed -n 's/^summary: //p' "$tmp/cg.out"
}
for msg in dkimpy-rsa-relaxed dkimpy-ed25519-relaxed; do
	f=milter-auth/tests/dkim-diff/$msg.eml
	for eng in opendkim messec; do
		if [ "${CALLGRIND:-1}" = 1 ]; then
			one=$(ir "$eng" "$f" "$tmp/keys" 1)
			many=$(ir "$eng" "$f" "$tmp/keys" $((N + 1)))
			echo "$msg $eng: $(((many - one) / N)) instructions per verification (callgrind)"
		fi
		"$tmp/verifycost" "$eng" "$f" "$tmp/keys" 2000
	done
done
