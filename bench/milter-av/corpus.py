#!/usr/bin/python3
# NAME
#	corpus.py - the message corpus of bench/milter-av
# SYNOPSIS
#	corpus.py DIR [COUNT] [SEED]
# DESCRIPTION
#	Writes COUNT (default 500) clean messages into DIR (CRLF lines, names
#	0000.eml ...), sizes 5 KB to 500 KB spread log-uniformly, from a fixed
#	seed so every run and every variant sends the same bytes: a third plain
#	text, a third with a base64 attachment (incompressible bytes, a PDF
#	shell), a third with a zip attachment (text members). None matches the
#	test database (tests/integration/av_messages.py db), so every message
#	must be accepted: a rejection is a broken run, not a result.
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
import av_messages  # noqa: E402  (headers, multipart, zip_bytes: the lab tests' builders)


def text(rng, n):
    words = [b"mail", b"server", b"invoice", b"meeting", b"report", b"quarter", b"lab", b"test"]
    out = bytearray()
    while len(out) < n:
        line = b" ".join(rng.choice(words) for _ in range(12))
        out += line + b"\r\n"
    return bytes(out[:n])


def main():
    d = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 17)
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        size = int(5000 * (100 ** rng.random()))	# 5 KB .. 500 KB, log-uniform
        subject = "bench-%04d" % i
        kind = i % 3
        if kind == 0:
            msg = av_messages.headers(subject) + b"\r\n" + text(rng, size)
        elif kind == 1:
            data = b"%PDF-1.4\n" + rng.randbytes(max(0, size * 3 // 4 - 9))
            msg = av_messages.multipart(subject, [("report-%d.pdf" % i, "application/pdf", "base64", data)])
        else:
            z = av_messages.zip_bytes([("notes-%d.txt" % j, text(rng, size // 3)) for j in range(3)])
            msg = av_messages.multipart(subject, [("notes-%d.zip" % i, "application/zip", "base64", z)])
        with open(os.path.join(d, "%04d.eml" % i), "wb") as f:
            f.write(msg)


if __name__ == "__main__":
    main()
