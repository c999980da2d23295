#!/usr/bin/python3
# NAME
#	cgsum.py - instructions per message by ELF object, from callgrind dumps
# SYNOPSIS
#	cgsum.py MESSAGES LABEL=CALLGRIND_OUT_FILE...
# DESCRIPTION
#	For each file: callgrind_annotate's self cost of every function (Ir,
#	instructions executed in user space), summed by the object it lives
#	in (messec-milter-av, libclamav.so, libmilter.so, libc.so...), divided
#	by MESSAGES. One table per file, then the total per label. Kernel work
#	(system calls) is not counted by callgrind: the CPU time columns of
#	bench/milter-av/run show it. When the file holds libclamav's scan
#	call, two more lines split the total: inside cl_scandesc_callback
#	(libclamav and what it calls, our file-inspection callback included)
#	and outside it (messec's own per-message path and its libc calls).
import re
import subprocess
import sys


def by_object(path):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", path],
                         check=True, capture_output=True, text=True).stdout
    total = 0
    objs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(PROGRAM TOTALS|\S.*)$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        what = m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            total = n
            continue
        o = re.search(r"\[([^\]]+)\]\s*$", what)
        if o is None:
            continue
        name = o.group(1).rsplit("/", 1)[-1]
        name = re.sub(r"\.so[.\d]*$", ".so", name)
        objs[name] = objs.get(name, 0) + n
    return total, objs


def inclusive(path, func):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=yes", path],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\S*:" + func + r" ", line)
        if m:
            return int(m.group(1).replace(",", ""))
    return None


def main():
    msgs = int(sys.argv[1])
    for arg in sys.argv[2:]:
        label, path = arg.split("=", 1)
        total, objs = by_object(path)
        print("# %s: %.0f instructions per message (user space, %d messages)" % (label, total / msgs, msgs))
        for name, n in sorted(objs.items(), key=lambda kv: -kv[1]):
            if n * 1000 >= total or name.startswith("messec"):
                print("%s\t%s\t%.0f\t%.2f%%" % (label, name, n / msgs, 100.0 * n / total))
        scan = inclusive(path, "cl_scandesc_callback")
        if scan is not None and total > 0:
            print("%s\tinside cl_scandesc_callback\t%.0f\t%.2f%%" % (label, scan / msgs, 100.0 * scan / total))
            print("%s\toutside the scan (messec's path)\t%.0f\t%.2f%%" % (label, (total - scan) / msgs,
                                                                           100.0 * (total - scan) / total))


if __name__ == "__main__":
    main()
