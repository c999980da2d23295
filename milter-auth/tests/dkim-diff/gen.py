#!/usr/bin/python3
# Regenerates the dkimpy-signed part of the DKIM differential corpus
# (milter-auth/tests/test_dkim_diff.c): python3-dkim (dkimpy) signs a few
# messages with the lab's test keys (tests/lab/keys). Run from the
# repository root: /usr/bin/python3 milter-auth/tests/dkim-diff/gen.py
# The output is committed; the test only reads it.
import base64, os, time
import dkim

KEYS = "tests/lab/keys/"
OUT = "milter-auth/tests/dkim-diff/"

rsa = open(KEYS + "lab-test-dkim-rsa2048.key", "rb").read()
edpem = open(KEYS + "lab-test-dkim-ed25519.key", "rb").read()
der = base64.b64decode(b"".join(l for l in edpem.splitlines() if not l.startswith(b"-----")))
ed = base64.b64encode(der[-32:])   # dkimpy wants the raw 32-byte seed, base64

MSG = (b"From: Alice <alice@lab.example>\r\n"
       b"To: bob@example.net, carol@example.net\r\n"
       b"Subject:   folded\r\n   subject  line \r\n"
       b"Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
       b"Message-ID: <diff-1@lab.example>\r\n"
       b"Received: from a by b; Wed, 02 Dec 2026 12:00:00 +0000\r\n"
       b"Received: from c by d; Wed, 02 Dec 2026 12:00:01 +0000\r\n"
       b"\r\n"
       b"Hello  world \r\n"
       b"\tindented line\r\n"
       b"\r\n\r\n")
# To twice: one present + one oversigned (a name with no field left adds
# nothing, RFC 6376 5.4.2); Reply-To absent (the null string).
HDRS = [b"from", b"to", b"subject", b"date", b"message-id", b"to", b"reply-to"]

def sign(msg, key, alg, canon, **kw):
    sig = dkim.sign(msg, b"rsa2048" if alg == b"rsa-sha256" else b"ed25519",
                    b"lab.example", key, signature_algorithm=alg,
                    canonicalize=canon, include_headers=HDRS, **kw)
    return sig + msg

cases = {
    "dkimpy-rsa-relaxed": sign(MSG, rsa, b"rsa-sha256", (b"relaxed", b"relaxed")),
    "dkimpy-rsa-simple": sign(MSG, rsa, b"rsa-sha256", (b"simple", b"simple")),
    "dkimpy-rsa-l": sign(MSG, rsa, b"rsa-sha256", (b"relaxed", b"simple"), length=True),
    "dkimpy-rsa-identity": sign(MSG, rsa, b"rsa-sha256", (b"relaxed", b"relaxed"),
                                identity=b"alice@dept.lab.example"),
    "dkimpy-ed25519-relaxed": sign(MSG, ed, b"ed25519-sha256", (b"relaxed", b"relaxed")),
    "dkimpy-ed25519-simple": sign(MSG, ed, b"ed25519-sha256", (b"simple", b"simple")),
}
both = sign(MSG, rsa, b"rsa-sha256", (b"relaxed", b"relaxed"))
cases["dkimpy-two-signatures"] = sign(both, ed, b"ed25519-sha256", (b"simple", b"relaxed"))
for name, m in sorted(cases.items()):
    with open(OUT + name + ".eml", "wb") as f:
        f.write(m)
