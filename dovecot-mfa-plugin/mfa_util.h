/*++
/* NAME
/*	mfa_util 3h
/* SUMMARY
/*	small helpers of the MFA passdb: errors, base32, byte packing, wiping
/* SYNOPSIS
/*	#include "mfa_util.h"
/* DESCRIPTION
/*	Free of Dovecot types, used by the plugin, the CLI and the unit tests.
/*	Kept here (not in common/) because the plugin must not depend on
/*	libmessec's logging; see docs/mfa.md.
/*
/*	mfa_error() formats into a per-thread buffer and returns it: the text
/*	stays valid until the next mfa_error() call of the same thread.
/*
/*	mfa_base32_encode() writes RFC 4648 section 6 base32 without padding
/*	(what authenticator apps expect in the otpauth URI); returns 0, or -1
/*	when out_size is too small. mfa_base32_decode() accepts upper or lower
/*	case, ignores '=' padding, spaces and dashes; returns the number of
/*	bytes, or -1 on bad input or overflow.
/*--*/
#ifndef MFA_UTIL_H
#define MFA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MFA_PRINTF(a, b) __attribute__((format(printf, a, b)))

const char *mfa_error(const char *fmt, ...) MFA_PRINTF(1, 2);

int mfa_base32_encode(const uint8_t *data, size_t len, char *out, size_t out_size);
long mfa_base32_decode(const char *text, uint8_t *out, size_t out_size);

/* Wipe memory the compiler may not optimise away (OPENSSL_cleanse). */
void mfa_wipe(void *p, size_t len);
/* Constant-time equality of two equal-length buffers (CRYPTO_memcmp). */
int mfa_mem_equal(const void *a, const void *b, size_t len);
/* Random bytes from getrandom(2); 0 ok, -1 error. */
int mfa_random(void *buf, size_t len);

/* Little-endian packing for store records. */
void mfa_put_u64(uint8_t *p, uint64_t v);
uint64_t mfa_get_u64(const uint8_t *p);
void mfa_put_u32(uint8_t *p, uint32_t v);
uint32_t mfa_get_u32(const uint8_t *p);

/* Copy with truncation check: 0 ok, -1 when src does not fit. */
int mfa_strcpy(char *dst, size_t size, const char *src);

#endif
