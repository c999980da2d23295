#!/bin/bash
# NAME
#	45-milter-av-links.sh - link analysis through real Postfix and unbound
# DESCRIPTION
#	The lab's unbound serves two URIBL-style lists (tests/lab/dns/
#	zones.conf): dbl.example (action reject) lists evil-link.example and
#	198.51.100.66, uribl.example (action tag) lists tagged-link.example.
#	The links sit in quoted-printable text and base64 HTML parts (an
#	entity inside a href, a soft line break inside a URL), so the milter
#	must decode to find them:
#	- a listed href domain -> 554 5.7.1 naming the list and the domain,
#	  not delivered; an IPv4 link listed in reverse -> 554 too;
#	- a host under a multi-label public suffix (login.evil-school.k12.ca.us,
#	  suffix k12.ca.us) -> 554 naming its registered domain: the list
#	  holds only evil-school.k12.ca.us, so the milter must ask the
#	  registered domain (not ca.us or k12.ca.us);
#	- a link written as a U-label ("pаypal-login.example", Cyrillic а)
#	  whose A-label xn--pypal-login-yij.example the list holds -> 554
#	  naming the A-label: the milter converts it as a browser does;
#	- a domain on the "tag" list -> delivered with X-Link-Status naming
#	  list and domain (a forged X-Link-Status is deleted);
#	- a clean message (links to an unlisted domain) -> delivered, no
#	  X-Link-Status; a 70-octet label (not a DNS name) -> delivered,
#	  never a tempfail (DNS_BADNAME is "not listed");
#	- the href text names another host (mismatch, action quarantine
#	  after SIGHUP) -> held in Postfix's hold queue;
#	- a list that times out (timeout.example, the lab's blackhole) ->
#	  451 4.4.3 (link_dns_error_action = tempfail);
#	- /metrics counts the messages per kind of finding.
set -u
. "$(dirname "$0")/milter-av.bash"
lists="link_dns_lists = dbl.example:reject uribl.example:tag"
metrics="metrics_listen = inet:127.0.0.1:9479"
av_lab_up "$lists" "link_dns_timeout = 3s" "$metrics"
run=lk$RANDOM

# The lists answer in the lab (the zone is served).
a=$(lab_dig +short evil-link.example.dbl.example A)
[ "$a" = 127.0.1.2 ] && ok "lab unbound serves the dbl.example list" ||
	fail "lab unbound serves the dbl.example list" "answer: $a"

send_kind() {	# $1 kind, $2 subject
	local f
	f=$(av_msg "$1" "$2")
	av_send "$f"
}

s=$run-listed
send_kind link-listed "$s"
if [[ $AV_REPLY == *"554 5.7.1"*"evil-link.example listed by dbl.example"* ]] && av_not_delivered "$s"; then
	ok "listed link (base64 HTML, entity in href) -> 554 5.7.1 naming list and domain, not delivered"
else
	fail "listed link -> 554 5.7.1 naming list and domain" "reply: $AV_REPLY"
fi

s=$run-ip
send_kind link-ip "$s"
[[ $AV_REPLY == *"554 5.7.1"*"198.51.100.66 listed by dbl.example"* ]] &&
	ok "IPv4 link listed in reverse (66.100.51.198.dbl.example) -> 554 5.7.1" ||
	fail "IPv4 link listed in reverse -> 554 5.7.1" "reply: $AV_REPLY"

s=$run-psl
send_kind link-psl "$s"
if [[ $AV_REPLY == *"554 5.7.1"*"link to evil-school.k12.ca.us listed by dbl.example"* ]] && av_not_delivered "$s"; then
	ok "host under the public suffix k12.ca.us -> its registered domain asked, 554 5.7.1 naming it"
else
	fail "host under k12.ca.us -> registered domain evil-school.k12.ca.us asked, 554" "reply: $AV_REPLY"
fi

s=$run-idn
send_kind link-idn "$s"
if [[ $AV_REPLY == *"554 5.7.1"*"link to xn--pypal-login-yij.example listed by dbl.example"* ]] &&
	av_not_delivered "$s"; then
	ok "U-label link host (Cyrillic a, QP text and base64 HTML) -> asked by its A-label, 554 5.7.1"
else
	fail "U-label link host -> asked by its A-label xn--pypal-login-yij.example, 554" "reply: $AV_REPLY"
fi

s=$run-tagged
f=$(av_msg link-tagged "$s")
sed -i "0,/^Subject:/s//X-Link-Status: none (forged)\r\nSubject:/" "$f"
av_send "$f"
got=$(av_fetch "$s" | tr -d '\r')
if [[ $AV_REPLY == *"250 "* ]] && grep -qx 'X-Link-Status: link to tagged-link.example listed by uribl.example' <<<"$got" &&
	[ "$(grep -c '^X-Link-Status:' <<<"$got")" -eq 1 ] && grep -q '^X-Virus-Status: clean' <<<"$got"; then
	ok "tag list (URL split by a QP soft break) -> delivered with X-Link-Status naming list and domain; forged one deleted"
else
	fail "tag list -> delivered with X-Link-Status" "reply: $AV_REPLY; $(grep -E '^X-(Link|Virus)' <<<"$got" | tr '\n' '|')"
fi

for kind in clean badname; do
	s=$run-$kind
	send_kind "link-$kind" "$s"
	got=$(av_fetch "$s" | tr -d '\r')
	if [[ $AV_REPLY == *"250 "* ]] && grep -q '^X-Virus-Status: clean' <<<"$got" && ! grep -q '^X-Link-Status:' <<<"$got"; then
		ok "link-$kind: delivered, no X-Link-Status"
	else
		fail "link-$kind: delivered, no X-Link-Status" "reply: $AV_REPLY; $(grep -E '^X-(Link|Virus)' <<<"$got" | tr '\n' '|')"
	fi
done
grep -q "good-link.example" "$AV_LOG" && fail "clean links are not logged" "$(grep good-link "$AV_LOG" | head -n 2)"

# Mismatch (href evil-link, text www.bank.example) -> quarantine, with the
# DNS lists off (SIGHUP reloads the config).
av_reload "$metrics" "link_mismatch_action = quarantine"
s=$run-mismatch
send_kind link-listed "$s"
if [[ $AV_REPLY == *"250 "* ]] && lab_wait 15 sh -c "ip netns exec $LAB_NS postqueue -c $LAB_POSTFIX_CONFIG -j | grep -q '\"queue_name\": \"hold\"'"; then
	ok "href/text mismatch -> quarantined (Postfix hold queue)"
else
	fail "href/text mismatch -> quarantined" "reply: $AV_REPLY; queue: $(lab_postqueue -p | head -n 5 | tr '\n' '|')"
fi

# A list whose server never answers: a real DNS timeout -> 451 4.4.3.
av_reload "$metrics" "link_dns_lists = timeout.example:reject" "link_dns_timeout = 2s"
s=$run-timeout
send_kind link-clean "$s"
[[ $AV_REPLY == *"451 4.4.3"*"Links not checked"* ]] &&
	ok "DNS list timeout -> 451 4.4.3 (link_dns_error_action = tempfail)" ||
	fail "DNS list timeout -> 451 4.4.3" "reply: $AV_REPLY"

# Metrics: messages per kind of link finding (listed: listed, ip, psl, idn, tagged).
m=$(milter_metrics 9479)
if grep -q '^messec_milter_av_link_findings_total{finding="listed"} 5$' <<<"$m" &&
	grep -q '^messec_milter_av_link_findings_total{finding="mismatch"} 1$' <<<"$m" &&
	grep -q '^messec_milter_av_link_findings_total{finding="dns_error"} 1$' <<<"$m" &&
	grep -q '^messec_milter_av_link_findings_total{finding="ip"} 0$' <<<"$m"; then
	ok "metrics: link findings by kind (listed 5, mismatch 1, dns_error 1)"
else
	fail "metrics: link findings by kind" "$(grep link_findings <<<"$m" | grep -v '^#' | tr '\n' '|')"
fi
av_finish
