#!/bin/bash
# NAME
#	70-policyd.sh - messec-policyd behind the lab's real Postfix, and under hostile clients
# DESCRIPTION
#	Starts messec-policyd in the lab (inet and unix listeners, running as
#	nobody) with a sender-login map and a deny list, and points Postfix's
#	check_policy_service at it (LAB_POLICY: smtpd_recipient_restrictions
#	and smtpd_end_of_data_restrictions, ports 25 and 587). Cases:
#	alice, authenticated on 587, sending as bob's address is rejected at
#	RCPT with the documented text; as herself she is accepted and the
#	mail is delivered; a deny-listed client is refused on 25 while
#	another client is not; then policyd_robust.py holds 1000 idle
#	connections while split, pipelined, NUL, garbage, over-long and
#	duplicate-attribute requests arrive, and every held connection still
#	answers; the malformed requests are logged; Postfix is still served.
set -u
. "$(dirname "$0")/policyd.bash"
pd_lab_up 10040		# PD, port, cfgdir
cat >"$cfgdir/login.map" <<X
# login            senders it owns
alice@lab.example  alice@lab.example
bob@lab.example    bob@lab.example
X
cat >"$cfgdir/policyd.conf" <<X
listen = inet:127.0.0.1:$port unix:$LAB_DIR/policyd.sock
socket_mode = 0666
user = nobody
log_level = info
metrics_listen = inet:127.0.0.1:10049
rcpt_rules = allow deny sender_login
deny_clients = 198.51.100.0/24
sender_login_map = $cfgdir/login.map
X
chmod 644 "$cfgdir"/*

out=$("$PD" -t -c "$cfgdir/policyd.conf" 2>&1)
[[ $out == *"deny_clients = 198.51.100.0/24"* ]] && ok "policyd -t accepts the test config" ||
	fail "policyd -t accepts the test config" "$out"

# --explain with a request file: every rule's word, the decider, the action.
printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=%s\nsender=%s\nclient_address=192.0.2.9\n' \
	"$LAB_ALICE" "$LAB_BOB" >"$cfgdir/req.txt"
out=$("$PD" -c "$cfgdir/policyd.conf" --explain "$cfgdir/req.txt" 2>&1)
if [[ $out == *"allow         no allow entry matches"*"deny          no deny entry matches"*"sender_login  login $LAB_ALICE does not own <$LAB_BOB>: reject  [decides]"*"decided by: sender_login"*"action=REJECT 5.7.1 Sender address <$LAB_BOB> is not owned by login $LAB_ALICE"* ]]; then
	ok "--explain FILE: what each rule said, the decider, the action"
else
	fail "--explain FILE: what each rule said, the decider, the action" "$out"
fi

if lab_spawn policyd -- "$PD" -f -c "$cfgdir/policyd.conf" && lab_wait_port $port &&
	lab_wait_socket "$LAB_DIR/policyd.sock"; then
	ok "policyd starts: inet and unix listeners"
else
	fail "policyd starts: inet and unix listeners" "$(tail -n 5 "$LAB_DIR/policyd.log")"
fi

# alice (authenticated on 587) as bob: refused at RCPT, with the text.
out=$(lab_mail send --port 587 --starttls --auth "$LAB_ALICE" "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_BOB" --to friend@remote.example 2>&1)
want="554 5.7.1 <friend@remote.example>: Recipient address rejected: Sender address <$LAB_BOB> is not owned by login $LAB_ALICE"
[[ $out == *"$want"* ]] && ok "alice sending as bob is rejected at RCPT: $want" ||
	fail "alice sending as bob is rejected at RCPT: $want" "$out"
lab_wait_maillog "NOQUEUE: reject: RCPT from .*Sender address <$LAB_BOB> is not owned by login $LAB_ALICE" 10 &&
	ok "Postfix logs the RCPT reject" || fail "Postfix logs the RCPT reject" "$(tail -n 3 "$LAB_MAILLOG")"
grep -q "rule=sender_login action=REJECT 5.7.1 Sender address <$LAB_BOB> is not owned" "$LAB_DIR/policyd.log" &&
	ok "policyd logs one verdict line naming the rule" ||
	fail "policyd logs one verdict line naming the rule" "$(tail -n 3 "$LAB_DIR/policyd.log")"

# alice as herself: accepted and delivered.
before=$(lab_mailbox_count bob)
out=$(lab_mail send --port 587 --starttls --auth "$LAB_ALICE" "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_ALICE" --to "$LAB_BOB" --subject policyd-own 2>&1)
if [[ $out == 250* ]] && lab_wait_mailbox bob $((before + 1)) 20; then
	ok "alice sending as herself is accepted and delivered"
else
	fail "alice sending as herself is accepted and delivered" "$out; bob has $(lab_mailbox_count bob)"
fi

# Deny list: 198.51.100.0/24 refused on 25; another client is not.
out=$(lab_mail send --bind "$LAB_OUT_BAD" --from someone@norecords.example --to "$LAB_ALICE" 2>&1)
[[ $out == *'554 5.7.1 <'"$LAB_ALICE"'>: Recipient address rejected: Access denied'* ]] && ok "deny-listed client refused at RCPT" ||
	fail "deny-listed client refused at RCPT" "$out"
out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from someone@none.example --to "$LAB_ALICE" 2>&1)
[[ $out == 250* ]] && ok "client outside the deny list accepted" || fail "client outside the deny list accepted" "$out"

# Hostile and idle clients: 1000 held connections.
out=$(lab_exec "$LAB_PY" "$(dirname "$0")/policyd_robust.py" "$LAB_DIR/policyd.sock" 127.0.0.1 $port 1000 2>&1)
printf '%s\n' "$out"
lab_tap "$out"
[ "$(printf '%s\n' "$out" | grep -c '^ok ')" -ge 15 ] && ok "robustness helper ran every case" ||
	fail "robustness helper ran every case" "$(printf '%s' "$out" | tail -n 3)"
n=$(grep -c 'malformed request' "$LAB_DIR/policyd.log")
[ "$n" -ge 6 ] && ok "each malformed request logged ($n lines)" || fail "each malformed request logged" "$n lines"
pid=$(cat "$LAB_DIR/pids/policyd.pid")
kill -0 "$pid" 2>/dev/null && ok "policyd still running after the hostile clients" ||
	fail "policyd still running after the hostile clients" "$(tail -n 5 "$LAB_DIR/policyd.log")"

# Metrics: per rule and action, malformed requests, latency.
m=$(lab_exec "$LAB_PY" -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:10049/metrics", timeout=10).read().decode())' 2>&1)
num() { printf '%s\n' "$m" | awk -v k="$1" '$1 == k {print $2}'; }
if [ "$(num 'messec_policyd_rule_decisions_total{rule="sender_login"}')" -ge 1 ] 2>/dev/null &&
	[ "$(num 'messec_policyd_rule_decisions_total{rule="deny"}')" -ge 1 ] 2>/dev/null &&
	[ "$(num 'messec_policyd_requests_total{action="REJECT"}')" -ge 1000 ] 2>/dev/null &&
	[ "$(num messec_policyd_malformed_total)" -ge 6 ] 2>/dev/null &&
	[[ $m == *'messec_policyd_request_seconds_count'* ]]; then
	ok "metrics: decisions per rule, requests per action, malformed count, latency histogram"
else
	fail "metrics: decisions per rule, requests per action, malformed count, latency histogram" "$(printf '%s' "$m" | grep policyd | head -n 12)"
fi

# Postfix is still served after all that.
out=$(lab_mail send --port 587 --starttls --auth "$LAB_ALICE" "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_BOB" --to friend@remote.example 2>&1)
[[ $out == *"$want"* ]] && ok "Postfix still gets verdicts afterwards" || fail "Postfix still gets verdicts afterwards" "$out"

# SIGHUP: a new map is used without dropping connections; a bad config
# keeps the previous one.
held=$(mktemp)
lab_exec "$LAB_PY" -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(4)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=alice@lab.example\nsender=bob@lab.example\n\n")
print(s.recv(4096).decode().strip())' "$LAB_DIR/policyd.sock" >"$held" 2>&1 &
heldpid=$!
sleep 1
echo "alice@lab.example  bob@lab.example" >>"$cfgdir/login.map"
mark=$(lab_log_mark "$LAB_DIR/policyd.log")
kill -HUP "$pid"
lab_wait_log_since "$LAB_DIR/policyd.log" "$mark" 'reload|configuration' 10
out=$("$PD" -c "$cfgdir/policyd.conf" --explain "protocol_state=RCPT sasl_username=$LAB_ALICE sender=$LAB_BOB" 2>&1)
out2=$(lab_mail send --port 587 --starttls --auth "$LAB_ALICE" "$LAB_ALICE_PASSWORD" --bind "$LAB_OUT_OTHER" \
	--from "$LAB_BOB" --to friend@remote.example 2>&1)
[[ $out2 == 250* && $out == *"action=DUNNO"* ]] && ok "SIGHUP: the new map lets alice use bob's address" ||
	fail "SIGHUP: the new map lets alice use bob's address" "$out2 / $out"
wait "$heldpid"
[[ $(cat "$held") == "action=DUNNO" ]] && ok "SIGHUP: a connection open across the reload is answered with the new map" ||
	fail "SIGHUP: a connection open across the reload is answered with the new map" "$(cat "$held")"
rm -f "$held"
echo "no_such_key = 1" >>"$cfgdir/policyd.conf"
mark=$(lab_log_mark "$LAB_DIR/policyd.log")
kill -HUP "$pid"
if lab_wait_log_since "$LAB_DIR/policyd.log" "$mark" 'keeping the previous configuration' 10 &&
	kill -0 "$pid" 2>/dev/null; then
	ok "SIGHUP with a bad config: logged, previous configuration kept"
else
	fail "SIGHUP with a bad config: logged, previous configuration kept" "$(tail -n 3 "$LAB_DIR/policyd.log")"
fi
out=$(lab_mail send --bind "$LAB_OUT_BAD" --from someone@norecords.example --to "$LAB_ALICE" 2>&1)
[[ $out == *'Access denied'* ]] && ok "after the bad reload the old rules still answer" ||
	fail "after the bad reload the old rules still answer" "$out"

lab_sanitizer_check "no sanitizer report from policyd" "$PD" "$LAB_DIR/policyd.log"
lab_finish
