/*++
 * NAME
 *	dmarc_rua 3h
 * SUMMARY
 *	DMARC aggregate report destinations: the rua tag of a policy
 *	domain, its mailto: URIs, external destination verification
 * SYNOPSIS
 *	#include "dmarc_rua.h"
 * DESCRIPTION
 *	ma_rua_fetch() reads the rua tag of the DMARC record published at
 *	_dmarc.<policy domain> (the domain where the milter found the
 *	record). ma_rua_parse() splits it into destinations (RFC 7489
 *	section 6.2 dmarc-uri: a URI and an optional "!size" limit); only
 *	mailto: URIs with one plain addr-spec are usable. ma_rua_verify()
 *	is the external destination verification of section 7.1.
 *
 *	Trust boundary: everything here comes from DNS zones of other
 *	domains (any bytes): an address becomes a sendmail argument and a
 *	To: field, so it is restricted to a dot-atom local part and an LDH
 *	domain, nothing else.
 *--*/
#ifndef MA_DMARC_RUA_H
#define MA_DMARC_RUA_H

#include <stddef.h>
#include <stdint.h>
#include "dmarc.h"

/* RFC 7489 section 6.2: a receiver may limit the URIs it sends to, but
   must support two at least. */
#define MA_RUA_MAX 4
#define MA_RUA_VALUE_MAX 1024

struct ma_rua_dest {
	char address[256];	/* local@domain ("" when unusable) */
	char domain[256];	/* lower-cased */
	uint64_t max_size;	/* "!size" in octets; 0: no limit */
	const char *error;	/* NULL usable, else why not (static text) */
	char shown[80];		/* the URI, sanitised and cut, for the log */
};

enum ma_rua_result {
	MA_RUA_OK = 1,		/* found / verified */
	MA_RUA_NONE = 0,	/* no record, no rua / not verified */
	MA_RUA_RETRY = -1,	/* DNS temporary failure: try again later */
};

/*
 * rua of the record at _dmarc.<policy_domain> into out: OK, NONE (no
 * single usable DMARC record, or no rua tag) or RETRY. lookup NULL: DNS
 * (resolv.conf, timeout_ms for the whole lookup).
 */
enum ma_rua_result ma_rua_fetch(const char *policy_domain, ma_dmarc_lookup_fn *lookup,
				void *ctx, unsigned timeout_ms, char *out, size_t size);

/* Split a rua value into at most max destinations (the rest is dropped);
   returns how many were filled, usable or not (see ->error). */
size_t ma_rua_parse(const char *value, struct ma_rua_dest *dests, size_t max);

/*
 * RFC 7489 section 7.1: OK when the destination domain has the same
 * organizational domain as the policy domain, or when
 * <policy_domain>._report._dmarc.<dest_domain> has at least one TXT
 * record starting with v=DMARC1 (steps 5-7); NONE when not; RETRY on a
 * DNS temporary failure. override (override_size bytes, at most
 * MA_RUA_VALUE_MAX used): "" or, step 8, the rua value those records
 * carry, which replaces the destination (ma_rua_override()); records
 * with two different rua values: NONE. *why_r: one line for the log
 * (static text).
 */
enum ma_rua_result ma_rua_verify(const struct ma_dmarc *dmarc, const char *policy_domain,
				 const char *dest_domain, ma_dmarc_lookup_fn *lookup,
				 void *ctx, unsigned timeout_ms, char *override,
				 size_t override_size, const char **why_r);

/*
 * Section 7.1 step 8: the destinations of a verified external
 * destination's own rua value. Every URI must be a usable mailto: at
 * dest_domain (the host verified); one that is not: 0, and neither the
 * original nor the override gets a report ("MUST NOT generate a report
 * to either"). Else how many were filled. *why_r: for the log.
 */
size_t ma_rua_override(const char *value, const char *dest_domain, struct ma_rua_dest *dests,
		       size_t max, const char **why_r);

#endif
