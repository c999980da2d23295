#!/bin/bash
# NAME
#	bench/milter-auth/signcost.sh - CPU per message of the DKIM signing
#	stage, libopendkim vs messec's own signer, against one bare signature
# SYNOPSIS
#	[B=build] [N=2000] bench/milter-auth/signcost.sh
# DESCRIPTION
#	Builds signcost.c against $B's objects (run `make` first), copies
#	the lab's test keys (tests/lab/keys/, TEST ONLY) to a private temp
#	dir with mode 0600 and runs it. Process CPU time (getrusage), not
#	wall time: usable on a busy machine, but record numbers only from an
#	idle one (docs/dkim.md, Cost).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
B=${B:-build}
cd "$repo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
install -m 600 tests/lab/keys/lab-test-dkim-rsa2048.key "$tmp/rsa.key"
install -m 600 tests/lab/keys/lab-test-dkim-ed25519.key "$tmp/ed.key"
cc -O2 -Wall -D_GNU_SOURCE -Icommon/include -Imilter-auth -o "$tmp/signcost" "$here/signcost.c" \
	"$B/milter-auth/dkim_sign.o" "$B/milter-auth/dkim_canon.o" "$B/milter-auth/dkim_sign_ossl.o" \
	"$B/libmessec.a" -lopendkim -lcrypto -lresolv -lpthread
"$tmp/signcost" "$tmp/rsa.key" "$tmp/ed.key" "${N:-2000}"
