#!/usr/bin/python3
# NAME
#	loginbench.py - one round of Dovecot logins for bench/mfa/run
# SYNOPSIS
#	loginbench.py --proto imap|auth --users FILE --first I --seq N --count M
#	        --concurrency C --mode plain|totp|app
#	        [--host 127.0.0.1 --port 143] [--socket PATH]
# DESCRIPTION
#	Logs in N users one after the other (latency without contention), then
#	M more over C concurrent clients (throughput). Users are lines
#	I, I+1, ... of FILE (tab-separated: user, password, TOTP secret in
#	base32, app password; "-" when absent); each line is used once, so
#	a TOTP code is never replayed (the passdb accepts a code once per
#	user, RFC 6238 5.2).
#
#	mode plain: the password alone (passwd-file without mfa);
#	mode totp:  password + the current 6-digit code (RFC 6238, SHA1,
#	            30 s), computed here just before the login;
#	mode app:   the app password alone.
#
#	proto imap: a new TCP connection per login; the time measured is
#	from sending "a LOGIN" to the tagged reply (RFC 9051 6.2.3), so the
#	greeting and LOGOUT are not counted; this includes Dovecot's
#	imap-login -> auth -> imap hand-over (post-login process).
#	proto auth: Dovecot's auth client protocol on a unix socket (one
#	connection per client, "AUTH ... PLAIN service=imap", RFC 4616
#	initial response); the time is from AUTH to OK/FAIL: the passdb
#	chain alone.
#
#	Prints one JSON object: ok, failed, first failure text, sequential
#	latencies p50/p90/p99/max (ms), throughput logins/s of the concurrent
#	phase and its latency p50/p99.
# DIAGNOSTICS
#	Exit 0 if every login succeeded, 1 otherwise, 2 on usage.
import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import threading
import time


def totp(secret_b32, t=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((time.time() if t is None else t) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def credential(mode, user):
    name, pw, secret, app = user
    if mode == "plain":
        return pw
    if mode == "totp":
        return pw + totp(secret)
    return app


class Lines:
    """Buffered line reader over a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")


def imap_login(args, user, cred):
    s = socket.create_connection((args.host, args.port), timeout=30)
    try:
        r = Lines(s)
        greet = r.line()
        if not greet.startswith("* OK"):
            return None, "greeting: " + greet
        t0 = time.perf_counter()
        s.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(), cred.encode()))
        while True:
            line = r.line()
            if line.startswith("a "):
                break
        dt = time.perf_counter() - t0
        try:
            s.sendall(b"b LOGOUT\r\n")
        except OSError:
            pass
        return dt, (None if line.startswith("a OK") else line)
    finally:
        s.close()


class AuthClient:
    """Dovecot auth client protocol 1.2 (doc/auth-protocol.txt)."""
    counter = 0
    lock = threading.Lock()

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(path)
        self.r = Lines(self.s)
        with AuthClient.lock:
            AuthClient.counter += 1
            cpid = os.getpid() * 1000 + AuthClient.counter
        self.s.sendall(b"VERSION\t1\t2\nCPID\t%d\n" % cpid)
        while self.r.line() != "DONE":
            pass
        self.id = 0

    def login(self, user, cred):
        self.id += 1
        resp = base64.b64encode(b"\0" + user.encode() + b"\0" + cred.encode())
        t0 = time.perf_counter()
        self.s.sendall(b"AUTH\t%d\tPLAIN\tservice=imap\tsecured\tlip=127.0.0.1\t"
                       b"rip=127.0.0.1\tresp=%s\n" % (self.id, resp))
        line = self.r.line()
        dt = time.perf_counter() - t0
        return dt, (None if line.startswith("OK\t") else line)

    def close(self):
        self.s.close()


def pct(vals, p):
    if not vals:
        return 0.0
    v = sorted(vals)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))] * 1000.0


def run_seq(args, users, res):
    client = AuthClient(args.socket) if args.proto == "auth" else None
    for u in users:
        cred = credential(args.mode, u)
        if client:
            dt, err = client.login(u[0], cred)
        else:
            dt, err = imap_login(args, u[0], cred)
        res.append((dt, err))
    if client:
        client.close()


def main():
    ap = argparse.ArgumentParser(prog="loginbench.py")
    ap.add_argument("--proto", choices=("imap", "auth"), required=True)
    ap.add_argument("--mode", choices=("plain", "totp", "app"), required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--seq", type=int, default=100)
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=143)
    ap.add_argument("--socket")
    args = ap.parse_args()
    if args.proto == "auth" and not args.socket:
        ap.error("--proto auth needs --socket")
    with open(args.users) as f:
        all_users = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    need = args.first + args.seq + args.count
    if need > len(all_users):
        ap.error("%s has %d users, %d needed" % (args.users, len(all_users), need))
    seq_users = all_users[args.first:args.first + args.seq]
    par_users = all_users[args.first + args.seq:need]

    seq = []
    run_seq(args, seq_users, seq)

    # Concurrent phase: C clients take users from a shared list.
    par = []
    lock = threading.Lock()
    it = iter(par_users)

    local = threading.local()

    def login_one(u):
        cred = credential(args.mode, u)
        if args.proto == "imap":
            return imap_login(args, u[0], cred)
        if not hasattr(local, "client"):
            local.client = AuthClient(args.socket)
        return local.client.login(u[0], cred)

    def worker():
        mine = []
        while True:
            with lock:
                u = next(it, None)
            if u is None:
                break
            try:
                mine.append(login_one(u))
            except OSError as e:
                mine.append((0.0, "%s: %s" % (type(e).__name__, e)))
        with lock:
            par.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0

    everything = seq + par
    fails = [e for _, e in everything if e]
    out = {
        "ok": len(everything) - len(fails), "failed": len(fails),
        "first_failure": fails[0] if fails else "",
        "seq_p50_ms": round(pct([d for d, _ in seq], 50), 3),
        "seq_p90_ms": round(pct([d for d, _ in seq], 90), 3),
        "seq_p99_ms": round(pct([d for d, _ in seq], 99), 3),
        "seq_max_ms": round(pct([d for d, _ in seq], 100), 3),
        "par_logins_per_s": round(len(par) / wall, 1) if wall > 0 else 0.0,
        "par_p50_ms": round(pct([d for d, _ in par], 50), 3),
        "par_p99_ms": round(pct([d for d, _ in par], 99), 3),
    }
    print(json.dumps(out, sort_keys=True))
    return 0 if not fails else 1


if __name__ == "__main__":
    raise SystemExit(main())
