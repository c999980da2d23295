#!/bin/bash
# NAME
#	61-deb-build.sh - make deb builds the five packages, lintian-clean, each with what it must ship
# DESCRIPTION
#	`make deb` in CI (issue 20 item 5) without installing anything (that
#	is make check-packages, as root, outside make check): builds the .debs
#	into $B/deb-check (not build/deb, so a developer's own make deb is
#	not disturbed), then checks:
#	- the five packages are built and lintian reports no error;
#	- each daemon package ships its binary, man page, unit, conffiles
#	  (/etc/messec/<daemon>.conf and its conf.d drop-in) and Postfix
#	  lines; Depends on messec-common of the same version, milter-av on
#	  libclamav (shlibs);
#	- each packaged unit's `systemd-analyze security --offline=yes`
#	  exposure is at most 2.0 ("OK"), the target docs/packaging.md gives.
#	The .debs stay in $B/deb-check for lab 62 (installs them in a
#	throw-away root); make clean removes them.
#	Needs the Debian build tools (packaging/debian-deps.txt) and about two
#	minutes of compilation.
set -u
. "$(dirname "$0")/../lab/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$root/$B ;; esac
deb_dir=$B/deb-check
lab_require "prerequisites" dpkg-buildpackage dpkg-deb lintian systemd-analyze || lab_finish

out=$(cd "$root" && nice -n 10 make deb DEB_DIR="$deb_dir" 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then
	ok "make deb builds"
else
	fail "make deb builds" "rc=$rc $(tail -n 8 <<<"$out")"
	lab_finish
fi
version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$root/packaging/debian/changelog")
missing=
for p in messec-common messec-milter-auth messec-milter-av messec-policyd dovecot-messec-mfa; do
	ls "$deb_dir/${p}_${version}_"*.deb >/dev/null 2>&1 || missing+=" $p"
done
[ -z "$missing" ] && ok "the five packages are built ($version)" || fail "the five packages are built ($version)" "missing:$missing"
check "lintian: no error" lintian --fail-on error "$deb_dir/messec_${version}_"*.changes

# ships PKG FILE...: every FILE (a path in the package, without ./) is in PKG.
ships() {
	local pkg=$1 f list miss=
	shift
	list=$(dpkg-deb -c "$deb_dir/${pkg}_${version}_"*.deb 2>/dev/null | awk '{print $6}' | sed 's,^\./,,')
	for f in "$@"; do grep -qx -- "$f" <<<"$list" || miss+=" $f"; done
	[ -z "$miss" ] && ok "$pkg ships $*" || fail "$pkg ships $*" "missing:$miss"
}
# conffiles PKG FILE...: exactly these conffiles.
conffiles() {
	local pkg=$1 got want
	shift
	got=$(dpkg-deb -I "$deb_dir/${pkg}_${version}_"*.deb conffiles 2>/dev/null | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] && ok "$pkg conffiles: $*" || fail "$pkg conffiles: $*" "got: $got"
}
for d in milter-auth milter-av policyd; do
	ships "messec-$d" "usr/sbin/messec-$d" "usr/share/man/man8/messec-$d.8.gz" \
		"lib/systemd/system/messec-$d.service" "usr/share/messec/$d.cf" \
		"etc/messec/$d.conf" "etc/messec/$d.conf.d/00-postfix-socket.conf"
	conffiles "messec-$d" "/etc/messec/$d.conf" "/etc/messec/$d.conf.d/00-postfix-socket.conf"
	dep=$(dpkg-deb -f "$deb_dir/messec-${d}_${version}_"*.deb Depends 2>/dev/null)
	[[ $dep == *"messec-common (= $version)"* ]] && ok "messec-$d depends on messec-common (= $version)" ||
		fail "messec-$d depends on messec-common (= $version)" "$dep"
done
ships messec-milter-auth usr/sbin/messec-spf usr/sbin/messec-dkim-keygen usr/sbin/messec-dmarc-report
ships messec-common usr/sbin/messec-postfix-setup usr/share/man/man8/messec-postfix-setup.8.gz
dep=$(dpkg-deb -f "$deb_dir/messec-milter-av_${version}_"*.deb Depends 2>/dev/null)
[[ $dep == *libclamav* ]] && ok "messec-milter-av depends on libclamav (shlibs)" ||
	fail "messec-milter-av depends on libclamav (shlibs)" "$dep"

# The units as packaged: exposure at most 2.0.
x=$(mktemp -d)
for d in milter-auth milter-av policyd; do
	dpkg-deb -x "$deb_dir/messec-${d}_${version}_"*.deb "$x/$d"
	out=$(systemd-analyze security --offline=yes --no-pager "$x/$d/lib/systemd/system/messec-$d.service" 2>&1)
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' <<<"$out")
	if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
		ok "messec-$d.service exposure $level (<= 2.0)"
	else
		fail "messec-$d.service exposure <= 2.0" "level '${level}': $(tail -n 2 <<<"$out")"
	fi
done
rm -rf "$x"

lab_finish
