/*++
 * NAME
 *	dmarc_int 3h
 * SUMMARY
 *	internals shared by dmarc.c, dmarc_psl.c, dmarc_dns.c, dmarc_from.c
 * DESCRIPTION
 *	Not for use outside the DMARC module; the daemon uses dmarc.h.
 *--*/
#ifndef MA_DMARC_INT_H
#define MA_DMARC_INT_H

#include <stddef.h>
#include "dmarc.h"

/* RFC 1035 section 2.3.4: 255 octets on the wire, 253 in text form. */
#define DMARC_DOMAIN_MAX 253

/* Public suffix list (dmarc_psl.c). Read-only once loaded. */
struct dmarc_psl;

/* Load the list at path. NULL with *error_r (static text) on failure. */
struct dmarc_psl *dmarc_psl_load(const char *path, const char **error_r);
void dmarc_psl_free(struct dmarc_psl **psl);
/* Number of rules loaded (for tests and the startup log line). */
size_t dmarc_psl_count(const struct dmarc_psl *psl);
/* Organizational domain of a lower-cased, validated domain. 0 ok, -1 bad input. */
int dmarc_psl_org_domain(const struct dmarc_psl *psl, const char *domain,
			 char *org_r, size_t org_size);

/*
 * Normalise a domain: copy lower-cased into out_r, drop one trailing dot,
 * check RFC 1035 shape (labels 1..63 octets of [a-z0-9_-], total <= 253).
 * 0 ok, -1 unusable (empty, too long, bad character, empty label).
 */
int dmarc_domain_normalise(const char *in, size_t len, char *out_r, size_t size);

/* 1 when the record's first tag is exactly v=DMARC1 (RFC 7489 section 6.6.3 step 3). */
int dmarc_record_is_dmarc(const char *record);
/* The raw value of tag name of a "v=DMARC1; ..." list (no p= needed):
   1 copied, 0 absent, -1 longer than size - 1 (dmarc_record.c). */
int dmarc_record_tag_any(const char *record, size_t len, const char *name, char *out,
			 size_t size);

/* DNS TXT lookup with res_n* (dmarc_dns.c); timeout bounds the whole call. */
enum ma_dmarc_lookup dmarc_dns_txt(const char *name, unsigned timeout_ms,
				   struct ma_dmarc_txt *txt_r);
/* Same, asking only server (tests); server NULL: resolv.conf's servers. */
struct sockaddr_in;
enum ma_dmarc_lookup dmarc_dns_txt_at(const char *name, unsigned timeout_ms,
				      const struct sockaddr_in *server,
				      struct ma_dmarc_txt *txt_r);

#endif
