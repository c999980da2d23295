#!/bin/bash
# NAME
#	39-milter-auth-sign.sh - DKIM signing of outbound mail (issue 16 item 1)
# DESCRIPTION
#	messec-milter-auth on both ports, with signing keys for lab.example
#	(RSA-2048 and Ed25519, the lab's test keys, published by the lab's
#	unbound) and none.example (RSA only). Alice submits on 587 with SMTP
#	AUTH to remote.example; the message at the capture sink (the
#	Internet) carries two DKIM-Signature fields, rsa-sha256 and
#	ed25519-sha256, d=lab.example:
#	- three independent verifiers pass it (issue 16 item 4): Mail::DKIM
#	  the RSA one (Debian 12's Mail::DKIM has no Ed25519), dkimpy and
#	  Debian's OpenDKIM (opendkim-testmsg) both; the same for an 8-bit
#	  body, 900-byte lines, trailing blank lines, an empty body and
#	  fields folded or spaced before their first word (SMFIP_HDR_LEADSPC),
#	  relaxed and simple; the RFC 8463 example verifies with dkimpy;
#	- the captured message, relayed back into port 25 from the lab MX's
#	  own address, is verified by the milter: both signatures pass in
#	  the A-R of the delivered copy.
#	Mail from a From domain not in the signing table leaves unsigned;
#	inbound mail whose From domain is in the table (none.example) is
#	not signed. Outbound header cleaning (item 2, ANSSI R36): at the
#	capture sink no User-Agent, X-Mailer, X-Originating-IP, configured
#	field, internal hop's Received (all deleted by the milter) nor the
#	submission hop's Received with the client address (Postfix
#	header_checks, which docs/milter-auth.md gives); the signatures made
#	after cleaning still verify. After a reload with simple/simple, the
#	odd cases pass the independent verifiers again. A group-readable key stops the daemon at start with
#	"path:line: dkim_sign_keys: ..."; a SIGHUP reload re-reads the keys.
set -u
. "$(dirname "$0")/milter-auth.bash"

# Keys: owned by the milter's user (it re-reads them on SIGHUP after
# dropping privileges), mode 0600.
keys=$MA_TMP/keys
mkdir -m 755 "$keys"
install -m 600 -o nobody "$LAB_LIB_DIR/keys/lab-test-dkim-rsa2048.key" "$keys/rsa.key"
install -m 600 -o nobody "$LAB_LIB_DIR/keys/lab-test-dkim-ed25519.key" "$keys/ed.key"
sign_conf=("outbound_remove_headers = X-Originating-IP, X-Forwarded-For, User-Agent, X-Mailer, X-MimeOLE, X-Internal-Tag"
	"dkim_sign_keys = lab.example:rsa2048:$keys/rsa.key, lab.example:ed25519:$keys/ed.key, none.example:rsa2048:$keys/rsa.key"
	"dkim_sign_domains = lab.example, none.example"
	"dmarc_report_store = lmdb:$MA_TMP/report.lmdb")
# Postfix does not show milters the Received field it adds itself; the
# one of our submission hop (it names the client) goes with header_checks,
# as docs/milter-auth.md says.
printf '%s\n' '/^Received:.*[[:space:]]by[[:space:]]+mx\.lab\.example[[:space:]]+\(Postfix\)[[:space:]]+with[[:space:]]+ESMTPSA[[:space:]]/ IGNORE' \
	>"$MA_TMP/outbound_header_checks"
chmod 644 "$MA_TMP/outbound_header_checks"
printf 'header_checks = regexp:%s/outbound_header_checks\n' "$MA_TMP" >"$MA_TMP/main.extra"
export LAB_POSTFIX_MAIN_EXTRA=$MA_TMP/main.extra
# No LeakSanitizer suppression: the default signer (dkim_sign_engine =
# messec, keys parsed once) does not have libopendkim's Ed25519 leak
# (docs/dkim.md pitfall 13); in a SANITIZE=1 build ma_finish fails on any
# leak.
ma_lab_up "${sign_conf[@]}"

# wait_captured TOKEN: the .eml at the capture sink whose Subject is TOKEN.
wait_captured() { lab_wait 20 lab_capture_subject "$1" >/dev/null && lab_capture_subject "$1"; }

# sig_tags FILE: "a= d= s=" of each DKIM-Signature, one per line.
sig_tags() {
	awk 'BEGIN{IGNORECASE=1} /^[^ \t]/{if(h!="")print h; h=""} /^DKIM-Signature:/{h=$0; next}
	     /^[ \t]/{if(h!="")h=h $0} /^\r?$/{if(h!="")print h; exit}' "$1" | tr -d ' \t\r' |
		sed -E 's/.*;a=([^;]*).*/a=\1 &/; s/ .*;d=([^;]*).*/ d=\1 &/; s/ [^ ]*;s=([^;]*).*/ s=\1/' |
		awk '{print $1, $2, $3}'
}

# only_sig ALG FILE: FILE without the DKIM-Signature fields whose a= is
# not ALG (opendkim-testmsg's exit status covers all signatures at once).
only_sig() {
	awk -v alg="$1" 'BEGIN{IGNORECASE=1}
		!body && /^\r?$/ {body=1; if(h!="" && keep)printf "%s", h; h=""}
		body {print; next}
		/^[^ \t]/ {if(h!="" && keep)printf "%s", h; h=""; keep=1; sig=0}
		/^DKIM-Signature:/ {sig=1}
		{h=h $0 "\n"; if(sig) {t=h; gsub(/[ \t\r\n]/, "", t); keep=(t ~ ("a=" alg "(;|$)"))}}' "$2"
}

# check_independent WHAT FILE: the message FILE (captured at the sink,
# signed rsa-sha256 and ed25519-sha256 by lab.example) verifies as pass
# with three verifiers that share no code with messec (issue 16 item 4):
# Mail::DKIM (RSA only: Debian 12's has no Ed25519), dkimpy (both) and
# Debian's OpenDKIM, opendkim-testmsg (both, one at a time). Keys come
# from the lab's DNS. FILE empty: the message never arrived.
check_independent() {
	local what=$1 f=$2 out alg
	if [ -z "$f" ]; then
		fail "$what: Mail::DKIM verifies rsa-sha256" "not captured: $MA_REPLY"
		fail "$what: dkimpy verifies rsa-sha256 and ed25519-sha256" "not captured"
		fail "$what: OpenDKIM (opendkim-testmsg) verifies rsa-sha256 and ed25519-sha256" "not captured"
		return
	fi
	out=$(lab_exec perl "$LAB_LIB_DIR/dkim_verify.pl" <"$f")
	grep -q '^lab.example rsa2048 rsa-sha256 pass$' <<<"$out" &&
		ok "$what: Mail::DKIM verifies rsa-sha256" ||
		fail "$what: Mail::DKIM verifies rsa-sha256" "$out"
	out=$(lab_exec "$LAB_PY" "$LAB_LIB_DIR/dkimpy_verify.py" <"$f" 2>&1)
	grep -q '^lab.example rsa2048 rsa-sha256 pass$' <<<"$out" &&
		grep -q '^lab.example ed25519 ed25519-sha256 pass$' <<<"$out" &&
		ok "$what: dkimpy verifies rsa-sha256 and ed25519-sha256" ||
		fail "$what: dkimpy verifies rsa-sha256 and ed25519-sha256" "$out"
	out=
	for alg in rsa-sha256 ed25519-sha256; do
		only_sig "$alg" "$f" >"$MA_TMP/only.eml"
		[ "$(grep -ci '^DKIM-Signature:' "$MA_TMP/only.eml")" = 1 ] ||
			out+="$alg: no signature; "
		lab_exec opendkim-testmsg <"$MA_TMP/only.eml" >"$MA_TMP/only.out" 2>&1 ||
			out+="$alg: $(tr '\n' ' ' <"$MA_TMP/only.out"); "
	done
	[ -z "$out" ] &&
		ok "$what: OpenDKIM (opendkim-testmsg) verifies rsa-sha256 and ed25519-sha256" ||
		fail "$what: OpenDKIM (opendkim-testmsg) verifies rsa-sha256 and ed25519-sha256" "$out"
}

# 0. The RFC 8463 example (A.3, both signatures) verifies with dkimpy,
# keys from the RFC (football.example.com is not in the lab's DNS).
v8463=${MESSEC_CONFORMANCE:-$LAB_LIB_DIR/../../../shared/conformance}/dkim/rfc8463
out=$("$LAB_PY" "$LAB_LIB_DIR/dkimpy_verify.py" "$v8463/keys.txt" <"$v8463/message-signed.eml" 2>&1)
[ "$(grep -c ' pass$' <<<"$out")" = 2 ] &&
	ok "RFC 8463 A.3 example: dkimpy verifies both signatures" ||
	fail "RFC 8463 A.3 example: dkimpy verifies both signatures" "$out"

# 1. Authenticated submission, From lab.example: two signatures; the
# client's address and software are gone (issue 16 item 2, ANSSI R36).
tok=sign$RANDOM
msg=$(ma_message "$tok" "Alice <alice@lab.example>" "User-Agent: Leaky/1.0 (X11; Linux)" \
	"X-Mailer: LeakMail 2.0" "X-Originating-IP: [10.1.2.3]" "X-Internal-Tag: build-host-7" \
	"x-mailer: second copy" \
	"Received: from build-host.corp.internal (10.9.8.7) by relay.corp.internal; $(date -R)")
ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from alice@lab.example --to friend@remote.example --file "$msg"
eml=
if [[ $MA_REPLY == 250* ]] && eml=$(wait_captured "$tok"); then
	tags=$(sig_tags "$eml")
	n=$(grep -ci '^DKIM-Signature:' "$eml")
	if [ "$n" -eq 2 ] && grep -q '^a=rsa-sha256 d=lab.example s=rsa2048$' <<<"$tags" &&
		grep -q '^a=ed25519-sha256 d=lab.example s=ed25519$' <<<"$tags"; then
		ok "submission (587, AUTH): rsa-sha256 and ed25519-sha256 signatures at the capture sink"
	else
		fail "submission (587, AUTH): rsa-sha256 and ed25519-sha256 signatures at the capture sink" \
			"$n fields: $tags"
	fi
	check_independent "submission" "$eml"
	v=$(ma_verdict "$MA_QID")
	[[ $v == *"outbound=auth"* ]] && ok "verdict line: outbound=auth" ||
		fail "verdict line: outbound=auth" "$v"
	hdr=$(sed '/^\r\?$/q' "$eml")
	leaks=$(grep -inE '^(User-Agent|X-Mailer|X-Originating-IP|X-Internal-Tag):|203\.0\.113\.10|10\.1\.2\.3|10\.9\.8\.7|corp\.internal|Leak' <<<"$hdr")
	if grep -q "^Subject: $tok" <<<"$hdr" && [ -z "$leaks" ]; then
		ok "cleaned at the capture sink: no client address, internal hop, User-Agent, X-Mailer, X-Originating-IP, listed field"
	else
		fail "cleaned at the capture sink: no client address, internal hop, User-Agent, X-Mailer, X-Originating-IP, listed field" \
			"$leaks"
	fi
	grep -q '^To: alice@lab.example' <<<"$hdr" && grep -q "^Message-ID: <$tok@" <<<"$hdr" &&
		ok "cleaning keeps the other fields" || fail "cleaning keeps the other fields" "$hdr"
else
	fail "cleaned at the capture sink: no client address, internal hop, User-Agent, X-Mailer, X-Originating-IP, listed field" "no message"
	fail "cleaning keeps the other fields" "no message"
	fail "submission (587, AUTH) signed message reaches the capture sink" "$MA_REPLY"
	check_independent "submission" ""
	fail "verdict line: outbound=auth" "no message"
fi

# 2. The captured message comes back in on port 25 from the MX's own
# address (SPF pass): the milter's verifier passes both signatures.
if [ -n "$eml" ]; then
	ma_send --bind "$LAB_MX_ADDR" --from alice@lab.example --to "$LAB_ALICE" --file "$eml"
	ma_fetch "$tok" >"$MA_TMP/$tok.in"
	ar=$(ma_ar "$MA_TMP/$tok.in")
	if [[ $ar =~ dkim=pass[^\;]*header.d=lab.example\ header.s=rsa2048\ header.a=rsa-sha256 &&
		$ar =~ dkim=pass[^\;]*header.d=lab.example\ header.s=ed25519\ header.a=ed25519-sha256 &&
		$ar == *"dmarc=pass"* ]]; then
		ok "the signed message verifies in messec's verifier: both signatures pass, DMARC pass"
	else
		fail "the signed message verifies in messec's verifier: both signatures pass, DMARC pass" \
			"$MA_REPLY; A-R: $ar"
	fi
	# Fields the milter adds read "Name: value" although the MTA adds
	# no space with SMFIP_HDR_LEADSPC (messec/milter.h, Header values).
	n_ar=$(grep -c '^Authentication-Results: mx\.lab\.example;' "$MA_TMP/$tok.in")
	n_sig=$(grep -c '^DKIM-Signature: v=1;' "$eml")
	[[ $n_ar -ge 1 && $n_sig -eq 2 ]] &&
		ok "added fields have the space after the colon (A-R, DKIM-Signature)" ||
		fail "added fields have the space after the colon (A-R, DKIM-Signature)" \
			"A-R $n_ar, DKIM-Signature $n_sig: $(grep -iE '^(Authentication-Results|DKIM-Signature):' "$MA_TMP/$tok.in")"
else
	fail "the signed message verifies in messec's verifier: both signatures pass, DMARC pass" "no message"
	fail "added fields have the space after the colon (A-R, DKIM-Signature)" "no message"
fi

# 2b. Bodies and headers that canonicalization must get right (issue 16
# item 4): each is submitted, captured and verified by Mail::DKIM (RSA).
long=$(printf 'x%.0s' $(seq 1 900))
odd_case() {	# NAME: writes $MA_TMP/NAME.eml with Subject NAME
	local t=$1
	{
		printf 'From: Alice <alice@lab.example>\r\nDate: %s\r\n' "$(date -R)"
		printf 'Message-ID: <%s@lab.example>\r\n' "$t"
		case $t in
		# One To (RFC 5322 3.6: at most one; opendkim-testmsg checks),
		# folded before its first word; Reply-To with white space
		# before its first word; In-Reply-To folded before it: with
		# simple header canonicalization every byte counts.
		fold*) printf 'Subject: %s\r\n\t folded   \r\n  twice\t\r\nTo:\r\n\tfriend@remote.example,\r\n bob@remote.example\r\n' "$t"
			printf 'Reply-To: \t  Alice <alice@lab.example>\r\nIn-Reply-To:\r\n <parent-%s@lab.example>\r\n' "$t" ;;
		*) printf 'To: friend@remote.example\r\nSubject: %s\r\n' "$t" ;;
		esac
		case $t in
		eightbit*) printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nH\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\r\n' ;;
		long*) printf '\r\n%s\r\n%s  \t \r\n' "$long" "$long" ;;
		trailing*) printf '\r\nlast line\r\n\r\n\r\n\r\n' ;;
		empty*) printf '\r\n' ;;
		*) printf '\r\nbody\r\n' ;;
		esac
	} >"$MA_TMP/$t.eml"
}
# odd_cases LABEL KIND...: each odd case submitted, captured and checked.
odd_cases() {
	local label=$1 kind t f
	shift
	for kind in "$@"; do
		t=$kind$RANDOM
		odd_case "$t"
		ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
			--from alice@lab.example --to friend@remote.example --file "$MA_TMP/$t.eml"
		f=
		[[ $MA_REPLY == 250* ]] && f=$(wait_captured "$t")
		check_independent "$label$kind message" "$f"
	done
}
odd_cases "" eightbit long trailing empty fold

# 3. A From domain not in the signing table: sent unsigned.
tok=nosign$RANDOM
msg=$(ma_message "$tok" "Alice <alice@quarantine.example>")
ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from alice@quarantine.example --to friend@remote.example --file "$msg"
if [[ $MA_REPLY == 250* ]] && f=$(wait_captured "$tok"); then
	grep -qi '^DKIM-Signature:' "$f" &&
		fail "From domain not in the signing table: not signed" "$(grep -i -A2 '^DKIM-Signature:' "$f")" ||
		ok "From domain not in the signing table: not signed"
else
	fail "From domain not in the signing table: not signed" "not captured: $MA_REPLY"
fi

# 4. RSA only for none.example: one signature.
tok=one$RANDOM
msg=$(ma_message "$tok" "Alice <alice@none.example>")
ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from alice@none.example --to friend@remote.example --file "$msg"
if [[ $MA_REPLY == 250* ]] && f=$(wait_captured "$tok"); then
	tags=$(sig_tags "$f")
	[ "$tags" = "a=rsa-sha256 d=none.example s=rsa2048" ] &&
		ok "a domain with one key: one signature" ||
		fail "a domain with one key: one signature" "$tags"
else
	fail "a domain with one key: one signature" "not captured: $MA_REPLY"
fi

# 5. Inbound (port 25, no AUTH) from none.example, a signing-table domain:
# verified, never signed.
tok=inbound$RANDOM
msg=$(ma_message "$tok" "Someone <someone@none.example>")
ma_send --bind "$LAB_OUT_GOOD" --from someone@none.example --to "$LAB_ALICE" --file "$msg"
ma_fetch "$tok" >"$MA_TMP/$tok.out"
if ! ma_fetched "$MA_TMP/$tok.out" "$tok"; then
	fail "inbound mail (From in the signing table) is not signed" "not delivered: $MA_REPLY"
elif grep -qi '^DKIM-Signature:' "$MA_TMP/$tok.out"; then
	fail "inbound mail (From in the signing table) is not signed" "$(grep -i '^DKIM-Signature:' "$MA_TMP/$tok.out")"
else
	ok "inbound mail (From in the signing table) is not signed"
fi

# 5b. A spoof of reject.example from a bad address: rejected (550).
tok=spoof$RANDOM
msg=$(ma_message "$tok" "Boss <ceo@reject.example>")
ma_send --bind "$LAB_OUT_BAD" --from ceo@reject.example --to "$LAB_ALICE" --file "$msg"
[[ $MA_REPLY == *"550 5.7.1"* ]] && ok "spoof of reject.example refused" ||
	fail "spoof of reject.example refused" "$MA_REPLY"

# 5c. Every inbound DMARC evaluation was recorded (issue 16 item 5, first
# part): messec-dmarc-report --dry-run writes RFC 7489 appendix C XML per
# policy domain, the rejected spoof included (disposition reject).
rep=$MA_TMP/reports
mkdir -p "$rep"
day=$(date -u +%Y%m%d)
# The milter's writer thread commits within 200 ms (dmarc_report_writer.h):
# the reports are read again until the last message's is there.
dry_run() {
	out=$("$B/milter-auth/messec-dmarc-report" -s "lmdb:$MA_TMP/report.lmdb" --org-name mx.lab.example \
		--email postmaster@lab.example --day "$day" --dry-run "$rep" 2>&1)
	grep -qs "<source_ip>$LAB_OUT_BAD</source_ip>" "$rep"/*'!reject.example!'*.xml
}
lab_wait 5 dry_run
dry_run
x_none=$(cat "$rep"/*'!none.example!'*.xml 2>/dev/null)
x_lab=$(cat "$rep"/*'!lab.example!'*.xml 2>/dev/null)
x_rej=$(cat "$rep"/*'!reject.example!'*.xml 2>/dev/null)
[[ $x_none == *"<source_ip>$LAB_OUT_GOOD</source_ip>"* && $x_none == *"<header_from>none.example</header_from>"* &&
	$x_none == *"<disposition>none</disposition>"* && $x_none == *"<p>none</p>"* ]] &&
	ok "DMARC report for none.example: the inbound message, p=none, disposition none" ||
	fail "DMARC report for none.example: the inbound message, p=none, disposition none" "$out: $x_none"
[[ $x_lab == *"<source_ip>$LAB_MX_ADDR</source_ip>"* && $x_lab == *"<selector>ed25519</selector>"* &&
	$x_lab == *"<dkim>pass</dkim>"* ]] &&
	ok "DMARC report for lab.example: our signed message came back aligned (dkim pass)" ||
	fail "DMARC report for lab.example: our signed message came back aligned (dkim pass)" "$out: $x_lab"
[[ $x_rej == *"<source_ip>$LAB_OUT_BAD</source_ip>"* && $x_rej == *"<disposition>reject</disposition>"* &&
	$x_rej == *"<spf>fail</spf>"* ]] &&
	ok "DMARC report for reject.example: the rejected spoof, disposition reject" ||
	fail "DMARC report for reject.example: the rejected spoof, disposition reject" "$out: $x_rej"

# 6. SIGHUP re-reads the keys: an Ed25519 key for none.example added to
# the config gives none.example a second signature.
ma_write_conf "dkim_sign_keys = lab.example:rsa2048:$keys/rsa.key, lab.example:ed25519:$keys/ed.key, none.example:rsa2048:$keys/rsa.key, none.example:ed25519:$keys/ed.key" \
	"dkim_sign_domains = lab.example, none.example" "dmarc_report_store = lmdb:$MA_TMP/report.lmdb"
mark=$(lab_log_mark "$MA_LOG")
kill -HUP "$MA_PID"
lab_wait_log_since "$MA_LOG" "$mark" 'configuration reloaded|reload of' 10
tok=hup$RANDOM
msg=$(ma_message "$tok" "Alice <alice@none.example>")
ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from alice@none.example --to friend@remote.example --file "$msg"
if [[ $MA_REPLY == 250* ]] && f=$(wait_captured "$tok"); then
	tags=$(sig_tags "$f" | sort | tr '\n' ';')
	[ "$tags" = "a=ed25519-sha256 d=none.example s=ed25519;a=rsa-sha256 d=none.example s=rsa2048;" ] &&
		ok "SIGHUP reload reads the key table again (second key used)" ||
		fail "SIGHUP reload reads the key table again (second key used)" "$tags; $(tail -n 3 "$MA_LOG")"
else
	fail "SIGHUP reload reads the key table again (second key used)" "not captured: $MA_REPLY"
fi

# 6b. simple/simple (the own signer hashes its folded DKIM-Signature as
# is; Ed25519 with a simple header is what libopendkim cannot sign): the
# same odd cases pass the three independent verifiers.
ma_write_conf "${sign_conf[@]}" "dkim_sign_canonicalization = simple/simple"
mark=$(lab_log_mark "$MA_LOG")
kill -HUP "$MA_PID"
lab_wait_log_since "$MA_LOG" "$mark" 'configuration reloaded|reload of' 10
# fold: fields folded or spaced before their first word keep their
# exact bytes (SMFIP_HDR_LEADSPC, docs/dkim.md, Signing), which simple
# header canonicalization hashes as they are.
odd_cases "simple/simple: " eightbit long trailing empty fold

# 7. A key other users can read: the daemon refuses to start, naming the
# config line.
install -m 640 -o nobody "$LAB_LIB_DIR/keys/lab-test-dkim-rsa2048.key" "$keys/open.key"
bad=$MA_TMP/bad.conf
printf 'socket = unix:%s/bad.sock\nuser = nobody\npid_file =\n# signing\ndkim_sign_keys = lab.example:rsa2048:%s\ndkim_sign_domains = lab.example\n' \
	"$LAB_DIR" "$keys/open.key" >"$bad"
out=$(timeout 10 "$MA_BIN" -f -c "$bad" 2>&1)
st=$?
[[ $st -ne 0 && $st -ne 124 && $out == *"$bad:5: dkim_sign_keys: "*"open.key"* ]] &&
	ok "a group-readable key: refuses to start (file:line: message)" ||
	fail "a group-readable key: refuses to start (file:line: message)" "exit $st: $out"

# 8. Over the header caps (max_headers, 1000 by default): the fields past
# them were not seen, so the message can be neither cleaned nor signed;
# the sender shaped it, so a permanent 552 5.3.4, never a tempfail or an
# unsigned, uncleaned send; the verdict line says so (it used to read
# "action=accept").
tok=caps$RANDOM
fill=()
for i in $(seq 1 1005); do fill+=("X-Filler-$i: $i"); done
msg=$(ma_message "$tok" "Alice <alice@lab.example>" "${fill[@]}")
mark=$(lab_log_mark "$MA_LOG")
ma_send --port 587 --starttls --auth alice "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from alice@lab.example --to friend@remote.example --file "$msg"
lab_wait_log_since "$MA_LOG" "$mark" 'outbound=auth action=' 10
v=$(tail -c +"$((mark + 1))" "$MA_LOG" | grep 'outbound=auth action=' | tail -n 1)
[[ $MA_REPLY == *"552 5.3.4"* && $v == *"outbound=auth action=reject "*"reason=limits"* ]] &&
	! lab_capture_subject "$tok" >/dev/null 2>&1 &&
	ok "submission over the header caps: 552 5.3.4, logged action=reject reason=limits, not sent" ||
	fail "submission over the header caps: 552 5.3.4, logged action=reject reason=limits, not sent" \
		"reply: $MA_REPLY; log: $v"

ma_finish
