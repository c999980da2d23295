/*++
/* NAME
/*	mfa_totp 3h
/* SUMMARY
/*	HOTP/TOTP computation and verification, password/code splitting
/* SYNOPSIS
/*	#include "mfa_totp.h"
/* DESCRIPTION
/*	mfa_hotp() computes the RFC 4226 value for one counter (HMAC from
/*	OpenSSL, SHA1/SHA256/SHA512 as RFC 6238 allows). 0 ok, -1 error.
/*
/*	mfa_totp_counter() is RFC 6238 4.2: T = floor((now - T0) / X), T0 = 0.
/*
/*	mfa_totp_verify() checks a code against the counters now-window ..
/*	now+window, comparing every candidate in constant time. A code is
/*	accepted once: only a counter newer than the last accepted one
/*	passes (RFC 6238 5.2). last_used is 0 when no code was accepted yet,
/*	else last accepted counter + 1. On MFA_TOTP_OK *counter_r is the
/*	matched counter; the caller stores counter + 1.
/*
/*	mfa_split() cuts "<password>[separator]<code>" (the login syntax).
/*	The code is exactly `digits` ASCII digits at the end; an embedded NUL,
/*	an input longer than MFA_INPUT_MAX, anything else fails. On
/*	MFA_SPLIT_OK, *password_len_r is the length of the password part and
/*	code_r holds the NUL-terminated code (caller wipes it).
/*--*/
#ifndef MFA_TOTP_H
#define MFA_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MFA_DIGITS_MIN 6
#define MFA_DIGITS_MAX 8
#define MFA_WINDOW_MAX 2
#define MFA_INPUT_MAX 1024
#define MFA_SECRET_MAX 64

enum mfa_totp_alg {
	MFA_TOTP_SHA1 = 0,
	MFA_TOTP_SHA256 = 1,
	MFA_TOTP_SHA512 = 2,
};

enum mfa_totp_result {
	MFA_TOTP_ERROR = -1,
	MFA_TOTP_BAD = 0,
	MFA_TOTP_REPLAY = 1,
	MFA_TOTP_OK = 2,
};

enum mfa_split_result {
	MFA_SPLIT_OK = 0,
	MFA_SPLIT_NO_CODE,		/* no code (or no separator) at the end */
	MFA_SPLIT_EMPTY_PASSWORD,	/* a code alone */
	MFA_SPLIT_TOO_LONG,
	MFA_SPLIT_BAD_INPUT,		/* embedded NUL */
};

/* "SHA1" etc. (case-insensitive); 0 ok, -1 unknown. */
int mfa_totp_alg_parse(const char *name, enum mfa_totp_alg *alg_r);
const char *mfa_totp_alg_name(enum mfa_totp_alg alg);
/* Secret length generated for an algorithm (RFC 6238 reference seeds). */
size_t mfa_totp_secret_len(enum mfa_totp_alg alg);

int mfa_hotp(enum mfa_totp_alg alg, const uint8_t *key, size_t key_len,
	     uint64_t counter, unsigned int digits,
	     char code_r[MFA_DIGITS_MAX + 1]);
uint64_t mfa_totp_counter(time_t now, unsigned int step);
enum mfa_totp_result
mfa_totp_verify(enum mfa_totp_alg alg, const uint8_t *key, size_t key_len,
		unsigned int digits, const char *code, uint64_t now_counter,
		unsigned int window, uint64_t last_used, uint64_t *counter_r);

enum mfa_split_result
mfa_split(const char *input, size_t len, const char *separator,
	  unsigned int digits, size_t *password_len_r,
	  char code_r[MFA_DIGITS_MAX + 1]);
const char *mfa_split_result_str(enum mfa_split_result result);

#endif
