#!/bin/bash
# NAME
#	70-debian-packages.sh - the .debs install, work, and purge without a trace
# SYNOPSIS
#	make check-packages     (make deb first; then tests/run runs this as root)
# DESCRIPTION
#	Installs build/deb's messec-common, messec-milter-auth and
#	dovecot-messec-mfa with dpkg on this machine, then:
#	- lintian finds no error;
#	- the maintainer scripts made the messec system user and the
#	  directories with their owners and modes; /etc/messec/* are conffiles;
#	- the installed messec-milter-auth -t accepts the shipped config;
#	- the installed daemon, started as its unit starts it (user messec,
#	  empty capability bounding set, no_new_privs: setpriv), binds its
#	  socket in /var/spool/postfix/messec with group postfix, user postfix
#	  negotiates the milter protocol on it, and SIGTERM stops it cleanly;
#	- systemd-analyze verify accepts the installed unit;
#	- the lab's DMARC scenario (33-milter-auth-dmarc.sh) passes against the
#	  installed milter, and the MFA login scenario (50-mfa-login.sh) against
#	  the installed plugin and CLI;
#	- dpkg --purge leaves none of the files dpkg -L listed, no
#	  /etc/messec, /var/lib/messec, /run/messec, spool directory, user or
#	  group.
#	It refuses to run (a failed case) when a messec package or a messec
#	user is already there: purging them would destroy an admin's setup.
#	An EXIT trap purges what it installed when the script stops early.
#	Not part of make check: it changes the machine (packages, a system
#	user) and dpkg's lock would collide with a parallel run.
set -u
. "$(dirname "$0")/../lab/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
DEB_DIR=${DEB_DIR:-$root/build/deb}
pkgs="dovecot-messec-mfa messec-milter-auth messec-common"
spool=/var/spool/postfix/messec

lab_require "prerequisites" dpkg dpkg-query lintian setpriv python3 systemd-analyze || lab_finish
if [ "$(id -u)" -ne 0 ]; then
	fail "prerequisites" "must run as root (dpkg -i)"
	lab_finish
fi
debs=()
for p in messec-common messec-milter-auth dovecot-messec-mfa; do
	f=$(ls "$DEB_DIR"/"${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] && debs+=("$f")
done
if [ ${#debs[@]} -ne 3 ]; then
	fail "the three .debs are built" "missing in $DEB_DIR (make deb)"
	lab_finish
fi
for p in $pkgs; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
		fail "no messec package installed before the test" "$p is installed; not touching it"
		lab_finish
	fi
done
if getent passwd messec >/dev/null || getent group messec >/dev/null || [ -e /etc/messec ]; then
	fail "no messec user or /etc/messec before the test" "present; purging would delete it"
	lab_finish
fi
ok "clean machine: no messec package, user or /etc/messec"

installed=0
milter_pid=
cleanup() {
	[ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null
	[ "$installed" = 1 ] && dpkg --purge $pkgs >/dev/null 2>&1
	return 0
}
trap cleanup EXIT

check "lintian: no error" lintian --fail-on error "$DEB_DIR"/messec_*.changes

out=$(dpkg -i "${debs[@]}" 2>&1); rc=$?
installed=1
if [ "$rc" -eq 0 ]; then ok "dpkg -i of the three packages"; else fail "dpkg -i of the three packages" "$(tail -n 5 <<<"$out")"; fi

# The user, the directories, the conffiles.
pw=$(getent passwd messec)
uid=$(cut -d: -f3 <<<"$pw")
if [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$(cut -d: -f7 <<<"$pw")" = /usr/sbin/nologin ] &&
	[ "$(id -gn messec)" = messec ]; then
	ok "messec is a system user (uid $uid), group messec, no login shell"
else
	fail "messec is a system user (uid $uid), group messec, no login shell" "$pw"
fi
modes() { stat -c '%U:%G %a' "$1" 2>&1; }
if [ -d /var/spool/postfix ]; then
	m=$(modes "$spool")
	[ "$m" = "messec:postfix 2750" ] && ok "$spool is messec:postfix 2750" || fail "$spool is messec:postfix 2750" "$m"
fi
m=$(modes /run/messec)
[ "$m" = "messec:messec 755" ] && ok "/run/messec is messec:messec 755" || fail "/run/messec is messec:messec 755" "$m"
m=$(modes /var/lib/messec/mfa)
[ "$m" = "dovecot:dovecot 700" ] && ok "/var/lib/messec/mfa is dovecot:dovecot 700" || fail "/var/lib/messec/mfa is dovecot:dovecot 700" "$m"
conf=$(dpkg-query -W -f='${Conffiles}\n' messec-milter-auth dovecot-messec-mfa | awk 'NF {print $1}' | sort | tr '\n' ' ')
want="/etc/messec/mfa.conf /etc/messec/milter-auth.conf /etc/messec/milter-auth.conf.d/00-postfix-socket.conf "
[ "$conf" = "$want" ] && ok "/etc/messec/* are conffiles" || fail "/etc/messec/* are conffiles" "$conf"

# The installed binary checks the shipped config.
out=$(/usr/sbin/messec-milter-auth -t 2>&1); rc=$?
if [ "$rc" -eq 0 ] && grep -q "^socket = unix:$spool/milter-auth.sock" <<<"$out"; then
	ok "installed messec-milter-auth -t accepts the shipped config (socket in the spool)"
else
	fail "installed messec-milter-auth -t accepts the shipped config (socket in the spool)" "rc=$rc $(head -n 3 <<<"$out")"
fi
check "installed messec-mfa runs (usage, exit 2)" bash -c '/usr/sbin/messec-mfa >/dev/null 2>&1; [ $? -eq 2 ]'
out=$(systemd-analyze verify /lib/systemd/system/messec-milter-auth.service 2>&1)
if [ -z "$out" ]; then ok "systemd-analyze verify: the installed unit"; else fail "systemd-analyze verify: the installed unit" "$out"; fi

# The daemon as its unit starts it: already user messec, no capability
# at all, no_new_privs; the socket must reach user postfix.
if [ -d /var/spool/postfix ]; then
	log=$(mktemp)
	setpriv --reuid=messec --regid=messec --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs /usr/sbin/messec-milter-auth -f >"$log" 2>&1 &
	milter_pid=$!
	lab_wait 20 test -S "$spool/milter-auth.sock" || true
	m=$(modes "$spool/milter-auth.sock")
	if [ "$m" = "messec:postfix 660" ]; then
		ok "started as messec without capabilities: socket messec:postfix 660"
	else
		fail "started as messec without capabilities: socket messec:postfix 660" "$m $(tail -n 3 "$log")"
	fi
	out=$(setpriv --reuid=postfix --regid=postfix --init-groups \
		"$LAB_PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import milter_client as m
c = m.Milter(sys.argv[2], timeout=5); print("version %d" % c.negotiate()[0])' \
		"$root/tests" "$spool/milter-auth.sock" 2>&1)
	[ "$out" = "version 6" ] && ok "user postfix negotiates with the installed milter" ||
		fail "user postfix negotiates with the installed milter" "$out"
	kill -TERM "$milter_pid"
	wait "$milter_pid"; rc=$?
	milter_pid=
	if [ "$rc" -eq 0 ] && [ ! -e /run/messec/milter-auth.pid ]; then
		ok "SIGTERM stops it, exit 0, pid file removed"
	else
		fail "SIGTERM stops it, exit 0, pid file removed" "rc=$rc $(tail -n 3 "$log")"
	fi
	rm -f "$log"
fi

# The lab scenarios against the installed binaries.
for t in "33-milter-auth-dmarc.sh MESSEC_MILTER_AUTH_BIN=/usr/sbin/messec-milter-auth" \
	"50-mfa-login.sh MESSEC_MFA_SO=/usr/lib/dovecot/modules/auth/libauthdb_mfa.so MESSEC_MFA_CLI=/usr/sbin/messec-mfa"; do
	set -- $t
	script=$1; shift
	out=$(env "$@" B="$B" timeout 900 bash "$root/tests/integration/$script" 2>&1); rc=$?
	cases=$(grep -cE '^(not )?ok\b' <<<"$out")
	if [ "$rc" -eq 0 ] && [ "$cases" -gt 0 ] && ! grep -q '^not ok' <<<"$out"; then
		ok "$script against the installed package: $cases cases pass"
	else
		fail "$script against the installed package" "rc=$rc $(grep '^not ok' <<<"$out" | head -n 3)"
	fi
done

# Purge: nothing of ours stays.
files=$(dpkg -L $pkgs 2>/dev/null | sort -u)
out=$(dpkg --purge $pkgs 2>&1); rc=$?
installed=0
[ "$rc" -eq 0 ] && ok "dpkg --purge" || fail "dpkg --purge" "$(tail -n 3 <<<"$out")"
left=
while IFS= read -r f; do
	[ -n "$f" ] && [ "$f" != /. ] || continue
	[ -e "$f" ] || [ -L "$f" ] || continue
	# A directory other packages own too (/usr/sbin, /etc) stays, rightly.
	dpkg -S "$f" >/dev/null 2>&1 && continue
	left+=" $f"
done <<<"$files"
for f in /etc/messec /var/lib/messec /run/messec "$spool"; do
	[ -e "$f" ] && left+=" $f"
done
[ -z "$left" ] && ok "purge leaves no file of ours (dpkg -L, /etc/messec, /var/lib/messec, /run/messec, $spool)" ||
	fail "purge leaves no file of ours" "left:$left"
if ! getent passwd messec >/dev/null && ! getent group messec >/dev/null; then
	ok "purge removes the messec user and group"
else
	fail "purge removes the messec user and group" "$(getent passwd messec) $(getent group messec)"
fi

lab_finish
