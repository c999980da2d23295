/*++
 * NAME
 *	dkim_canon 3h
 * SUMMARY
 *	DKIM canonicalization (RFC 6376 section 3.4), simple and relaxed,
 *	fed into an OpenSSL digest
 * SYNOPSIS
 *	#include "dkim_canon.h"
 * DESCRIPTION
 *	ma_canon_body_*(): the body, streamed in chunks of any size (a CRLF
 *	may be split between chunks), hashed with SHA-256 as it goes; only
 *	the trailing empty lines (and, relaxed, pending white space) are
 *	held back, as counters. Bytes are hashed through a small buffer.
 *
 *	ma_canon_header(): one header field "Name:value" (CRLF folding, as
 *	in the message, without the final CRLF) canonicalized into a
 *	digest; crlf says whether the field's CRLF follows (every field but
 *	the DKIM-Signature being made, RFC 6376 section 3.7).
 *
 *	Line ends: a CR followed by LF ends a line; a lone CR or LF is an
 *	ordinary character (a milter sees CRLF lines only).
 *--*/
#ifndef MA_DKIM_CANON_H
#define MA_DKIM_CANON_H

#include <stddef.h>
#include <openssl/evp.h>

struct ma_canon_body {
	EVP_MD_CTX *md;
	int relaxed;
	int cr;			/* a CR is held back */
	int wsp;		/* relaxed: white space pending in this line */
	int any;		/* something other than empty lines was hashed */
	size_t crlfs;		/* line ends held back */
	unsigned long long total;	/* canonical bytes produced so far */
	unsigned long long limit;	/* hash at most this many (l=) */
	int limited;		/* limit applies */
	size_t n;
	unsigned char buf[4096];
};

/* 0, or -1 when OpenSSL fails (out of memory). */
int ma_canon_body_init(struct ma_canon_body *b, int relaxed);
int ma_canon_body_update(struct ma_canon_body *b, const unsigned char *data, size_t len);
/* The SHA-256 of the canonical body (32 bytes into out); frees the context. */
int ma_canon_body_final(struct ma_canon_body *b, unsigned char out[32]);
void ma_canon_body_free(struct ma_canon_body *b);

/*
 * For verification (dkim_vossl.c): any digest (SHA-1 for rsa-sha1), and
 * with limited set only the first limit canonical bytes are hashed
 * (RFC 6376 3.5 l=). _final_ex gives the digest length and the length
 * of the whole canonical body (to compare with l=, RFC 6376 6.1.3).
 */
int ma_canon_body_init_ex(struct ma_canon_body *b, int relaxed, const EVP_MD *md,
			  int limited, unsigned long long limit);
int ma_canon_body_final_ex(struct ma_canon_body *b, unsigned char out[EVP_MAX_MD_SIZE],
			   unsigned *out_len, unsigned long long *total_r);

int ma_canon_header(EVP_MD_CTX *md, int relaxed, const char *field, size_t len, int crlf);

#endif
