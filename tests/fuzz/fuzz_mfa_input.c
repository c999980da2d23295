/*++
 * NAME
 *	fuzz_mfa_input 1
 * SUMMARY
 *	libFuzzer target for what a client types into the MFA passdb
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_mfa_input -max_len=2048 tests/fuzz/corpus/mfa_input
 * DESCRIPTION
 *	The Dovecot-free functions that see the login password (the
 *	untrusted input of dovecot-mfa-plugin), and the parsers next to them:
 *	byte 0 picks digits (6, 7, 8 or an invalid 5/9), the separator and
 *	the TOTP algorithm; the rest is the password as the client sent it
 *	(counted bytes: may hold NUL, may be over MFA_INPUT_MAX).
 *	- mfa_split(): on success, password + separator + code is the input,
 *	  the password is not empty, the code is exactly `digits` ASCII
 *	  digits and equals the input's tail;
 *	- mfa_totp_verify() with that code and a fixed secret (RFC 6238
 *	  reference seed), at the current time: the result is a known enum;
 *	- mfa_apppass_parse(): a v1 match is 34 characters, a v2 match 39,
 *	  and its id the first four; a v2 match's HMAC tag (fixed key) is
 *	  64 hex digits and checks against itself;
 *	- codec_base32_decode() (the CLI's secret input), then encode and
 *	  decode again: the same bytes;
 *	- mfa_unseal() of the input as a stored record (a changed record must
 *	  fail: nobody can forge the GCM tag of the fixed key).
 *	A violation aborts.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <messec/codec.h>
#include <messec/secret.h>

#include "mfa_apppass.h"
#include "mfa_seal.h"
#include "mfa_totp.h"
#include "mfa_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const separators[4] = { "", ":", "+", "%%" };
/* RFC 6238 Appendix B SHA1 seed */
static const uint8_t seed[20] = "12345678901234567890";

static void check_split(const char *in, size_t len, const char *sep, unsigned digits,
			enum mfa_totp_alg alg)
{
	char code[MFA_DIGITS_MAX + 1];
	size_t pw_len = 0, i;
	uint64_t counter = 0;
	enum mfa_split_result r;
	enum mfa_totp_result t;

	r = mfa_split(in, len, sep, digits, &pw_len, code);
	if (mfa_split_result_str(r) == NULL)
		abort();
	if (r != MFA_SPLIT_OK)
		return;
	if (pw_len == 0 || pw_len + strlen(sep) + digits != len ||
	    strlen(code) != digits || memcmp(in + len - digits, code, digits) != 0 ||
	    memcmp(in + pw_len, sep, strlen(sep)) != 0)
		abort();
	for (i = 0; i < digits; i++) {
		if (code[i] < '0' || code[i] > '9')
			abort();
	}
	t = mfa_totp_verify(alg, seed, sizeof(seed), digits, code,
			    mfa_totp_counter(time(NULL), 30), 1, 0, &counter);
	if (t != MFA_TOTP_OK && t != MFA_TOTP_BAD && t != MFA_TOTP_REPLAY)
		abort();
	secret_wipe(code, sizeof(code));
}

static void check_base32(const char *text)
{
	uint8_t bytes[256], again[256];
	char enc[512];
	long n, m;

	n = codec_base32_decode(text, bytes, sizeof(bytes));
	if (n < 0)
		return;
	if ((size_t)n > sizeof(bytes))
		abort();
	if (codec_base32_encode(bytes, (size_t)n, enc, sizeof(enc)) != 0)
		abort();
	m = codec_base32_decode(enc, again, sizeof(again));
	if (m != n || memcmp(bytes, again, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned digit_choice[5] = { 6, 7, 8, 5, 9 };
	uint8_t key[MFA_KEY_LEN], plain[256];
	const char *error = NULL;
	char id[5], *in, *text;
	size_t len, plain_len = 0;
	unsigned digits;

	if (size == 0)
		return 0;
	digits = digit_choice[(data[0] & 7) % 5];
	len = size - 1;
	/* Exactly len bytes: the password is counted, not NUL-terminated. */
	if ((in = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(in, data + 1, len);
	check_split(in, len, separators[(data[0] >> 3) & 3], digits,
		    (enum mfa_totp_alg)((data[0] >> 5) % 3));

	memset(key, 0x5a, sizeof(key));
	switch (mfa_apppass_parse(in, len, id)) {
	case MFA_APPPASS_V1:
		if (len != MFA_APPPASS_LEN || strlen(id) != 4 || memcmp(id, in, 4) != 0)
			abort();
		break;
	case MFA_APPPASS_V2: {
		char tag[MFA_APPPASS_TAG_HEX + 1];

		if (len != MFA_APPPASS2_LEN || strlen(id) != 4 || memcmp(id, in, 4) != 0 ||
		    mfa_apppass_tag(key, "user@example.com", in, len, tag,
				    sizeof(tag), &error) < 0 ||
		    strlen(tag) != MFA_APPPASS_TAG_HEX ||
		    mfa_apppass_check(key, "user@example.com", in, len,
				      MFA_APP_SCHEME_HMAC_SHA256, tag, &error) != 1)
			abort();
		break;
	}
	default:
		break;
	}

	if (mfa_unseal(key, "user@example.com", (const uint8_t *)in, len, plain,
		       sizeof(plain), &plain_len, &error) == 0)
		abort();	/* forged a GCM tag? */
	if (error == NULL)
		abort();
	free(in);

	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	check_base32(text);
	free(text);
	return 0;
}
