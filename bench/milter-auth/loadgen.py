#!/usr/bin/python3
# NAME
#	loadgen.py - inbound SMTP load generator for bench/milter-auth
# SYNOPSIS
#	loadgen.py --host H --port P --count N --sessions S --message FILE
#	        --from ADDR --rcpt ADDR[,ADDR...] --bind IP[,IP...] [--helo NAME]
#	        [--per-conn K] [--timeout SECONDS]
# DESCRIPTION
#	Sends the same message (bytes of FILE, CRLF line ends, e.g. already
#	DKIM-signed) N times over S concurrent SMTP sessions (python3 threads,
#	smtplib), each session bound to one of the given source addresses in
#	turn, K messages per connection (RSET between, RFC 5321 4.1.1.5;
#	default 1: a new connection per message, as most inbound mail comes).
#	Recipients are used round-robin. When FILE is a directory, its files
#	(sorted by name) are the messages, sent in turn (a corpus: used by
#	bench/milter-av).
#
#	Only messages whose end of DATA got a 250 reply count as accepted.
#	The rate is accepted / (time of the last 250 - time of the first
#	connect): the acceptance rate of the MTA with its milters, not the
#	delivery rate (the caller waits for the queue to drain between rounds).
#
#	Prints one JSON object on stdout: accepted, rejected (5xx), tempfailed
#	(4xx), errors (connection/protocol), elapsed, rate, latency p50/p99 of
#	one message (connect to 250, or RSET to 250), the generator's own CPU
#	seconds, and the first reply text of each kind for diagnosis.
# DIAGNOSTICS
#	Exit 0 when every message was accepted, 1 otherwise, 2 on usage.
import argparse
import json
import os
import resource
import smtplib
import threading
import time


def percentile(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * (len(sorted_vals) - 1)))))
    return sorted_vals[k]


class Shared:
    def __init__(self, total):
        self.lock = threading.Lock()
        self.left = total
        self.accepted = 0
        self.rejected = 0
        self.tempfailed = 0
        self.errors = 0
        self.first = {}
        self.last_ok = 0.0
        self.lat = []

    def take(self, k):
        with self.lock:
            n = min(k, self.left)
            self.left -= n
            return n

    def note(self, kind, text, lat=None):
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)
            if kind not in self.first and text:
                self.first[kind] = text[:200]
            if kind == "accepted":
                self.last_ok = time.monotonic()
                self.lat.append(lat)


def one_message(s, args, msg, rcpt, sh):
    """Send one message on an open session; record the outcome."""
    t0 = time.monotonic()
    try:
        code, text = s.mail(args.mail_from)
        if code != 250:
            raise smtplib.SMTPResponseException(code, text)
        code, text = s.rcpt(rcpt)
        if code not in (250, 251):
            raise smtplib.SMTPResponseException(code, text)
        code, text = s.data(msg)
        if code != 250:
            raise smtplib.SMTPResponseException(code, text)
        sh.note("accepted", None, time.monotonic() - t0)
        return True
    except smtplib.SMTPResponseException as e:
        kind = "rejected" if 500 <= e.smtp_code < 600 else "tempfailed"
        sh.note(kind, "%d %s" % (e.smtp_code, e.smtp_error.decode("ascii", "replace")))
        try:
            s.rset()
        except smtplib.SMTPException:
            return False
        return True


def worker(idx, args, msg, sh, binds, rcpts):
    seq = idx
    while True:
        n = sh.take(args.per_conn)
        if n == 0:
            return
        bind = binds[seq % len(binds)]
        try:
            s = smtplib.SMTP(args.host, args.port, local_hostname=args.helo,
                             timeout=args.timeout, source_address=(bind, 0))
            try:
                s.ehlo(args.helo)
                for i in range(n):
                    if i > 0:
                        s.rset()
                    if not one_message(s, args, msg[(seq + i) % len(msg)],
                                       rcpts[(seq + i) % len(rcpts)], sh):
                        for _ in range(i + 1, n):
                            sh.note("errors", "session lost")
                        break
                s.quit()
            finally:
                s.close()
        except (OSError, smtplib.SMTPException) as e:
            sh.note("errors", "%s: %s" % (type(e).__name__, e))
        seq += args.sessions


def main():
    ap = argparse.ArgumentParser(prog="loadgen.py")
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--per-conn", type=int, default=1)
    ap.add_argument("--message", required=True)
    ap.add_argument("--from", dest="mail_from", required=True)
    ap.add_argument("--rcpt", required=True, help="comma-separated recipients (round-robin)")
    ap.add_argument("--bind", required=True, help="comma-separated source addresses")
    ap.add_argument("--helo", default="mail.reject.example")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    if args.count < 1 or args.sessions < 1 or args.per_conn < 1:
        ap.error("count, sessions and per-conn must be >= 1")

    if os.path.isdir(args.message):
        paths = [os.path.join(args.message, n) for n in sorted(os.listdir(args.message))]
    else:
        paths = [args.message]
    msg = []
    for path in paths:
        with open(path, "rb") as f:
            msg.append(f.read())
    if not msg:
        ap.error("no message in " + args.message)
    sh = Shared(args.count)
    binds = args.bind.split(",")
    rcpts = args.rcpt.split(",")
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i, args, msg, sh, binds, rcpts))
               for i in range(args.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_end = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = (sh.last_ok or t_end) - t0
    lat = sorted(sh.lat)
    out = {
        "accepted": sh.accepted, "rejected": sh.rejected, "tempfailed": sh.tempfailed,
        "errors": sh.errors, "elapsed": round(elapsed, 4),
        "rate": round(sh.accepted / elapsed, 2) if elapsed > 0 else 0.0,
        "lat_p50_ms": round(percentile(lat, 50) * 1000, 2),
        "lat_p99_ms": round(percentile(lat, 99) * 1000, 2),
        "loadgen_cpu_s": round((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 3),
        "first": sh.first,
    }
    print(json.dumps(out, sort_keys=True))
    return 0 if sh.accepted == args.count else 1


if __name__ == "__main__":
    raise SystemExit(main())
