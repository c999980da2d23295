/*++
 * NAME
 *	dkim_sign_ossl 3h
 * SUMMARY
 *	one DKIM-Signature made with messec's canonicalization (dkim_canon.c)
 *	and OpenSSL EVP, with a key parsed once
 * SYNOPSIS
 *	#include "dkim_sign_ossl.h"
 * DESCRIPTION
 *	ma_dkim_ossl_sign() takes the header block as dkim_sign.c keeps it
 *	(fields "Name: value", CRLF folding, each ended by a NUL, in
 *	message order) and the body hash, and returns the DKIM-Signature
 *	value (LF folding, for libmilter) or NULL with *error_r.
 *
 *	Tags and their order are libopendkim's (v a c d s t bh h b), so
 *	that, unfolded (fold = 0) and with the same t=, the value is byte
 *	for byte the one libopendkim makes with margin 0 (test_sign proves
 *	it; RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic).
 *--*/
#ifndef MA_DKIM_SIGN_OSSL_H
#define MA_DKIM_SIGN_OSSL_H

#include <stddef.h>
#include <openssl/evp.h>

struct ma_dkim_ossl_args {
	EVP_PKEY *key;			/* RSA or Ed25519, shared read-only */
	const char *domain, *selector;
	int relaxed_header, relaxed_body;
	const unsigned char *bh;	/* 32 bytes: SHA-256 of the canonical body */
	const char *fields;		/* NUL-ended fields, fields_len bytes in all */
	size_t fields_len;
	const char *const *headers;	/* names signed, every instance present */
	const char *const *oversign;	/* names listed once more */
	unsigned long long t;		/* t= */
	int fold;			/* fold lines at 78 columns */
};

char *ma_dkim_ossl_sign(const struct ma_dkim_ossl_args *a, const char **error_r);

#endif
