# NAME
#	tests/integration/debs.bash - the .debs lab 61 built, for labs 62 and 63
# SYNOPSIS
#	. "$(dirname "$0")/debs.bash"       # after tests/lab/lib.sh; needs $root and $B (absolute)
#	debs_ready PKG...                   # DEB_DIR holds PKG_*.deb, or a failed case and lab_finish
# DESCRIPTION
#	Not a test itself (no .sh suffix). DEB_DIR defaults to $B/deb-check,
#	where lab 61 leaves the packages it built (make check runs it first).
#	There, when a package is missing or a file of the tree is newer than
#	the build's .changes (the script runs alone, or the tree changed),
#	debs_ready builds them first with make deb (about a minute and a half
#	on 2 cores). Another DEB_DIR (a scratch build with a broken maintainer
#	script, to watch a test fail) is used as it is.
DEB_DIR=${DEB_DIR:-$B/deb-check}
case $DEB_DIR in /*) ;; *) DEB_DIR=$root/$DEB_DIR ;; esac

debs_have() {
	local p
	for p in "$@"; do ls "$DEB_DIR/${p}_"*.deb >/dev/null 2>&1 || return 1; done
	ls "$DEB_DIR"/messec_*.changes >/dev/null 2>&1
}

debs_stale() {
	local changes f
	changes=$(ls "$DEB_DIR"/messec_*.changes | head -n 1)
	while IFS= read -r -d '' f; do
		[ "$root/$f" -nt "$changes" ] && return 0
	done < <(cd "$root" && git ls-files -co --exclude-standard -z)
	return 1
}

debs_ready() {
	local out rc
	if [ "$DEB_DIR" = "$B/deb-check" ] && { ! debs_have "$@" || debs_stale; }; then
		out=$(cd "$root" && nice -n 10 make deb DEB_DIR="$DEB_DIR" 2>&1); rc=$?
		if [ "$rc" -ne 0 ]; then
			fail "make deb (lab 61's .debs missing or older than the tree)" "rc=$rc $(tail -n 6 <<<"$out")"
			lab_finish
		fi
	fi
	if ! debs_have "$@"; then
		fail "the .debs are in $DEB_DIR" "missing (make deb DEB_DIR=$DEB_DIR)"
		lab_finish
	fi
}
