#!/bin/bash
# NAME
#	75-policyd-greylist-spf.sh - SPF-keyed greylisting behind the lab's real Postfix
# DESCRIPTION
#	messec-policyd greylists on port 25 with greylist_spf = yes (2 s
#	delay). The lab DNS (LAB_UNBOUND_EXTRA) adds pool.example, whose SPF
#	authorises two networks (192.0.2.0/24 and 198.51.100.0/24: a big
#	sender's pool), and listed.example (SPF 203.0.113.0/24), named in a
#	greylist allowlist file. Cases: a pool.example sender greylisted from
#	192.0.2.20 is accepted on its retry from 198.51.100.20, another
#	network, because SPF passed both times and the triplet is keyed on the
#	domain; the same rotation for a sender without SPF is greylisted again
#	(keyed on the network, as without SPF); an SPF-pass sender of an
#	allowlisted domain is accepted at once, the same sender from outside its
#	SPF is greylisted; and while one request waits for an SPF DNS answer
#	that never comes (timeout.example, 3 s budget), a request on another
#	connection is answered at once and the waiting one then falls back to
#	the network key (greylisted), logged.
set -u
. "$(dirname "$0")/../lab/lib.sh"

PD=$B/policyd/messec-policyd
[ -x "$PD" ] || fail "policyd is built" "$PD missing (make)"
port=10044
cfgdir=$(mktemp -d)
chmod 755 "$cfgdir"
cat >"$cfgdir/unbound-extra.conf" <<'X'
local-zone: "pool.example." static
local-data: "pool.example. 300 IN SOA ns.pool.example. hostmaster.pool.example. 1 3600 600 86400 300"
local-data: "pool.example. 300 IN A 192.0.2.20"
local-data: 'pool.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all"'
local-zone: "listed.example." static
local-data: "listed.example. 300 IN SOA ns.listed.example. hostmaster.listed.example. 1 3600 600 86400 300"
local-data: "listed.example. 300 IN A 203.0.113.50"
local-data: 'listed.example. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 -all"'
X
lab_up LAB_POLICY="inet:127.0.0.1:$port" LAB_UNBOUND_EXTRA="$cfgdir/unbound-extra.conf"

mkdir "$cfgdir/state" && chown nobody "$cfgdir/state"
trap 'st=$?; rm -rf "$cfgdir"; lab_on_exit $st' EXIT
echo "listed.example" >"$cfgdir/allow"
cat >"$cfgdir/policyd.conf" <<X
listen = inet:127.0.0.1:$port
user = nobody
log_level = debug
rcpt_rules = greylist
store = lmdb:$cfgdir/state/policyd.lmdb
greylist_delay = 2s
greylist_retry_window = 1h
greylist_spf = yes
greylist_spf_timeout = 3s
greylist_allow_files = $cfgdir/allow
X
chmod 644 "$cfgdir/policyd.conf" "$cfgdir/allow"

out=$(sed 's/^store_workers.*//' "$cfgdir/policyd.conf" | { cat; echo "store_workers = 0"; } >"$cfgdir/bad.conf"; "$PD" -t -c "$cfgdir/bad.conf" 2>&1)
[[ $out == *"greylist_spf: needs store_workers of 1 or more"* ]] &&
	ok "greylist_spf with store_workers = 0 (SPF in the event loop) is refused" ||
	fail "greylist_spf with store_workers = 0 (SPF in the event loop) is refused" "$out"

if lab_spawn policyd -- "$PD" -f -c "$cfgdir/policyd.conf" && lab_wait_port $port &&
	lab_wait_log "$LAB_DIR/policyd.log" 'store: lmdb:.* open' 10; then
	ok "policyd starts with greylist_spf"
else
	fail "policyd starts with greylist_spf" "$(tail -n 5 "$LAB_DIR/policyd.log")"
fi

send() {	# bind from subject
	lab_mail send --bind "$1" --from "$2" --to "$LAB_ALICE" --subject "$3" 2>&1
}
out=$(send 192.0.2.20 news@pool.example spf-pool)
[[ $out == *'450 4.7.1'*'Greylisted'* ]] && ok "pool.example from 192.0.2.20: first attempt greylisted" ||
	fail "pool.example from 192.0.2.20: first attempt greylisted" "$out"
out2=$(send 192.0.2.40 news@norecords.example spf-none)
sleep 3	# greylist_delay is 2s
before=$(lab_mailbox_count alice)
out=$(send 198.51.100.20 news@pool.example spf-pool)
if [[ $out == 250* ]] && lab_wait_mailbox alice $((before + 1)) 20; then
	ok "retry from 198.51.100.20 (another network of its SPF): accepted, triplet keyed on pool.example"
else
	fail "retry from 198.51.100.20 (another network of its SPF): accepted, triplet keyed on pool.example" "$out"
fi
out=$(send 198.51.100.40 news@norecords.example spf-none)
[[ $out2 == *'450 4.7.1'*'Greylisted'* && $out == *'450 4.7.1'*'Greylisted'* ]] &&
	ok "no SPF: the same rotation is greylisted again (keyed on the network)" ||
	fail "no SPF: the same rotation is greylisted again (keyed on the network)" "$out2 / $out"

out=$(send 203.0.113.50 news@listed.example spf-listed)
[[ $out == 250* ]] && ok "SPF pass for an allowlisted domain: accepted at the first attempt" ||
	fail "SPF pass for an allowlisted domain: accepted at the first attempt" "$out"
out=$(send 192.0.2.50 news@listed.example spf-listed-forged)
[[ $out == *'450 4.7.1'*'Greylisted'* ]] && ok "allowlisted domain from outside its SPF: greylisted" ||
	fail "allowlisted domain from outside its SPF: greylisted" "$out"

# The event loop never waits on SPF's DNS.
out=$(lab_exec "$LAB_PY" - 127.0.0.1 $port <<'PY' 2>&1
import select, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def req(**a):
    a.setdefault("request", "smtpd_access_policy")
    return ("".join("%s=%s\n" % kv for kv in a.items()) + "\n").encode()
slow = socket.create_connection((host, port)); fast = socket.create_connection((host, port))
t0 = time.monotonic()
slow.sendall(req(protocol_state="RCPT", client_address="192.0.2.60", helo_name="h.example",
                 sender="x@spf.timeout.example", recipient="alice@lab.example"))
time.sleep(0.3)
fast.sendall(req(protocol_state="MAIL", client_address="192.0.2.61", sender="y@none.example"))
fast_answer = fast.recv(4096).decode().strip(); t_fast = time.monotonic() - t0
# Answered while the other still waits: its answer is not there yet.
slow_pending = not select.select([slow], [], [], 0)[0]
slow.settimeout(20)
slow_answer = slow.recv(4096).decode().strip(); t_slow = time.monotonic() - t0
print("fast=%r after %.1fs; slow=%r after %.1fs" % (fast_answer, t_fast, slow_answer, t_slow))
print("ORDER_OK" if slow_pending and fast_answer == "action=DUNNO" and "Greylisted" in slow_answer else "ORDER_BAD")
PY
)
[[ $out == *ORDER_OK* ]] &&
	ok "while SPF waits on an unanswered DNS query, another connection is answered first; then the network key greylists ($out)" ||
	fail "while SPF waits on an unanswered DNS query, another connection is answered first; then the network key greylists" "$out"
grep -q 'greylist: spf=temperror domain=spf.timeout.example' "$LAB_DIR/policyd.log" &&
	ok "the SPF temperror (3 s budget) is logged" || fail "the SPF temperror (3 s budget) is logged" "$(grep spf= "$LAB_DIR/policyd.log" | tail -n 3)"
lab_sanitizer_check "no sanitizer report from policyd" "$PD" "$LAB_DIR/policyd.log"
lab_finish
