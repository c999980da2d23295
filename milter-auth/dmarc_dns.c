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
 *	Uses glibc's res_n* interface with a private resolver state per call
 *	(res_ninit/res_nclose), so milter threads never share resolver state.
 *	dmarc_dns_txt_at() asks one given server instead of resolv.conf's
 *	(unit tests run a fake server on loopback).
 *
 *	Why not libopendmarc's lookup: opendmarc_policy_query_dmarc() uses the
 *	resolver's defaults (resolv.conf "timeout:5 attempts:2" per server,
 *	unbounded by us) and its answer handling is not what RFC 7489 section
 *	6.6.3 asks for (several records, temporary errors); see docs/dmarc.md.
 *
 *	Timeout: glibc waits "retrans" seconds per server in the first round
 *	and 2*retrans/nscount per server in the second. With two rounds
 *	(retry = 2) the whole query takes at most about (nscount + 2) *
 *	retrans seconds, so retrans = timeout / (nscount + 2), at least 1 s.
 *	A truncated UDP answer is retried over TCP by the resolver (one more
 *	exchange of the same bound).
 *
 *	Outcome (RFC 7489 section 6.6.3, three-way like Postfix's lookups):
 *	NXDOMAIN and NOERROR/NODATA are NOTFOUND; SERVFAIL, timeouts and
 *	every other resolver error (REFUSED, FORMERR, unparsable answer) are
 *	RETRY, so an error never reads as "no policy" (fail-safe).
 *
 *	Each TXT resource record becomes one string: its character-strings
 *	concatenated with nothing in between (RFC 7208 section 3.3, which RFC
 *	7489 section 6.6.3 relies on). Records of other types in the answer
 *	(CNAME chain) are skipped.
 * TRUST BOUNDARY
 *	DNS answers are untrusted: every length is checked by ns_parserr()
 *	and against the record's own rdlength here. A TXT record whose
 *	character-strings overrun its rdata is dropped (as if absent).
 *--*/
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "messec/str.h"
#include "dmarc_int.h"

#define DNS_ANSWER_MAX 65535	/* largest DNS message (TCP) */

/* Concatenate the character-strings of one TXT rdata into txt_r. */
static int txt_rdata(const unsigned char *rdata, size_t rdlen, struct ma_dmarc_txt *txt_r)
{
	char text[MA_DMARC_TXT_LEN_MAX + 1];
	size_t pos = 0, out = 0;

	while (pos < rdlen) {
		size_t n = rdata[pos++];

		/* RFC 1035 section 3.3: <character-string> is a length octet + data. */
		if (n > rdlen - pos)
			return -1;
		if (n > MA_DMARC_TXT_LEN_MAX - out)
			return -1;	/* too long to be a record we could use */
		memcpy(text + out, rdata + pos, n);
		out += n;
		pos += n;
	}
	return ma_dmarc_txt_add(txt_r, text, out);
}

enum ma_dmarc_lookup dmarc_dns_txt(const char *name, unsigned timeout_ms,
				   struct ma_dmarc_txt *txt_r)
{
	return dmarc_dns_txt_at(name, timeout_ms, NULL, txt_r);
}

enum ma_dmarc_lookup dmarc_dns_txt_at(const char *name, unsigned timeout_ms,
				      const struct sockaddr_in *server,
				      struct ma_dmarc_txt *txt_r)
{
	struct __res_state res;
	unsigned char *answer;
	enum ma_dmarc_lookup result;
	unsigned seconds;
	ns_msg msg;
	int len, i, count;

	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) != 0) {
		res_nclose(&res);
		return MA_DMARC_LOOKUP_RETRY;
	}
	if (server != NULL) {
		/* Testing: one given server (glibc prefers nsaddr_list[n] when set). */
		res.nsaddr_list[0] = *server;
		res.nscount = 1;
	}
	seconds = (timeout_ms + 999) / 1000;
	res.retry = 2;
	res.retrans = (int)(seconds / (unsigned)(res.nscount + 2));
	if (res.retrans < 1)
		res.retrans = 1;

	answer = xmalloc(DNS_ANSWER_MAX);
	len = res_nquery(&res, name, ns_c_in, ns_t_txt, answer, DNS_ANSWER_MAX);
	if (len < 0) {
		/* glibc: NXDOMAIN -> HOST_NOT_FOUND, NOERROR/no answer -> NO_DATA. */
		result = (res.res_h_errno == HOST_NOT_FOUND || res.res_h_errno == NO_DATA) ?
		    MA_DMARC_LOOKUP_NOTFOUND : MA_DMARC_LOOKUP_RETRY;
		goto out;
	}
	if (ns_initparse(answer, len, &msg) < 0) {
		result = MA_DMARC_LOOKUP_RETRY;
		goto out;
	}
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		ns_rr rr;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
			result = MA_DMARC_LOOKUP_RETRY;
			goto out;
		}
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
			continue;
		/*
		 * A record over the length cap (MA_DMARC_TXT_LEN_MAX) or beyond
		 * the table's count is dropped: no DMARC record is that long.
		 */
		(void)txt_rdata(ns_rr_rdata(rr), ns_rr_rdlen(rr), txt_r);
	}
	result = txt_r->count > 0 ? MA_DMARC_LOOKUP_FOUND : MA_DMARC_LOOKUP_NOTFOUND;
out:
	free(answer);
	res_nclose(&res);
	return result;
}
