#!/usr/bin/python3
# NAME
#	policy_probe.py - minimal Postfix policy server that proves LAB_POLICY is wired
# SYNOPSIS
#	policy_probe.py ADDRESS PORT REJECT_RECIPIENT
# DESCRIPTION
#	Speaks the Postfix policy delegation protocol (name=value lines, an
#	empty line; reply "action=..." and an empty line; many requests per
#	connection). Answers "action=REJECT policy probe" for requests whose
#	recipient is REJECT_RECIPIENT, "action=DUNNO" otherwise, and logs each
#	request's protocol_state, recipient and sasl_username to stdout. Used by
#	tests/integration/02-lab-hooks.sh only: it tests the lab, not messec.
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        attrs = {}
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line:
                k, _, v = line.partition("=")
                attrs[k] = v
                continue
            rcpt = attrs.get("recipient", "")
            action = "REJECT policy probe" if rcpt == self.server.reject else "DUNNO"
            print("state=%s recipient=%s sasl_username=%s action=%s" % (
                attrs.get("protocol_state"), rcpt, attrs.get("sasl_username", ""), action), flush=True)
            self.wfile.write(("action=%s\n\n" % action).encode())
            attrs = {}


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    srv = Server((sys.argv[1], int(sys.argv[2])), Handler)
    srv.reject = sys.argv[3]
    print("policy probe listening", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
