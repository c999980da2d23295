/*++
/* NAME
/*	mfa_totp 3
/* SUMMARY
/*	RFC 4226 HOTP, RFC 6238 TOTP, login syntax splitting
/* DESCRIPTION
/*	See mfa_totp.h. Called by mfa_policy.c (the plugin's decision) and
/*	the CLI. No Dovecot types.
/* TRUST BOUNDARY
/*	mfa_split() and mfa_totp_verify() see the password the client sent:
/*	every length is capped and the code is compared in constant time.
/* STANDARDS
/*	RFC 4226 5.3 (dynamic truncation), RFC 6238 4 (TOTP), 5.2 (accept a
/*	code once, resynchronisation window).
/*--*/
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <messec/secret.h>

#include "mfa_util.h"
#include "mfa_totp.h"

static const char *const alg_names[] = { "SHA1", "SHA256", "SHA512" };

int mfa_totp_alg_parse(const char *name, enum mfa_totp_alg *alg_r)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
		if (strcasecmp(name, alg_names[i]) == 0) {
			*alg_r = (enum mfa_totp_alg)i;
			return 0;
		}
	}
	return -1;
}

const char *mfa_totp_alg_name(enum mfa_totp_alg alg)
{
	return (unsigned int)alg < 3 ? alg_names[alg] : "?";
}

size_t mfa_totp_secret_len(enum mfa_totp_alg alg)
{
	switch (alg) {
	case MFA_TOTP_SHA256:
		return 32;
	case MFA_TOTP_SHA512:
		return 64;
	case MFA_TOTP_SHA1:
	default:
		return 20;	/* RFC 4226 4 R6: 160 bits */
	}
}

static const EVP_MD *alg_md(enum mfa_totp_alg alg)
{
	switch (alg) {
	case MFA_TOTP_SHA1:
		return EVP_sha1();
	case MFA_TOTP_SHA256:
		return EVP_sha256();
	case MFA_TOTP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

int mfa_hotp(enum mfa_totp_alg alg, const uint8_t *key, size_t key_len,
	     uint64_t counter, unsigned int digits,
	     char code_r[MFA_DIGITS_MAX + 1])
{
	static const uint32_t pow10[] = { 1000000, 10000000, 100000000 };
	const EVP_MD *md = alg_md(alg);
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0, offset;
	uint32_t binary;

	if (md == NULL || digits < MFA_DIGITS_MIN || digits > MFA_DIGITS_MAX ||
	    key_len == 0 || key_len > MFA_SECRET_MAX)
		return -1;
	/* RFC 4226 5.2: the counter is an 8-byte big-endian value. */
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)counter;
		counter >>= 8;
	}
	if (HMAC(md, key, (int)key_len, msg, sizeof(msg), mac, &mac_len) == NULL ||
	    mac_len < 20)
		return -1;
	/* RFC 4226 5.3: dynamic truncation from the low nibble of the last
	   byte (RFC 6238 1.2 applies the same to SHA256/SHA512 output). */
	offset = mac[mac_len - 1] & 0x0f;
	binary = ((uint32_t)(mac[offset] & 0x7f) << 24) |
		 ((uint32_t)mac[offset + 1] << 16) |
		 ((uint32_t)mac[offset + 2] << 8) | mac[offset + 3];
	binary %= pow10[digits - MFA_DIGITS_MIN];
	for (int i = (int)digits - 1; i >= 0; i--) {
		code_r[i] = (char)('0' + binary % 10);
		binary /= 10;
	}
	code_r[digits] = '\0';
	secret_wipe(mac, sizeof(mac));
	return 0;
}

uint64_t mfa_totp_counter(time_t now, unsigned int step)
{
	/* RFC 6238 4.2: T0 = 0; times before the epoch are counter 0. */
	if (now < 0 || step == 0)
		return 0;
	return (uint64_t)now / step;
}

enum mfa_totp_result
mfa_totp_verify(enum mfa_totp_alg alg, const uint8_t *key, size_t key_len,
		unsigned int digits, const char *code, uint64_t now_counter,
		unsigned int window, uint64_t last_used, uint64_t *counter_r)
{
	char expected[MFA_DIGITS_MAX + 1];
	uint64_t first, c, accepted = 0;
	int have_accepted = 0, have_replay = 0;

	if (window > MFA_WINDOW_MAX || strlen(code) != digits)
		return MFA_TOTP_ERROR;
	first = now_counter >= window ? now_counter - window : 0;
	/* Every candidate is computed and compared (no early exit), so the
	   time taken does not tell which step matched. RFC 6238 5.2: a
	   counter at or before the last accepted one is a replay. */
	for (c = first; c <= now_counter + window; c++) {
		int match;

		if (mfa_hotp(alg, key, key_len, c, digits, expected) < 0)
			return MFA_TOTP_ERROR;
		match = secret_equal(expected, digits, code, digits);
		if (match && c >= last_used) {
			accepted = c;
			have_accepted = 1;
		} else if (match) {
			have_replay = 1;
		}
	}
	secret_wipe(expected, sizeof(expected));
	if (have_accepted) {
		*counter_r = accepted;
		return MFA_TOTP_OK;
	}
	return have_replay ? MFA_TOTP_REPLAY : MFA_TOTP_BAD;
}

enum mfa_split_result
mfa_split(const char *input, size_t len, const char *separator,
	  unsigned int digits, size_t *password_len_r,
	  char code_r[MFA_DIGITS_MAX + 1])
{
	size_t sep_len = strlen(separator), i, code_at;

	if (len > MFA_INPUT_MAX)
		return MFA_SPLIT_TOO_LONG;
	if (memchr(input, '\0', len) != NULL)
		return MFA_SPLIT_BAD_INPUT;
	if (digits < MFA_DIGITS_MIN || digits > MFA_DIGITS_MAX || len < digits)
		return MFA_SPLIT_NO_CODE;
	code_at = len - digits;
	/* Exactly ASCII '0'..'9': no locale, no Unicode digits (a UTF-8
	   digit is several bytes >= 0x80 and fails here). */
	for (i = code_at; i < len; i++) {
		if (input[i] < '0' || input[i] > '9')
			return MFA_SPLIT_NO_CODE;
	}
	if (sep_len > 0) {
		if (code_at < sep_len ||
		    memcmp(input + code_at - sep_len, separator, sep_len) != 0)
			return MFA_SPLIT_NO_CODE;
	}
	if (code_at - sep_len == 0)
		return MFA_SPLIT_EMPTY_PASSWORD;
	memcpy(code_r, input + code_at, digits);
	code_r[digits] = '\0';
	*password_len_r = code_at - sep_len;
	return MFA_SPLIT_OK;
}

const char *mfa_split_result_str(enum mfa_split_result result)
{
	switch (result) {
	case MFA_SPLIT_OK:
		return "ok";
	case MFA_SPLIT_NO_CODE:
		return "no code";
	case MFA_SPLIT_EMPTY_PASSWORD:
		return "code without password";
	case MFA_SPLIT_TOO_LONG:
		return "password too long";
	case MFA_SPLIT_BAD_INPUT:
		return "bad input";
	}
	return "?";
}
