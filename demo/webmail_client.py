#!/usr/bin/python3
"""demo/webmail_client.py - a browser's part against the demo's Roundcube.

SYNOPSIS
    webmail_client.py URL USER PASSWORD [CLICKS]

DESCRIPTION
    Opens Roundcube's login page (session cookie and request token), posts
    the login form with USER and PASSWORD, then opens the mailbox CLICKS
    times (default 2), as a user clicking around. Each HTTP request makes
    Roundcube log in to IMAP again with what it keeps from the login form.
    Prints one line per step: "login: ok" (Roundcube's IMAP login passed:
    it redirects to the mailbox) or "login: refused" (it shows the login
    form again), then "click N: ok" or "click N: refused" (Roundcube
    says "Connection to storage server failed.": its IMAP login was
    refused). Exit 0 when every step was ok, 1 otherwise. The password
    is never printed.
"""
import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def main():
    url, user, password = sys.argv[1:4]
    clicks = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def get(query):
        with web.open(url + "?" + query, timeout=30) as r:
            return r.read().decode("utf-8", "replace")

    page = get("_task=login")
    m = re.search(r'name="_token" value="([^"]+)"', page)
    if not m:
        print("login page: no request token (is this Roundcube?)")
        return 1
    form = urllib.parse.urlencode({
        "_token": m.group(1), "_task": "login", "_action": "login",
        "_timezone": "UTC", "_url": "", "_user": user, "_pass": password,
    }).encode()
    # A login that passed IMAP answers 302 to the mailbox; a refused one
    # shows the login form again (200).
    try:
        with web.open(url + "?_task=login", data=form, timeout=30) as r:
            status, where = r.status, ""
    except urllib.error.HTTPError as e:
        status, where = e.code, e.headers.get("Location", "")
    if status != 302 or "_task=mail" not in where:
        print("login: refused (Roundcube shows the login form again)")
        return 1
    print("login: ok (Roundcube's IMAP login passed; it redirects to the mailbox)")
    ok = True
    for n in range(1, clicks + 1):
        page = get("_task=mail&_mbox=INBOX")
        if "Connection to storage server failed" in page:
            print("click %d: refused (Roundcube: \"Connection to storage server failed.\")" % n)
            ok = False
        elif '"task":"mail"' in page and 'name="_pass"' not in page:
            print("click %d: ok (mailbox shown)" % n)
        else:
            print("click %d: refused (Roundcube shows the login form again)" % n)
            ok = False
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
