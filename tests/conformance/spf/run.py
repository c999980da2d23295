# NAME
#	run.py - run an openspf/pyspf YAML SPF suite through messec-spf over DNS
# SYNOPSIS
#	/usr/bin/python3 run.py --bin B/milter-auth/messec-spf --suite FILE
#		[--known known-failures.txt] [--min N] [--info] [--only NAME]
# DESCRIPTION
#	Must run where 127.0.0.1:53 is free and /etc/resolv.conf says
#	"nameserver 127.0.0.1": tests/integration/20-spf-conformance.sh runs
#	it inside a private network namespace (ip netns exec, with
#	/etc/netns/NS/resolv.conf). For each scenario it serves the zonedata
#	(zonedns.py) and runs messec-spf -e DEFAULT on every case, like
#	pyspf's driver (default explanation "DEFAULT"; check_host() on the
#	MAIL FROM identity, an empty mailfrom meaning postmaster@helo).
#
#	TAP output, one line per case:
#	  ok - spf SCENARIO/CASE
#	  not ok - spf SCENARIO/CASE # expected X, got Y (reason)
#	  ok - spf SCENARIO/CASE # known failure: REASON  (listed in --known)
#	then, with --min, one line asserting the pass count. A known failure
#	that now passes prints "ok ... # known failure now passes: remove it".
#	--jobs N runs every case in N threads at once (messec-spf -j N);
#	a disagreement exits 3, which fails the case.
#	--libspf2 runs messec-spf -L (raw libspf2) for comparison.
#	--info prints only "# NAME: P/T passed" and the failing case list as
#	TAP comments (no test lines): used for rfc4408-tests.yml.
import argparse
import re
import subprocess
import sys

import yaml

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from zonedns import ZoneServer  # noqa: E402

CASE_TIMEOUT = 60   # a hang check, not a performance assertion


def slug(text):
    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')


def load_known(path):
    known = {}
    if not path:
        return known
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            name, _, reason = line.partition(' ')
            known[name] = reason.strip() or 'no reason given'
    return known


ENGINE_ARGS = []


def run_case(binary, case):
    args = [binary] + ENGINE_ARGS + ['-e', 'DEFAULT', '-t', '1000', '-T', '5000',
            str(case['host']), str(case.get('mailfrom', '') or ''),
            str(case.get('helo', '') or '')]
    try:
        p = subprocess.run(args, capture_output=True, timeout=CASE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return 'hang', '', 'messec-spf did not finish'
    out = p.stdout.decode('latin-1').splitlines()
    if p.returncode != 0 or not out:
        return 'exit%d' % p.returncode, '', p.stderr.decode('latin-1')[:200]
    result = out[0].strip()
    reason = explanation = ''
    for line in out[1:]:
        if line.startswith('reason: '):
            reason = line[8:]
        elif line.startswith('explanation: '):
            explanation = line[13:]
    return result, explanation, reason


def check(binary, case):
    want = case['result']
    want = want if isinstance(want, list) else [want]
    got, exp, reason = run_case(binary, case)
    if got not in want:
        return False, 'expected %s, got %s (%s)' % ('|'.join(want), got,
                                                    reason)
    if 'explanation' in case and case['explanation'] != exp:
        return False, 'explanation %r, got %r' % (case['explanation'], exp)
    return True, reason


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', required=True)
    ap.add_argument('--suite', required=True)
    ap.add_argument('--known')
    ap.add_argument('--min', type=int)
    ap.add_argument('--info', action='store_true')
    ap.add_argument('--only')
    ap.add_argument('--name', default=None)
    ap.add_argument('--jobs', type=int, default=1,
                    help='messec-spf -j N: N threads per case must agree')
    ap.add_argument('--libspf2', action='store_true',
                    help='messec-spf -L: raw libspf2 engine, for comparison')
    a = ap.parse_args()
    if a.libspf2:
        ENGINE_ARGS.append('-L')
    if a.jobs > 1:
        ENGINE_ARGS.extend(['-j', str(a.jobs)])
    name = a.name or a.suite.rsplit('/', 1)[-1].replace('-tests.yml', '')
    if a.libspf2:
        name += ' (libspf2 engine)'
    if a.jobs > 1:
        name += ' (%d threads per case)' % a.jobs
    known = load_known(a.known)

    srv = ZoneServer('127.0.0.1', 53)
    srv.start()
    passed = total = 0
    failures = []
    with open(a.suite, 'rb') as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        scen = slug(doc.get('description', 'scenario'))
        srv.set_zone(doc.get('zonedata') or {})
        for cname, case in doc['tests'].items():
            cid = '%s/%s' % (scen, cname)
            if a.only and a.only not in cid:
                continue
            total += 1
            ok, why = check(a.bin, case)
            if ok:
                passed += 1
            else:
                failures.append((cid, why))
            if a.info:
                continue
            # A listed failure is a TAP TODO (not counted as a failure);
            # one that passes again fails, so the list never goes stale.
            if ok and cid in known:
                print('not ok - spf %s # known failure now passes: remove it '
                      'from known-failures.txt' % cid)
            elif ok:
                print('ok - spf %s' % cid)
            elif cid in known:
                print('not ok - spf %s # TODO known failure: %s'
                      % (cid, known[cid]))
            else:
                print('not ok - spf %s # %s' % (cid, why))
            sys.stdout.flush()
    srv.stop()
    print('# %s: %d/%d passed' % (name, passed, total))
    for cid, why in failures:
        print('# failed %s: %s' % (cid, why))
    if a.min is not None and not a.info:
        if passed >= a.min:
            print('ok - spf %s pass count %d/%d >= %d'
                  % (name, passed, total, a.min))
        else:
            print('not ok - spf %s pass count %d/%d < %d'
                  % (name, passed, total, a.min))
    return 0


if __name__ == '__main__':
    sys.exit(main())
