#!/usr/bin/python3
# NAME
#	dmarc_report_mail.py - read a DMARC aggregate report mail (RFC 7489 7.2.1.1)
# SYNOPSIS
#	dmarc_report_mail.py MSG-FILE XML-OUT
# DESCRIPTION
#	MSG-FILE is the output of tests/lab/mail.py imap-fetch (one message
#	after its "=== message" line). Finds the application/gzip part,
#	gunzips it into XML-OUT and prints one "path=value" line per element
#	of the report (feedback/report_metadata/org_name=..., records
#	numbered record1/, record2/...) and the Subject and attachment file
#	name as subject= and filename=. Python's standard library only
#	(email, gzip, xml.etree): independent of the C code that wrote it.
# DIAGNOSTICS
#	Exit 1 with a sentence when there is no such part or it is not
#	gzip'd XML.
import email
import email.policy
import gzip
import sys
import xml.etree.ElementTree as ET


def walk(elem, path, out):
    children = list(elem)
    if not children:
        out.append("%s=%s" % (path, (elem.text or "").strip()))
        return
    n = 0
    for c in children:
        if c.tag == "record":
            n += 1
            walk(c, "%s/record%d" % (path, n), out)
        else:
            walk(c, "%s/%s" % (path, c.tag), out)


def main():
    raw = open(sys.argv[1], "rb").read()
    if raw.startswith(b"==="):
        raw = raw.split(b"\n", 1)[1]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = None
    for p in msg.walk():
        if p.get_content_type() == "application/gzip":
            part = p
    if part is None:
        sys.exit("no application/gzip part")
    try:
        data = gzip.decompress(part.get_payload(decode=True))
        root = ET.fromstring(data)
    except Exception as e:  # noqa: BLE001 - any decoding error is the answer
        sys.exit("attachment is not gzip'd XML: %s" % e)
    open(sys.argv[2], "wb").write(data)
    out = ["subject=%s" % msg["Subject"], "filename=%s" % part.get_filename()]
    walk(root, root.tag, out)
    print("\n".join(out))


main()
