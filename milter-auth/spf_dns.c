/*++
 * NAME
 *	spf_dns 3
 * SUMMARY
 *	bounded, thread-safe DNS lookups for SPF evaluation
 * SYNOPSIS
 *	#include "spf_internal.h"
 *
 *	int spf_dns_open(dns, timeout_ms, total_timeout_ms, error_r)
 *	void spf_dns_close(dns)
 *	enum spf_dns_status spf_dns_query(dns, name, type, set_r)
 * DESCRIPTION
 *	Each SPF evaluation owns one resolver state (res_ninit), so libmilter
 *	threads never share resolver state: the res_n* functions are
 *	thread-safe on a private struct __res_state (glibc resolv.h). The
 *	system's resolv.conf applies (inside "ip netns exec NS", the
 *	namespace's /etc/netns/NS/resolv.conf).
 *
 *	Timeouts: before each query, retrans (seconds, the resolver's
 *	granularity) is set to min(per-query timeout, time left of the whole
 *	evaluation), rounded up to 1 s, and retry to 1 attempt per server;
 *	once the deadline has passed every query is TEMPERROR without
 *	touching the network. A dead DNS server therefore yields temperror
 *	after about timeout_ms per name server, never a hang.
 *
 *	The RCODE is mapped as RFC 7208 5 / 4.4 want it: NXDOMAIN and NOERROR
 *	without data are distinct (both are "void" for 4.6.4); SERVFAIL,
 *	timeouts and anything else are TEMPERROR.
 * TRUST BOUNDARY
 *	Replies come from the network: ns_initparse()/ns_parserr() bound every
 *	read; names are expanded with ns_name_ntop-checked lengths; TXT strings
 *	are joined with their lengths checked.
 * DIAGNOSTICS
 *	spf_dns_open() fails (-1, *error_r) if res_ninit fails.
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "spf_internal.h"

#define SPF_DNS_ANSWER_MAX	65536

int
spf_dns_open(struct spf_dns *dns, unsigned timeout_ms,
	     unsigned total_timeout_ms, const char **error_r)
{
	memset(dns, 0, sizeof(*dns));
	if (res_ninit(&dns->res) != 0) {
		*error_r = "res_ninit failed (resolv.conf unreadable?)";
		return -1;
	}
	dns->ready = true;
	dns->timeout_ms = timeout_ms ? timeout_ms : 3000;
	if (total_timeout_ms == 0)
		total_timeout_ms = 10000;
	clock_gettime(CLOCK_MONOTONIC, &dns->deadline);
	dns->deadline.tv_sec += total_timeout_ms / 1000;
	dns->deadline.tv_nsec += (long)(total_timeout_ms % 1000) * 1000000L;
	if (dns->deadline.tv_nsec >= 1000000000L) {
		dns->deadline.tv_sec++;
		dns->deadline.tv_nsec -= 1000000000L;
	}
	/*
	 * One attempt per server: the total time is what the caller
	 * configured, not retrans * retry * nscount surprises.
	 */
	dns->res.retry = 1;
	dns->res.options &= ~(unsigned long)RES_DNSRCH;
	dns->res.options &= ~(unsigned long)RES_DEFNAMES;
	return 0;
}

void
spf_dns_close(struct spf_dns *dns)
{
	if (dns->ready)
		res_nclose(&dns->res);
	dns->ready = false;
}

void
spf_rrset_free(struct spf_rrset *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->rr[i].text);
	free(set->rr);
	set->rr = NULL;
	set->count = 0;
}

const char *
spf_dns_status_name(enum spf_dns_status st)
{
	switch (st) {
	case SPF_DNS_OK: return "ok";
	case SPF_DNS_NODATA: return "no data";
	case SPF_DNS_NXDOMAIN: return "NXDOMAIN";
	case SPF_DNS_TEMPERROR: return "DNS error or timeout";
	}
	return "?";
}

static bool
name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_MAX_DOMAIN)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (label == 0 || label > SPF_MAX_LABEL)
				return false;
			label = 0;
		} else {
			label++;
		}
	}
	return true;
}

/* Milliseconds left before the deadline (0 if passed). */
static long
ms_left(const struct spf_dns *dns)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(dns->deadline.tv_sec - now.tv_sec) * 1000L +
	    (dns->deadline.tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

/* TXT RDATA: one or more <length><bytes> strings, joined (RFC 7208 3.3). */
static int
txt_join(const uint8_t *rd, size_t rdlen, struct spf_rr *rr)
{
	size_t pos = 0, out = 0;
	char *text = malloc(rdlen + 1);	/* joined text is shorter than rdata */

	if (text == NULL)
		return -1;
	while (pos < rdlen) {
		size_t n = rd[pos++];
		if (n > rdlen - pos) {
			free(text);
			return -1;
		}
		memcpy(text + out, rd + pos, n);
		out += n;
		pos += n;
	}
	text[out] = '\0';
	rr->text = text;
	rr->text_len = out;
	return 0;
}

static int
name_rdata(ns_msg *msg, const uint8_t *rd, struct spf_rr *rr)
{
	char name[NS_MAXDNAME];
	size_t len;

	if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rd,
			       name, sizeof(name)) < 0)
		return -1;
	len = strlen(name);
	/* ns_name_uncompress() writes "." for the root; drop a final dot */
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	rr->text = strdup(name);
	if (rr->text == NULL)
		return -1;
	rr->text_len = len;
	return 0;
}

/* Keep the answers of the type asked; a CNAME chain is followed by the
 * recursive server, its CNAME records are skipped here. */
static int
parse_answer(const uint8_t *buf, int len, int type, struct spf_rrset *set)
{
	ns_msg msg;
	ns_rr rr;
	int n;

	if (ns_initparse(buf, len, &msg) < 0)
		return -1;
	n = ns_msg_count(msg, ns_s_an);
	if (n <= 0)
		return 0;
	set->rr = calloc((size_t)n, sizeof(*set->rr));
	if (set->rr == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		struct spf_rr *out = &set->rr[set->count];
		const uint8_t *rd;
		size_t rdlen;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return -1;
		if (ns_rr_class(rr) != ns_c_in || (int)ns_rr_type(rr) != type)
			continue;
		rd = ns_rr_rdata(rr);
		rdlen = ns_rr_rdlen(rr);
		out->type = (uint16_t)type;
		switch (type) {
		case ns_t_a:
			if (rdlen != 4)
				return -1;
			memcpy(out->addr, rd, 4);
			break;
		case ns_t_aaaa:
			if (rdlen != 16)
				return -1;
			memcpy(out->addr, rd, 16);
			break;
		case ns_t_txt:
			if (txt_join(rd, rdlen, out) < 0)
				return -1;
			break;
		case ns_t_mx:
			if (rdlen < 3 || name_rdata(&msg, rd + 2, out) < 0)
				return -1;
			break;
		case ns_t_ptr:
			if (name_rdata(&msg, rd, out) < 0)
				return -1;
			break;
		default:
			return -1;
		}
		set->count++;
	}
	return 0;
}

enum spf_dns_status
spf_dns_query(struct spf_dns *dns, const char *name, int type,
	      struct spf_rrset *set_r)
{
	uint8_t *answer;
	long left;
	int len;
	enum spf_dns_status st;

	memset(set_r, 0, sizeof(*set_r));
	if (!dns->ready && dns->fake == NULL)
		return SPF_DNS_TEMPERROR;
	/*
	 * A name no DNS query can carry (empty label, label over 63, over 253
	 * octets, perhaps built by macro expansion) does not exist: RFC 7208
	 * 4.3 by analogy; the test suite accepts that as no-match.
	 */
	if (!name_ok(name))
		return SPF_DNS_NXDOMAIN;
	if (dns->fake != NULL) {
		dns->queries++;
		return dns->fake(dns->fake_ctx, name, type, set_r);
	}

	/*
	 * Bound this query by what is left of the evaluation's budget. The
	 * resolver counts whole seconds.
	 */
	left = ms_left(dns);
	if (left <= 0)
		return SPF_DNS_TEMPERROR;
	if (left > (long)dns->timeout_ms)
		left = (long)dns->timeout_ms;
	dns->res.retrans = (int)((left + 999) / 1000);
	dns->res.retry = 1;

	answer = malloc(SPF_DNS_ANSWER_MAX);
	if (answer == NULL)
		return SPF_DNS_TEMPERROR;
	dns->queries++;
	len = res_nquery(&dns->res, name, ns_c_in, type, answer,
			 SPF_DNS_ANSWER_MAX);
	if (len < 0) {
		switch (dns->res.res_h_errno) {
		case HOST_NOT_FOUND:
			st = SPF_DNS_NXDOMAIN;
			break;
		case NO_DATA:
			st = SPF_DNS_NODATA;
			break;
		default:	/* TRY_AGAIN (timeout, SERVFAIL), NO_RECOVERY */
			st = SPF_DNS_TEMPERROR;
			break;
		}
		free(answer);
		return st;
	}
	if (len > SPF_DNS_ANSWER_MAX)	/* truncated: TCP retry failed */
		len = SPF_DNS_ANSWER_MAX;
	if (parse_answer(answer, len, type, set_r) < 0) {
		spf_rrset_free(set_r);
		free(answer);
		return SPF_DNS_TEMPERROR;
	}
	free(answer);
	return set_r->count > 0 ? SPF_DNS_OK : SPF_DNS_NODATA;
}
