#!/bin/bash
# NAME
#	37-milter-auth-ops.sh - operating the daemon: -t, drop-ins, exit codes,
#	privilege drop, metrics
# DESCRIPTION
#	-t prints the effective config and exits 0, or 1 with "path:line:"
#	errors; a drop-in in <config>.d/ overrides the main file; a bad config
#	at startup exits 78 (EX_CONFIG); the running daemon has dropped to the
#	configured user after binding; the Prometheus endpoint counts results
#	and actions of real mail (lab), with the latency histogram.
set -u
. "$(dirname "$0")/milter-auth.bash"

conf=$MA_TMP/t.conf
printf 'authserv_id = a.example\ndmarc_reject_action = tag\n' >"$conf"
mkdir -p "$conf.d"
printf 'authserv_id = b.example\n' >"$conf.d/10-local.conf"
out=$("$MA_BIN" -t -c "$conf" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -qx 'authserv_id = b.example' <<<"$out" &&
	grep -qx 'dmarc_reject_action = tag' <<<"$out" && grep -qx 'max_headers = 1000' <<<"$out" &&
	ok "-t: effective config (drop-in wins, defaults shown), exit 0" ||
	fail "-t: effective config (drop-in wins, defaults shown), exit 0" "rc $rc: $out"

printf 'bogus_key = 1\n' >"$conf.d/20-bad.conf"
printf '\nmax_headers = 3\n' >>"$conf"
out=$("$MA_BIN" -t -c "$conf" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == *"t.conf:4: "*"max_headers"* ]] && [[ $out == *"20-bad.conf:1: "*"bogus_key"* ]] &&
	ok "-t: every error as path:line:, exit 1" || fail "-t: every error as path:line:, exit 1" "rc $rc: $out"
out=$("$MA_BIN" -f -c "$conf" 2>&1); rc=$?
[ $rc -eq 78 ] && ok "bad config at startup: exit 78 (EX_CONFIG)" ||
	fail "bad config at startup: exit 78 (EX_CONFIG)" "rc $rc: $out"

ma_lab_up "metrics_listen = inet:127.0.0.1:9478"
uid=$(awk '/^Uid:/{print $2 "," $3 "," $4}' "/proc/$MA_PID/status")
want=$(id -u nobody)
[ "$uid" = "$want,$want,$want" ] && ok "privileges dropped to nobody after binding" ||
	fail "privileges dropped to nobody after binding" "uid $uid"
[ "$(stat -c %U "$LAB_DIR/auth.sock")" = nobody ] && ok "socket owned by the run user" ||
	fail "socket owned by the run user" "$(stat -c %U "$LAB_DIR/auth.sock")"

tok=m$RANDOM
msg=$(ma_message "$tok" "ceo@reject.example")
ma_send --bind "$LAB_OUT_GOOD" --from ceo@reject.example --to "$LAB_ALICE" --file "$msg"
msg=$(ma_message "m2$tok" "ceo@reject.example")
ma_send --bind "$LAB_OUT_BAD" --from ceo@reject.example --to "$LAB_ALICE" --file "$msg"
metrics=$(lab_exec "$LAB_PY" -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9478/metrics", timeout=5).read().decode())' 2>&1)
if grep -q '^messec_milter_auth_dmarc_total{result="pass"} [1-9]' <<<"$metrics" &&
	grep -q '^messec_milter_auth_dmarc_total{result="fail"} [1-9]' <<<"$metrics" &&
	grep -q '^messec_milter_auth_action_total{action="reject"} [1-9]' <<<"$metrics" &&
	grep -q '^messec_milter_auth_spf_total{result="pass"} [1-9]' <<<"$metrics" &&
	grep -q '^messec_milter_auth_verdict_seconds_count [2-9]' <<<"$metrics"; then
	ok "metrics: results, actions, latency histogram"
else
	fail "metrics: results, actions, latency histogram" "$(grep messec_milter_auth_ <<<"$metrics" | grep -v '^#' | head -n 20)"
fi
ma_finish
