#!/bin/bash
# NAME
#	80-trixie-mfa.sh - dovecot-messec-mfa built, installed and logging in on Debian 13's Dovecot 2.4.1
# SYNOPSIS
#	make check-trixie       (as root; tests/run runs this; make check too)
# DESCRIPTION
#	Issue 23 item 3: the plugin package builds against the target
#	distribution's own dovecot-dev and works with that distribution's
#	Dovecot. In a Debian 13 (trixie) root (tests/lab/build-trixie-root,
#	cached in /var/cache/messec/trixie-root, made on the first run):
#	- dpkg-buildpackage -us -uc -b of the project (make deb's copy of the
#	  tree, packaging/debian as debian/) with trixie's compiler and
#	  dovecot-dev: the Makefile's default DOVECOT_CONFIG is then trixie's
#	  /usr/lib/dovecot/dovecot-config, so the 2.4 glue is built;
#	- lintian (trixie's) reports no error in any package of
#	  packaging/debian/control (a case each; warnings printed as comments);
#	- dovecot-messec-mfa ships the settings module and the 2.4 conf.d
#	  snippet and depends on the dovecot-abi that trixie's dovecot-core
#	  provides;
#	- dpkg -i of the package next to trixie's dovecot-core/dovecot-imapd;
#	  the admin's step of docs/mfa.md (the snippet into conf.d) on
#	  Debian's own config: the password passdb after mfa is Debian's
#	  default, PAM (a system user of the root);
#	- trixie's own dovecot runs from the root (chroot) in a private
#	  network, mount and PID namespace with its own base_dir, loads the
#	  plugin; a user is enrolled with the installed messec-mfa, and
#	  `doveadm auth test` and IMAP LOGIN over loopback (tests/lab/mail.py,
#	  this machine's python3 in the same network namespace) check:
#	  password + code accepted, password alone refused, a replayed code
#	  refused, wrong password + code refused, an app password accepted,
#	  a wrong app password refused (the expectations of labs 50 and 54);
#	  the log lines name the reason.
#	Codes are computed here (tests/integration/mfa.bash, python3 hmac),
#	never by the code under test.
#	The cached root is never written: the script mounts an overlay on it
#	(its upper layer in a scratch directory, removed at exit) and holds a
#	shared lock on it, so several runs can share one root.
#	In make check (and make check-trixie): with the root cached a run
#	takes about a minute (the whole project compiled in the root, lintian,
#	the logins); the first run on a machine also makes the root (2-3 min,
#	~300 MB downloaded from deb.debian.org, ~850 MB on disk).
# ENVIRONMENT
#	TRIXIE_ROOT, TRIXIE_MIRROR: see tests/lab/build-trixie-root.
#	TRIXIE_KEEP=DIR: copy the .debs, the .changes and the build log there.
#	TRIXIE_DEBS=DIR: test the .debs kept there (TRIXIE_KEEP of an earlier
#	run) instead of building: the build and lintian cases are then
#	reported as skipped (for working on the later cases).
set -u
. "$(dirname "$0")/../lab/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
builder=$REPO/tests/lab/build-trixie-root
ROOT=$("$builder" --root)

if [ -z "${MESSEC_TRIXIE_NS:-}" ]; then
	lab_require "prerequisites" unshare chroot flock git python3 ip || lab_finish
	if [ "$(id -u)" -ne 0 ]; then
		fail "prerequisites" "must run as root (chroot, namespaces)"
		lab_finish
	fi
	# The root, made or completed when absent (its progress as comments).
	out=$("$builder" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if [ "$rc" -ne 0 ]; then
		fail "trixie root ($ROOT)" "$(tail -n 3 <<<"$out")"
		lab_finish
	fi
	# A shared lock for the whole run: build-trixie-root (exclusive)
	# waits until this test is done with the root.
	exec 8<"$ROOT.lock"
	flock -s 8
	"$builder" --check || { fail "trixie root up to date" "changed while waiting"; lab_finish; }
	# The rest in a private network, mount and PID namespace: every
	# mount goes with it, every process dies with it.
	MESSEC_TRIXIE_NS=1 exec unshare --net --mount --pid --fork --kill-child -- /bin/bash "$0" "$@"
fi

. "$REPO/tests/integration/mfa.bash"
tmp=$(mktemp -d /tmp/messec-trixie.XXXXXX)
R=$tmp/root		# the overlay: what every chroot below sees
# At exit: stop the root's Dovecot, unmount, remove the scratch directory
# (the namespace's end would kill and unmount anyway; this keeps /tmp clean).
cleanup() {
	[ -e "$R/run/messec-trixie-test/master.pid" ] && kill "$(cat "$R/run/messec-trixie-test/master.pid")" 2>/dev/null
	umount -lR "$R" 2>/dev/null
	rm -rf "$tmp"
}
trap 'st=$?; cleanup; exit $st' EXIT
# in_root CMD...: CMD in the trixie root (its PATH, C.UTF-8, no host env).
in_root() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"
}
log=$tmp/log
mkdir -p "$tmp/upper" "$tmp/work" "$R"
if ! out=$(mount -t overlay overlay -o "lowerdir=$ROOT,upperdir=$tmp/upper,workdir=$tmp/work" "$R" 2>&1) ||
	! out=$(mount --rbind /dev "$R/dev" 2>&1) || ! out=$(mount -t proc proc "$R/proc" 2>&1) ||
	! out=$(mount -t tmpfs -o mode=0755 tmpfs "$R/run" 2>&1) || ! out=$(ip link set lo up 2>&1); then
	fail "overlay on the trixie root, private network" "$out"
	lab_finish
fi
ddev=$(in_root dpkg-query -W -f='${Version}' dovecot-dev)
dver=$(in_root dovecot --version)
case $dver in
2.4.*) ok "trixie root: dovecot-dev $ddev, dovecot $dver" ;;
*) fail "trixie root: Dovecot 2.4" "dovecot-dev $ddev, dovecot --version: $dver"; lab_finish ;;
esac

version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$REPO/packaging/debian/changelog")
if [ -n "${TRIXIE_DEBS:-}" ]; then
	mkdir -p "$R/build"
	cp "$TRIXIE_DEBS"/*.deb "$TRIXIE_DEBS"/*.changes "$TRIXIE_DEBS"/build.log "$R/build/"
	cp "$R/build/build.log" "$log.build"
	skip "dpkg-buildpackage in trixie" "TRIXIE_DEBS=$TRIXIE_DEBS"
	skip "trixie's lintian" "TRIXIE_DEBS=$TRIXIE_DEBS"
else
	# The source as make deb copies it.
	src=$R/build/messec-$version
	mkdir -p "$src"
	(cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -P -t "$src")
	rm -rf "$src/debian"
	cp -R "$REPO/packaging/debian" "$src/debian"
	start=$(date +%s)
	in_root /bin/sh -c "cd /build/messec-$version && DEB_BUILD_OPTIONS=parallel=2 nice -n 10 dpkg-buildpackage -us -uc -b" >"$log.build" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "dpkg-buildpackage in trixie ($(( $(date +%s) - start )) s)"
	else
		fail "dpkg-buildpackage in trixie" "rc=$rc $(tail -n 8 "$log.build")"
		sed 's/^/# /' "$log.build" | tail -n 40
		lab_finish
	fi
	# lintian on the whole upload: one case per binary package of
	# packaging/debian/control (no error), one for errors naming none of
	# them (the source, the .changes). Warnings are shown as comments.
	out=$(in_root lintian --fail-on none "/build/messec_${version}_amd64.changes" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^[EW]: ' | sed 's/^/# lintian (trixie): /'
	# --fail-on none: rc != 0 is lintian itself failing, not a finding.
	[ "$rc" -eq 0 ] || fail "trixie's lintian runs" "rc=$rc $(tail -n 5 <<<"$out")"
	rest=$(grep -E '^E: ' <<<"$out")
	for pkg in $(sed -n 's/^Package: *//p' "$REPO/packaging/debian/control"); do
		errs=$(grep -E "^E: $pkg( \\([a-z]+\\))?: " <<<"$out")
		rest=$(grep -vxF -f <(printf '%s\n' "$errs") <<<"$rest")
		[ -z "$errs" ] && ok "trixie's lintian: no error in $pkg" ||
			fail "trixie's lintian: no error in $pkg" "$(head -n 5 <<<"$errs")"
	done
	[ -z "$rest" ] && ok "trixie's lintian: no other error" || fail "trixie's lintian: no other error" "$(head -n 5 <<<"$rest")"
	if [ -n "${TRIXIE_KEEP:-}" ]; then
		mkdir -p "$TRIXIE_KEEP"
		cp "$R"/build/*.deb "$R"/build/*.changes "$TRIXIE_KEEP/"
		cp "$log.build" "$TRIXIE_KEEP/build.log"
	fi
fi
grep -q "passdb_mfa24.c" "$log.build" && ok "the build compiled the 2.4 glue (passdb_mfa24.c)" ||
	fail "the build compiled the 2.4 glue (passdb_mfa24.c)" "not in the build log"

deb=$(ls "$R"/build/dovecot-messec-mfa_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { fail "dovecot-messec-mfa .deb built" "none in $R/build"; lab_finish; }
list=$(dpkg-deb -c "$deb" | awk '{print $6}')
miss=
for f in ./usr/lib/dovecot/modules/auth/libauthdb_mfa.so ./usr/lib/dovecot/modules/settings/libmessec_mfa_settings.so \
	./usr/sbin/messec-mfa ./usr/share/messec/05-messec-mfa.conf ./etc/messec/mfa.conf; do
	grep -qx -- "$f" <<<"$list" || miss+=" $f"
done
[ -z "$miss" ] && ok "dovecot-messec-mfa ships the plugin, the settings module, the CLI, the snippet" ||
	fail "dovecot-messec-mfa ships the plugin, the settings module, the CLI, the snippet" "missing:$miss"
abi=$(in_root dpkg-query -W -f='${Provides}' dovecot-core | tr ',' '\n' | grep -o 'dovecot-abi-[^ ]*')
dep=$(dpkg-deb -f "$deb" Depends)
[ -n "$abi" ] && [[ $dep == *"$abi"* ]] && ok "Depends on trixie's $abi" || fail "Depends on trixie's dovecot ABI ($abi)" "$dep"

out=$(in_root dpkg -i "/build/${deb##*/}" 2>&1) && ok "dpkg -i dovecot-messec-mfa in trixie" ||
	{ fail "dpkg -i dovecot-messec-mfa in trixie" "$(tail -n 5 <<<"$out")"; lab_finish; }

# The admin's steps (docs/mfa.md "Dovecot 2.4"): the snippet into conf.d,
# nothing else. Debian's own chain follows it: 10-auth.conf's
# auth-system.conf.ext (passdb pam, userdb passwd), so alice is a system
# user of the root with a password in /etc/shadow.
cp "$R/usr/share/messec/05-messec-mfa.conf" "$R/etc/dovecot/conf.d/05-messec-mfa.conf"
user=alice pw=trixie-Pass-1
in_root useradd -m -s /usr/sbin/nologin "$user"
printf '%s:%s\n' "$user" "$pw" | in_root chpasswd
# The test's own base_dir and log (local.conf, read last); decisions in
# the log, no delay after a failure, no TLS (loopback counts as secured).
cat >"$R/etc/dovecot/local.conf" <<EOF
base_dir = /run/messec-trixie-test
log_path = /var/log/messec-trixie-dovecot.log
auth_verbose = yes
auth_failure_delay = 0
ssl = no
protocols = imap
EOF
dlog=$R/var/log/messec-trixie-dovecot.log
LAB_DOVECOT_LOG=$dlog
out=$(in_root doveconf -n 2>&1) && ok "doveconf accepts the config with the snippet (mfa_config known)" ||
	fail "doveconf accepts the config with the snippet (mfa_config known)" "$(tail -n 3 <<<"$out")"
# Not in $(...): the daemon keeps the pipe open.
in_root dovecot </dev/null >"$tmp/dovecot.out" 2>&1 || { fail "trixie's dovecot starts" "$(cat "$tmp/dovecot.out")"; lab_finish; }
if lab_wait 20 test -S "$R/run/messec-trixie-test/auth-client" && lab_wait_dovecot_log 'starting up' 20; then
	ok "trixie's dovecot starts from the root, own base_dir"
else
	fail "trixie's dovecot starts from the root, own base_dir" "$(tail -n 5 "$dlog" 2>&1)"
	lab_finish
fi

out=$(in_root messec-mfa enroll "$user" --no-qr 2>&1)
SECRET[$user]=$(printf '%s\n' "$out" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
[ -n "${SECRET[$user]}" ] && ok "installed messec-mfa enrolls $user" || { fail "installed messec-mfa enrolls $user" "$out"; lab_finish; }

# auth NAME WANT(ok|no) PASSWORD: doveadm auth test in the root.
auth() {
	local out rc got
	out=$(in_root doveadm auth test -x service=imap "$user" "$3" 2>&1); rc=$?
	if [ "$rc" -eq 0 ] && grep -q 'auth succeeded' <<<"$out"; then got=ok
	elif grep -q 'auth failed' <<<"$out"; then got=no
	else got="other (rc=$rc)"; fi
	[ "$got" = "$2" ] && ok "doveadm auth test: $1" || fail "doveadm auth test: $1" "want $2, got $got: $(tail -n 2 <<<"$out")"
}
# imap NAME WANT PASSWORD: IMAP LOGIN over loopback (mail.py, no TLS:
# Dovecot treats loopback as secured).
imap_login() {
	R_=$("$LAB_PY" "$REPO/tests/lab/mail.py" imap-login --host 127.0.0.1 --plain --timeout 20 \
		--user "$user" --password "$3" 2>&1)
	expect "IMAP LOGIN over loopback: $1" "$2" "$R_"
}
# seen NAME ERE: ok if the log gets a line matching ERE after mark M.
seen() {
	lab_wait_log_since "$dlog" "$M" "$2" 10 && ok "$1" || fail "$1" "no line /$2/ in the log since the login"
}

M=$(lab_log_mark "$dlog")
auth "password alone refused" no "$pw"
seen "log: refused, no code" 'mfa: fail: no code'
fresh "$user"; code=$CODE
M=$(lab_log_mark "$dlog")
auth "password + code accepted" ok "$pw$code"
seen "log: code ok" 'mfa: next: code ok'
M=$(lab_log_mark "$dlog")
auth "the same code again refused (replay)" no "$pw$code"
seen "log: refused, replay" 'mfa: fail: code already used \(replay\)'
fresh "$user"
M=$(lab_log_mark "$dlog")
auth "wrong password + valid code refused" no "wrong-Pass$CODE"
seen "log: mfa took the code, the password passdb refused" 'mfa: next: code ok'
imap_login "password alone refused" no "$pw"
fresh "$user"
imap_login "password + code accepted" ok "$pw$CODE"

out=$(in_root messec-mfa app-password add "$user" phone 2>&1); rc=$?
app=$(printf '%s\n' "$out" | tail -n 1)
[ "$rc" -eq 0 ] && [ "${#app}" -ge 16 ] && ok "installed messec-mfa adds an app password" ||
	fail "installed messec-mfa adds an app password" "$out"
M=$(lab_log_mark "$dlog")
auth "app password accepted" ok "$app"
seen "log: app password used" "mfa: ok: app password 'phone' used|app password 'phone' used"
imap_login "app password accepted" ok "$app"
M=$(lab_log_mark "$dlog")
auth "wrong app password refused" no "${app%????}xxxx"
seen "log: refused, bad app password" 'mfa: fail: bad app password'

# No secret in the log: the password, the codes, the app password.
leak=
for s in "$pw" "$code" "$app" "${SECRET[$user]}"; do
	grep -qF -- "$s" "$dlog" && leak+=" ${#s}-char secret"
done
[ -z "$leak" ] && ok "dovecot's log holds no password, code, app password or TOTP secret" ||
	fail "dovecot's log holds no password, code, app password or TOTP secret" "found:$leak"
bad=$(grep -E 'Fatal|Panic|segfault|killed with signal' "$dlog" | head -n 3)
[ -z "$bad" ] && ok "no fatal error, panic or crash in dovecot's log" || fail "no fatal error, panic or crash in dovecot's log" "$bad"

[ "$LAB_FAILED" -gt 0 ] && tail -n 30 "$dlog" | sed 's/^/# dovecot.log: /'
lab_finish
