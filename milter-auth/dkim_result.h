/*++
 * NAME
 *	dkim_result 3h
 * SUMMARY
 *	per-signature DKIM result from libopendkim's signature state
 * SYNOPSIS
 *	#include "dkim_result.h"
 * DESCRIPTION
 *	Internal to dkim_verify.c (split out to keep files short).
 *
 *	ma_dkim_result_from_sig() fills *out from one DKIM_SIGINFO after
 *	dkim_eom() (or after an unusable end of header), applying RFC 6376
 *	section 6.1, RFC 8301 and the checks libopendkim gets wrong (body
 *	hash, rsa-sha1, key size, k= of the key, d= and s= syntax).
 *	eom_status is what dkim_eom() returned; keyrec the key record
 *	fetched for this signature (NULL if none).
 *
 *	ma_dkim_result_prefixes() cuts each b_prefix to the shortest prefix
 *	of at least 8 characters that no other signature shares (RFC 6008
 *	section 4).
 *--*/
#ifndef MA_DKIM_RESULT_H
#define MA_DKIM_RESULT_H

#include <stddef.h>

#include "dkim_verify.h"

/*
 * Engine-neutral state of one signature after eom, what both engines
 * give ma_dkim_result_from_state() (the one place results are decided).
 * Strings are NUL-terminated tag values (NULL: absent).
 */
enum ma_dkim_alg { MA_ALG_UNKNOWN, MA_ALG_RSA_SHA1, MA_ALG_RSA_SHA256, MA_ALG_ED25519_SHA256 };
enum ma_dkim_bh { MA_BH_UNTESTED, MA_BH_MATCH, MA_BH_MISMATCH };

#define MA_SIGST_IGNORE		0x01
#define MA_SIGST_PROCESSED	0x02
#define MA_SIGST_PASSED		0x04

struct ma_dkim_sigstate {
	const unsigned char *domain, *selector;	/* d=, s= once accepted */
	const unsigned char *a, *b;		/* raw a=, b= */
	unsigned flags;
	int error;				/* 1: err_result/err_reason apply */
	enum ma_dkim_result err_result;
	const char *err_reason;
	enum ma_dkim_bh bh;
	enum ma_dkim_alg alg;
	int have_bits;
	unsigned bits;
	int internal;				/* eom stopped on an internal error */
};

void ma_dkim_result_from_state(const struct ma_dkim_sigstate *st,
			       const struct ma_dkim_config *cfg, const char *keyrec,
			       struct ma_dkim_sig *out);

#ifdef MA_DKIM_RESULT_OPENDKIM
#include <opendkim/dkim.h>
void ma_dkim_result_from_sig(DKIM_SIGINFO *sig, const struct ma_dkim_config *cfg,
			     DKIM_STAT eom_status, const char *keyrec, struct ma_dkim_sig *out);
#endif
void ma_dkim_result_prefixes(struct ma_dkim_sig *sigs, size_t count);
/* 1 if name is a domain name as d= and s= must be (RFC 6376 3.5). */
int ma_dkim_result_valid_name(const unsigned char *name);

#endif
