#!/bin/bash
# NAME
#	72-policyd-redis.sh - two messec-policyd instances share rate-limit and greylist state on one Redis
# DESCRIPTION
#	In the lab netns: one private redis-server (unix socket, run as
#	nobody) and two messec-policyd instances (A, B) with store =
#	redis://SOCKET, a limit of 3 messages an hour per login and a 1 s
#	greylist delay; B has store_fail_action = DEFER_IF_PERMIT 4.3.0.
#	Requests go straight to each instance's socket (policy protocol).
#	Cases: the 4th message of alice's hour is deferred whichever
#	instance sees it, with one alert line in all; a triplet greylisted
#	by A is accepted on retry by B; with redis-server killed A answers
#	DUNNO (default fail mode) and B its configured action, both log the
#	store error and keep answering; with Redis back both use it again.
#	Pipelined stateful requests are answered in order; with Redis hung
#	(SIGSTOP) a stateful request waits in a store worker while another
#	connection is answered.
set -u
. "$(dirname "$0")/policyd.bash"
pd_redis_lab_up		# PD, tmp, SOCK, REDIS_PID

conf() {	# NAME PORT [extra line]
	cat >"$tmp/$1.conf" <<X
listen = inet:127.0.0.1:$2
user = nobody
rcpt_rules = greylist
eom_rules = ratelimit
store = redis://$SOCK?timeout_ms=1500
ratelimit_limits = sasl_username:messages:3/1h
greylist_delay = 1s
${3:-}
X
	chmod 644 "$tmp/$1.conf"
}
conf a 10051
conf b 10052 "store_fail_action = DEFER_IF_PERMIT 4.3.0 state store unavailable"
for i in a b; do
	lab_spawn "policyd-$i" -- "$PD" -f -c "$tmp/$i.conf"
done
if lab_wait_port 10051 && lab_wait_port 10052 &&
	lab_wait_log "$LAB_DIR/policyd-a.log" 'store: redis:.* open' 10 &&
	lab_wait_log "$LAB_DIR/policyd-b.log" 'store: redis:.* open' 10; then
	ok "two policyd instances start on one Redis"
else
	fail "two policyd instances start on one Redis" "$(tail -n 3 "$LAB_DIR/policyd-a.log" "$LAB_DIR/policyd-b.log")"
fi

# ask PORT name=value...: one request, prints the action.
ask() { pd_ask "$@"; }
eom() { ask "$1" protocol_state=END-OF-MESSAGE sasl_username="$2" client_address=203.0.113.10 recipient_count=1; }

res=$(eom 10051 alice; eom 10052 alice; eom 10051 alice)
[ "$res" = $'action=DUNNO\naction=DUNNO\naction=DUNNO' ] && ok "3 messages over A, B, A: accepted" ||
	fail "3 messages over A, B, A: accepted" "$res"
out=$(eom 10052 alice)
[[ $out == 'action=DEFER 4.7.1 Rate limit exceeded'* ]] && ok "the 4th, on B, is deferred: the count is shared" ||
	fail "the 4th, on B, is deferred: the count is shared" "$out"
out=$(eom 10051 alice)
[[ $out == 'action=DEFER 4.7.1'* ]] && ok "the 5th, on A, too" || fail "the 5th, on A, too" "$out"
n=$(cat "$LAB_DIR/policyd-a.log" "$LAB_DIR/policyd-b.log" | grep -c 'ratelimit: sasl_username alice exceeded')
[ "$n" = 1 ] && ok "one alert line across both instances" || fail "one alert line across both instances" "$n"

# Pipelined stateful requests go through the workers one at a time, in order.
out=$(lab_exec "$LAB_PY" -c 'import socket
s=socket.create_connection(("127.0.0.1",10051),10)
r=b"request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=dave\nrecipient_count=1\n\n"
s.sendall(r*4 + b"request=smtpd_access_policy\nprotocol_state=MAIL\n\n")
b=b""
while b.count(b"\n\n") < 5:
    c=s.recv(4096)
    if not c: break
    b+=c
print(" ".join(x.decode().split(" ")[0] for x in b.split(b"\n\n") if x))' 2>&1)
[ "$out" = "action=DUNNO action=DUNNO action=DUNNO action=DEFER action=DUNNO" ] &&
	ok "4 pipelined messages of one login + 1 stateless request: answers in order, the 4th deferred" ||
	fail "4 pipelined messages of one login + 1 stateless request: answers in order, the 4th deferred" "$out"

# A client that half-closes after its stateful request still gets the answer.
out=$(lab_exec "$LAB_PY" -c 'import socket
s=socket.create_connection(("127.0.0.1",10051),10)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=erin\nrecipient_count=1\n\n")
s.shutdown(socket.SHUT_WR)
b=b""
while True:
    c=s.recv(4096)
    if not c: break
    b+=c
print(b.decode().strip())' 2>&1)
[ "$out" = action=DUNNO ] && ok "a half-closed client gets its stateful answer, then the close" ||
	fail "a half-closed client gets its stateful answer, then the close" "$out"

grey() { ask "$1" protocol_state=RCPT client_address=192.0.2.10 sender=s@none.example recipient="$2"; }
out=$(grey 10051 alice@lab.example)
[[ $out == 'action=DEFER_IF_PERMIT 4.7.1 Greylisted'* ]] && ok "greylisted on A" || fail "greylisted on A" "$out"
sleep 2	# greylist_delay is 1s
out=$(grey 10052 alice@lab.example)
[ "$out" = action=DUNNO ] && ok "the retry on B passes: the triplet is shared" ||
	fail "the retry on B passes: the triplet is shared" "$out"

# A hung Redis (SIGSTOP: connections accepted, nothing answered) holds
# one stateful request for its timeout_ms, in a worker: a request of
# another connection sent meanwhile is answered first. (With the store
# call in the event loop, store_workers = 0, the order is reversed.)
kill -STOP "$REDIS_PID"
out=$(lab_exec "$LAB_PY" -c 'import socket,select,sys,time
def conn():
    return socket.create_connection(("127.0.0.1",10051),10)
slow, fast = conn(), conn()
slow.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.20\nsender=h@none.example\nrecipient=x@lab.example\n\n")
time.sleep(0.3)
fast.sendall(b"request=smtpd_access_policy\nprotocol_state=MAIL\nsender=h@none.example\n\n")
order = []
socks = {slow: "slow", fast: "fast"}
while len(order) < 2:
    r, _, _ = select.select(list(socks), [], [], 15)
    if not r: break
    for s in r:
        s.recv(4096); order.append(socks.pop(s))
print(" ".join(order))' 2>&1)
# A client that leaves while its stateful request waits in a worker.
lab_exec "$LAB_PY" -c 'import socket
s=socket.create_connection(("127.0.0.1",10051),10)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.21\nsender=g@none.example\nrecipient=y@lab.example\n\n")
s.close()'
sleep 0.5
kill -CONT "$REDIS_PID"
left=$(ask 10051 protocol_state=MAIL)
[ "$left" = action=DUNNO ] && kill -0 "$(cat "$LAB_DIR/pids/policyd-a.pid")" &&
	ok "a client gone while its request waits in a worker: the daemon goes on" ||
	fail "a client gone while its request waits in a worker: the daemon goes on" "$left"
[ "$out" = "fast slow" ] && ok "hung Redis: another connection is answered while a stateful request waits" ||
	fail "hung Redis: another connection is answered while a stateful request waits" "order: $out"

redis_kill
ma=$(lab_log_mark "$LAB_DIR/policyd-a.log")
mb=$(lab_log_mark "$LAB_DIR/policyd-b.log")
out=$(grey 10051 bob@lab.example; eom 10051 carol)
[ "$out" = $'action=DUNNO\naction=DUNNO' ] && ok "Redis down: A answers DUNNO (default store_fail_action)" ||
	fail "Redis down: A answers DUNNO (default store_fail_action)" "$out"
out=$(grey 10052 bob@lab.example)
[ "$out" = 'action=DEFER_IF_PERMIT 4.3.0 state store unavailable' ] &&
	ok "Redis down: B answers its configured store_fail_action" ||
	fail "Redis down: B answers its configured store_fail_action" "$out"
lab_wait_log_since "$LAB_DIR/policyd-a.log" "$ma" 'store error' 5 &&
	lab_wait_log_since "$LAB_DIR/policyd-b.log" "$mb" 'store error' 5 &&
	ok "Redis down: both log the store error" || fail "Redis down: both log the store error" "$(tail -n 2 "$LAB_DIR/policyd-a.log")"

redis_start || fail "redis-server restarts" "$(tail -n 3 "$tmp/redis/redis.log")"
out=$(grey 10052 carol@lab.example)
[[ $out == 'action=DEFER_IF_PERMIT 4.7.1 Greylisted'* ]] && ok "Redis back: B greylists again (state, not the fail action)" ||
	fail "Redis back: B greylists again (state, not the fail action)" "$out"
lab_sanitizer_check "no sanitizer report from policyd A" "$PD" "$LAB_DIR/policyd-a.log"
lab_finish
