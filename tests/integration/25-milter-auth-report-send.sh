#!/bin/bash
# NAME
#	25-milter-auth-report-send.sh - DMARC aggregate reports sent (issue 16 item 5)
# DESCRIPTION
#	messec-milter-auth records the DMARC evaluations of inbound mail
#	from three policy domains whose rua is dmarc-reports@lab.example (an
#	alias of alice), an external destination for all three (RFC 7489
#	section 7.1):
#	- rep1.example: lab.example publishes
#	  rep1.example._report._dmarc.lab.example "v=DMARC1" (verified);
#	- rep2.example: no such record (not verified: never sent);
#	- rep3.example: verified, but rua=...!1k, smaller than the report;
#	- rep4.example: verified by a record that carries its own
#	  rua=mailto:postmaster@lab.example (section 7.1 step 8): the report
#	  goes there instead (postmaster@ is alice too; the To: tells);
#	- rep5.example: verified by a record whose rua names another host
#	  (remote.example): sent to neither address.
#	messec-dmarc-report, run in the lab with the lab Postfix's own
#	sendmail (MAIL_CONFIG):
#	1. with a sendmail that fails: nothing is lost (exit 1, "will
#	   retry", the records are all still there);
#	2. for real: rep1's report reaches alice's mailbox through Postfix;
#	   fetched over IMAP, its attachment gunzips to XML with the right
#	   fields (read by Python's own email/gzip/XML modules), valid
#	   against the RFC's schema (xmllint); rep2 (not verified) and rep3
#	   (over !1k) are not sent and say why; rep4's goes to the override
#	   address, rep5's nowhere;
#	3. once more: rep1 is not sent twice (its records were taken off
#	   after Postfix took the mail); rep2's and rep3's are kept;
#	4. messec-dmarc-report ingest -s on alice's Maildir, twice, reads the
#	   report back among her other mail into a store, once (item 6); the
#	   same table as JSON (--json) parses with Python's json module;
#	5. SIGTERM right after a message: the report writer's queue is
#	   written before the milter exits (nothing lost).
set -u
. "$(dirname "$0")/milter-auth.bash"

lab_require "report prerequisites" xmllint perl || lab_finish
REP_BIN=${MESSEC_DMARC_REPORT_BIN:-$B/milter-auth/messec-dmarc-report}
[ -x "$REP_BIN" ] || { fail "messec-dmarc-report built" "$REP_BIN missing"; lab_finish; }

MA_EXTRA_ZONES=$MA_TMP/report-zones.conf
for d in rep1 rep2 rep3 rep4 rep5; do
	size=
	[ $d = rep3 ] && size='!1k'
	cat <<EOF
local-zone: "$d.example." static
local-data: '$d.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
local-data: '_dmarc.$d.example. 300 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@lab.example$size"'
EOF
done >"$MA_EXTRA_ZONES"
# section 7.1: lab.example accepts reports about rep1, rep3, rep4 (to
# its own rua) and rep5 (to another host's: refused), not rep2
cat >>"$MA_EXTRA_ZONES" <<'EOF'
local-data: 'rep1.example._report._dmarc.lab.example. 300 IN TXT "v=DMARC1"'
local-data: 'rep3.example._report._dmarc.lab.example. 300 IN TXT "v=DMARC1"'
local-data: 'rep4.example._report._dmarc.lab.example. 300 IN TXT "v=DMARC1; rua=mailto:postmaster@lab.example"'
local-data: 'rep5.example._report._dmarc.lab.example. 300 IN TXT "v=DMARC1; rua=mailto:reports@remote.example"'
EOF
export MA_EXTRA_ZONES
store=lmdb:$MA_TMP/report.lmdb
ma_lab_up "dmarc_report_store = $store"

# Inbound mail: two from rep1, one each from rep2 to rep5 (SPF pass).
for n in 1 2 3 4 5 6; do
	case $n in 1 | 2) d=rep1 ;; 3) d=rep2 ;; 4) d=rep3 ;; 5) d=rep4 ;; 6) d=rep5 ;; esac
	tok=rep$n$RANDOM
	msg=$(ma_message "$tok" "News <news@$d.example>")
	ma_send --bind "$LAB_OUT_GOOD" --from "news@$d.example" --to "$LAB_ALICE" --file "$msg"
	[[ $MA_REPLY == 250* ]] || fail "mail from $d.example accepted" "$MA_REPLY"
	lab_wait_log "$MA_LOG" ": $MA_QID: spf=" 10 || fail "milter saw the mail from $d.example" "$MA_QID"
done
day=$(date -u +%Y%m%d)
report() {	# SENDMAIL: run messec-dmarc-report in the lab for today
	lab_exec env MAIL_CONFIG="$LAB_POSTFIX_CONFIG" "$REP_BIN" -s "$store" \
		--org-name "Lab MX" --email postmaster@lab.example --day "$day" --sendmail "$1" 2>&1
}
dry() {		# the reports still in the store, as file names
	rm -rf "$MA_TMP/dry" && mkdir "$MA_TMP/dry" &&
		"$REP_BIN" -s "$store" --org-name "Lab MX" --email postmaster@lab.example --day "$day" \
			--dry-run "$MA_TMP/dry" >/dev/null 2>&1
	ls "$MA_TMP/dry" | tr '\n' ' '
}
n_reports() { lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
	--search "SUBJECT \"Report Domain: $1\"" 2>/dev/null | grep -c '^=== message'; }

# The milter's writer thread commits within dmarc_report_batch_ms (200 ms).
all_recorded() {
	dry >/dev/null
	grep -qs '<count>2</count>' "$MA_TMP/dry/"*'!rep1.example!'*.xml &&
		[ -n "$(ls "$MA_TMP/dry/"*'!rep2.example!'*.xml "$MA_TMP/dry/"*'!rep3.example!'*.xml 2>/dev/null)" ] &&
		ls "$MA_TMP/dry/"*'!rep3.example!'*.xml "$MA_TMP/dry/"*'!rep4.example!'*.xml \
			"$MA_TMP/dry/"*'!rep5.example!'*.xml >/dev/null 2>&1
}
lab_wait 5 all_recorded || fail "the six evaluations are recorded" "$(dry)"

# 1. The MTA refuses: exit 1, will retry, every record kept.
out=$(report /bin/false)
st=$?
kept=$(dry)
if [ $st -eq 1 ] && [[ $out == *"rep1.example $day dmarc-reports@lab.example: not sent, will retry:"* &&
	$kept == *'!rep1.example!'* && $kept == *'!rep2.example!'* && $kept == *'!rep3.example!'* ]]; then
	ok "sendmail fails: exit 1, 'will retry', the records stay for the next run"
else
	fail "sendmail fails: exit 1, 'will retry', the records stay for the next run" "exit $st: $out; kept: $kept"
fi

# 2. For real, through the lab's Postfix.
out=$(report /usr/sbin/sendmail)
st=$?
[[ $out == *"rep1.example $day dmarc-reports@lab.example: sent, "* ]] &&
	ok "rep1.example (external, verified): handed to Postfix" ||
	fail "rep1.example (external, verified): handed to Postfix" "exit $st: $out"
[[ $out == *"rep2.example $day dmarc-reports@lab.example: not sent: external destination not verified"* ]] &&
	ok "rep2.example (external, no _report._dmarc record): not sent, says why" ||
	fail "rep2.example (external, no _report._dmarc record): not sent, says why" "$out"
[[ $out == *"rep3.example $day dmarc-reports@lab.example: not sent: report of "*" over the limit of 1024"* ]] &&
	ok "rep3.example (rua !1k): a larger report is not sent, says why" ||
	fail "rep3.example (rua !1k): a larger report is not sent, says why" "$out"
# RFC 7489 section 7.1 step 8: the verifying record's own rua.
[[ $out == *"rep4.example $day dmarc-reports@lab.example: external destination's own rua: postmaster@lab.example"* &&
	$out == *"rep4.example $day postmaster@lab.example: sent, "* &&
	$out != *"rep4.example $day dmarc-reports@lab.example: sent"* ]] &&
	ok "rep4.example (verifying record has its own rua): sent to that address only" ||
	fail "rep4.example (verifying record has its own rua): sent to that address only" "$out"
[[ $out == *"rep5.example $day dmarc-reports@lab.example: not sent: external destination's rua override names another host"* &&
	$out != *"rep5.example $day reports@remote.example"* ]] &&
	ok "rep5.example (override at another host): sent to neither, says why" ||
	fail "rep5.example (override at another host): sent to neither, says why" "$out"

fetched=$MA_TMP/report.msg
fields=
if lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
	--search 'SUBJECT "Report Domain: rep1.example"' --count 1 --wait 20 >"$fetched" 2>&1 &&
	fields=$("$LAB_PY" "$(dirname "$0")/dmarc_report_mail.py" "$fetched" "$MA_TMP/rep1.xml" 2>&1); then
	want=("subject=Report Domain: rep1.example Submitter: lab.example Report-ID: <rep1.example-$day-"
		"filename=lab.example!rep1.example!"
		"feedback/report_metadata/org_name=Lab MX"
		"feedback/report_metadata/email=postmaster@lab.example"
		"feedback/policy_published/domain=rep1.example"
		"feedback/policy_published/p=none"
		"feedback/record1/row/source_ip=$LAB_OUT_GOOD"
		"feedback/record1/row/count=2"
		"feedback/record1/row/policy_evaluated/spf=pass"
		"feedback/record1/identifiers/header_from=rep1.example"
		"feedback/record1/auth_results/spf/domain=rep1.example"
		"feedback/record1/auth_results/spf/result=pass")
	missing=
	for w in "${want[@]}"; do
		grep -qF -- "$w" <<<"$fields" || missing+=" [$w]"
	done
	grep -q '^feedback/record2/' <<<"$fields" && missing+=" [one record only]"
	[ -z "$missing" ] && ok "the report fetched over IMAP: gzip'd XML, subject, file name and fields right" ||
		fail "the report fetched over IMAP: gzip'd XML, subject, file name and fields right" \
			"missing:$missing; got: $fields"
	# The RFC's schema, with the two fixes test_report.c describes.
	conf=${MESSEC_CONFORMANCE:-$LAB_REPO/../shared/conformance}
	perl -0pe 's|targetNamespace="http://dmarc.org/dmarc-xml/0.1"||;
		s|(<xs:pattern value=")([^"]*)|my ($p, $v) = ($1, $2); $v =~ s/\s+//g; $p . $v|ge' \
		"$conf/dmarc/schema/rfc7489-appendix-c.dmarc-xml-0.1.xsd" >"$MA_TMP/appendix-c.xsd"
	check "the sent report validates against RFC 7489 appendix C (xmllint)" \
		xmllint --noout --schema "$MA_TMP/appendix-c.xsd" "$MA_TMP/rep1.xml"
else
	fail "the report fetched over IMAP: gzip'd XML, subject, file name and fields right" \
		"$(tail -n 3 "$fetched") $fields"
	fail "the sent report validates against RFC 7489 appendix C (xmllint)" "no report"
fi
# rep2/rep3: Postfix delivered rep1's report; the queue is empty, and
# no report about them is in the mailbox.
lab_wait 20 sh -c "ip netns exec '$LAB_NS' postqueue -c '$LAB_POSTFIX_CONFIG' -p | grep -q 'Mail queue is empty'"
n2=$(n_reports rep2.example)
n3=$(n_reports rep3.example)
n5=$(n_reports rep5.example)
[ "$n2" = 0 ] && [ "$n3" = 0 ] && [ "$n5" = 0 ] && [ "$(n_reports rep1.example)" = 1 ] &&
	ok "no report about rep2 (unverified), rep3 (too large) or rep5 (override elsewhere) in the mailbox" ||
	fail "no report about rep2 (unverified), rep3 (too large) or rep5 (override elsewhere) in the mailbox" \
		"rep2 $n2, rep3 $n3, rep5 $n5"
to4=$(lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --headers-only \
	--search 'SUBJECT "Report Domain: rep4.example"' 2>/dev/null | grep -i '^To:')
[ "$(n_reports rep4.example)" = 1 ] && [[ $to4 == *"postmaster@lab.example"* ]] &&
	ok "rep4's report delivered once, addressed to the override (To: postmaster@lab.example)" ||
	fail "rep4's report delivered once, addressed to the override (To: postmaster@lab.example)" \
		"$(n_reports rep4.example) reports; $to4"

# 3. Once more: rep1's records were taken off after Postfix took the
# report (not sent twice); rep2's and rep3's are kept.
out=$(report /usr/sbin/sendmail)
kept=$(dry)
sleep 2
n1=$(n_reports rep1.example)
if [[ $out != *"rep1.example"* && $kept != *'!rep1.example!'* && $kept == *'!rep2.example!'* &&
	$kept == *'!rep3.example!'* && $n1 = 1 && $out == *"expired entries purged"* &&
	$out != *"rep4.example"* && $kept != *'!rep4.example!'* && $kept == *'!rep5.example!'* ]]; then
	ok "next run: rep1's and rep4's reports are not sent twice; rep2's, rep3's and rep5's records are kept"
else
	fail "next run: rep1's and rep4's reports are not sent twice; rep2's, rep3's and rep5's records are kept" \
		"$out; kept: $kept; rep1 reports: $n1"
fi

# 4. The receiving side (item 6) on the same Maildir: ingest finds the
# report among alice's other mail (those are named as not reports) and
# counts rep1's two messages from LAB_OUT_GOOD as passing DMARC.
# Read twice into a store (-s): the report is kept once.
in_store=lmdb:$MA_TMP/ingest.lmdb
"$REP_BIN" ingest -s "$in_store" "$LAB_MAILDIR_ROOT/alice" >/dev/null 2>"$MA_TMP/ingest.err"
out=$("$REP_BIN" ingest -s "$in_store" "$LAB_MAILDIR_ROOT/alice" 2>"$MA_TMP/ingest2.err")
line=$(grep -A3 '^domain rep1.example$' <<<"$out" | grep -E "^ +$LAB_OUT_GOOD ")
if [ -n "$line" ] && [ "$(awk '{print $2, $3, $4}' <<<"$line")" = "2 2 2" ] &&
	grep -q 'no report attachment in the mail' "$MA_TMP/ingest.err" &&
	grep -q 'already stored: skipped' "$MA_TMP/ingest2.err"; then
	ok "ingest reads the report from the Maildir into a store, once: rep1.example, $LAB_OUT_GOOD, 2 messages pass"
else
	fail "ingest reads the report from the Maildir into a store, once: rep1.example, $LAB_OUT_GOOD, 2 messages pass" \
		"$out $(head -c 300 "$MA_TMP/ingest2.err")"
fi
# --json: the same table for scripts (keys: docs/milter-auth.md).
json=$("$REP_BIN" ingest -s "$in_store" --json 2>"$MA_TMP/ingest3.err")
got=$("$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["version"] == 1 and d["reports"] == 2, d["reports"]
doms = {x["domain"]: x["sources"] for x in d["domains"]}
s = [x for x in doms["rep1.example"] if x["ip"] == sys.argv[2]][0]
print(sorted(doms), s["messages"], s["dmarc_pass"], s["spf_aligned"], s["dkim_aligned"],
      s["fails_dmarc"], s["reporters"])
' "$json" "$LAB_OUT_GOOD" 2>&1)
[ "$got" = "['rep1.example', 'rep4.example'] 2 2 2 0 False ['Lab MX']" ] &&
	ok "ingest --json: valid JSON, both reports, rep1.example $LAB_OUT_GOOD: 2 messages pass SPF aligned" ||
	fail "ingest --json: valid JSON, both reports, rep1.example $LAB_OUT_GOOD: 2 messages pass SPF aligned" \
		"$got; $json"

# 5. The writer thread's queue is written at exit: with a batch interval
# of 60 s (reloaded), a message, then SIGTERM: only the write at exit can
# have put its row in the store.
ma_write_conf "dmarc_report_store = $store" "dmarc_report_batch_ms = 60000"
mark=$(lab_log_mark "$MA_LOG")
kill -HUP "$MA_PID"
lab_wait_log_since "$MA_LOG" "$mark" 'configuration reloaded|reload of' 10 ||
	fail "reload with dmarc_report_batch_ms = 60000" "$(tail -n 3 "$MA_LOG")"
tok=last$RANDOM
msg=$(ma_message "$tok" "News <news@rep2.example>")
ma_send --bind "$LAB_OUT_GOOD" --from news@rep2.example --to "$LAB_ALICE" --file "$msg"
kill -TERM "$MA_PID"
lab_wait 30 sh -c "! kill -0 $MA_PID 2>/dev/null"
dry >/dev/null
if [[ $MA_REPLY == 250* ]] && grep -qs '<count>2</count>' "$MA_TMP/dry/"*'!rep2.example!'*.xml; then
	ok "SIGTERM right after a message: the queued row is written before exit"
else
	fail "SIGTERM right after a message: the queued row is written before exit" \
		"$MA_REPLY; $(cat "$MA_TMP/dry/"*'!rep2.example!'*.xml 2>/dev/null | grep -A1 source_ip)"
fi

ma_finish
