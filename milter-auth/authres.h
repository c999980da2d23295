/*++
 * NAME
 *	authres 3h
 * SUMMARY
 *	Authentication-Results header (RFC 8601): build ours, recognise others
 * DESCRIPTION
 *	ma_authres_build() writes exactly one header field value:
 *	  "<authserv-id>; spf=pass smtp.mailfrom=example.com;
 *	   dkim=pass header.d=example.com header.s=sel header.a=rsa-sha256
 *	   header.b=AbCdEf12; dmarc=pass header.from=example.com policy.dmarc=reject"
 *	folded for SMTP (RFC 5322 line length; folds are "\n\t", which libmilter
 *	and Postfix send as CRLF TAB), values quoted when they are not RFC 2045
 *	tokens (or local@domain pvalues), peer text sanitised: no CR, LF, NUL
 *	or 8-bit byte ever reaches the output outside a fold. "dkim=none" when
 *	there is no signature; spf and dmarc are left out when their result is
 *	NULL. See authres.c for the details.
 *
 *	ma_authres_authserv_id() parses the authserv-id of an existing header
 *	field value (RFC 8601 section 2.2: CFWS, optional version, comments),
 *	so the milter can delete every A-R that claims our authserv-id
 *	(case-insensitive, RFC 8601 section 5). Robust to any bytes.
 *--*/
#ifndef MA_AUTHRES_H
#define MA_AUTHRES_H

#include <stddef.h>
#include "messec/sbuf.h"

struct ma_authres_dkim {
	const char *result;	/* "pass", "fail", ... */
	/* NULL: property left out; reason is written as reason="..." */
	const char *domain, *selector, *algorithm, *b_prefix, *reason;
};

struct ma_authres {
	const char *authserv_id;
	const char *spf_result;		/* NULL: method not reported */
	const char *spf_property;	/* "smtp.mailfrom" or "smtp.helo" */
	const char *spf_value;		/* the domain (or local@domain) */
	const char *spf_reason;		/* optional: written as reason="..." */
	size_t n_dkim;
	const struct ma_authres_dkim *dkim;	/* n_dkim == 0: "dkim=none" */
	const char *dmarc_result;	/* NULL: method not reported */
	const char *dmarc_from;		/* header.from */
	const char *dmarc_policy;	/* policy.dmarc: none/quarantine/reject */
};

/* Appends the header VALUE (not the "Authentication-Results:" name) to out.
   0 ok, -1 cap exceeded (the caller's sbuf has a cap). */
int ma_authres_build(const struct ma_authres *ar, struct sbuf *out);

/* Copy the authserv-id of header value into id_r (lower-cased).
   0 found, -1 unparsable. */
int ma_authres_authserv_id(const char *value, size_t len, char *id_r, size_t size);

/* 1 when authserv-id id names ours: equal without regard to ASCII case
   and to one trailing dot on either side ("MX.example.org." is ours when
   ours is "mx.example.org"; a consumer that drops the dot would trust
   it). The one comparison of an authserv-id, wherever one is matched. */
int ma_authres_id_equal(const char *id, const char *ours);

#endif
