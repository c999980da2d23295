/*++
 * NAME
 *	hdrbook 3h
 * SUMMARY
 *	header bookkeeping: A-R deletion indices, From fields, limits
 * SYNOPSIS
 *	#include "hdrbook.h"
 * DESCRIPTION
 *	The milter sees every header field once, in order. ma_hdrbook_add()
 *	records what the end-of-message stage needs without keeping the
 *	header block:
 *	- for each Authentication-Results field, its 1-based index among the
 *	  fields of that name (case-insensitive, as Postfix and sendmail
 *	  count for smfi_chgheader), and whether it claims our authserv-id
 *	  (RFC 8601 section 5: such a field must be deleted);
 *	- the same for our tag header (a forged tag is deleted too);
 *	- the number of From fields and a copy of the first one's whole
 *	  value (RFC 7489 section 6.6.1 needs exactly one From domain); a
 *	  value longer than max_bytes is not kept and marks the From
 *	  unusable, never cut: a cut value could hide a second mailbox that
 *	  mail readers show (issue 14);
 *	- the header count and bytes against the configured caps.
 *	Deletions are handed out highest index first, so a deletion never
 *	shifts the index of one still to do, whatever the MTA's semantics.
 *
 *	The authserv-id parser is passed in (authres.h's
 *	ma_authres_authserv_id in the daemon), which keeps this module
 *	testable alone.
 *--*/
#ifndef MA_HDRBOOK_H
#define MA_HDRBOOK_H

#include <stddef.h>

#define MA_AR_NAME "Authentication-Results"

typedef int ma_hdrbook_id_fn(const char *value, size_t len, char *id_r, size_t size);

struct ma_hdrbook;

/* authserv_id and tag_header are borrowed (must outlive the book);
   tag_header may be NULL or "". Caller frees. */
struct ma_hdrbook *ma_hdrbook_new(const char *authserv_id, const char *tag_header,
				  size_t max_headers, size_t max_bytes,
				  ma_hdrbook_id_fn *id_fn);
void ma_hdrbook_free(struct ma_hdrbook **book);

/* Record one header field (name/value as libmilter gives them; NULL is
   taken as ""). Returns 1 when the field is within the caps (the caller
   may feed it to DKIM), 0 when a cap was exceeded. */
int ma_hdrbook_add(struct ma_hdrbook *book, const char *name, const char *value);

int ma_hdrbook_limits_exceeded(const struct ma_hdrbook *book);
size_t ma_hdrbook_header_count(const struct ma_hdrbook *book);
/* Number of From fields, and the first value, whole ("" when none or
   unusable; borrowed). */
size_t ma_hdrbook_from_count(const struct ma_hdrbook *book);
const char *ma_hdrbook_first_from(const struct ma_hdrbook *book);
/* 0 when the first From value was over max_bytes (not kept): the caller
   must treat the message as having no usable From, never parse a part. */
int ma_hdrbook_from_usable(const struct ma_hdrbook *book);

/* Deletions to apply, in order: i in [0, count). *name_r is borrowed. */
size_t ma_hdrbook_delete_count(const struct ma_hdrbook *book);
void ma_hdrbook_delete_get(const struct ma_hdrbook *book, size_t i,
			   const char **name_r, unsigned *index_r);
/* How many A-R fields were seen / kept (foreign authserv-id). */
unsigned ma_hdrbook_ar_seen(const struct ma_hdrbook *book);

#endif
