#!/bin/bash
# NAME
#	77-policyd-rules.sh - every messec-policyd rule form on the lab: lists,
#	login map forms, rate-limit keys and windows, greylist auto-allow and
#	state across a restart
# DESCRIPTION
#	One messec-policyd (LMDB store) behind the lab's real Postfix with
#	rcpt_rules = allow deny sender_login ratelimit greylist and
#	eom_rules = ratelimit. Through Postfix: a deny-listed IPv6 client
#	and a deny-listed sender domain are refused; the login map's alias
#	(alice owns sales@), address extension (alice+tag@), @domain wildcard
#	(bob owns @bob.example) and catch-all (carol: *) let those senders
#	through on 587 while bob using carol's address is refused; a local
#	sender from outside without authentication is refused; bob's
#	recipients over his limit (recipient_count at END-OF-MESSAGE) are
#	deferred after DATA; an outside client is greylisted, policyd is
#	restarted, and the retry after the delay is accepted (the triplet
#	survived in LMDB); its network is then auto-allowed (a new triplet
#	accepted at once), and its anonymous /24 limit defers the next
#	message while an authenticated login from the same /24 is not
#	counted there. Straight to the daemon (the policy protocol, as
#	Postfix speaks it): deny by recipient, SASL login and client name
#	suffix, allow by login and by sender subdomain before a deny, a
#	sender-keyed limit, two windows on one key, and HOLD as the action
#	of a second instance.
set -u
. "$(dirname "$0")/policyd.bash"
pd_lab_up 10047		# PD, port, cfgdir
mkdir "$cfgdir/state" && chown nobody "$cfgdir/state"
cat >"$cfgdir/login.map" <<X
alice@lab.example  alice@lab.example, sales@lab.example
bob@lab.example    bob@lab.example, @bob.example
carol@lab.example  *
X
cat >"$cfgdir/policyd.conf" <<X
listen = inet:127.0.0.1:$port
user = nobody
log_level = info
rcpt_rules = allow deny sender_login ratelimit greylist
eom_rules = ratelimit
allow_sasl_users = trusted@lab.example
allow_senders = .partner.example
deny_clients = 2001:db8::10/128
deny_client_names = .deny.example
deny_senders = @spam.example, @partner.example
deny_recipients = closed@lab.example
deny_sasl_users = mallory@lab.example, trusted@lab.example
sender_login_map = $cfgdir/login.map
sender_login_local_domains = lab.example
store = lmdb:$cfgdir/state/policyd.lmdb
ratelimit_limits = sasl_username:recipients:5/1h:auth client_net:messages:2/1h:anon sender:messages:3/1h:any sasl_username:messages:3/1m:auth sasl_username:messages:10/1h:auth
greylist_delay = 1s
greylist_auto_allow = 1
X
chmod 644 "$cfgdir/policyd.conf" "$cfgdir/login.map"

start_pd() {	# NAME: spawn, wait for the store
	lab_spawn "$1" -- "$PD" -f -c "$cfgdir/policyd.conf" && lab_wait_port $port &&
		lab_wait_log "$LAB_DIR/$1.log" 'store: lmdb:[^ ]* open$' 10
}
start_pd policyd && ok "policyd starts with its LMDB store" ||
	fail "policyd starts with its LMDB store" "$(tail -n 5 "$LAB_DIR/policyd.log")"

pw_of() {	# LOGIN: the lab password of that user
	local v="LAB_$(echo "${1%@*}" | tr a-z A-Z)_PASSWORD"
	echo "${!v}"
}
out587() {	# LOGIN FROM TO...: authenticated on 587
	local login=$1 from=$2 to=() p
	shift 2
	for p in "$@"; do to+=(--to "$p"); done
	lab_mail send --port 587 --starttls --auth "$login" "$(pw_of "$login")" --bind "$LAB_OUT_OTHER" \
		--from "$from" "${to[@]}" --subject "policyd-rules" 2>&1
}
case_ok() {	# NAME CONDITION-RESULT DETAIL
	[ "$2" = 0 ] && ok "$1" || fail "$1" "$3"
}

# --- lists through Postfix
out=$(lab_mail send --bind "$LAB_OUT_GOOD6" --from x@none.example --to "$LAB_BOB" 2>&1)
[[ $out == *'554 5.7.1'*'Access denied'* ]]; case_ok "IPv6 client in deny_clients refused at RCPT" $? "$out"
out=$(lab_mail send --bind "$LAB_OUT_OTHER" --from x@spam.example --to "$LAB_BOB" 2>&1)
[[ $out == *'554 5.7.1'*'Access denied'* ]]; case_ok "sender domain in deny_senders refused at RCPT" $? "$out"

# --- login map forms through Postfix (587)
out=$(out587 "$LAB_ALICE" sales@lab.example "$LAB_BOB")
[[ $out == 250* ]]; case_ok "alias: alice may send as sales@lab.example" $? "$out"
out=$(out587 "$LAB_ALICE" alice+news@lab.example "$LAB_BOB")
[[ $out == 250* ]]; case_ok "extension: alice may send as alice+news@lab.example" $? "$out"
out=$(out587 "$LAB_BOB" anything@bob.example "$LAB_ALICE")
[[ $out == 250* ]]; case_ok "@domain wildcard: bob may send as anything@bob.example" $? "$out"
out=$(out587 "$LAB_BOB" "$LAB_CAROL" "$LAB_ALICE")
[[ $out == *'554 5.7.1'*"Sender address <$LAB_CAROL> is not owned by login $LAB_BOB"* ]]
case_ok "bob as carol refused with the documented text" $? "$out"
out=$(out587 "$LAB_CAROL" boss@elsewhere.example "$LAB_ALICE")
[[ $out == 250* ]]; case_ok "catch-all: carol may send as any address" $? "$out"
out=$(lab_mail send --bind "$LAB_OUT_OTHER" --from "$LAB_ALICE" --to "$LAB_BOB" 2>&1)
[[ $out == *'554 5.7.1'*"Sender address <$LAB_ALICE> in a local domain needs authentication"* ]]
case_ok "unauthenticated local sender from outside refused" $? "$out"

# --- recipients per login, counted at END-OF-MESSAGE (bob: 1 so far, limit 5)
out=$(out587 "$LAB_BOB" "$LAB_BOB" "$LAB_ALICE" "$LAB_CAROL" "$LAB_BOB")
[[ $out == 250* ]]; case_ok "bob: 3 more recipients (4 of 5) accepted" $? "$out"
mark=$(lab_log_mark "$LAB_DIR/policyd.log")
out=$(out587 "$LAB_BOB" "$LAB_BOB" "$LAB_ALICE" "$LAB_CAROL")
[[ $out == *'4.7.1'*'Rate limit exceeded'* && $out != 250* ]]
case_ok "bob: 3 more (7 of 5) deferred after DATA" $? "$out"
lab_wait_log_since "$LAB_DIR/policyd.log" "$mark" "ratelimit: sasl_username $LAB_BOB exceeded 5 recipients per 3600s" 5
case_ok "one alert line names login, count and window" $? "$(tail -n 3 "$LAB_DIR/policyd.log")"

# --- greylisting across a restart, then auto-allow, then the anonymous /24 limit
send_good() { lab_mail send --bind "$LAB_OUT_GOOD" --from "$1" --to "$LAB_ALICE" --subject policyd-grey 2>&1; }
out=$(send_good g1@none.example)
[[ $out == *'450 4.7.1'*'Greylisted'* ]]; case_ok "first attempt greylisted" $? "$out"
pid=$(cat "$LAB_DIR/pids/policyd.pid")
kill "$pid" && lab_wait 10 sh -c "! kill -0 $pid 2>/dev/null"
start_pd policyd-2 && ok "policyd restarted" || fail "policyd restarted" "$(tail -n 5 "$LAB_DIR/policyd-2.log")"
sleep 1.5	# greylist_delay is 1s
abefore=$(lab_mailbox_count alice)
out=$(send_good g1@none.example)
[[ $out == 250* ]] && lab_wait_mailbox alice $((abefore + 1)) 20
case_ok "retry after the restart accepted: the triplet survived in LMDB" $? "$out"
out=$(send_good g2@none.example)
[[ $out == 250* ]]; case_ok "greylist_auto_allow = 1: a new triplet from that network accepted at once" $? "$out"
out=$(send_good g3@none.example)
[[ $out == *'450 4.7.1'*'Rate limit exceeded'* ]]
case_ok "client_net:messages:2/1h:anon defers the 3rd message of 192.0.2.0/24" $? "$out"
out=$(lab_mail send --port 587 --starttls --auth "$LAB_CAROL" "$(pw_of "$LAB_CAROL")" --bind "$LAB_OUT_GOOD" \
	--from "$LAB_CAROL" --to "$LAB_ALICE" 2>&1)
[[ $out == 250* ]]; case_ok "an authenticated login from that /24 is not under the anon limit" $? "$out"

# --- straight to the daemon
ask() { pd_ask "$port" protocol_state=RCPT client_address=203.0.113.77 "$@"; }
out=$(ask sender=x@none.example recipient=closed@lab.example)
[[ $out == 'action=REJECT 5.7.1 Access denied' ]]; case_ok "deny_recipients" $? "$out"
out=$(ask sasl_username=mallory@lab.example sender=mallory@lab.example recipient=a@b.example)
[[ $out == 'action=REJECT 5.7.1 Access denied' ]]; case_ok "deny_sasl_users" $? "$out"
out=$(ask client_name=relay.deny.example sender=x@none.example recipient=a@b.example)
[[ $out == 'action=REJECT 5.7.1 Access denied' ]]; case_ok "deny_client_names: a subdomain of .deny.example" $? "$out"
out=$(ask sasl_username=trusted@lab.example sender=x@spam.example recipient=a@b.example)
[[ $out == action=DUNNO ]]; case_ok "allow_sasl_users decides before deny (login and sender deny-listed)" $? "$out"
out=$(ask sender=x@mail.partner.example recipient=a@b.example)
[[ $out == action=DUNNO ]]; case_ok "allow_senders .partner.example: a subdomain passes before deny" $? "$out"
out=$(ask sender=x@partner.example recipient=a@b.example)
[[ $out == 'action=REJECT 5.7.1 Access denied' ]]; case_ok "allow_senders .partner.example: not the domain itself" $? "$out"
eom() { pd_ask "$port" protocol_state=END-OF-MESSAGE recipient_count=1 "$@"; }
res=
# One sender from four networks: under each /24's anonymous limit.
for i in 1 2 3 4; do res+="$(eom client_address=10.$i.0.1 sender=list@news.example)|"; done
[[ $res == 'action=DUNNO|action=DUNNO|action=DUNNO|action=DEFER 4.7.1 Rate limit exceeded, try again later|' ]]
case_ok "sender:messages:3/1h: the 4th message of one sender deferred" $? "$res"
res=
for i in 1 2 3 4; do res+="$(eom client_address=10.9.0.1 sasl_username=dave@lab.example sender=dave$i@lab.example)|"; done
[[ $res == 'action=DUNNO|action=DUNNO|action=DUNNO|action=DEFER 4.7.1'* ]] &&
	grep -q "ratelimit: sasl_username dave@lab.example exceeded 3 messages per 60s" "$LAB_DIR/policyd-2.log"
case_ok "two windows on one login: the 1-minute one (3) defers the 4th, the 1-hour one (10) not yet" $? "$res"

# HOLD as the action, in a second instance on its own store.
sed -e "s/^listen = .*/listen = inet:127.0.0.1:10048/" -e "s|policyd.lmdb|hold.lmdb|" \
	"$cfgdir/policyd.conf" >"$cfgdir/hold.conf"
echo "ratelimit_action = HOLD rate limit: kept for review" >>"$cfgdir/hold.conf"
chmod 644 "$cfgdir/hold.conf"
lab_spawn policyd-hold -- "$PD" -f -c "$cfgdir/hold.conf" && lab_wait_port 10048 &&
	lab_wait_log "$LAB_DIR/policyd-hold.log" 'store: lmdb:[^ ]* open$' 10
res=
for i in 1 2 3 4; do
	res+="$(pd_ask 10048 protocol_state=END-OF-MESSAGE client_address=10.8.0.1 recipient_count=1 \
		sasl_username=erin@lab.example sender=erin$i@lab.example)|"
done
[[ $res == 'action=DUNNO|action=DUNNO|action=DUNNO|action=HOLD rate limit: kept for review|' ]]
case_ok "ratelimit_action = HOLD: over the limit, HOLD with its text" $? "$res"

for l in policyd-2 policyd-hold; do
	lab_sanitizer_check "no sanitizer report from $l" "$PD" "$LAB_DIR/$l.log"
done
lab_finish
