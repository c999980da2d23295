#!/usr/bin/python3
# NAME
#	capture.py - Postfix pipe(8) sink: keep every message that leaves the lab
# SYNOPSIS
#	capture.py DIR QUEUE_ID SENDER RECIPIENT...
# DESCRIPTION
#	Run by the lab's "capture" transport (master.cf) as the unprivileged
#	lab user, instead of delivering to the Internet. Writes the message
#	exactly as Postfix hands it over (all headers, body) to
#	DIR/<time>-<queue id>.eml, and the envelope to DIR/<same>.env as
#	"sender=..." and one "recipient=..." line per recipient. The .eml is
#	written under a temporary name and renamed, so a reader that waits for
#	*.env files (written last) always sees complete messages.
# DIAGNOSTICS
#	Exit 75 (EX_TEMPFAIL) on any write error: Postfix keeps the message
#	queued and retries.
import os
import sys
import time


def main():
    if len(sys.argv) < 4:
        print("usage: capture.py DIR QUEUE_ID SENDER RECIPIENT...", file=sys.stderr)
        return 64
    outdir, qid, sender, rcpts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.umask(0o022)
    base = os.path.join(outdir, "%d-%s" % (time.time_ns(), qid or "noqid"))
    try:
        data = sys.stdin.buffer.read()
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".env.tmp", "w") as f:
            f.write("queue_id=%s\nsender=%s\n" % (qid, sender))
            for r in rcpts:
                f.write("recipient=%s\n" % r)
        os.rename(base + ".env.tmp", base + ".env")
    except OSError as e:
        print("capture: %s" % e, file=sys.stderr)
        return 75
    return 0


if __name__ == "__main__":
    sys.exit(main())
