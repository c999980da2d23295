/*++
 * NAME
 *	dmarc_dns 3
 * SUMMARY
 *	bounded, thread-safe TXT lookup for _dmarc.<domain>
 * SYNOPSIS
 *	#include "dmarc_int.h"
 *
 *	enum ma_dmarc_lookup dmarc_dns_txt(const char *name, unsigned timeout_ms,
 *					   struct ma_dmarc_txt *txt_r);
 *	enum ma_dmarc_lookup dmarc_dns_txt_at(const char *name, unsigned timeout_ms,
 *					      const struct sockaddr_in *server,
 *					      struct ma_dmarc_txt *txt_r);
 * DESCRIPTION
 *	The question goes through the shared resolver (common/src/dns.c:
 *	private state per call, so milter threads never share resolver
 *	state). dmarc_dns_txt_at() asks one given server instead of
 *	resolv.conf's (unit tests run a fake server on loopback).
 *
 *	Why not libopendmarc's lookup: opendmarc_policy_query_dmarc() uses the
 *	resolver's defaults (resolv.conf "timeout:5 attempts:2" per server,
 *	unbounded by us) and its answer handling is not what RFC 7489 section
 *	6.6.3 asks for (several records, temporary errors); see docs/dmarc.md.
 *
 *	Timeout: timeout_ms bounds the whole call, whatever the number of
 *	name servers (the policy of dns.c: two rounds over the servers, each
 *	attempt waiting its share of the time left; TCP after a truncated
 *	reply, within the same budget).
 *
 *	Outcome (RFC 7489 section 6.6.3, three-way like Postfix's lookups):
 *	NXDOMAIN and NOERROR/NODATA are NOTFOUND; SERVFAIL, timeouts and
 *	every other resolver error (REFUSED, FORMERR, unparsable answer) are
 *	RETRY, so an error never reads as "no policy" (fail-safe). A name
 *	that cannot be queried (DNS_BADNAME: over 253 octets, empty label,
 *	bad escape) has no record: NOTFOUND, so the caller goes on to the
 *	organizational domain (RFC 7489 6.6.3). The sender shapes the From
 *	domain: were it RETRY, a long From domain would turn p=reject into
 *	temperror (issue 14).
 *
 *	Each TXT resource record becomes one string: its character-strings
 *	concatenated with nothing in between (RFC 7208 section 3.3, which RFC
 *	7489 section 6.6.3 relies on; dns_txt_join()). Records of other
 *	types in the answer (CNAME chain) are skipped.
 * TRUST BOUNDARY
 *	DNS answers are untrusted: dns.c checks the reply's structure and
 *	every RR; dns_txt_join() checks each character-string against the
 *	record's rdlength. A TXT record whose character-strings overrun its
 *	rdata is dropped (as if absent).
 *--*/
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include "messec/dns.h"
#include "dmarc_int.h"

enum ma_dmarc_lookup dmarc_dns_txt(const char *name, unsigned timeout_ms,
				   struct ma_dmarc_txt *txt_r)
{
	return dmarc_dns_txt_at(name, timeout_ms, NULL, txt_r);
}

enum ma_dmarc_lookup dmarc_dns_txt_at(const char *name, unsigned timeout_ms,
				      const struct sockaddr_in *server,
				      struct ma_dmarc_txt *txt_r)
{
	struct dns_resolver *res = server != NULL ? dns_resolver_new_at(server) : NULL;
	char text[MA_DMARC_TXT_LEN_MAX + 1];
	enum ma_dmarc_lookup result;
	struct dns_answer answer;
	size_t index = 0, len;
	ns_rr rr;

	switch (dns_query(res, name, ns_t_txt, timeout_ms, &answer)) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
	case DNS_BADNAME:	/* no such name: no record there */
		result = MA_DMARC_LOOKUP_NOTFOUND;
		goto out;
	case DNS_TEMPFAIL:
	case DNS_ERROR:
	default:	/* SERVFAIL, REFUSED, timeout, malformed, local error */
		result = MA_DMARC_LOOKUP_RETRY;
		goto out;
	}
	while (dns_answer_next(&answer, &index, &rr) == 1) {
		/*
		 * A record over the length cap (MA_DMARC_TXT_LEN_MAX), malformed,
		 * or beyond the table's count is dropped: no DMARC record is
		 * that long.
		 */
		if (dns_txt_join(&rr, text, sizeof(text), &len) == 0)
			(void)ma_dmarc_txt_add(txt_r, text, len);
	}
	result = txt_r->count > 0 ? MA_DMARC_LOOKUP_FOUND : MA_DMARC_LOOKUP_NOTFOUND;
out:
	dns_answer_free(&answer);
	dns_resolver_free(&res);
	return result;
}
