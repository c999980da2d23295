#!/bin/bash
# NAME
#	62-deb-install.sh - the .debs installed with dpkg in a throw-away root: they work, purge leaves nothing
# DESCRIPTION
#	Issue 20 item 5 inside make check, without changing the machine. In a
#	private mount namespace (unshare -m) an overlayfs over / (upper and
#	work directories on a tmpfs of that namespace) is the root of a chroot,
#	with /proc, /dev and /sys of the host and a fresh /run. There
#	tests/packages/70-debian-packages.sh (what make check-packages runs on
#	the host) installs the five .debs with real dpkg -i, so the maintainer
#	scripts really run (user, directories, modes), checks them, runs one
#	lab scenario per layer against the installed binaries (PKG_LABS below;
#	MFA on the host's Dovecot 2.3 with the packaged plugin) and purges.
#	Around it this script checks:
#	- writes inside the root do not reach the host (a marker file);
#	- after the purge, the overlay's upper directory (every file, link,
#	  directory and deletion the whole run made below /, but /run) holds
#	  nothing of ours: only dpkg's and debconf's records, logs, the labs'
#	  /tmp files, and /etc/passwd, group, shadow, gshadow, subuid, subgid
#	  byte-identical to the host's again; no directory that is not on the
#	  host, no host file deleted, no host directory with another owner or
#	  mode; nothing left in /run but what the lab itself keeps;
#	- no process is left running in the root;
#	- on the host, afterwards: its messec packages, user, /etc/messec
#	  (normally none) as before.
#	The .debs are lab 61's ($B/deb-check; built first when missing or
#	older than the tree: debs.bash). DEB_DIR=dir uses other .debs (a
#	broken scratch build, to watch this fail). Needs root, unshare and
#	overlayfs over / (checked here: / is ext4; on a host whose / is itself
#	an overlay, see docs/packaging.md).
set -u
# The whole script runs in its own mount namespace: every mount below
# disappears with it, whatever way it ends.
if [ -z "${MESSEC_THROWAWAY_NS:-}" ] && command -v unshare >/dev/null && [ "$(id -u)" -eq 0 ]; then
	MESSEC_THROWAWAY_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../lab/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$root/$B ;; esac
# One quick lab scenario per layer (33: DMARC, 40: the virus scan, 70:
# policyd, 50: an MFA login with the packaged plugin and CLI).
PKG_LABS=${PKG_LABS:-33-milter-auth-dmarc.sh 40-milter-av-scan.sh 70-policyd.sh 50-mfa-login.sh}
pkgs="messec-common messec-milter-auth messec-milter-av messec-policyd dovecot-messec-mfa"
# host_state: the host's messec packages and user (compared at the end).
host_state() {
	local p
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed && echo "package:$p"
	done
	getent passwd messec >/dev/null && echo "user:messec"
	[ -e /etc/messec ] && echo "/etc/messec"
	return 0
}
host_before=$(host_state)

lab_require "prerequisites" unshare chroot mount umount dpkg dpkg-query findmnt git || lab_finish
if [ "$(id -u)" -ne 0 ] || [ -z "${MESSEC_THROWAWAY_NS:-}" ]; then
	fail "prerequisites" "must run as root, in its own mount namespace (unshare -m)"
	lab_finish
fi

. "$(dirname "$0")/debs.bash"
debs_ready $pkgs

# The throw-away root. The upper and work directories are on a tmpfs of
# this namespace: nothing is left on disk whatever way the run ends.
tmp=$(mktemp -d /tmp/messec-throwaway.XXXXXX)
new=$tmp/root
cleanup() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$new" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	umount -R -l "$new" 2>/dev/null
	umount -l "$tmp" 2>/dev/null
	rmdir "$tmp" 2>/dev/null
	return 0
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=4g,mode=0700 messec-throwaway "$tmp" ||
	! mkdir "$tmp/upper" "$tmp/work" "$new" ||
	! out=$(mount -t overlay messec-throwaway -o "lowerdir=/,upperdir=$tmp/upper,workdir=$tmp/work" "$new" 2>&1); then
	fail "overlayfs over /" "$out $(dmesg 2>/dev/null | grep -i overlay | tail -n 2)"
	lab_finish
fi
# /proc, /dev, /sys as on the host (dpkg, the lab's netns and ptys need
# them); /run fresh: the host's /run holds other labs and its /run/netns,
# which ip netns would change. /tmp stays in the overlay (a tree or
# DEB_DIR under /tmp must be seen); the labs' files there are not ours.
if mount -t proc proc "$new/proc" && mount --rbind /dev "$new/dev" && mount --rbind /sys "$new/sys" &&
	mount -t tmpfs -o mode=0755 messec-run "$new/run"; then
	ok "throw-away root: overlayfs over / (upper on a private tmpfs), /proc /dev /sys bound, fresh /run"
else
	fail "throw-away root: mounts" "$(findmnt -R "$new" | tail -n 3)"
	lab_finish
fi
marker=/etc/messec-throwaway-marker.$$
echo x >"$new$marker"
if [ -e "$tmp/upper$marker" ] && [ ! -e "$marker" ]; then
	ok "a file written in the root lands in the overlay, not on the host"
else
	fail "a file written in the root lands in the overlay, not on the host" "$(ls -l "$marker" "$tmp/upper$marker" 2>&1)"
fi
rm -f "$new$marker"
# The upper directory now only has what the marker left (a copied-up
# /etc): everything the run adds from here on is compared below.

out=$(chroot "$new" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 TERM=dumb B="$B" DEB_DIR="$DEB_DIR" PKG_LINTIAN=0 PKG_LABS="$PKG_LABS" \
	timeout 1800 bash "$root/tests/packages/70-debian-packages.sh" 2>&1); rc=$?
tap=$(grep -E '^(not )?ok\b' <<<"$out" | sed -E 's/^(not )?ok - /&dpkg in the root: /')
[ -n "$tap" ] && echo "$tap"
lab_tap "$tap"
if [ "$rc" -eq 0 ] && grep -qE '^# [0-9]+ passed, 0 failed' <<<"$out"; then
	ok "70-debian-packages.sh in the root ran to its end"
else
	fail "70-debian-packages.sh in the root ran to its end" "rc=$rc $(grep -vE '^(not )?ok\b' <<<"$out" | tail -n 4)"
fi

# Processes left in the root (a daemon the lab or the test did not stop).
left=
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/root" 2>/dev/null)" = "$new" ] && left+=" ${p#/proc/}:$(cat "$p/comm" 2>/dev/null)"
done
[ -z "$left" ] && ok "no process left running in the root" || fail "no process left running in the root" "$left"

# Everything the run left below / (but /run): the upper directory.
# Allowed: dpkg's and debconf's records, logs, man-db's index, the
# dynamic linker's cache, the account files and their lock (checked
# against the host's next), the lab's /etc/netns (ip netns) and /tmp, the
# tree's own __pycache__ and test logs.
accounts="passwd group shadow gshadow subuid subgid"
noise='^(/var/lib/dpkg/|/var/log/|/var/cache/debconf/|/var/cache/man/|/etc/ld\.so\.cache$|/etc/('"${accounts// /|}"')-?$|/etc/\.pwd\.lock$|/etc/netns$|/tmp/|'"$root"'/|.*/__pycache__(/|$))'
ours=
while IFS= read -r -d '' e; do
	path=${e#"$tmp/upper"}
	[ -n "$path" ] || continue
	[[ $path =~ $noise ]] && continue
	if [ -c "$e" ] && [ "$(stat -c '%t:%T' "$e")" = 0:0 ]; then
		ours+=" deleted-host-file:$path"
	elif [ -d "$e" ] && [ ! -L "$e" ]; then
		if [ ! -d "$path" ]; then
			ours+=" new-dir:$path"
		elif [ "$(stat -c '%a %u %g' "$e")" != "$(stat -c '%a %u %g' "$path")" ]; then
			ours+=" changed-dir:$path($(stat -c '%a %U:%G' "$e"))"
		fi
	elif [ -e "$path" ] || [ -L "$path" ]; then
		ours+=" changed-host-file:$path"
	else
		ours+=" new-file:$path"
	fi
done < <(find "$tmp/upper" -mindepth 1 -print0)
if [ -z "$ours" ]; then
	ok "after purge the overlay's upper dir holds nothing of ours (only dpkg/debconf records and logs)"
else
	fail "after purge the overlay's upper dir holds nothing of ours" "${ours:0:380}"
fi
diffs=
for f in $accounts; do
	if [ -e "$tmp/upper/etc/$f" ] && ! cmp -s "$tmp/upper/etc/$f" "/etc/$f"; then
		diffs+=" /etc/$f: $(diff "/etc/$f" "$tmp/upper/etc/$f" | grep '^[<>]' | cut -d: -f1 | tr '\n' ' ')"
	fi
done
[ -z "$diffs" ] && ok "after purge /etc/passwd, group, shadow, gshadow, subuid, subgid are the host's again, byte for byte" ||
	fail "after purge /etc/passwd, group, shadow, gshadow, subuid, subgid are the host's again, byte for byte" "$diffs"
# /run: what the lab (its root, its user lock, ip's netns directory),
# adduser (its lock), libmount and systemd-analyze leave; nothing else.
left=$(cd "$new/run" && find . -mindepth 1 |
	grep -vE '^\./(netns|messec-lab|messec-lab/\.useradd\.lock|adduser|mount|mount/utab(\.lock)?|systemd|systemd/systemd-units-load)$' | tr '\n' ' ')
[ -z "$left" ] && ok "nothing of ours left in the root's /run" || fail "nothing of ours left in the root's /run" "$left"

# Nothing reached the host.
host=$(host_state)
[ "$host" = "$host_before" ] && ok "the host's messec packages, user and /etc/messec are as before (${host_before:-none})" ||
	fail "the host's messec packages, user and /etc/messec are as before (${host_before:-none})" "now: $host"

lab_finish
