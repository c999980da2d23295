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
 *	The wire part is common/src/dns.c (dns_query): a private resolver
 *	state per query, so libmilter threads never share one, and the
 *	system's resolv.conf (inside "ip netns exec NS", the namespace's
 *	/etc/netns/NS/resolv.conf). This file keeps SPF's policy: the
 *	per-evaluation deadline, the RCODE mapping, the test hook, and the
 *	conversion of answers into spf_rrset.
 *
 *	Timeouts: each query gets min(per-query timeout, time left of the
 *	whole evaluation) in milliseconds, and dns_query() keeps to it over
 *	every name server; once the deadline has passed every query is
 *	TEMPERROR without touching the network. A dead DNS server therefore
 *	yields temperror after at most the evaluation's budget, never a
 *	hang, whatever the number of nameserver lines.
 *
 *	The RCODE is mapped as RFC 7208 5 / 4.4 want it: NXDOMAIN and NOERROR
 *	without data are distinct (both are "void" for 4.6.4); SERVFAIL,
 *	timeouts and anything else are TEMPERROR. A name that cannot be
 *	queried (dns_name_valid() false, DNS_BADNAME: a macro expanded the
 *	sender's local part or HELO into a bad escape, an empty label...)
 *	is NXDOMAIN: the mechanism does not match and counts as a void
 *	lookup, never TEMPERROR, which the sender could otherwise choose.
 * TRUST BOUNDARY
 *	Replies come from the network: dns.c checks every RR; names are
 *	expanded with dns_rdata_name(); TXT strings are joined with
 *	dns_txt_join(), lengths checked.
 * DIAGNOSTICS
 *	spf_dns_open() cannot fail any more (kept for its callers); a local
 *	resolver problem (no resolv.conf server, no socket) is a TEMPERROR of
 *	the query; a bad name is not a resolver problem.
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include <messec/dns.h>

#include "spf_internal.h"

int
spf_dns_open(struct spf_dns *dns, unsigned timeout_ms,
	     unsigned total_timeout_ms, const char **error_r)
{
	(void)error_r;
	memset(dns, 0, sizeof(*dns));
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
	return 0;
}

void
spf_dns_close(struct spf_dns *dns)
{
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
txt_rdata(const ns_rr *rr, struct spf_rr *out)
{
	size_t size = (size_t)ns_rr_rdlen(*rr) + 1;	/* joined text is shorter */
	char *text = malloc(size);

	if (text == NULL)
		return -1;
	if (dns_txt_join(rr, text, size, &out->text_len) < 0) {
		free(text);
		return -1;
	}
	out->text = text;
	return 0;
}

static int
name_rdata(const struct dns_answer *answer, const uint8_t *rd, struct spf_rr *out)
{
	char name[NS_MAXDNAME];

	if (dns_rdata_name(answer, rd, name, sizeof(name)) < 0)
		return -1;
	out->text = strdup(name);
	if (out->text == NULL)
		return -1;
	out->text_len = strlen(name);
	return 0;
}

/* Keep the answers of the type asked; a CNAME chain is followed by the
 * recursive server, its CNAME records are skipped by dns_answer_next(). */
static int
parse_answer(const struct dns_answer *answer, int type, struct spf_rrset *set)
{
	size_t index = 0, n = (size_t)ns_msg_count(answer->parsed, ns_s_an);
	ns_rr rr;

	if (n == 0)
		return 0;
	set->rr = calloc(n, sizeof(*set->rr));
	if (set->rr == NULL)
		return -1;
	while (dns_answer_next(answer, &index, &rr) == 1) {
		struct spf_rr *out = &set->rr[set->count];
		const uint8_t *rd = ns_rr_rdata(rr);
		size_t rdlen = ns_rr_rdlen(rr);

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
			if (txt_rdata(&rr, out) < 0)
				return -1;
			break;
		case ns_t_mx:
			if (rdlen < 3 || name_rdata(answer, rd + 2, out) < 0)
				return -1;
			break;
		case ns_t_ptr:
			if (name_rdata(answer, rd, out) < 0)
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
	struct dns_answer answer;
	enum spf_dns_status st;
	long left;

	memset(set_r, 0, sizeof(*set_r));
	if (!dns->ready && dns->fake == NULL)
		return SPF_DNS_TEMPERROR;
	/*
	 * A name no DNS query can carry (empty label, label over 63, over 253
	 * octets, a bad escape; perhaps built by macro expansion from the
	 * sender's local part) does not exist: RFC 7208 4.3 by analogy, a
	 * void lookup (4.6.4); the test suite accepts that as no-match.
	 */
	if (!dns_name_valid(name))
		return SPF_DNS_NXDOMAIN;
	if (dns->fake != NULL) {
		dns->queries++;
		return dns->fake(dns->fake_ctx, name, type, set_r);
	}

	/* Bound this query by what is left of the evaluation's budget. */
	left = ms_left(dns);
	if (left <= 0)
		return SPF_DNS_TEMPERROR;
	if (left > (long)dns->timeout_ms)
		left = (long)dns->timeout_ms;

	dns->queries++;
	switch (dns_query(NULL, name, type, (unsigned)left, &answer)) {
	case DNS_OK:
		st = SPF_DNS_OK;
		if (parse_answer(&answer, type, set_r) < 0) {
			spf_rrset_free(set_r);
			st = SPF_DNS_TEMPERROR;
		}
		break;
	case DNS_NODATA:
		st = SPF_DNS_NODATA;
		break;
	case DNS_NXDOMAIN:
	case DNS_BADNAME:	/* no such name (see above) */
		st = SPF_DNS_NXDOMAIN;
		break;
	case DNS_TEMPFAIL:
	case DNS_ERROR:
	default:	/* SERVFAIL, REFUSED, timeout, malformed, local error */
		st = SPF_DNS_TEMPERROR;
		break;
	}
	dns_answer_free(&answer);
	return st;
}
