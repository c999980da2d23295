#!/usr/bin/python3
# NAME
#	mail.py - the lab's mail client: SMTP send, IMAP and POP3 read, AUTH probes
# SYNOPSIS
#	mail.py send --from A --to B [--to C...] [--port 25] [--host H] [--bind IP]
#	        [--helo NAME] [--starttls] [--auth USER PASS] [--file msg.eml |
#	        --subject S --body B [--header-from F] [--header 'N: v'...]]
#	mail.py imap-login  --user U --password P [--bind IP] [--plain]
#	        [--forward-ip IP]
#	mail.py imap-fetch  --user U --password P [--search ALL] [--mailbox INBOX]
#	        [--headers-only] [--wait SECONDS] [--count N]
#	mail.py pop3-login  --user U --password P [--bind IP] [--plain]
#	mail.py pop3-fetch  --user U --password P [--headers-only]
#	mail.py smtp-auth   --user U --password P [--port 587] [--no-starttls]
# DESCRIPTION
#	Runs INSIDE a lab's network namespace (tests/lab/lib.sh: lab_mail ...),
#	with python3's standard library only. Defaults come from the lab's env:
#	host LAB_MX_ADDR (203.0.113.25), CA LAB_CA (server certificates are
#	verified when a CA is known; --no-verify turns that off).
#
#	send speaks SMTP step by step (RFC 5321) so that the reply that ends the
#	transaction is the one printed: the last line of stdout is always
#	"CODE TEXT" (e.g. "250 2.0.0 Ok: queued as 4Xy..." or
#	"554 5.7.1 <x@remote.example>: Relay access denied"); on a 4xx/5xx the
#	stage (CONNECT, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA) goes to stderr.
#	--file sends the bytes of the file unchanged (CRLF normalized by
#	smtplib); otherwise a message is built (From, To, Subject, Date,
#	Message-ID, body).
#
#	imap-fetch prints "=== message N (uid U)" then the raw message (or only
#	its headers) for each match; login errors are printed verbatim, e.g.
#	"NO [AUTHENTICATIONFAILED] Authentication failed.".
# DIAGNOSTICS
#	Exit 0 on success, 1 on a permanent rejection (5xx, NO/-ERR), 2 on a
#	temporary one (4xx), 3 on connection/TLS/protocol errors, 4 when
#	imap-fetch --wait finds fewer than --count messages.
import argparse
import base64
import email.utils
import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import sys
import time


def tls_context(args):
    ctx = ssl.create_default_context()
    ca = args.ca or os.environ.get("LAB_CA")
    if args.no_verify or not ca:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(ca)
    return ctx


def default_host(args):
    if args.host:
        return args.host
    if args.bind and ":" in args.bind:
        return os.environ.get("LAB_MX_ADDR6", "::1")
    return os.environ.get("LAB_MX_ADDR", "127.0.0.1")


def say(stage, code, text):
    """Print the reply that decides the outcome: stage on stderr, reply on stdout."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(text.split("\n"))
    if code >= 400:
        print("mail.py: rejected at %s" % stage, file=sys.stderr)
    print("%d %s" % (code, text), flush=True)
    if code >= 500:
        return 1
    if code >= 400:
        return 2
    return 0


def build_message(args):
    if args.file:
        with open(args.file, "rb") as f:
            return f.read()
    hdr_from = args.header_from or args.mail_from or "MAILER-DAEMON"
    lines = [
        "From: %s" % hdr_from,
        "To: %s" % ", ".join(args.to),
        "Subject: %s" % (args.subject or "lab test message"),
        "Date: %s" % email.utils.formatdate(localtime=False),
        "Message-ID: %s" % email.utils.make_msgid(domain="lab-client.example"),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    lines += args.header or []
    body = args.body if args.body is not None else "Hello from the messec lab."
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode("utf-8")


def cmd_send(args):
    host = default_host(args)
    helo = args.helo
    if not helo:
        dom = (args.mail_from or "").rpartition("@")[2] or "client.example"
        helo = "mail." + dom
    src = (args.bind, 0) if args.bind else None
    msg = build_message(args)
    try:
        s = smtplib.SMTP(timeout=args.timeout, local_hostname=helo, source_address=src)
        code, text = s.connect(host, args.port)
    except (OSError, smtplib.SMTPException) as e:
        print("CONNECT", file=sys.stderr)
        print("000 connection failed: %s" % e, flush=True)
        return 3
    if code != 220:
        return say("CONNECT", code, text)
    try:
        code, text = s.ehlo(helo)
        if code != 250:
            return say("EHLO", code, text)
        if args.starttls:
            code, text = s.docmd("STARTTLS")
            if code != 220:
                return say("STARTTLS", code, text)
            s.sock = tls_context(args).wrap_socket(s.sock, server_hostname=host)
            s.file = None
            s.helo_resp = s.ehlo_resp = None
            s.esmtp_features = {}
            s.does_esmtp = False
            code, text = s.ehlo(helo)
            if code != 250:
                return say("EHLO", code, text)
        if args.auth:
            user, pw = args.auth
            tok = base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()
            code, text = s.docmd("AUTH", "PLAIN " + tok)
            if code != 235:
                return say("AUTH", code, text)
        code, text = s.mail(args.mail_from or "")
        if code != 250:
            return say("MAIL", code, text)
        accepted = 0
        last = None
        for r in args.to:
            code, text = s.rcpt(r)
            if code in (250, 251):
                accepted += 1
            else:
                last = (code, text)
                print("RCPT %s: %d %s" % (r, code, text.decode("utf-8", "replace")), file=sys.stderr)
        if accepted == 0:
            return say("RCPT", *last)
        code, text = s.data(msg)
        rc = say("DATA", code, text)
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        return rc
    except smtplib.SMTPServerDisconnected as e:
        print("DISCONNECT", file=sys.stderr)
        print("000 server disconnected: %s" % e, flush=True)
        return 3
    except (OSError, ssl.SSLError, smtplib.SMTPException) as e:
        print("ERROR", file=sys.stderr)
        print("000 %s: %s" % (type(e).__name__, e), flush=True)
        return 3


def cmd_smtp_auth(args):
    args.to = []
    host = default_host(args)
    src = (args.bind, 0) if args.bind else None
    try:
        s = smtplib.SMTP(timeout=args.timeout, local_hostname=args.helo or "client.example",
                         source_address=src)
        code, text = s.connect(host, args.port)
        if code != 220:
            return say("CONNECT", code, text)
        s.ehlo()
        if not args.no_starttls:
            code, text = s.docmd("STARTTLS")
            if code != 220:
                return say("STARTTLS", code, text)
            s.sock = tls_context(args).wrap_socket(s.sock, server_hostname=host)
            s.file = None
            s.ehlo_resp = None
            s.esmtp_features = {}
            s.ehlo()
        tok = base64.b64encode(("\0%s\0%s" % (args.user, args.password)).encode()).decode()
        code, text = s.docmd("AUTH", "PLAIN " + tok)
        rc = say("AUTH", code, text)
        if code == 235:
            rc = 0
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        return rc
    except (OSError, ssl.SSLError, smtplib.SMTPException) as e:
        print("000 %s: %s" % (type(e).__name__, e), flush=True)
        return 3


class BoundIMAP(imaplib.IMAP4):
    """IMAP4 whose socket is bound to a lab 'Internet' address first."""

    def __init__(self, host, port, bind, timeout):
        self._bind = bind
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        src = (self._bind, 0) if self._bind else None
        return socket.create_connection((self.host, self.port), timeout, source_address=src)


def imap_open(args):
    m = BoundIMAP(default_host(args), args.port or 143, args.bind, args.timeout)
    if not args.plain:
        m.starttls(tls_context(args))
    if getattr(args, "forward_ip", None):
        # RFC 2971 ID with Dovecot's "x-originating-ip": a proxy or webmail
        # telling the client's address; Dovecot takes it only from hosts
        # in login_trusted_networks.
        m.xatom("ID", '("x-originating-ip" "%s")' % args.forward_ip)
    typ, data = m.login(args.user, args.password)
    return m, data


def login_error(e):
    text = str(e)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    print("NO %s" % text, flush=True)
    return 1


def cmd_imap_login(args):
    try:
        m, data = imap_open(args)
    except imaplib.IMAP4.error as e:
        return login_error(e)
    except (OSError, ssl.SSLError) as e:
        print("ERROR %s: %s" % (type(e).__name__, e), flush=True)
        return 3
    print("OK %s" % b" ".join(data).decode("utf-8", "replace"), flush=True)
    m.logout()
    return 0


def cmd_imap_fetch(args):
    deadline = time.monotonic() + (args.wait or 0)
    try:
        m, _ = imap_open(args)
    except imaplib.IMAP4.error as e:
        return login_error(e)
    except (OSError, ssl.SSLError) as e:
        print("ERROR %s: %s" % (type(e).__name__, e), flush=True)
        return 3
    while True:
        m.select(args.mailbox, readonly=True)
        typ, data = m.uid("SEARCH", None, *args.search.split())
        uids = data[0].split() if data and data[0] else []
        if len(uids) >= args.count or time.monotonic() >= deadline:
            break
        m.close()
        time.sleep(0.3)
    part = "(BODY.PEEK[HEADER])" if args.headers_only else "(BODY.PEEK[])"
    for n, uid in enumerate(uids, 1):
        typ, data = m.uid("FETCH", uid, part)
        raw = b"".join(x[1] for x in data if isinstance(x, tuple))
        print("=== message %d (uid %s)" % (n, uid.decode()))
        sys.stdout.write(raw.decode("utf-8", "replace").replace("\r\n", "\n"))
        print()
    m.logout()
    if len(uids) < args.count:
        print("# found %d message(s), wanted %d" % (len(uids), args.count), file=sys.stderr)
        return 4
    return 0


class BoundPOP3(poplib.POP3):
    def __init__(self, host, port, bind, timeout):
        self._bind = bind
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        src = (self._bind, 0) if self._bind else None
        return socket.create_connection((self.host, self.port), timeout, source_address=src)


def pop3_open(args):
    p = BoundPOP3(default_host(args), args.port or 110, args.bind, args.timeout)
    if not args.plain:
        p.stls(tls_context(args))
    p.user(args.user)
    resp = p.pass_(args.password)
    return p, resp


def cmd_pop3(args, fetch):
    try:
        p, resp = pop3_open(args)
    except poplib.error_proto as e:
        text = e.args[0] if e.args else b""
        print(text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text), flush=True)
        return 1
    except (OSError, ssl.SSLError) as e:
        print("ERROR %s: %s" % (type(e).__name__, e), flush=True)
        return 3
    print(resp.decode("utf-8", "replace"), flush=True)
    if fetch:
        count, _ = p.stat()
        for i in range(1, count + 1):
            if args.headers_only:
                _, lines, _ = p.top(i, 0)
            else:
                _, lines, _ = p.retr(i)
            print("=== message %d" % i)
            print(b"\n".join(lines).decode("utf-8", "replace"))
    p.quit()
    return 0


def parser():
    ap = argparse.ArgumentParser(prog="mail.py", description="messec lab mail client")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p, port):
        p.add_argument("--host")
        p.add_argument("--port", type=int, default=port)
        p.add_argument("--bind", help="source address (a lab 'Internet' address)")
        p.add_argument("--ca", help="CA file (default $LAB_CA)")
        p.add_argument("--no-verify", action="store_true")
        p.add_argument("--timeout", type=float, default=60)

    p = sub.add_parser("send")
    common(p, 25)
    p.add_argument("--from", dest="mail_from", default="")
    p.add_argument("--to", action="append", required=True)
    p.add_argument("--helo")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--auth", nargs=2, metavar=("USER", "PASS"))
    p.add_argument("--file")
    p.add_argument("--subject")
    p.add_argument("--body")
    p.add_argument("--header-from")
    p.add_argument("--header", action="append", help="extra header line 'Name: value'")

    p = sub.add_parser("smtp-auth")
    common(p, 587)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--helo")
    p.add_argument("--no-starttls", action="store_true")

    for name, port in (("imap-login", 143), ("imap-fetch", 143), ("pop3-login", 110), ("pop3-fetch", 110)):
        p = sub.add_parser(name)
        common(p, port)
        p.add_argument("--user", required=True)
        p.add_argument("--password", required=True)
        p.add_argument("--plain", action="store_true", help="no STARTTLS/STLS")
        p.add_argument("--headers-only", action="store_true")
        if name == "imap-login":
            p.add_argument("--forward-ip", help="claim this client address (IMAP ID x-originating-ip)")
        if name == "imap-fetch":
            p.add_argument("--search", default="ALL")
            p.add_argument("--mailbox", default="INBOX")
            p.add_argument("--wait", type=float, default=0, help="poll up to SECONDS for --count messages")
            p.add_argument("--count", type=int, default=0)
    return ap


def main():
    args = parser().parse_args()
    if args.cmd == "send":
        return cmd_send(args)
    if args.cmd == "smtp-auth":
        return cmd_smtp_auth(args)
    if args.cmd == "imap-login":
        return cmd_imap_login(args)
    if args.cmd == "imap-fetch":
        return cmd_imap_fetch(args)
    if args.cmd == "pop3-login":
        return cmd_pop3(args, False)
    return cmd_pop3(args, True)


if __name__ == "__main__":
    sys.exit(main())
