/*++
 * NAME
 *	dmarc_int 3h
 * SUMMARY
 *	internals shared by dmarc.c, dmarc_dns.c, dmarc_from.c
 * DESCRIPTION
 *	Not for use outside the DMARC module; the daemon uses dmarc.h.
 *--*/
#ifndef MA_DMARC_INT_H
#define MA_DMARC_INT_H

#include <stddef.h>
#include "messec/psl.h"
#include "dmarc.h"

/* Domains and the public suffix list: common/psl/ (messec/psl.h). */
#define DMARC_DOMAIN_MAX MS_PSL_DOMAIN_MAX

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
