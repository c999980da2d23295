# NAME
#	tests/integration/milter-auth.bash - shared steps of the 3x-milter-auth lab tests
# SYNOPSIS
#	. "$(dirname "$0")/milter-auth.bash"
#	ma_lab_up [extra config lines]    # lab + extra zones + the milter on port 25 and 587
#	ma_send NAME SEND-ARGS...         # lab_mail send; sets MA_REPLY and MA_QID
#	ma_fetch TOKEN                    # delivered message with Subject token (IMAP)
#	ma_fetched FILE TOKEN             # FILE really is that message (before negative checks)
#	ma_not_delivered TOKEN            # IMAP works and no such message is in the INBOX
#	ma_verdict QID                    # the milter's verdict line for a queue id
#	ma_ar MSG-FILE                    # our Authentication-Results value(s), unfolded
# DESCRIPTION
#	Not a test itself (no .sh suffix: tests/run does not run it). The lab
#	(tests/lab/) gets extra DNS zones for cases its own zones do not
#	cover (SPF softfail/neutral/permerror, strict/relaxed alignment, sp=,
#	malformed DMARC; a test adds its own with MA_EXTRA_ZONES=FILE before
#	ma_lab_up), and the milter runs inside the lab namespace as an
#	unprivileged user (nobody) after binding its socket, with authserv-id
#	mx.lab.example. B (the build dir) comes from tests/run;
#	MESSEC_MILTER_AUTH_BIN runs another binary (the installed package's:
#	tests/packages/70-debian-packages.sh). What the 4x milter-av tests
#	share with these is in milter.bash.
. "$(dirname "${BASH_SOURCE[0]}")/milter.bash"
MA_BIN=${MESSEC_MILTER_AUTH_BIN:-$B/milter-auth/messec-milter-auth}
MA_ID=mx.lab.example
MA_TMP=$(mktemp -d /tmp/messec-ma-lab.XXXXXX)
chmod 755 "$MA_TMP"
trap 'rm -rf "$MA_TMP"' EXIT	# lab_up keeps this trap and runs it first

# TXT data of a key file, split in 255-byte strings (RFC 6376 3.6.2.2).
ma_txt() {
	local s
	s=$(cat "$1")
	local out=
	while [ -n "$s" ]; do
		out+="\"${s:0:255}\" "
		s=${s:255}
	done
	echo "$out"
}

ma_zones() {
	local rsa ed
	rsa=$(ma_txt "$LAB_LIB_DIR/keys/lab-test-dkim-rsa2048.txt")
	ed=$(ma_txt "$LAB_LIB_DIR/keys/lab-test-dkim-ed25519.txt")
	cat <<ZONES
local-zone: "softfail.example." static
local-data: 'softfail.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"'
local-data: '_dmarc.softfail.example. 300 IN TXT "v=DMARC1; p=none"'
local-zone: "neutral.example." static
local-data: 'neutral.example. 300 IN TXT "v=spf1 ?all"'
local-zone: "permerror.example." static
local-data: 'permerror.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 bogus:x -all"'
local-zone: "strict.example." static
local-data: 'strict.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: 'bounce.strict.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.strict.example. 300 IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"'
local-data: 'rsa2048._domainkey.strict.example. 300 IN TXT $rsa'
local-data: 'rsa2048._domainkey.sub.strict.example. 300 IN TXT $rsa'
local-zone: "relaxed.example." static
local-data: 'relaxed.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: 'bounce.relaxed.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.relaxed.example. 300 IN TXT "v=DMARC1; p=reject"'
local-data: 'rsa2048._domainkey.sub.relaxed.example. 300 IN TXT $rsa'
local-zone: "sp.example." static
local-data: 'sp.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.sp.example. 300 IN TXT "v=DMARC1; p=none; sp=reject"'
local-zone: "badrecord.example." static
local-data: 'badrecord.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.badrecord.example. 300 IN TXT "v=dmarc1; p=reject"'
local-zone: "pqrecord.example." static
local-data: 'pqrecord.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.pqrecord.example. 300 IN TXT "p=reject; v=DMARC1"'
local-data: 'ed25519._domainkey.strict.example. 300 IN TXT $ed'
local-zone: "xn--bcher-kva.example." static
local-data: 'xn--bcher-kva.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.xn--bcher-kva.example. 300 IN TXT "v=DMARC1; p=reject"'
ZONES
	# a test's own zones (MA_EXTRA_ZONES: a file of unbound lines)
	if [ -n "${MA_EXTRA_ZONES:-}" ]; then cat "$MA_EXTRA_ZONES"; fi
}

# The milter config: $1... extra lines appended. MA_DKIM_VERIFY_ENGINE=messec
# (or opendkim) runs a test with that dkim_verify_engine, unless the test
# sets one itself.
ma_write_conf() {
	local engine=()

	if [ -n "${MA_DKIM_VERIFY_ENGINE:-}" ] && [[ " $* " != *" dkim_verify_engine ="* ]]; then
		engine=("dkim_verify_engine = $MA_DKIM_VERIFY_ENGINE")
	fi
	milter_write_conf "$MA_TMP/milter-auth.conf" "$LAB_DIR/auth.sock" \
		"authserv_id = $MA_ID" "internal_networks = 127.0.0.1" "${engine[@]}" "$@"
}

# ma_start: milter_start (over a stale socket, wait until it accepts).
ma_start() {
	milter_start "milter starts" milter-auth "$LAB_DIR/auth.sock" 10 \
		"$MA_BIN" -f -c "$MA_TMP/milter-auth.conf"
	local rc=$?
	MA_PID=$MILTER_PID MA_LOG=$MILTER_LOG
	# MA_DKIM_VERIFY_ENGINE: prove the engine asked for is the one running
	if [ "$rc" = 0 ] && [ -n "${MA_DKIM_VERIFY_ENGINE:-}" ] &&
		! lab_wait_log "$MA_LOG" "dkim verification engine: $MA_DKIM_VERIFY_ENGINE" 5; then
		fail "dkim_verify_engine = $MA_DKIM_VERIFY_ENGINE in use" "no such line in $MA_LOG"
	fi
	return $rc
}

# ma_lab_up [config lines...]
ma_lab_up() {
	lab_require "milter-auth lab prerequisites" python3 openssl || lab_finish
	[ -x "$MA_BIN" ] || { fail "milter binary built" "$MA_BIN missing"; lab_finish; }
	ma_zones_file=$MA_TMP/zones.conf
	# the key TXT needs the lab dir; write zones with the repo's key files
	LAB_LIB_DIR=${LAB_LIB_DIR} ma_zones >"$ma_zones_file"
	lab_up LAB_MILTERS='unix:@LABDIR@/auth.sock' LAB_SUBMISSION_MILTERS='unix:@LABDIR@/auth.sock' \
		LAB_UNBOUND_EXTRA="$ma_zones_file"
	ma_write_conf "$@"
	ma_start || lab_finish
}

# ma_send ARGS...: send through port 25 unless --port given; MA_REPLY, MA_QID.
ma_send() {
	MA_REPLY=$(lab_mail send "$@" 2>&1)
	MA_QID=
	if [[ $MA_REPLY =~ queued\ as\ ([0-9A-Za-z]+) ]]; then
		MA_QID=${BASH_REMATCH[1]}
	fi
}

# ma_fetch TOKEN [COUNT]: the delivered message(s) whose Subject holds TOKEN.
ma_fetch() { milter_fetch "$@"; }

# ma_fetched FILE TOKEN: FILE holds the fetched message whose Subject is
# TOKEN. A negative check on FILE (no forged header, no A-R) means
# nothing unless this holds first: an empty fetch contains nothing.
ma_fetched() { grep -q "^Subject: $2" "$1" 2>/dev/null; }

# ma_not_delivered TOKEN: milter_not_delivered.
ma_not_delivered() { milter_not_delivered "$@"; }

# ma_ar FILE: every Authentication-Results header with our authserv-id, one per line.
ma_ar() {
	awk 'BEGIN{IGNORECASE=1} /^[^ \t]/{if(h!="")print h; h=""} /^Authentication-Results:/{h=$0; next}
	     /^[ \t]/{if(h!="")h=h" "$0} /^$/{if(h!="")print h; exit}' "$1" | tr -s ' \t' ' '
}

# ma_verdict QID: the milter's verdict line for a Postfix queue id.
ma_verdict() {
	[ -n "$1" ] || return 1
	lab_wait_log "$MA_LOG" ": $1: (spf=|outbound=)" 10 || return 1
	grep -E ": $1: (spf=|outbound=)" "$MA_LOG" | tail -n 1
}

# ma_message SUBJECT FROM-HEADER [extra header lines...]: an .eml in MA_TMP.
ma_message() {
	local f=$MA_TMP/$1.eml subject=$1 from=$2
	shift 2
	{
		printf 'From: %s\r\nTo: alice@lab.example\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@test.example>\r\n' \
			"$from" "$subject" "$(date -R)" "$subject"
		local h
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf '\r\nHello Alice,\r\nthis is %s.\r\n' "$subject"
	} >"$f"
	echo "$f"
}

# ma_sign KEY DOMAIN SELECTOR IN > OUT (the lab's openssl-based signer).
ma_sign() {
	"$LAB_PY" "$LAB_LIB_DIR/dkim_sign.py" --key "$LAB_LIB_DIR/keys/lab-test-dkim-$1.key" \
		--domain "$2" --selector "$3" "$4"
}

# ma_finish: stop the milter with SIGTERM (clean exit: LeakSanitizer runs in
# an ASan build), check its log for sanitizer reports (a skip in a build
# without sanitizers), then lab_finish.
ma_finish() {
	milter_stop milter "${MA_PID:-}" "$MA_BIN" "${MA_LOG:-}"
	lab_finish
}
