#!/usr/bin/python3
# NAME
#	blackhole.py - a DNS server that reads queries and never answers
# SYNOPSIS
#	blackhole.py ADDRESS PORT
# DESCRIPTION
#	Listens on UDP and TCP ADDRESS:PORT inside the lab namespace. Each
#	query is read and logged (one line: transport, client, query id, qname)
#	and then dropped: no reply, no error. TCP connections are held open
#	until the peer gives up. Unbound's stub-zone for timeout.example points
#	here, so every lookup under timeout.example times out for real.
# DIAGNOSTICS
#	Exits non-zero if it cannot bind.
import socket
import sys
import threading


def qname(pkt):
    """Decode the first question name of a DNS message (RFC 1035 4.1.2)."""
    labels, i = [], 12
    try:
        while i < len(pkt) and pkt[i] != 0:
            n = pkt[i]
            labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
    except (IndexError, ValueError):
        pass
    return ".".join(labels) + "."


def log(*args):
    print(*args, flush=True)


def udp_loop(sock):
    while True:
        pkt, peer = sock.recvfrom(4096)
        qid = int.from_bytes(pkt[0:2], "big") if len(pkt) >= 2 else -1
        log("udp", peer[0], qid, qname(pkt), "dropped")


def tcp_hold(conn, peer):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            log("tcp", peer[0], qname(data[2:]), "dropped")


def tcp_loop(sock):
    while True:
        conn, peer = sock.accept()
        threading.Thread(target=tcp_hold, args=(conn, peer), daemon=True).start()


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, port))
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(64)
    log("blackhole listening on", addr, port)
    threading.Thread(target=tcp_loop, args=(t,), daemon=True).start()
    udp_loop(u)


if __name__ == "__main__":
    main()
