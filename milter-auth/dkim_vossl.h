/*++
 * NAME
 *	dkim_vossl 3h
 * SUMMARY
 *	messec's own DKIM verifier (RFC 6376 section 6, RFC 8463) on
 *	dkim_canon.c and OpenSSL EVP: the `messec` dkim_verify_engine
 * SYNOPSIS
 *	#include "dkim_vossl.h"
 * DESCRIPTION
 *	The library seam of dkim_verify.c: it takes the header fields
 *	exactly as dkim_verify.c gives libopendkim's dkim_header() (joined,
 *	CRLF folding, no NUL, at most max_header_bytes, DKIM-Signature
 *	fields already screened: limit, d=/s= syntax, duplicate tags), then
 *	end of header (key lookups), the body, end of message, and reports
 *	one engine-neutral state per DKIM-Signature it kept, in header
 *	order, for ma_dkim_result_from_state() (dkim_result.c), the code
 *	that decides results for both engines.
 *
 *	It reproduces what Debian 12's libopendkim (2.11.0~beta2) does with
 *	the flags dkim_verify.c sets (BADSIGHANDLES, no FIXCRLF), error
 *	for error, so that both engines give the same verdicts and reasons;
 *	the known differences are listed in docs/dkim.md.
 *
 *	ma_vossl_count(): the signatures kept (a DKIM-Signature field that
 *	libopendkim's dkim_header() refuses -- a control byte in the name
 *	-- is not kept; dkim_verify.c then reports the message header as
 *	unusable, as with libopendkim).
 *
 *	ma_dkim_tags_duplicate(): 1 if the tag-list value of a
 *	DKIM-Signature field names a tag twice (compared without case),
 *	which RFC 6376 section 3.2 makes the whole tag-list invalid.
 *--*/
#ifndef MA_DKIM_VOSSL_H
#define MA_DKIM_VOSSL_H

#include <stddef.h>

#include "dkim_dns.h"
#include "dkim_result.h"
#include "dkim_verify.h"

struct ma_vossl;
struct ma_vossl_keys;

/* Parsed public keys shared by every message of one ma_dkim_lib
   (thread-safe, bounded); free after the last ma_vossl using it. */
struct ma_vossl_keys *ma_vossl_keys_new(void);
void ma_vossl_keys_free(struct ma_vossl_keys **keys);

/* keys may be NULL (no cache). */
struct ma_vossl *ma_vossl_new(struct ma_dkim_dns *dns, struct ma_vossl_keys *keys,
			      const struct ma_dkim_config *cfg);
void ma_vossl_free(struct ma_vossl **o);
/* 0, or -1 with *error_r (internal: too much header). */
int ma_vossl_header(struct ma_vossl *o, const char *field, size_t len, const char **error_r);
/* 1: the body must be fed, 0: no signature to check, -1 internal. */
int ma_vossl_eoh(struct ma_vossl *o, const char **error_r);
int ma_vossl_body(struct ma_vossl *o, const unsigned char *data, size_t len,
		  const char **error_r);
int ma_vossl_eom(struct ma_vossl *o, const char **error_r);
size_t ma_vossl_count(const struct ma_vossl *o);
/* The state of signature i (< count) and its key record (NULL if none). */
void ma_vossl_state(const struct ma_vossl *o, size_t i, struct ma_dkim_sigstate *st,
		    const char **keyrec_r);

int ma_dkim_tags_duplicate(const char *field, size_t len);

#endif
