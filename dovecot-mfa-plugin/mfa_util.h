/*++
/* NAME
/*	mfa_util 3h
/* SUMMARY
/*	small helpers of the MFA passdb: error texts, record byte packing
/* SYNOPSIS
/*	#include "mfa_util.h"
/* DESCRIPTION
/*	Free of Dovecot types, used by the plugin, the CLI and the unit tests.
/*	Secret wiping, constant-time compares, randomness (messec/secret.h),
/*	hex and base32 (messec/codec.h) and bounded copies (str_copy,
/*	messec/str.h) come from common/.
/*
/*	mfa_error() formats into a per-thread buffer and returns it: the text
/*	stays valid until the next mfa_error() call of the same thread.
/*--*/
#ifndef MFA_UTIL_H
#define MFA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MFA_PRINTF(a, b) __attribute__((format(printf, a, b)))

const char *mfa_error(const char *fmt, ...) MFA_PRINTF(1, 2);

/* Little-endian packing for store records. */
void mfa_put_u64(uint8_t *p, uint64_t v);
uint64_t mfa_get_u64(const uint8_t *p);
void mfa_put_u32(uint8_t *p, uint32_t v);
uint32_t mfa_get_u32(const uint8_t *p);

#endif
