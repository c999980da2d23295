#!/usr/bin/env python3
# NAME
#	av_messages.py - test messages and the custom signature database of
#	the milter-av lab tests
# SYNOPSIS
#	av_messages.py db DIR                 # write the test database into DIR
#	av_messages.py msg KIND SUBJECT FILE  # write one message (CRLF lines)
# DESCRIPTION
#	The official ClamAV databases need the Internet: the tests write their
#	own (the same as milter-av/tests/test_db.h): EICAR as an MD5 hash
#	signature (.hdb) and a body signature (.ndb), Messec.Test.Hash (MD5 of
#	HASH_PAYLOAD) and Messec.Test.Body (hex of BODY_MARKER), plus (lab only)
#	Win.Trojan.MessecFamily (hex of FAMILY_MARKER). "db2" writes
#	the same plus Messec.Test.Reload (a signature only the second database
#	has). Zips (also nested and "encrypted") are built with zipfile.
import base64
import hashlib
import io
import quopri
import sys
import zipfile

# Split so that this file is no EICAR file itself.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
BODY_MARKER = b"MESSEC-AV-TEST-BODY-SIGNATURE-7F3A"
HASH_PAYLOAD = b"messec custom hash signature payload v1"
RELOAD_MARKER = b"MESSEC-AV-TEST-RELOAD-SIGNATURE-19C2"
# A body signature named as ClamAV names its own (Platform.Category.Name),
# for the per-family metrics (40-milter-av-scan.sh); lab database only.
FAMILY_MARKER = b"MESSEC-AV-TEST-TROJAN-FAMILY-5D21"


def write_db(d, second=False):
    with open(d + "/test.hdb", "w") as f:
        f.write("%s:%d:Eicar-Test-Signature\n" % (hashlib.md5(EICAR).hexdigest(), len(EICAR)))
        f.write("%s:%d:Messec.Test.Hash\n" % (hashlib.md5(HASH_PAYLOAD).hexdigest(), len(HASH_PAYLOAD)))
    with open(d + "/test.ndb", "w") as f:
        f.write("Eicar-Test-Signature-NDB:0:*:%s\n" % EICAR.hex())
        f.write("Messec.Test.Body:0:*:%s\n" % BODY_MARKER.hex())
        f.write("Win.Trojan.MessecFamily:0:*:%s\n" % FAMILY_MARKER.hex())
        if second:
            f.write("Messec.Test.Reload:0:*:%s\n" % RELOAD_MARKER.hex())


def zip_bytes(members, encrypted=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    data = bytearray(buf.getvalue())
    if encrypted:
        # Set the "encrypted" flag (APPNOTE 4.4.4 bit 0) in every local and
        # central header: what a password-protected zip declares.
        i = 0
        while True:
            i = data.find(b"PK\x03\x04", i)
            if i < 0:
                break
            data[i + 6] |= 1
            i += 4
        i = 0
        while True:
            i = data.find(b"PK\x01\x02", i)
            if i < 0:
                break
            data[i + 8] |= 1
            i += 4
    return bytes(data)


def ovba_compress_literal(data):
    """MS-OVBA 2.4.1 CompressedContainer: signature 0x01, then chunks of
    literal tokens only (a FlagByte of 0 before every 8 bytes). Valid and
    simple; each chunk holds at most 4096 decompressed bytes (2.4.1.1.5)."""
    out = bytearray(b"\x01")
    for c in range(0, len(data), 4096):
        chunk = data[c:c + 4096]
        body = bytearray()
        for i in range(0, len(chunk), 8):
            body += b"\x00" + chunk[i:i + 8]
        # CompressedChunkHeader: size - 3 (12 bits), signature 0b011, flag 1.
        out += (((len(body) + 2 - 3) & 0x0FFF) | 0x3000 | 0x8000).to_bytes(2, "little") + body
    return bytes(out)


def ole2(streams):
    """A minimal compound file (MS-CFB, version 3, 512-byte sectors): one
    FAT sector, one directory sector, the root storage and up to three
    streams in it. Every stream is padded to the 4096-byte mini stream
    cutoff so all live in regular sectors (no mini FAT needed)."""
    sect, free, endchain, fatsect, nostream = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    assert len(streams) <= 3
    fat = [fatsect, endchain]
    data = b""
    entries = []
    for name, content in streams:
        content = content + b"\x00" * max(0, 4096 - len(content))
        n = (len(content) + sect - 1) // sect
        start = len(fat)
        fat += [start + i + 1 for i in range(n - 1)] + [endchain]
        data += content + b"\x00" * (n * sect - len(content))
        entries.append((name, 2, start, len(content)))

    def entry(name, kind, left, right, child, start, size):
        u = name.encode("utf-16-le") + b"\x00\x00"
        return (u.ljust(64, b"\x00") + len(u).to_bytes(2, "little") + bytes([kind, 1]) +
                left.to_bytes(4, "little") + right.to_bytes(4, "little") + child.to_bytes(4, "little") +
                b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16 + start.to_bytes(4, "little") +
                size.to_bytes(8, "little"))
    # Root's child is entry 1; the others hang as right siblings (a chain
    # of black nodes is a valid tree for readers that only walk it).
    d = entry("Root Entry", 5, nostream, nostream, 1 if entries else nostream, endchain, 0)
    for i, (name, kind, start, size) in enumerate(entries):
        right = i + 2 if i + 1 < len(entries) else nostream
        d += entry(name, kind, nostream, right, nostream, start, size)
    d = d.ljust(sect, b"\x00")
    assert len(fat) <= 128
    fat_bytes = b"".join(x.to_bytes(4, "little") for x in fat + [free] * (128 - len(fat)))
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16 + (0x3E).to_bytes(2, "little") +
              (3).to_bytes(2, "little") + (0xFFFE).to_bytes(2, "little") + (9).to_bytes(2, "little") +
              (6).to_bytes(2, "little") + b"\x00" * 6 + (0).to_bytes(4, "little") +
              (1).to_bytes(4, "little") + (1).to_bytes(4, "little") + (0).to_bytes(4, "little") +
              (4096).to_bytes(4, "little") + endchain.to_bytes(4, "little") + (0).to_bytes(4, "little") +
              endchain.to_bytes(4, "little") + (0).to_bytes(4, "little") + (0).to_bytes(4, "little") +
              b"\xff\xff\xff\xff" * 108)
    assert len(header) == sect
    return header + fat_bytes + d + data


def word_doc(macro):
    """A Word 97 document shell: a WordDocument stream and, with macro, a
    VBA project "dir" stream (MS-OVBA 2.3.4.2) compressed as MS-OVBA says,
    holding only the PROJECTTERMINATOR-style end record (id 0x0010).
    libclamav's OLE2 parser reads such a "dir" as a VBA project: with
    CL_SCAN_HEURISTIC_MACROS it reports Heuristics.OLE2.ContainsMacros.VBA.
    No macro code and no binary from elsewhere: built here, byte by byte."""
    streams = [("WordDocument", b"\xec\xa5\xc1\x00" + b"messec test document " * 20)]
    if macro:
        streams.append(("dir", ovba_compress_literal((0x0010).to_bytes(2, "little") +
                                                     (0).to_bytes(4, "little") + b"\x00" * 3000)))
    return ole2(streams)


def headers(subject, extra=""):
    return ("From: bob@sender.example\r\nTo: alice@lab.example\r\nSubject: %s\r\n"
            "Date: Wed, 02 Dec 2026 06:00:00 +0000\r\nMessage-ID: <%s@sender.example>\r\n%s"
            % (subject, subject, extra)).encode()


def multipart(subject, parts):
    out = headers(subject, 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n')
    out += b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    for name, ctype, cte, data in parts:
        if cte == "base64":
            enc = base64.encodebytes(data).replace(b"\n", b"\r\n")
        else:
            enc = quopri.encodestring(data).replace(b"\n", b"\r\n")
        out += ('--b1\r\nContent-Type: %s; name="%s"\r\nContent-Disposition: attachment; '
                'filename="%s"\r\nContent-Transfer-Encoding: %s\r\n\r\n'
                % (ctype, name, name, cte)).encode() + enc + b"\r\n"
    return out + b"--b1--\r\n"


def message(kind, subject):
    oct_ = "application/octet-stream"
    if kind == "clean":
        return headers(subject) + (b"\r\nHello Alice,\r\n  trailing blanks kept  \r\n"
                                   b"From the start of a line, a dot:\r\n..\r\nend\r\n")
    if kind == "clean-attachment":
        return multipart(subject, [("report.pdf", "application/pdf", "base64",
                                    b"%PDF-1.4\n" + bytes(range(256)) * 40)])
    if kind == "eicar-b64":
        return multipart(subject, [("eicar.com.txt", oct_, "base64", EICAR)])
    if kind == "eicar-qp":
        return multipart(subject, [("eicar.txt", "text/plain", "quoted-printable", EICAR)])
    if kind == "eicar-zip":
        return multipart(subject, [("files.zip", "application/zip", "base64",
                                    zip_bytes([("eicar.txt", EICAR)]))])
    if kind == "eicar-zipzip":
        inner = zip_bytes([("eicar.txt", EICAR)])
        return multipart(subject, [("outer.zip", "application/zip", "base64",
                                    zip_bytes([("inner.zip", inner)]))])
    if kind == "body-sig":
        return headers(subject) + b"\r\nHi,\r\n" + BODY_MARKER + b"\r\n"
    if kind == "trojan-sig":
        return headers(subject) + b"\r\nHi,\r\n" + FAMILY_MARKER + b"\r\n"
    if kind == "reload-sig":
        return headers(subject) + b"\r\nHi,\r\n" + RELOAD_MARKER + b"\r\n"
    if kind == "hash-sig":
        return multipart(subject, [("data.bin", oct_, "base64", HASH_PAYLOAD)])
    if kind == "ext-exe":
        return multipart(subject, [("setup.exe", oct_, "base64", b"harmless bytes, no PE")])
    if kind == "double-ext":
        return multipart(subject, [("invoice.pdf.exe", "application/pdf", "base64", b"%PDF-1.4 x")])
    if kind == "zip-ext":
        return multipart(subject, [("docs.zip", "application/zip", "base64",
                                    zip_bytes([("readme.txt", b"hello"), ("run.js", b"alert(1)")]))])
    if kind == "zip-encrypted":
        return multipart(subject, [("secret.zip", "application/zip", "base64",
                                    zip_bytes([("a.txt", b"hello world " * 50)], encrypted=True))])
    if kind.startswith("big-"):
        n = int(kind[4:])
        line = b"x" * 76 + b"\r\n"
        return headers(subject) + b"\r\n" + line * (n // len(line) + 1)
    if kind == "mime-truncated":
        return (headers(subject, 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n')
                + b"\r\n--zz\r\nContent-Type: text/plain\r\n\r\nstart\r\n--z\r\n--zz\r\n"
                  b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD")
    if kind == "mime-10000":
        out = headers(subject, 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n') + b"\r\n"
        out += b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(10000))
        return out + b"--p--\r\n"
    if kind == "mime-deep":
        depth = 300
        out = headers(subject, 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="d0"\r\n') + b"\r\n"
        for i in range(1, depth):
            out += b'--d%d\r\nContent-Type: multipart/mixed; boundary="d%d"\r\n\r\n' % (i - 1, i)
        out += b"--d%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n" % (depth - 1)
        for i in range(depth - 1, -1, -1):
            out += b"--d%d--\r\n" % i
        return out
    if kind == "mime-badb64":
        return multipart(subject, [("x.bin", oct_, "base64", b"")]).replace(
            b"--b1--", b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
            b"\r\n\r\n!!!!====****QUJ\r\nD=\r\n====\r\n\x01\x02\r\n--b1--")
    if kind == "macro-doc":
        return multipart(subject, [("report.doc", "application/msword", "base64", word_doc(True))])
    if kind == "nomacro-doc":
        return multipart(subject, [("report.doc", "application/msword", "base64", word_doc(False))])
    if kind == "macro-docm":	# Office Open XML with macros: the OLE2 project in a zip
        docm = zip_bytes([("[Content_Types].xml", b"<?xml version='1.0'?><Types/>"),
                          ("word/document.xml", b"<?xml version='1.0'?><document/>"),
                          ("word/vbaProject.bin", word_doc(True))])
        return multipart(subject, [("report.docm", "application/vnd.ms-word.document.macroEnabled.12",
                                    "base64", docm)])
    if kind.startswith("link-"):
        return link_message(kind[5:], subject)
    raise SystemExit("unknown kind " + kind)


def link_message(what, subject):
    """Messages for the link analysis (45-milter-av-links.sh): the links sit
    in encoded text and HTML parts, so the milter must decode to see them."""
    alt = 'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="a1"\r\n'
    if what == "listed":	# href to a listed domain, behind base64 and an entity
        html = (b'<p>Your account: <a href="https://login.evil-link&#46;example/verify">'
                b'www.bank.example</a></p>')
        text = b"Your account: see the HTML part.\r\n"
    elif what == "tagged":	# a quoted-printable soft break inside the URL
        html = b"<p>Offer: <a href='http://www.tagged-link.example/x'>http://www.tagged-link.example/x</a></p>"
        text = b"Offer: http://www.tagged-link.example/x\r\n"
    elif what == "ip":		# an IPv4 literal listed in reverse (SURBL)
        html = b"<p>Pay at <a href='http://198.51.100.66/pay'>our portal</a></p>"
        text = b"Pay at http://198.51.100.66/pay\r\n"
    elif what == "psl":		# under the public suffix k12.ca.us: asked as evil-school.k12.ca.us
        html = b"<p>Grades: <a href='https://login.evil-school.k12.ca.us/g'>your grades</a></p>"
        text = b"Grades: https://login.evil-school.k12.ca.us/g\r\n"
    elif what == "idn":		# a U-label host (Cyrillic a, capital in the text), listed by its A-label
        html = ("<p>Log in: <a href='https://login.p\u0430ypal-login.example/s'>your account</a></p>"
                ).encode()
        text = "Log in: https://www.P\u0410YPAL-Login.example/s\r\n".encode()
    elif what == "badname":	# a 70-octet label: no DNS name, never an error
        html = b"<p>ok</p>"
        text = b"See http://" + b"a" * 70 + b".good-link.example/ and http://good-link.example/\r\n"
    else:			# clean
        html = b"<p>Minutes: <a href='https://docs.good-link.example/m'>docs.good-link.example</a></p>"
        text = b"Minutes: https://docs.good-link.example/m\r\n"
    qp = quopri.encodestring(text).replace(b"\n", b"\r\n")
    if what == "tagged":
        qp = qp.replace(b"tagged-link", b"tagged-=\r\nlink", 1)
    b64 = base64.encodebytes(html).replace(b"\n", b"\r\n")
    cs = b"utf-8" if what == "idn" else b"us-ascii"
    return (headers(subject, alt) + b"\r\n--a1\r\nContent-Type: text/plain; charset=" + cs + b"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp +
            b"\r\n--a1\r\nContent-Type: text/html; charset=" + cs + b"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"\r\n--a1--\r\n")


def main():
    if sys.argv[1] == "db":
        write_db(sys.argv[2])
    elif sys.argv[1] == "db2":
        write_db(sys.argv[2], second=True)
    elif sys.argv[1] == "ole2":	# av_messages.py ole2 macro|nomacro FILE (a bare .doc)
        with open(sys.argv[3], "wb") as f:
            f.write(word_doc(sys.argv[2] == "macro"))
    elif sys.argv[1] == "msg":
        with open(sys.argv[4], "wb") as f:
            f.write(message(sys.argv[2], sys.argv[3]))
    else:
        raise SystemExit("usage: av_messages.py db DIR | db2 DIR | msg KIND SUBJECT FILE")


if __name__ == "__main__":
    main()
