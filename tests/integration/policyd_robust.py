#!/usr/bin/python3
# NAME
#	policyd_robust.py - messec-policyd keeps answering under idle, hostile and odd clients
# SYNOPSIS
#	policyd_robust.py UNIX_SOCKET INET_HOST INET_PORT IDLE_COUNT
# DESCRIPTION
#	Run inside the lab netns by tests/integration/70-policyd.sh. Opens
#	IDLE_COUNT connections (half on the unix socket, half on the inet
#	one) and leaves them idle; then, while they are all held open, checks
#	that: a request split into single bytes is answered; three pipelined
#	requests get three answers in order; a NUL byte, garbage, an
#	over-long line and too many attributes each get their connection
#	closed without an answer; a fresh connection is answered after each;
#	and finally that the idle connections are all still open and each
#	answers a request. Prints TAP lines ("ok - ..." / "not ok - ... # why").
import resource
import socket
import sys
import time

UNIX, HOST, PORT, IDLE = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
REQ = (b"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
       b"client_address=192.0.2.77\nclient_name=unknown\nsasl_username=alice@lab.example\n"
       b"sender=%s\nrecipient=friend@remote.example\nrecipient_count=0\n\n")
OWN = REQ % b"alice@lab.example"
NOT_OWN = REQ % b"bob@lab.example"


def tap(ok, name, why=""):
    print(("ok - %s" % name) if ok else ("not ok - %s # %s" % (name, why)), flush=True)


def connect(kind="unix"):
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(UNIX)
    else:
        s = socket.create_connection((HOST, PORT))
    s.settimeout(10)
    return s


def read_replies(s, n):
    """Read n replies ("action=...\\n\\n"); returns the list (short on EOF)."""
    buf = b""
    while buf.count(b"\n\n") < n:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return [r for r in buf.split(b"\n\n") if r][:n]


def closed_without_answer(s):
    try:
        data = s.recv(4096)
    except (ConnectionResetError, socket.timeout) as e:
        return isinstance(e, ConnectionResetError), "recv: %r" % e
    return data == b"", "got %r" % data[:80]


def still_serving(label):
    s = connect("inet")
    s.sendall(NOT_OWN)
    r = read_replies(s, 1)
    s.close()
    tap(len(r) == 1 and r[0].startswith(b"action=REJECT 5.7.1 Sender address <bob@lab.example> is not owned"),
        "answers a fresh connection after %s" % label, repr(r))


def hostile(label, payload):
    s = connect("unix")
    s.sendall(payload)
    ok, why = closed_without_answer(s)
    s.close()
    tap(ok, "%s: connection closed, no answer" % label, why)
    still_serving(label)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle = []
    try:
        for i in range(IDLE):
            idle.append(connect("unix" if i % 2 == 0 else "inet"))
        tap(True, "%d idle connections open (unix and inet)" % IDLE)
    except OSError as e:
        tap(False, "%d idle connections open (unix and inet)" % IDLE, "after %d: %r" % (len(idle), e))

    # Split across reads: one byte per send.
    s = connect("unix")
    for b in OWN:
        s.sendall(bytes([b]))
        time.sleep(0.0005)
    r = read_replies(s, 1)
    tap(r == [b"action=DUNNO"], "request split into single bytes answered", repr(r))
    # The same connection goes on: pipelined requests, answers in order.
    s.sendall(OWN + NOT_OWN + OWN)
    r = read_replies(s, 3)
    tap(len(r) == 3 and r[0] == b"action=DUNNO" and r[1].startswith(b"action=REJECT 5.7.1") and
        r[2] == b"action=DUNNO", "three pipelined requests, three answers in order", repr(r))
    s.close()

    hostile("NUL byte", b"request=smtpd_access_policy\nsender=a\x00b@x\n\n")
    hostile("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 GET / HTTP/1.0\r\n\r\n")
    hostile("over-long line", b"request=smtpd_access_policy\nsender=" + b"a" * 100000)
    hostile("too many attributes", b"request=smtpd_access_policy\n" + b"x_y=1\n" * 5000 + b"\n")
    hostile("duplicate recipient", b"request=smtpd_access_policy\nrecipient=a@x\nrecipient=b@y\n\n")
    # A good request is answered before its garbage follower closes.
    s = connect("unix")
    s.sendall(OWN + b"no equals sign\n\n")
    data = b""
    while True:
        try:
            chunk = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    s.close()
    tap(data == b"action=DUNNO\n\n", "valid request then garbage: answer, then closed", repr(data[:80]))
    still_serving("valid request then garbage")

    # Every idle connection is still open and answers.
    bad = 0
    for i, c in enumerate(idle):
        try:
            c.sendall(NOT_OWN)
        except OSError:
            bad += 1
    for c in idle:
        r = read_replies(c, 1)
        if len(r) != 1 or not r[0].startswith(b"action=REJECT 5.7.1"):
            bad += 1
        c.close()
    tap(IDLE > 0 and bad == 0, "all %d held connections still answer" % IDLE, "%d did not" % bad)


main()
