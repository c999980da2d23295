/*++
 * NAME
 *	test_totp 1
 * SUMMARY
 *	unit tests for mfa_totp.c and base32: RFC 4226 / RFC 6238 vectors
 *	(SHA1, SHA256, SHA512), window edges, replay, login syntax splitting
 * DESCRIPTION
 *	The vectors are read from dovecot-mfa-plugin/tests/totp_vectors.txt
 *	(a copy of the project's conformance file; MFA_TOTP_VECTORS overrides).
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <messec/codec.h>

#include "mfa_totp.h"
#include "mfa_util.h"

static size_t hex_decode(const char *hex, uint8_t *out, size_t size)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= size);
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void test_vectors(void **state)
{
	const char *path = getenv("MFA_TOTP_VECTORS");
	char line[512], kind[8], alg[8], seed[160], t_hex[20], want[12];
	unsigned long long at;
	unsigned int digits, hotp = 0, totp = 0, algs = 0;
	FILE *fp;

	(void)state;
	fp = fopen(path != NULL ? path : "dovecot-mfa-plugin/tests/totp_vectors.txt", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		uint8_t key[64];
		char code[MFA_DIGITS_MAX + 1];
		enum mfa_totp_alg a;
		size_t klen;
		int n;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strncmp(line, "HOTP", 4) == 0) {
			n = sscanf(line, "%7s %7s %159s %llu %u %11s", kind, alg, seed,
				   &at, &digits, want);
			assert_int_equal(n, 6);
			klen = hex_decode(seed, key, sizeof(key));
			assert_int_equal(mfa_totp_alg_parse(alg, &a), 0);
			assert_int_equal(mfa_hotp(a, key, klen, at, digits, code), 0);
			hotp++;
		} else {
			n = sscanf(line, "%7s %7s %159s %llu %19s %u %11s", kind, alg,
				   seed, &at, t_hex, &digits, want);
			assert_int_equal(n, 7);
			klen = hex_decode(seed, key, sizeof(key));
			assert_int_equal(mfa_totp_alg_parse(alg, &a), 0);
			/* RFC 6238 4.2: T from the time, then HOTP. */
			uint64_t t = mfa_totp_counter((time_t)at, 30);
			assert_int_equal(t, strtoull(t_hex, NULL, 16));
			assert_int_equal(mfa_hotp(a, key, klen, t, digits, code), 0);
			algs |= 1u << a;
			totp++;
		}
		if (strcmp(code, want) != 0)
			fail_msg("%s: got %s, want %s", line, code, want);
	}
	fclose(fp);
	assert_int_equal(hotp, 10);
	assert_int_equal(totp, 18);
	assert_int_equal(algs, 7);
}

static const uint8_t seed1[] = "12345678901234567890";

/* Window edges and replay: a table of named cases. */
struct verify_case {
	const char *name;
	long code_step;		/* step the code is computed for, relative to now */
	unsigned int window;
	long last_used_rel;	/* last_used = now + rel + 1; LONG_MIN = none */
	enum mfa_totp_result want;
	long want_step;
};

#define NONE (-1000)
static const struct verify_case verify_cases[] = {
	{ "current step", 0, 1, NONE, MFA_TOTP_OK, 0 },
	{ "one step back, window 1", -1, 1, NONE, MFA_TOTP_OK, -1 },
	{ "one step ahead, window 1", 1, 1, NONE, MFA_TOTP_OK, 1 },
	{ "two steps back, window 1", -2, 1, NONE, MFA_TOTP_BAD, 0 },
	{ "two steps back, window 2", -2, 2, NONE, MFA_TOTP_OK, -2 },
	{ "three steps back, window 2", -3, 2, NONE, MFA_TOTP_BAD, 0 },
	{ "one step back, window 0", -1, 0, NONE, MFA_TOTP_BAD, 0 },
	{ "ten minutes ago", -20, 1, NONE, MFA_TOTP_BAD, 0 },
	{ "same code again (replay)", 0, 1, 0, MFA_TOTP_REPLAY, 0 },
	{ "older code after newer accepted", -1, 1, 0, MFA_TOTP_REPLAY, 0 },
	{ "newer code after older accepted", 1, 1, 0, MFA_TOTP_OK, 1 },
	{ "current after previous accepted", 0, 1, -1, MFA_TOTP_OK, 0 },
	{ "window 3 refused", 0, 3, NONE, MFA_TOTP_ERROR, 0 },
};

static void test_verify_table(void **state)
{
	const uint64_t now = 1000000;

	(void)state;
	for (size_t i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]); i++) {
		const struct verify_case *c = &verify_cases[i];
		char code[MFA_DIGITS_MAX + 1];
		uint64_t last = c->last_used_rel == NONE ? 0 :
			(uint64_t)((long)now + c->last_used_rel + 1), got = 0;
		enum mfa_totp_result r;

		assert_int_equal(mfa_hotp(MFA_TOTP_SHA1, seed1, 20,
					  (uint64_t)((long)now + c->code_step), 6, code), 0);
		r = mfa_totp_verify(MFA_TOTP_SHA1, seed1, 20, 6, code, now,
				    c->window, last, &got);
		if (r != c->want)
			fail_msg("%s: result %d, want %d", c->name, r, c->want);
		if (r == MFA_TOTP_OK && got != (uint64_t)((long)now + c->want_step))
			fail_msg("%s: counter %llu", c->name, (unsigned long long)got);
	}
}

static void test_verify_wrong_code(void **state)
{
	uint64_t got;

	(void)state;
	/* RFC 4226 D: counter 0 is 755224; "755225" is not. */
	assert_int_equal(mfa_totp_verify(MFA_TOTP_SHA1, seed1, 20, 6, "755225",
					 0, 0, 0, &got), MFA_TOTP_BAD);
	assert_int_equal(mfa_totp_verify(MFA_TOTP_SHA1, seed1, 20, 6, "755224",
					 0, 0, 0, &got), MFA_TOTP_OK);
	assert_int_equal(mfa_totp_verify(MFA_TOTP_SHA1, seed1, 20, 6, "75522",
					 0, 0, 0, &got), MFA_TOTP_ERROR);
}

struct split_case {
	const char *name;
	const char *input;
	size_t len;		/* 0 = strlen */
	const char *sep;
	enum mfa_split_result want;
	const char *want_password;
	const char *want_code;
};

static const struct split_case split_cases[] = {
	{ "password and code", "secret123456", 0, "", MFA_SPLIT_OK, "secret", "123456" },
	{ "password ending in digits", "pw2024123456", 0, "", MFA_SPLIT_OK, "pw2024", "123456" },
	{ "separator", "secret:123456", 0, ":", MFA_SPLIT_OK, "secret", "123456" },
	{ "separator missing", "secret123456", 0, ":", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "no code", "secret", 0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "five digits", "secret12345", 0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "code alone", "123456", 0, "", MFA_SPLIT_EMPTY_PASSWORD, NULL, NULL },
	{ "code alone with separator", ":123456", 0, ":", MFA_SPLIT_EMPTY_PASSWORD, NULL, NULL },
	{ "short", "12345", 0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "empty", "", 0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "letter in code", "secret12345a", 0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "arabic-indic digits", "secret\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", 0, "",
	  MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "fullwidth digits", "secret\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96",
	  0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "superscript digit", "secret12345\xc2\xb9", 0, "", MFA_SPLIT_NO_CODE, NULL, NULL },
	{ "embedded NUL", "sec\0ret123456", 13, "", MFA_SPLIT_BAD_INPUT, NULL, NULL },
	{ "NUL in code", "secret123\0456", 13, "", MFA_SPLIT_BAD_INPUT, NULL, NULL },
	{ "space before code", "secret 123456", 0, "", MFA_SPLIT_OK, "secret ", "123456" },
};

static void test_split_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input), plen = 0;
		char code[MFA_DIGITS_MAX + 1] = "";
		enum mfa_split_result r = mfa_split(c->input, len, c->sep, 6, &plen, code);

		if (r != c->want)
			fail_msg("%s: result %s, want %s", c->name,
				 mfa_split_result_str(r), mfa_split_result_str(c->want));
		if (r == MFA_SPLIT_OK &&
		    (plen != strlen(c->want_password) ||
		     memcmp(c->input, c->want_password, plen) != 0 ||
		     strcmp(code, c->want_code) != 0))
			fail_msg("%s: split at %zu code %s", c->name, plen, code);
	}
}

static void test_split_overlong(void **state)
{
	char *big = malloc(MFA_INPUT_MAX + 8);
	char code[MFA_DIGITS_MAX + 1];
	size_t plen;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', MFA_INPUT_MAX - 6);
	memcpy(big + MFA_INPUT_MAX - 6, "123456", 6);
	assert_int_equal(mfa_split(big, MFA_INPUT_MAX, "", 6, &plen, code), MFA_SPLIT_OK);
	memcpy(big + MFA_INPUT_MAX - 5, "123456", 6);
	assert_int_equal(mfa_split(big, MFA_INPUT_MAX + 1, "", 6, &plen, code),
			 MFA_SPLIT_TOO_LONG);
	free(big);
}

static void test_split_eight_digits(void **state)
{
	char code[MFA_DIGITS_MAX + 1];
	size_t plen;

	(void)state;
	assert_int_equal(mfa_split("pw12345678", 10, "", 8, &plen, code), MFA_SPLIT_OK);
	assert_int_equal(plen, 2);
	assert_string_equal(code, "12345678");
}

static void test_base32(void **state)
{
	char text[64];
	uint8_t back[32];

	(void)state;
	/* vectors.txt header: base32 of the SHA1 seed. */
	assert_int_equal(codec_base32_encode(seed1, 20, text, sizeof(text)), 0);
	assert_string_equal(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(codec_base32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", back,
					   sizeof(back)), 20);
	assert_memory_equal(back, seed1, 20);
	/* RFC 4648 10 */
	assert_int_equal(codec_base32_encode((const uint8_t *)"foobar", 6, text, sizeof(text)), 0);
	assert_string_equal(text, "MZXW6YTBOI");
	assert_int_equal(codec_base32_decode("MZXW6YTBOI======", back, sizeof(back)), 6);
	assert_int_equal(codec_base32_decode("MZXW1", back, sizeof(back)), -1);
	assert_int_equal(codec_base32_encode(seed1, 20, text, 32), -1);
}

static void test_alg_names(void **state)
{
	enum mfa_totp_alg a;

	(void)state;
	assert_int_equal(mfa_totp_alg_parse("sha256", &a), 0);
	assert_int_equal(a, MFA_TOTP_SHA256);
	assert_int_equal(mfa_totp_alg_parse("md5", &a), -1);
	assert_int_equal(mfa_totp_secret_len(MFA_TOTP_SHA1), 20);
	assert_int_equal(mfa_totp_secret_len(MFA_TOTP_SHA512), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_verify_table),
		cmocka_unit_test(test_verify_wrong_code),
		cmocka_unit_test(test_split_table),
		cmocka_unit_test(test_split_overlong),
		cmocka_unit_test(test_split_eight_digits),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_alg_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
