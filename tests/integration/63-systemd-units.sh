#!/bin/bash
# NAME
#	63-systemd-units.sh - the packaged units under a real systemd (systemd-nspawn)
# DESCRIPTION
#	Boots the cached Debian 12 root of tests/systemd/build-root with
#	systemd-nspawn (--volatile=overlay: the cached root is never changed,
#	every change goes to a tmpfs; --private-network: only a loopback),
#	installs the three daemon packages and messec-common there with dpkg
#	-i, whose postinst enables and starts the units (dh_installsystemd),
#	and for each of messec-milter-auth, messec-milter-av, messec-policyd:
#	- systemctl is-active says active and the main process runs as
#	  messec with no_new_privs, an empty capability bounding set and a
#	  seccomp filter;
#	- its socket in /var/spool/postfix/messec is messec:postfix 0660 and
#	  answers user postfix (milter negotiation, a policy request);
#	- the sandbox is in force, seen from inside the service's own mount
#	  namespace (nsenter): a write in /etc or /usr fails (read-only file
#	  system), one in its ReadWritePaths succeeds; /home is empty;
#	- systemctl reload keeps it active, same process (ExecReload, SIGHUP);
#	  a SIGKILL makes systemd restart it (Restart=on-failure) and the
#	  new process serves;
#	- systemctl stop stops it (inactive).
#	Then the container is powered off. The root is built once per machine
#	(tests/systemd/build-root: debootstrap into
#	/var/cache/messec/bookworm-systemd; make check builds it first). The
#	.debs are lab 61's, as for lab 62 (debs.bash; DEB_DIR=dir for others).
#	About 15 seconds once the root is cached. PID 1 of the host need not
#	be systemd (it is not on the machine this was written on).
set -u
. "$(dirname "$0")/../lab/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$root/$B ;; esac
spool=/var/spool/postfix/messec
machine=messec-units-$$

lab_require "prerequisites" systemd-nspawn nsenter pgrep git || lab_finish
if [ "$(id -u)" -ne 0 ]; then
	fail "prerequisites" "must run as root (systemd-nspawn)"
	lab_finish
fi
. "$(dirname "$0")/debs.bash"
debs_ready messec-common messec-milter-auth messec-milter-av messec-policyd
# A SANITIZE=1 build's packages link libasan/libubsan, which a Debian
# server (and this container's root) does not carry: the units are tested
# with the plain build's packages (make check); the sanitizer run says so
# instead of installing a runtime no admin would have.
if dpkg-deb -f "$(ls "$DEB_DIR"/messec-milter-auth_*.deb | head -n 1)" Depends | grep -q 'libasan'; then
	skip "units under a real systemd" "the packages of this build link libasan (make SANITIZE=1); lab 63 runs on the plain build's packages"
	lab_finish
fi
out=$("$root/tests/systemd/build-root" 2>&1) || { fail "the cached Debian 12 root (tests/systemd/build-root)" "$(tail -n 4 <<<"$out")"; lab_finish; }
sysroot=$("$root/tests/systemd/build-root" --prefix)
debs=()
for p in messec-common messec-milter-auth messec-milter-av messec-policyd; do
	f=$(ls "$DEB_DIR/${p}_"*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] && debs+=("/debs/$(basename "$f")")
done

log=$(mktemp)
nspawn_pid=
cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill -TERM "$nspawn_pid"
		for _ in $(seq 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	rm -f "$log"
	return 0
}
trap cleanup EXIT
# --register=no --keep-unit: no systemd (machined) on the host to register with.
systemd-nspawn -D "$sysroot" -M "$machine" --volatile=overlay --private-network --register=no --keep-unit \
	--bind-ro="$DEB_DIR:/debs" --bind-ro="$root/tests:/messec-tests" -b >"$log" 2>&1 </dev/null &
nspawn_pid=$!

# The container's PID 1: the child of systemd-nspawn, once it is systemd.
leader=
for _ in $(seq 150); do
	leader=$(pgrep -P "$nspawn_pid" | head -n 1)
	[ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ] && break
	sleep 0.2
done
# ct CMD...: run CMD in the container (all its namespaces, its root).
ct() { nsenter -t "$leader" -a -- "$@"; }
# Until its systemd answers on its private bus (it takes a moment to
# create it), then until the boot is over.
state=
for _ in $(seq 90); do
	[ -n "$leader" ] || break
	state=$(timeout 90 nsenter -t "$leader" -a -- systemctl is-system-running --wait 2>&1)
	case $state in "Failed to connect"* | offline) sleep 1 ;; *) break ;; esac
done
if [ "$state" = running ] || [ "$state" = degraded ]; then
	ok "systemd boots in the container ($state)"
else
	fail "systemd boots in the container" "state '$state' $(tail -n 5 "$log")"
	lab_finish
fi
[ "$(ct readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] || [ "$(ct readlink /proc/1/exe)" = /lib/systemd/systemd ] &&
	ok "PID 1 in the container is systemd" || fail "PID 1 in the container is systemd" "$(ct readlink /proc/1/exe 2>&1)"

out=$(ct env DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}" 2>&1); rc=$?
[ "$rc" -eq 0 ] && ok "dpkg -i of messec-common and the three daemon packages" ||
	fail "dpkg -i of messec-common and the three daemon packages" "$(tail -n 5 <<<"$out")"

# probe NAME: as user postfix, the daemon's answer on its socket.
probe() {
	case $1 in
	policyd)
		ct setpriv --reuid=postfix --regid=postfix --init-groups python3 \
			/messec-tests/policy_client.py "$spool/policyd.sock" 2>&1 ;;
	*)
		ct setpriv --reuid=postfix --regid=postfix --init-groups python3 -c 'import sys
sys.path.insert(0, "/messec-tests"); import milter_client as m
c = m.Milter(sys.argv[1], timeout=5); print("version %d" % c.negotiate()[0])' "$spool/$1.sock" 2>&1 ;;
	esac
}

for d in milter-auth milter-av policyd; do
	unit=messec-$d.service
	case $d in
	policyd) want="action=DUNNO" rw=/var/lib/messec/policyd ;;
	*) want="version 6" rw=$spool ;;
	esac
	# The postinst started it; wait for its socket.
	for _ in $(seq 100); do ct test -S "$spool/$d.sock" && break; sleep 0.2; done
	st=$(ct systemctl is-active "$unit" 2>&1)
	[ "$st" = active ] && ok "$unit is active (started by the postinst)" ||
		fail "$unit is active (started by the postinst)" "$st $(ct journalctl -u "$unit" -n 5 --no-pager 2>&1)"
	pid=$(ct systemctl show -P MainPID "$unit")
	if [ -z "$pid" ] || [ "$pid" = 0 ]; then
		fail "$unit has a main process" "MainPID '$pid'"
		continue
	fi
	# The main process as seen from the container's /proc.
	status=$(ct cat "/proc/$pid/status" 2>&1)
	user=$(ct ps -o user= -p "$pid" 2>&1)
	nnp=$(awk '/^NoNewPrivs:/ {print $2}' <<<"$status")
	bnd=$(awk '/^CapBnd:/ {print $2}' <<<"$status")
	sec=$(awk '/^Seccomp:/ {print $2}' <<<"$status")
	if [ "$user" = messec ] && [ "$nnp" = 1 ] && [ "$bnd" = 0000000000000000 ] && [ "$sec" = 2 ]; then
		ok "$unit runs as messec, no_new_privs, no capability, seccomp filter"
	else
		fail "$unit runs as messec, no_new_privs, no capability, seccomp filter" "user=$user NoNewPrivs=$nnp CapBnd=$bnd Seccomp=$sec"
	fi
	m=$(ct stat -c '%U:%G %a' "$spool/$d.sock" 2>&1)
	[ "$m" = "messec:postfix 660" ] && ok "$d's socket is messec:postfix 660" || fail "$d's socket is messec:postfix 660" "$m"
	out=$(probe "$d")
	[ "$out" = "$want" ] && ok "user postfix talks to $unit: $want" || fail "user postfix talks to $unit: $want" "$out"
	# The sandbox, from inside the service's mount namespace (as root
	# there: only the mounts stop the writes).
	bad=
	for f in /etc/messec/x /usr/sbin/x /var/lib/x /var/spool/postfix/x; do
		out=$(ct nsenter -t "$pid" -m -- sh -c "echo x >$f" 2>&1) && { bad+=" $f:written"; ct nsenter -t "$pid" -m -- rm -f "$f"; continue; }
		grep -q "Read-only file system" <<<"$out" || bad+=" $f:$out"
	done
	[ -z "$bad" ] && ok "$unit: writes in /etc, /usr, /var/lib, the spool fail (read-only file system)" ||
		fail "$unit: writes in /etc, /usr, /var/lib, the spool fail (read-only file system)" "$bad"
	if ct nsenter -t "$pid" -m -- sh -c "echo x >$rw/.sandbox-probe && rm $rw/.sandbox-probe" 2>/dev/null; then
		ok "$unit: its ReadWritePaths ($rw) is writable"
	else
		fail "$unit: its ReadWritePaths ($rw) is writable" "$(ct nsenter -t "$pid" -m -- sh -c "echo x >$rw/.sandbox-probe" 2>&1)"
	fi
	ct mkdir -p /home/someone
	h=$(ct nsenter -t "$pid" -m -- ls -A /home 2>&1)
	[ -z "$h" ] && ok "$unit: /home is empty inside (ProtectHome)" || fail "$unit: /home is empty inside (ProtectHome)" "$h"
	# ExecReload (SIGHUP: the daemon rereads its config, same process)
	# and Restart=on-failure (a SIGKILL: systemd starts it again).
	out=$(ct systemctl reload "$unit" 2>&1); rc=$?
	sleep 0.5
	st=$(ct systemctl is-active "$unit" 2>&1)
	npid=$(ct systemctl show -P MainPID "$unit")
	if [ "$rc" -eq 0 ] && [ "$st" = active ] && [ "$npid" = "$pid" ]; then
		ok "systemctl reload $unit: still active, same process"
	else
		fail "systemctl reload $unit: still active, same process" "rc=$rc $st pid $pid -> $npid $out"
	fi
	# The killed process's socket file stays until the new one replaces
	# it: wait for an answer, not for the file.
	ct kill -KILL "$pid"
	npid=$pid out=
	for _ in $(seq 100); do
		npid=$(ct systemctl show -P MainPID "$unit")
		if [ "$npid" != "$pid" ] && [ "$npid" != 0 ]; then
			out=$(probe "$d")
			[ "$out" = "$want" ] && break
		fi
		sleep 0.2
	done
	st=$(ct systemctl is-active "$unit" 2>&1)
	if [ "$npid" != "$pid" ] && [ "$npid" != 0 ] && [ "$st" = active ] && [ "$out" = "$want" ]; then
		ok "$unit killed (SIGKILL): systemd restarts it and it serves again"
	else
		fail "$unit killed (SIGKILL): systemd restarts it and it serves again" "pid $pid -> $npid, $st, $out"
	fi
	out=$(ct systemctl stop "$unit" 2>&1)
	st=$(ct systemctl is-active "$unit" 2>&1)
	[ "$st" = inactive ] && ok "systemctl stop $unit: inactive" || fail "systemctl stop $unit: inactive" "$st $out"
done

# Power off: nspawn passes SIGTERM on as systemd's halt signal.
kill -TERM "$nspawn_pid"
for _ in $(seq 120); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$nspawn_pid" 2>/dev/null; then
	fail "the container shuts down" "still running after 30 s"
else
	wait "$nspawn_pid"; rc=$?
	nspawn_pid=
	[ "$rc" -eq 0 ] && ok "the container shuts down (exit 0)" || fail "the container shuts down (exit 0)" "rc=$rc $(tail -n 3 "$log")"
fi
[ ! -e "$sysroot/etc/messec" ] && ! grep -q '^messec:' "$sysroot/etc/passwd" &&
	ok "the cached root is unchanged (no /etc/messec, no messec user)" ||
	fail "the cached root is unchanged (no /etc/messec, no messec user)" "$(ls -d "$sysroot/etc/messec" 2>&1)"

lab_finish
