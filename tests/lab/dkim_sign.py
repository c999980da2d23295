#!/usr/bin/python3
# NAME
#	dkim_sign.py - DKIM-sign a message with the lab test keys (RSA or Ed25519)
# SYNOPSIS
#	dkim_sign.py --key KEY.pem --domain D --selector S [--headers h1:h2...]
#	        [--oversign h1:h2...] [--body-length] [--time T] [--expire T]
#	        [--canon relaxed/relaxed] [IN.eml] > OUT.eml
# DESCRIPTION
#	Prepends one DKIM-Signature header (RFC 6376) to the message read from
#	IN.eml (or stdin) and writes the result (CRLF line ends) to stdout. Run
#	it several times for several signatures. The algorithm follows the key:
#	rsa-sha256 (RSASSA-PKCS1-v1_5, RFC 6376 3.3.1) for an RSA key,
#	ed25519-sha256 (PureEdDSA over the SHA-256 hash, RFC 8463 3) for an
#	Ed25519 key. The private-key operation is done by the openssl command;
#	canonicalization (simple or relaxed, RFC 6376 3.4) and hashing here,
#	in python3's standard library. An independent signer, so that tests of
#	messec's verifier do not trust messec's own signer.
#
#	Keys for the lab's DNS: tests/lab/keys/lab-test-dkim-rsa2048.key
#	(selector rsa2048) and lab-test-dkim-ed25519.key (selector ed25519),
#	published for lab.example, reject.example, quarantine.example and
#	none.example.
# DIAGNOSTICS
#	Exit 1 with a message on a bad key or openssl failure, 2 on usage.
import argparse
import base64
import hashlib
import re
import subprocess
import sys
import tempfile
import time

DEFAULT_HEADERS = "from:to:cc:subject:date:message-id:mime-version:content-type:reply-to"


def split_message(raw):
    """Return (list of header fields as raw bytes incl. folding, body bytes), CRLF."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, body = raw, b""
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        elif line:
            fields.append(line)
    return fields, body


def canon_header(field, mode):
    if mode == "simple":
        return field + b"\r\n"
    name, _, value = field.partition(b":")
    value = re.sub(rb"\r\n(?=[ \t])", b"", value)
    value = re.sub(rb"[ \t]+", b" ", value).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def canon_body(body, mode):
    if mode == "relaxed":
        lines = body.split(b"\r\n")
        lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ") for ln in lines]
        body = b"\r\n".join(lines)
        body = re.sub(rb"(\r\n)*$", b"", body)
        return body + b"\r\n" if body else b""
    body = re.sub(rb"(\r\n)*$", b"", body)
    return body + b"\r\n"


def key_type(keyfile):
    out = subprocess.run(["openssl", "pkey", "-in", keyfile, "-noout", "-text"],
                         capture_output=True, check=True).stdout
    first = out.split(b"\n", 1)[0]
    if b"ED25519" in first:
        return "ed25519"
    if b"Private-Key" in first or b"RSA" in first:
        return "rsa"
    raise ValueError("unsupported key type: %r" % first)


def sign(keyfile, ktype, data):
    with tempfile.NamedTemporaryFile() as f:
        if ktype == "rsa":
            f.write(data)
            f.flush()
            cmd = ["openssl", "dgst", "-sha256", "-sign", keyfile, f.name]
        else:
            f.write(hashlib.sha256(data).digest())
            f.flush()
            cmd = ["openssl", "pkeyutl", "-sign", "-inkey", keyfile, "-rawin", "-in", f.name]
        return subprocess.run(cmd, capture_output=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser(prog="dkim_sign.py")
    ap.add_argument("--key", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--selector", required=True)
    ap.add_argument("--headers", default=DEFAULT_HEADERS)
    ap.add_argument("--oversign", default="from", help="names signed once more than present")
    ap.add_argument("--canon", default="relaxed/relaxed")
    ap.add_argument("--body-length", action="store_true", help="add l= (the body length)")
    ap.add_argument("--identity", help="i= value")
    ap.add_argument("--time", type=int, help="t= (default now)")
    ap.add_argument("--expire", type=int, help="x= (absolute time)")
    ap.add_argument("input", nargs="?")
    args = ap.parse_args()
    hc, _, bc = args.canon.partition("/")
    bc = bc or "simple"
    if hc not in ("simple", "relaxed") or bc not in ("simple", "relaxed"):
        ap.error("bad --canon")

    raw = open(args.input, "rb").read() if args.input else sys.stdin.buffer.read()
    fields, body = split_message(raw)
    try:
        ktype = key_type(args.key)
    except (subprocess.CalledProcessError, ValueError) as e:
        print("dkim_sign: %s: %s" % (args.key, e), file=sys.stderr)
        return 1

    # RFC 6376 3.7: body hash over the canonical body (l= limits it).
    cbody = canon_body(body, bc)
    bh = base64.b64encode(hashlib.sha256(cbody).digest()).decode()

    # RFC 6376 5.4.2: each name in h= takes the next instance from the
    # bottom; names listed more often than present (oversigning) sign "none".
    present = [f.partition(b":")[0].strip().lower().decode() for f in fields]
    names = [n for n in args.headers.lower().split(":") if n and n in present]
    names += [n for n in args.oversign.lower().split(":") if n]
    used = {}
    signed = b""
    for n in names:
        idx = [i for i, p in enumerate(present) if p == n]
        k = used.get(n, 0)
        used[n] = k + 1
        if k < len(idx):
            signed += canon_header(fields[idx[len(idx) - 1 - k]], hc)

    tags = [("v", "1"), ("a", "%s-sha256" % ktype), ("c", "%s/%s" % (hc, bc)),
            ("d", args.domain), ("s", args.selector)]
    if args.identity:
        tags.append(("i", args.identity))
    tags.append(("t", str(args.time if args.time is not None else int(time.time()))))
    if args.expire is not None:
        tags.append(("x", str(args.expire)))
    if args.body_length:
        tags.append(("l", str(len(cbody))))
    tags += [("h", ":".join(names)), ("bh", bh), ("b", "")]
    value = " " + "; ".join("%s=%s" % t for t in tags)
    hdr = b"DKIM-Signature:" + value.encode()
    # RFC 6376 3.7: the signature header itself, b= empty, no trailing CRLF.
    data = signed + canon_header(hdr, hc)[:-2]
    try:
        sig = base64.b64encode(sign(args.key, ktype, data)).decode()
    except subprocess.CalledProcessError as e:
        print("dkim_sign: openssl: %s" % e.stderr.decode(errors="replace"), file=sys.stderr)
        return 1
    out = hdr + sig.encode() + b"\r\n" + b"\r\n".join(fields) + b"\r\n\r\n" + body
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
