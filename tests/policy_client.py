#!/usr/bin/python3
# NAME
#	tests/policy_client.py - one Postfix policy delegation request, for the tests
# SYNOPSIS
#	policy_client.py SOCKET|HOST:PORT [name=value ...]
# DESCRIPTION
#	Sends "request=smtpd_access_policy", the given attributes and the
#	empty line (SMTPD_POLICY_README), reads the reply up to its empty
#	line and prints it without the final blank lines. With no attribute,
#	a small RCPT request. Used by the policyd labs and the package tests.
import socket
import sys

DEFAULT = ["protocol_state=RCPT", "client_address=192.0.2.9",
           "sender=a@example.com", "recipient=b@example.com"]


def main():
    addr, attrs = sys.argv[1], sys.argv[2:] or DEFAULT
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), 10)
    s.settimeout(30)
    s.sendall(("request=smtpd_access_policy\n" +
               "".join(a + "\n" for a in attrs) + "\n").encode())
    reply = b""
    while not reply.endswith(b"\n\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    print(reply.decode().strip())


if __name__ == "__main__":
    main()
