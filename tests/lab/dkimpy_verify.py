#!/usr/bin/python3
# NAME
#	dkimpy_verify.py - verify DKIM signatures with dkimpy (an independent verifier)
# SYNOPSIS
#	ip netns exec NS /usr/bin/python3 tests/lab/dkimpy_verify.py [KEYS] < message.eml
# DESCRIPTION
#	Prints one line per DKIM-Signature: "<domain> <selector> <algorithm>
#	pass|fail", like dkim_verify.pl (Mail::DKIM). dkimpy (Debian's
#	python3-dkim) does RSA and, with python3-nacl, Ed25519 (RFC 8463).
#	Keys come from DNS (run inside the lab's namespace), or from KEYS, a
#	file of "name TXT-value" lines (../shared/conformance/dkim/rfc8463/keys.txt).
# DIAGNOSTICS
#	Exit 0 if every signature passed, 1 otherwise.
import re
import sys

import dkim

msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
dnsfunc = None
if len(sys.argv) > 1:
    keys = {}
    with open(sys.argv[1], "rb") as f:
        for line in f:
            if line.strip():
                name, value = line.strip().split(None, 1)
                keys[name.lower().rstrip(b".")] = value

    def dnsfunc(name, timeout=5):
        return keys.get(name.lower().rstrip(b"."))

d = dkim.DKIM(msg)
sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
allok = bool(sigs)
for i, v in enumerate(sigs):
    tags = dict((m.group(1), re.sub(rb"\s+", b"", m.group(2)))
                for m in re.finditer(rb"\s*([a-z]+)\s*=([^;]*)", v))
    kw = {"idx": i}
    if dnsfunc is not None:
        kw["dnsfunc"] = dnsfunc
    try:
        ok = dkim.DKIM(msg).verify(**kw)
    except Exception as e:  # dkimpy raises on syntax or key errors
        ok = False
    allok = allok and ok
    print("%s %s %s %s" % (tags.get(b"d", b"-").decode(), tags.get(b"s", b"-").decode(),
                           tags.get(b"a", b"-").decode(), "pass" if ok else "fail"))
sys.exit(0 if allok else 1)
