#!/bin/bash
# NAME
#	70-debian-packages.sh - the .debs install, work, and purge without a trace
# SYNOPSIS
#	make check-packages     (make deb first; then tests/run runs this as root)
# DESCRIPTION
#	Installs build/deb's messec-common, messec-milter-auth,
#	messec-milter-av, messec-policyd and dovecot-messec-mfa with dpkg on
#	this machine, then:
#	- lintian finds no error;
#	- the maintainer scripts made the messec system user and the
#	  directories with their owners and modes; /etc/messec/* are conffiles;
#	- each installed daemon's -t accepts the shipped config (socket in
#	  the spool);
#	- each installed daemon, started as its unit starts it (user messec,
#	  empty capability bounding set, no_new_privs: setpriv; milter-av also
#	  under the kernel's MemoryDenyWriteExecute, PR_SET_MDWE), binds its
#	  socket in /var/spool/postfix/messec with group postfix, user postfix
#	  talks to it (milter negotiation, a policy request), and SIGTERM
#	  stops it cleanly; policyd's LMDB store lands in /var/lib/messec/policyd;
#	- the installed libclamav links no LLVM (no bytecode JIT), the reason
#	  messec-milter-av.service keeps MemoryDenyWriteExecute;
#	- systemd-analyze verify accepts the three installed units;
#	- lab scenarios against the installed binaries: DMARC
#	  (33-milter-auth-dmarc.sh), the virus scan (40-milter-av-scan.sh, the
#	  milter under PR_SET_MDWE), policyd (70-policyd.sh), the MFA login
#	  (50-mfa-login.sh, plugin and CLI);
#	- dpkg --purge leaves none of the files dpkg -L listed, no
#	  /etc/messec, /var/lib/messec, /run/messec, spool directory, user or
#	  group.
#	PKG_LABS (default "33-milter-auth-dmarc.sh 40-milter-av-scan.sh
#	70-policyd.sh 50-mfa-login.sh") chooses the lab scenarios: each one's
#	layer is read from its number (3x milter-auth, 4x milter-av, 5x MFA,
#	7x policyd). PKG_LINTIAN=0 leaves lintian out (lab 62, which runs
#	this in a throw-away root, after lab 61 ran lintian on the same .debs).
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
pkgs="dovecot-messec-mfa messec-milter-auth messec-milter-av messec-policyd messec-common"
spool=/var/spool/postfix/messec

PKG_LABS=${PKG_LABS:-33-milter-auth-dmarc.sh 40-milter-av-scan.sh 70-policyd.sh 50-mfa-login.sh}
PKG_LINTIAN=${PKG_LINTIAN:-1}

lab_require "prerequisites" dpkg dpkg-query setpriv python3 systemd-analyze || lab_finish
[ "$PKG_LINTIAN" = 0 ] || lab_require "prerequisites" lintian || lab_finish
if [ "$(id -u)" -ne 0 ]; then
	fail "prerequisites" "must run as root (dpkg -i)"
	lab_finish
fi
debs=()
for p in messec-common messec-milter-auth messec-milter-av messec-policyd dovecot-messec-mfa; do
	f=$(ls "$DEB_DIR"/"${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] && debs+=("$f")
done
if [ ${#debs[@]} -ne 5 ]; then
	fail "the five .debs are built" "missing in $DEB_DIR (make deb)"
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
mdwe=$(mktemp -d)
cleanup() {
	[ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null
	rm -rf "$mdwe"
	[ "$installed" = 1 ] && dpkg --purge $pkgs >/dev/null 2>&1
	return 0
}
trap cleanup EXIT

[ "$PKG_LINTIAN" = 0 ] || check "lintian: no error" lintian --fail-on error "$DEB_DIR"/messec_*.changes

out=$(dpkg -i "${debs[@]}" 2>&1); rc=$?
installed=1
if [ "$rc" -eq 0 ]; then ok "dpkg -i of the five packages"; else fail "dpkg -i of the five packages" "$(tail -n 5 <<<"$out")"; fi

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
m=$(modes /var/lib/messec/policyd)
[ "$m" = "messec:messec 700" ] && ok "/var/lib/messec/policyd is messec:messec 700" || fail "/var/lib/messec/policyd is messec:messec 700" "$m"
m=$(modes /var/lib/messec/mfa)
[ "$m" = "dovecot:dovecot 700" ] && ok "/var/lib/messec/mfa is dovecot:dovecot 700" || fail "/var/lib/messec/mfa is dovecot:dovecot 700" "$m"
conf=$(dpkg-query -W -f='${Conffiles}\n' messec-milter-auth messec-milter-av messec-policyd dovecot-messec-mfa | awk 'NF {print $1}' | sort | tr '\n' ' ')
want="/etc/messec/mfa.conf /etc/messec/milter-auth.conf /etc/messec/milter-auth.conf.d/00-postfix-socket.conf "
want+="/etc/messec/milter-av.conf /etc/messec/milter-av.conf.d/00-postfix-socket.conf "
want+="/etc/messec/policyd.conf /etc/messec/policyd.conf.d/00-postfix-socket.conf "
[ "$conf" = "$want" ] && ok "/etc/messec/* are conffiles" || fail "/etc/messec/* are conffiles" "$conf"

# The installed binaries check the shipped config (with the package's
# drop-in: the socket in the spool).
for d in "milter-auth socket = unix:$spool/milter-auth.sock" "milter-av socket = unix:$spool/milter-av.sock" \
	"policyd listen = unix:$spool/policyd.sock"; do
	set -- $d
	out=$(/usr/sbin/messec-$1 -t 2>&1); rc=$?
	if [ "$rc" -eq 0 ] && grep -qx "$2 $3 $4" <<<"$out"; then
		ok "installed messec-$1 -t accepts the shipped config ($2 in the spool)"
	else
		fail "installed messec-$1 -t accepts the shipped config ($2 in the spool)" "rc=$rc $(grep "^$2 " <<<"$out") $(head -n 2 <<<"$out")"
	fi
done
out=$(/usr/sbin/messec-policyd -t 2>&1)
grep -qx "store = lmdb:/var/lib/messec/policyd/policyd.lmdb" <<<"$out" &&
	ok "policyd's shipped store is in /var/lib/messec/policyd" ||
	fail "policyd's shipped store is in /var/lib/messec/policyd" "$(grep '^store' <<<"$out")"
check "installed messec-mfa runs (usage, exit 2)" bash -c '/usr/sbin/messec-mfa >/dev/null 2>&1; [ $? -eq 2 ]'
out=$(systemd-analyze verify /lib/systemd/system/messec-milter-auth.service /lib/systemd/system/messec-milter-av.service \
	/lib/systemd/system/messec-policyd.service 2>&1)
if [ -z "$out" ]; then ok "systemd-analyze verify: the three installed units"; else fail "systemd-analyze verify: the three installed units" "$out"; fi

# MemoryDenyWriteExecute and libclamav: the unit keeps it because this
# libclamav has no LLVM JIT. The kernel's own W^X switch (PR_SET_MDWE,
# Linux 6.3, inherited across execve) stands in for systemd's seccomp
# filter: $mdwe/run CMD... runs CMD under it.
ldd_out=$(ldd /usr/sbin/messec-milter-av 2>&1)
if grep -q libclamav <<<"$ldd_out" && ! grep -qi llvm <<<"$ldd_out"; then
	ok "the installed libclamav links no LLVM (no bytecode JIT): MemoryDenyWriteExecute can stay"
else
	fail "the installed libclamav links no LLVM (no bytecode JIT): MemoryDenyWriteExecute can stay" "$(grep -i 'clamav\|llvm' <<<"$ldd_out")"
fi
cat >"$mdwe/run" <<'X'
#!/bin/sh
# PR_SET_MDWE (65), PR_MDWE_REFUSE_EXEC_GAIN (1): no W+X mapping, no
# mprotect that adds PROT_EXEC to a writable one.
exec python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_MDWE): %s" % os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
X
printf '#!/bin/sh\nexec "%s" /usr/sbin/messec-milter-av "$@"\n' "$mdwe/run" >"$mdwe/messec-milter-av"
chmod 755 "$mdwe" "$mdwe/run" "$mdwe/messec-milter-av"
out=$("$mdwe/run" python3 -c 'import mmap
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print("mapped")
except OSError as e:
    print("refused", e.errno)' 2>&1)
[[ $out == "refused "* ]] && ok "PR_SET_MDWE is enforced here: a W+X mapping is refused" ||
	fail "PR_SET_MDWE is enforced here: a W+X mapping is refused" "$out"

# Each daemon as its unit starts it: already user messec, no capability
# at all, no_new_privs (milter-av also under PR_SET_MDWE); the socket must
# reach user postfix.
# probe_milter SOCK / probe_policy SOCK: as user postfix, prints the answer.
probe_milter() {
	setpriv --reuid=postfix --regid=postfix --init-groups \
		"$LAB_PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import milter_client as m
c = m.Milter(sys.argv[2], timeout=5); print("version %d" % c.negotiate()[0])' "$root/tests" "$1" 2>&1
}
probe_policy() {
	setpriv --reuid=postfix --regid=postfix --init-groups \
		"$LAB_PY" "$root/tests/policy_client.py" "$1" 2>&1
}
# as_unit NAME PROBE WANT [WRAPPER]
as_unit() {
	local name=$1 probe=$2 want=$3 wrap=${4:-} log sock=$spool/$1.sock m out rc
	log=$(mktemp)
	setpriv --reuid=messec --regid=messec --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs $wrap /usr/sbin/messec-$name -f >"$log" 2>&1 &
	milter_pid=$!
	lab_wait 20 test -S "$sock" || true
	m=$(modes "$sock")
	if [ "$m" = "messec:postfix 660" ]; then
		ok "$name started as messec without capabilities${wrap:+ (PR_SET_MDWE)}: socket messec:postfix 660"
	else
		fail "$name started as messec without capabilities${wrap:+ (PR_SET_MDWE)}: socket messec:postfix 660" "$m $(tail -n 3 "$log")"
	fi
	out=$($probe "$sock")
	[ "$out" = "$want" ] && ok "user postfix talks to the installed $name: $want" ||
		fail "user postfix talks to the installed $name: $want" "$out"
	kill -TERM "$milter_pid"
	wait "$milter_pid"; rc=$?
	milter_pid=
	if [ "$rc" -eq 0 ] && [ ! -e "/run/messec/$name.pid" ]; then
		ok "$name: SIGTERM stops it, exit 0, pid file removed"
	else
		fail "$name: SIGTERM stops it, exit 0, pid file removed" "rc=$rc $(tail -n 3 "$log")"
	fi
	rm -f "$log"
}
if [ -d /var/spool/postfix ]; then
	as_unit milter-auth probe_milter "version 6"
	as_unit milter-av probe_milter "version 6" "$mdwe/run"
	as_unit policyd probe_policy "action=DUNNO"
	m=$(modes /var/lib/messec/policyd/policyd.lmdb)
	[ "$m" = "messec:messec 600" ] && ok "policyd's store: /var/lib/messec/policyd/policyd.lmdb messec 600" ||
		fail "policyd's store: /var/lib/messec/policyd/policyd.lmdb messec 600" "$m"
fi

# The lab scenarios against the installed binaries (the labs take the
# binaries' paths in these variables: tests/integration/*.bash).
for script in $PKG_LABS; do
	case $script in
	3*) vars="MESSEC_MILTER_AUTH_BIN=/usr/sbin/messec-milter-auth" ;;
	4*) vars="MESSEC_MILTER_AV_BIN=$mdwe/messec-milter-av" ;;
	5*) vars="MESSEC_MFA_SO=/usr/lib/dovecot/modules/auth/libauthdb_mfa.so MESSEC_MFA_CLI=/usr/sbin/messec-mfa" ;;
	7*) vars="MESSEC_POLICYD_BIN=/usr/sbin/messec-policyd" ;;
	*) fail "$script against the installed package" "PKG_LABS: no layer for this number"; continue ;;
	esac
	out=$(env $vars B="$B" timeout 900 bash "$root/tests/integration/$script" 2>&1); rc=$?
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
