#!/usr/bin/env python3
"""
NAME
	milter_client.py - raw milter protocol client and robustness test

SYNOPSIS
	tests/milter_client.py --socket PATH --authserv-id ID [--pid PID]
	    [--check-header NAME] [--generic]
	    [--connections N] [--no-reply]

DESCRIPTION
	Speaks the milter wire protocol (version 6, as Postfix and sendmail
	do): 4-byte big-endian length, one command byte, payload. It sends
	what a hostile or broken MTA could send -- MAIL with no CONNECT, a
	header before MAIL, EOM with nothing, 1 MB body packets, ABORT in the
	middle of the headers, garbage and truncated packets, thousands of
	connections -- and after every case runs one normal transaction to
	check that the milter still answers sanely (accept with our
	Authentication-Results header). Prints one TAP line per case.

	Two MTA flavours: by default it offers no protocol flags at OPTNEG
	(an old MTA: every command is sent and answered); with --no-reply it
	offers what Postfix 3.x offers (every SMFIP_NR_* and SMFIP_NO* step)
	and then, like Postfix, does not send the steps the milter declined
	and does not wait for a reply at the stages it made no-reply. Case
	names then start with "no-reply: ".

	The Milter class is importable by other tests. No dependency beyond
	the Python 3 standard library.
"""
import argparse
import os
import socket
import struct
import sys
import time

# Commands (MTA -> milter), libmilter/mfdef.h
C_ABORT, C_BODY, C_CONNECT, C_MACRO, C_BODYEOB = b'A', b'B', b'C', b'D', b'E'
C_HELO, C_QUIT_NC, C_HEADER, C_MAIL, C_EOH = b'H', b'K', b'L', b'M', b'N'
C_OPTNEG, C_QUIT, C_RCPT, C_DATA = b'O', b'Q', b'R', b'T'
# Replies that end a command; modifications come before them at EOM.
FINAL = set(b'cartdysf4')
MODS = set(b'hmiq+-e2bpl')

# Protocol flags, libmilter/mfdef.h
P_NORCPT, P_NR_HDR, P_NOUNKNOWN, P_NODATA = 0x8, 0x80, 0x100, 0x200
P_NR_CONN, P_NR_HELO, P_NR_MAIL, P_NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
P_NR_DATA, P_NR_UNKN, P_NR_EOH, P_NR_BODY = 0x10000, 0x20000, 0x40000, 0x80000
P_HDR_LEADSPC = 0x100000
P_POSTFIX = 0x1fffff            # every step and option up to HDR_LEADSPC
NR_BIT = {C_CONNECT: P_NR_CONN, C_HELO: P_NR_HELO, C_MAIL: P_NR_MAIL,
          C_RCPT: P_NR_RCPT, C_DATA: P_NR_DATA, C_HEADER: P_NR_HDR,
          C_EOH: P_NR_EOH, C_BODY: P_NR_BODY}
NOSEND_BIT = {C_RCPT: P_NORCPT, C_DATA: P_NODATA}
# What call() returns for a command with no reply to wait for.
NOREPLY = [(b'c', b'(no reply expected)')]


class MilterClosed(Exception):
    pass


class Milter:
    """One milter connection (unix socket path or (host, port))."""

    offer = 0                   # protocol flags offered at OPTNEG

    def __init__(self, where, timeout=30.0):
        self.granted = 0        # protocol flags the milter asked for
        if isinstance(where, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(where)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def raw(self, data):
        self.sock.sendall(data)

    def send(self, cmd, payload=b''):
        self.raw(struct.pack('>I', len(payload) + 1) + cmd + payload)

    def _read(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise MilterClosed('connection closed by milter')
            buf += chunk
        return buf

    def recv(self):
        (length,) = struct.unpack('>I', self._read(4))
        if length < 1 or length > 16 * 1024 * 1024:
            raise ValueError('bad reply length %d' % length)
        data = self._read(length)
        return data[:1], data[1:]

    def replies(self):
        """Read replies up to and including a final one."""
        out = Replies()
        out.leadspc = bool(self.granted & P_HDR_LEADSPC)
        while True:
            cmd, payload = self.recv()
            out.append((cmd, payload))
            if cmd[0] in FINAL:
                return out
            if cmd[0] not in MODS:
                raise ValueError('unknown reply %r' % cmd)

    def silent(self, cmd):
        """True: an MTA would not send cmd, or not wait for its reply."""
        return bool(self.granted & (NR_BIT.get(cmd, 0) | NOSEND_BIT.get(cmd, 0)))

    def call(self, cmd, payload=b''):
        if self.granted & NOSEND_BIT.get(cmd, 0):
            return NOREPLY      # declined at OPTNEG: not sent at all
        self.send(cmd, payload)
        if self.silent(cmd):
            return NOREPLY
        return self.replies()

    def ask(self, cmd, payload=b'', wait=2.0):
        """Like call, but an out-of-order command that libmilter ignores
        (it sends no reply at all, engine.c "ignore the command") gives
        None instead of hanging."""
        if self.silent(cmd):
            return self.call(cmd, payload)
        self.send(cmd, payload)
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            return self.replies()
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(old)

    def negotiate(self, version=6, actions=0x1ff, protocol=None):
        """Offer Milter.offer unless told otherwise; 0: no protocol flags,
        every command gets sent and answered."""
        if protocol is None:
            protocol = self.offer
        self.send(C_OPTNEG, struct.pack('>III', version, actions, protocol))
        cmd, payload = self.recv()
        if cmd != b'O' or len(payload) < 12:
            raise ValueError('bad OPTNEG reply %r' % cmd)
        reply = struct.unpack('>III', payload[:12])
        self.granted = reply[2] & protocol if protocol else 0
        return reply

    def macro(self, for_cmd, pairs):
        data = for_cmd
        for k, v in pairs.items():
            data += k.encode() + b'\0' + v.encode() + b'\0'
        self.send(C_MACRO, data)

    def connect(self, hostname, ip, port=25):
        fam = b'6' if ':' in ip else b'4'
        return self.call(C_CONNECT, hostname.encode() + b'\0' + fam +
                         struct.pack('>H', port) + ip.encode() + b'\0')

    def helo(self, name):
        return self.call(C_HELO, name.encode() + b'\0')

    def mail(self, sender, macros=None):
        self.macro(C_MAIL, dict({'i': 'ROBUST1'}, **(macros or {})))
        return self.call(C_MAIL, b'<' + sender.encode() + b'>\0')

    def begin(self, sender):
        """MAIL, RCPT, DATA: the state libmilter wants before headers."""
        self.mail(sender)
        self.rcpt('rcpt@example.net')
        return self.call(C_DATA)

    def rcpt(self, rcpt):
        return self.call(C_RCPT, b'<' + rcpt.encode() + b'>\0')

    def header(self, name, value):
        """The field "name: value": with HDR_LEADSPC granted the value
        goes with its leading space, as Postfix sends it."""
        if isinstance(name, str):
            name = name.encode()
        if isinstance(value, str):
            value = value.encode()
        if self.granted & P_HDR_LEADSPC:
            value = b' ' + value
        return self.call(C_HEADER, name + b'\0' + value + b'\0')

    def eoh(self):
        return self.call(C_EOH)

    def body(self, data):
        return self.call(C_BODY, data)

    def eom(self):
        self.macro(C_BODYEOB, {'i': 'ROBUST1'})
        return self.call(C_BODYEOB)


def final(replies):
    return chr(replies[-1][0][0])


def transaction(where, authserv_id, headers=None, sender='alice@example.org',
                macros=None, client_ip='192.0.2.10'):
    """A normal transaction; returns the EOM replies."""
    m = Milter(where)
    try:
        m.negotiate()
        m.connect('mail.example.org', client_ip)
        m.helo('mail.example.org')
        m.mail(sender, macros)
        m.rcpt('bob@example.net')
        m.call(C_DATA)
        for name, value in headers or [('From', 'Alice <alice@example.org>'),
                                        ('To', 'bob@example.net'),
                                        ('Subject', 'hello')]:
            m.header(name, value)
        m.eoh()
        m.body(b'Hello Bob.\r\n')
        return m.eom()
    finally:
        m.close()


# The header the health check looks for (--check-header): milter-auth's
# A-R by default; messec-milter-av's X-Virus-Status with --check-header.
CHECK_HEADER = b'authentication-results'
GENERIC = False


class Replies(list):
    """A milter's replies; leadspc: HDR_LEADSPC was negotiated."""
    leadspc = False


def added_value(replies, value):
    """What follows "name: " in the field the MTA writes for an added
    value: with HDR_LEADSPC the MTA adds no space, the milter must
    (a missing one shows as a '<no space>' prefix)."""
    if not getattr(replies, 'leadspc', False):
        return value
    return value[1:] if value.startswith(' ') else '<no space>' + value


def ar_headers(replies, name=None):
    """The A-R headers (or the named ones) the milter inserted/added."""
    name = (name or b'authentication-results').lower()
    out = []
    for cmd, payload in replies:
        if cmd == b'i':
            parts = payload[4:].split(b'\0')
            if parts[0].lower() == name:
                out.append(added_value(replies, parts[1].decode('utf-8', 'replace')))
        elif cmd == b'h':
            parts = payload.split(b'\0')
            if parts[0].lower() == name:
                out.append(added_value(replies, parts[1].decode('utf-8', 'replace')))
    return out


def deletions(replies):
    """(index, name) of every header deleted (chgheader with empty value)."""
    out = []
    for cmd, payload in replies:
        if cmd == b'm':
            (index,) = struct.unpack('>I', payload[:4])
            parts = payload[4:].split(b'\0')
            if len(parts) >= 2 and parts[1] == b'':
                out.append((index, parts[0].decode()))
    return out


class Suite:
    def __init__(self, where, authserv_id, pid):
        self.where, self.id, self.pid = where, authserv_id, pid
        self.failed = 0

    def ok(self, name):
        print('ok - %s%s' % (self.prefix(), name), flush=True)

    def fail(self, name, why):
        self.failed += 1
        print('not ok - %s%s # %s' % (self.prefix(), name, why), flush=True)

    @staticmethod
    def prefix():
        return 'no-reply: ' if Milter.offer else ''

    def alive(self):
        """None if the milter still answers a normal transaction sanely."""
        if self.pid:
            try:
                os.kill(self.pid, 0)
            except OSError:
                return 'milter process %d is gone' % self.pid
        try:
            r = transaction(self.where, self.id)
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            return 'normal transaction failed: %r' % e
        ars = ar_headers(r, CHECK_HEADER)
        if final(r) not in 'ac':
            return 'normal transaction got %r' % final(r)
        if len(ars) != 1 or not ars[0].startswith(self.id):
            return 'normal transaction: A-R %r' % ars
        return None

    def case(self, name, fn, drop_ok=False):
        """Run fn, then the health check. A closed connection (MilterClosed,
        reset, broken pipe) is sane only for garbage input (drop_ok): a
        case that sends a well-formed transaction is owed a reply."""
        why = None
        start = time.monotonic()
        try:
            res = fn()
            if isinstance(res, str):
                why = res
        except (MilterClosed, ConnectionResetError, BrokenPipeError) as e:
            if not drop_ok:
                why = 'connection dropped, a reply was due (%r)' % e
        except socket.timeout:
            why = 'milter did not answer (timeout)'
        except Exception as e:  # noqa: BLE001
            why = 'client error %r' % e
        if why is None:
            why = self.alive()
        print('# %s%s: %.1f s' % (self.prefix(), name, time.monotonic() - start),
              flush=True)
        if why is None:
            self.ok(name)
        else:
            self.fail(name, why)


def sane(replies):
    """A reply a real MTA can act on (None: libmilter ignored the command)."""
    if replies is None:
        return None
    return None if final(replies) in 'acrty' else 'odd reply %r' % final(replies)


def run(suite, connections):
    w = suite.where

    def fresh():
        m = Milter(w)
        m.negotiate()
        return m

    def mail_no_connect():
        # libmilter lets MAIL through from its initial state: the callback
        # runs with no private data (the OpenDKIM/OpenDMARC crash).
        m = fresh()
        r = m.mail('x@example.org')
        if r is None or final(r) != 'c':
            return 'MAIL not answered: %r' % r
        m.rcpt('y@example.org')
        r2 = m.ask(C_HEADER, b'From\0x@example.org\0')
        r3 = m.ask(C_BODYEOB)
        m.close()
        return sane(r2) or sane(r3)

    def header_before_mail():
        m = fresh()
        r = m.ask(C_HEADER, b'From\0x@example.org\0')
        r2 = m.ask(C_EOH)
        r3 = m.ask(C_BODYEOB)
        m.close()
        return sane(r) or sane(r2) or sane(r3)

    def eom_with_nothing():
        m = fresh()
        r = m.ask(C_BODYEOB)
        m.close()
        return sane(r)

    def eom_without_headers():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.eoh()                 # Postfix always sends EOH, even with no header
        r = m.ask(C_BODYEOB)
        m.close()
        if r is None:
            return 'EOM after RCPT not answered'
        return sane(r)

    def rcpt_eom_no_mail():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        r = m.ask(C_RCPT, b'<y@example.org>\0')
        r2 = m.ask(C_BODYEOB)
        m.close()
        return sane(r) or sane(r2)

    def body_1mb_packet():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        m.eoh()
        r = m.body(b'x' * (1024 * 1024))   # over libmilter's packet cap: may close
        m.close()
        return sane(r)

    def body_many_chunks():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        m.eoh()
        for _ in range(160):               # 10 MB in 64 KB chunks
            r = m.body(b'y' * 65535)
            if sane(r):
                return sane(r)
        r = m.eom()
        m.close()
        return sane(r)

    def abort_mid_header():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        m.send(C_ABORT)
        m.begin('y@example.org')
        m.header('From', 'y@example.org')
        m.eoh()
        r = m.eom()
        m.close()
        return sane(r)

    def abort_everywhere():
        m = fresh()
        m.send(C_ABORT)
        r = m.ask(C_CONNECT, b'c.example\x004\x00\x19192.0.2.20\0')
        m.send(C_ABORT)
        r2 = m.ask(C_HELO, b'c.example\0')
        m.send(C_ABORT)
        m.send(C_ABORT)
        r3 = m.ask(C_EOH)
        m.send(C_ABORT)
        m.send(C_QUIT)
        m.close()
        return sane(r) or sane(r2) or sane(r3)

    def quit_mid_body():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        m.eoh()
        m.body(b'abc')
        m.send(C_QUIT)
        m.close()

    def garbage_commands():
        for blob in (b'Zgarbage', b'\x00\xff\xfe', b'L', b'M', b'C', b'O\x00',
                     b'D', b'DM', b'H', b'E'):
            m = fresh()
            try:
                m.ask(blob[:1], blob[1:])   # an answer, silence or a close
            except (MilterClosed, ConnectionResetError):
                pass
            m.close()

    def random_bytes():
        import random
        rnd = random.Random(42)
        for _ in range(50):
            m = Milter(w, timeout=5)
            try:
                if rnd.random() < 0.5:
                    m.negotiate()
                m.raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300))))
            except (MilterClosed, ConnectionResetError, BrokenPipeError, ValueError):
                pass
            m.close()

    def truncated_packets():
        for raw in (struct.pack('>I', 100) + b'Lshort',        # length beyond data
                    struct.pack('>I', 0),                      # zero length
                    struct.pack('>I', 0xffffffff) + b'B',      # absurd length
                    b'\x00\x00',                               # half a length
                    struct.pack('>I', 5) + b'O\x00\x00'):      # short OPTNEG
            m = Milter(w, timeout=5)
            try:
                m.raw(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass
            m.close()

    def header_without_nul():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        r = m.call(C_HEADER, b'From')          # no terminators at all
        m.close()
        return sane(r)

    def empty_arguments():
        m = fresh()
        r = m.call(C_CONNECT, b'')
        r2 = m.call(C_HELO, b'')
        r3 = m.call(C_MAIL, b'')
        m.close()
        return sane(r) or sane(r2) or sane(r3)

    def odd_connect():
        for payload in (b'host\0U',                        # unknown family
                        b'host\x004\x00\x19999.1.1.1\0',   # bad address
                        b'host\x006\x00\x19zz::zz\0',
                        b'host\x00L\x00\x00/tmp/x\0'):      # unix socket client
            m = fresh()
            try:
                r = m.ask(C_CONNECT, payload)
                if r is not None and final(r) == 'c':
                    m.begin('x@example.org')
                    m.header('From', 'x@example.org')
                    m.eoh()
                    r = m.eom()
            except MilterClosed:
                r = None        # libmilter refused the packet: fine
            m.close()
            if sane(r):
                return sane(r)
        return None

    def twice_eom():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        m.eoh()
        r = m.eom()
        r2 = m.ask(C_BODYEOB)
        m.close()
        return sane(r) or sane(r2)

    def many_headers():
        # With --no-reply the limit is crossed at a stage that cannot
        # reject: the verdict must still come at EOM.
        m = fresh()
        if Milter.offer and not m.granted & P_NR_HDR:
            return 'headers are not a no-reply stage: granted %#x' % m.granted
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        for i in range(5000):
            m.header('X-Filler-%d' % i, 'v' * 50)
        m.eoh()
        r = m.eom()
        m.close()
        if final(r) != 'y' and final(r) != 'r':
            return 'expected the limits reject, got %r' % final(r)
        return None

    def optneg_flags():
        # Postfix-like offer: no reply for connect/HELO/header/EOH/body,
        # RCPT/DATA/unknown not sent, MAIL and EOM answered, HDR_LEADSPC
        # (values with their leading white space, for DKIM's simple
        # canonicalization). Old MTA: no NR bits (libmilter answers for
        # us), the default NO* steps only, no HDR_LEADSPC.
        m = Milter(w)
        _, actions, flags = m.negotiate()
        m.close()
        if actions & 0x31 != 0x31:
            return 'actions %#x lack ADDHDRS|CHGHDRS|QUARANTINE' % actions
        nr = flags & (P_NR_CONN | P_NR_HELO | P_NR_MAIL | P_NR_RCPT | P_NR_DATA |
                      P_NR_UNKN | P_NR_HDR | P_NR_EOH | P_NR_BODY)
        want = (P_NR_CONN | P_NR_HELO | P_NR_HDR | P_NR_EOH | P_NR_BODY) \
            if Milter.offer else 0
        if nr != want:
            return 'no-reply flags %#x, expected %#x' % (nr, want)
        if Milter.offer and flags & (P_NORCPT | P_NODATA | P_NOUNKNOWN) != \
                P_NORCPT | P_NODATA | P_NOUNKNOWN:
            return 'RCPT/DATA/unknown still wanted: %#x' % flags
        if Milter.offer and not flags & P_HDR_LEADSPC:
            return 'HDR_LEADSPC offered, not negotiated: %#x' % flags
        if not Milter.offer and flags & P_HDR_LEADSPC:
            return 'HDR_LEADSPC negotiated without an offer: %#x' % flags
        if m.offer and flags & ~m.offer:
            return 'flags %#x beyond the offer %#x' % (flags, m.offer)
        return None

    def many_dkim_signatures():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        for i in range(500):
            m.header('DKIM-Signature', 'v=1; a=rsa-sha256; d=example.org; s=s%d; '
                     'h=from; bh=AAAA; b=%s' % (i, 'B' * 40))
        m.header('From', 'x@example.org')
        m.eoh()
        m.body(b'body\r\n')
        r = m.eom()
        m.close()
        return sane(r)

    def nul_and_8bit_header():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header(b'From', b'x@ex\xc3\xa4mple.org')
        m.header(b'Subject', b'a\x01b\x7f\xff')
        m.header(b'X-Nul', b'a\0b\0c')
        m.eoh()
        r = m.eom()
        m.close()
        return sane(r)

    def huge_header_line():
        m = fresh()
        m.connect('c.example', '192.0.2.20')
        m.begin('x@example.org')
        m.header('From', 'x@example.org')
        r = m.header('Subject', 's' * 60000)
        m.eoh()
        r2 = m.eom()
        m.close()
        return sane(r) or sane(r2)

    def forged_ar_deleted():
        r = transaction(w, suite.id, headers=[
            ('Authentication-Results', 'other.example; spf=pass'),
            ('Authentication-Results', '%s; dmarc=pass header.from=example.org' % suite.id),
            ('From', 'alice@example.org'),
            ('authentication-results', '%s; dkim=pass' % suite.id.upper())])
        dels = deletions(r)
        if sorted(dels) != [(2, 'Authentication-Results'), (3, 'Authentication-Results')]:
            return 'deletions %r' % dels
        if [d[0] for d in dels] != [3, 2]:
            return 'deletions not highest first: %r' % dels
        if len(ar_headers(r)) != 1:
            return 'A-R added %r' % ar_headers(r)
        return None

    def auth_is_outbound():
        r = transaction(w, suite.id, macros={'{auth_authen}': 'alice'}, headers=[
            ('Authentication-Results', '%s; spf=pass' % suite.id),
            ('From', 'alice@example.org')])
        if ar_headers(r):
            return 'outbound mail got an A-R %r' % ar_headers(r)
        if deletions(r) != [(1, 'Authentication-Results')]:
            return 'forged A-R not deleted on outbound: %r' % deletions(r)
        return None

    def no_from_rejected():
        r = transaction(w, suite.id, headers=[('Subject', 'no from')])
        return None if final(r) == 'y' and b'5.7.1' in r[-1][1] else \
            'expected 550 5.7.1, got %r' % (r[-1],)

    def several_from_rejected():
        r = transaction(w, suite.id, headers=[('From', 'a@one.example'),
                                              ('From', 'b@two.example')])
        return None if final(r) == 'y' and b'RFC 7489' in r[-1][1] else \
            'expected the 6.6.1 reject, got %r' % (r[-1],)

    def many_connections():
        for i in range(connections):
            m = Milter(w, timeout=10)
            if i % 3 == 1:
                m.negotiate()
            elif i % 3 == 2:
                m.negotiate()
                m.connect('c.example', '192.0.2.%d' % (1 + i % 250))
                m.mail('x@example.org')
            m.close()

    # GARBAGE: input no MTA sends (commands out of order, malformed or
    # oversized packets, random bytes) -- the milter may drop the
    # connection. Every other case is a well-formed transaction whose
    # name promises a reply: a dropped connection fails it.
    GARBAGE = True
    cases = [
        ('OPTNEG: protocol flags as offered', optneg_flags, False),
        ('MAIL with no CONNECT', mail_no_connect, GARBAGE),
        ('HEADER before MAIL', header_before_mail, GARBAGE),
        ('EOM with nothing', eom_with_nothing, GARBAGE),
        ('EOM without headers', eom_without_headers, False),
        ('RCPT and EOM with no MAIL', rcpt_eom_no_mail, GARBAGE),
        ('BODY 1 MB packet', body_1mb_packet, GARBAGE),
        ('BODY 10 MB in 64 KB chunks', body_many_chunks, False),
        ('ABORT mid-header then a new message', abort_mid_header, False),
        ('ABORT everywhere, QUIT', abort_everywhere, GARBAGE),
        ('QUIT mid-body', quit_mid_body, GARBAGE),
        ('garbage command bytes', garbage_commands, GARBAGE),
        ('random bytes on 50 connections', random_bytes, GARBAGE),
        ('truncated packets', truncated_packets, GARBAGE),
        ('HEADER without NUL terminators', header_without_nul, GARBAGE),
        ('empty CONNECT/HELO/MAIL arguments', empty_arguments, GARBAGE),
        ('CONNECT with odd families and addresses', odd_connect, GARBAGE),
        ('EOM twice', twice_eom, GARBAGE),
        ('5000 headers: limits reject at EOM', many_headers, False),
        ('500 DKIM-Signature headers', many_dkim_signatures, False),
        ('NUL and 8-bit bytes in headers', nul_and_8bit_header, False),
        ('60 KB header line', huge_header_line, False),
        ('forged A-R deleted highest index first, foreign kept', forged_ar_deleted, False),
        ('SMTP AUTH is outbound: no A-R, forged one still deleted', auth_is_outbound, False),
        ('no From: 550 5.7.1', no_from_rejected, False),
        ('several From domains: 550 5.7.1', several_from_rejected, False),
        ('%d connections opened and closed' % connections, many_connections, False),
    ]
    # milter-auth's own checks (A-R, From rules, header limits) are left
    # out for another milter (--generic).
    auth_only = {forged_ar_deleted, auth_is_outbound, no_from_rejected,
                 several_from_rejected, many_headers, many_dkim_signatures}
    for name, fn, drop_ok in cases:
        if GENERIC and fn in auth_only:
            continue
        suite.case(name, fn, drop_ok)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--socket', required=True)
    ap.add_argument('--authserv-id', required=True)
    ap.add_argument('--pid', type=int, default=0)
    ap.add_argument('--connections', type=int, default=1000)
    ap.add_argument('--no-reply', action='store_true',
                    help='offer no-reply steps as Postfix does')
    ap.add_argument('--check-header', default='Authentication-Results',
                    help='header the health check wants once, its value starting '
                    'with --authserv-id (messec-milter-av: X-Virus-Status, clean)')
    ap.add_argument('--generic', action='store_true',
                    help="only the protocol cases, not milter-auth's own checks")
    args = ap.parse_args()
    global CHECK_HEADER, GENERIC
    CHECK_HEADER = args.check_header.lower().encode()
    GENERIC = args.generic
    if args.no_reply:
        Milter.offer = P_POSTFIX
    suite = Suite(args.socket, args.authserv_id, args.pid)
    why = suite.alive()
    if why:
        suite.fail('milter answers a normal transaction', why)
        return 1
    suite.ok('milter answers a normal transaction')
    run(suite, args.connections)
    return 1 if suite.failed else 0


if __name__ == '__main__':
    sys.exit(main())
