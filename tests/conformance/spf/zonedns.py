# NAME
#	zonedns.py - a tiny authoritative DNS server for the SPF test suites
# SYNOPSIS
#	from zonedns import ZoneServer
#	srv = ZoneServer("127.0.0.1", 53); srv.start(); srv.set_zone(zonedata)
# DESCRIPTION
#	Serves one scenario's `zonedata` (the openspf/pyspf YAML format) over
#	real DNS, UDP and TCP, so the code under test goes through its real
#	resolver (res_nquery). Semantics follow pyspf's test driver
#	(test/testspf.py), which defines the suite:
#	- an SPF entry is also published as TXT, appended after the name's
#	  other entries, unless the name has an explicit TXT entry;
#	  `TXT: NONE` publishes nothing;
#	- TIMEOUT: a query whose type has no record listed before the TIMEOUT
#	  gets no reply at all (the client times out);
#	- a name absent from the zone: NXDOMAIN; present without the type:
#	  NOERROR and no data; CNAME is followed inside the zone;
#	- strings are sent byte for byte (latin-1), so "\x80" in the YAML is
#	  the byte 0x80 on the wire; a TXT string over 255 bytes is split.
#	Needs python3-dnslib (Debian); run it with /usr/bin/python3.
import socket
import socketserver
import struct
import threading

from dnslib import (AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, TXT, A,
                    DNSLabel, DNSRecord)

TTL = 60


def rdata_entries(records):
    """pyspf's getrdata(): list of (type, value) or 'TIMEOUT'."""
    out, generated, gen = [], [], True
    for rec in records:
        if not isinstance(rec, dict):
            out.append(rec)             # 'TIMEOUT'
            continue
        for t, v in rec.items():
            if t == 'TXT':
                gen = False
            elif t == 'SPF' and gen:
                generated.append(('TXT', v))
            if v != 'NONE':
                out.append((t, v))
    if gen:
        out.extend(generated)
    return out


def to_bytes(v):
    return v.encode('latin-1', errors='replace') if isinstance(v, str) else v


def txt_rdata(v):
    strings = v if isinstance(v, list) else [v]
    chunks = []
    for s in strings:
        b = to_bytes(str(s))
        if len(b) == 0:
            chunks.append(b)
        while b:
            chunks.append(b[:255])
            b = b[255:]
    return TXT(chunks)


class Zone:
    def __init__(self, zonedata):
        self.names = {}
        for name, recs in (zonedata or {}).items():
            self.names[name.lower().rstrip('.')] = rdata_entries(recs or [])

    def lookup(self, qname, qtype, depth=0):
        """Returns ('drop', None) | (rcode, [RR...])."""
        name = qname.lower().rstrip('.')
        entries = self.names.get(name)
        if entries is None:
            return RCODE.NXDOMAIN, []
        answers, seen = [], False
        for e in entries:
            if e == 'TIMEOUT':
                if not seen:
                    return 'drop', None
                break
            t, v = e
            if t == qtype:
                seen = True
                if v == 'TIMEOUT':
                    return 'drop', None
            rr = self.make_rr(qname, t, v, qtype)
            if rr is not None:
                answers.append(rr)
        if not answers:
            for e in entries:
                if e != 'TIMEOUT' and e[0] == 'CNAME' and qtype != 'CNAME' \
                        and depth < 8:
                    rc, more = self.lookup(e[1], qtype, depth + 1)
                    if rc == 'drop':
                        return rc, None
                    cname = RR(DNSLabel(to_bytes(qname).split(b'.')),
                               QTYPE.CNAME, rdata=CNAME(e[1]), ttl=TTL)
                    return RCODE.NOERROR, [cname] + more
        return RCODE.NOERROR, answers

    @staticmethod
    def make_rr(qname, t, v, qtype):
        if t != qtype or v == 'TIMEOUT':
            return None
        if t == 'A':
            rdata = A(str(v))
        elif t == 'AAAA':
            rdata = AAAA(str(v))
        elif t in ('TXT', 'SPF'):
            rdata = txt_rdata(v)
        elif t == 'MX':
            rdata = MX(str(v[1]), int(v[0]))
        elif t == 'PTR':
            rdata = PTR(str(v))
        elif t == 'CNAME':
            rdata = CNAME(str(v))
        else:
            return None
        return RR(DNSLabel(to_bytes(qname).split(b'.')),
                  getattr(QTYPE, t), rdata=rdata, ttl=TTL)


class ZoneServer:
    """UDP + TCP server in threads; set_zone() swaps the data."""

    def __init__(self, host='127.0.0.1', port=53):
        self.zone = Zone({})
        self.lock = threading.Lock()
        self.queries = []
        outer = self

        class UDPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                reply = outer.answer(data)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class TCPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                hdr = self.request.recv(2)
                if len(hdr) < 2:
                    return
                (n,) = struct.unpack('!H', hdr)
                data = b''
                while len(data) < n:
                    chunk = self.request.recv(n - len(data))
                    if not chunk:
                        return
                    data += chunk
                reply = outer.answer(data)
                if reply is not None:
                    self.request.sendall(struct.pack('!H', len(reply)) + reply)

        socketserver.ThreadingUDPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.udp = socketserver.ThreadingUDPServer((host, port), UDPHandler)
        self.tcp = socketserver.ThreadingTCPServer((host, port), TCPHandler)
        self.udp.daemon_threads = True
        self.tcp.daemon_threads = True

    def start(self):
        for srv in (self.udp, self.tcp):
            threading.Thread(target=srv.serve_forever, daemon=True).start()

    def stop(self):
        for srv in (self.udp, self.tcp):
            srv.shutdown()
            srv.server_close()

    def set_zone(self, zonedata):
        with self.lock:
            self.zone = Zone(zonedata)

    def answer(self, data):
        try:
            req = DNSRecord.parse(data)
        except Exception:
            return None
        q = req.q
        qtype = QTYPE.get(q.qtype)
        with self.lock:
            zone = self.zone
        # labels as bytes: str(qname) would escape spaces and the like
        name = b'.'.join(q.qname.label).decode('latin-1')
        rcode, rrs = zone.lookup(name, qtype)
        if rcode == 'drop':
            return None
        reply = req.reply(ra=1, aa=1)
        reply.header.rcode = rcode
        for rr in rrs:
            reply.add_answer(rr)
        return reply.pack()


if __name__ == '__main__':
    import sys
    import time
    import yaml
    srv = ZoneServer(sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1',
                     int(sys.argv[2]) if len(sys.argv) > 2 else 53)
    if len(sys.argv) > 3:
        with open(sys.argv[3], 'rb') as f:
            srv.set_zone(yaml.safe_load(f))
    srv.start()
    while True:
        time.sleep(3600)
