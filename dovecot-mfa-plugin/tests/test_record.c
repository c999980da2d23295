/*++
 * NAME
 *	test_record 1
 * SUMMARY
 *	unit tests for mfa_record.c: the bytes of the user, app password
 *	and per-IP records (layout pinned, round trips, every malformed
 *	shape refused)
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mfa_record.h"

static struct mfa_user_rec sample_user(void)
{
	struct mfa_user_rec r;

	memset(&r, 0, sizeof(r));
	r.algorithm = MFA_TOTP_SHA256;
	r.digits = 8;
	r.last_used = 0x0102030405060708ULL;
	r.failures = 0x0a0b0c0d;
	r.locked_until = 1700000000;
	r.created = 1600000000;
	r.sealed_len = 48;
	for (size_t i = 0; i < r.sealed_len; i++)
		r.sealed[i] = (uint8_t)(i * 7 + 1);
	return r;
}

/* The layout the stores of tests/compat/ hold: fixed offsets, little-endian. */
static void test_user_layout(void **state)
{
	struct mfa_user_rec r = sample_user(), back;
	uint8_t buf[MFA_REC_MAX];
	const char *error = NULL;
	size_t len;

	(void)state;
	assert_int_equal(mfa_user_rec_encode(&r, buf, sizeof(buf), &len, &error), 0);
	assert_int_equal(len, MFA_USER_REC_FIXED + 48);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[1], MFA_TOTP_SHA256);
	assert_int_equal(buf[2], 8);
	assert_int_equal(buf[3], 0);
	assert_int_equal(buf[4], 0x08);
	assert_int_equal(buf[11], 0x01);
	assert_int_equal(buf[12], 0x0d);
	assert_int_equal(buf[15], 0x0a);
	assert_int_equal(buf[32], 48);
	assert_int_equal(buf[33], 0);
	assert_memory_equal(buf + MFA_USER_REC_FIXED, r.sealed, 48);
	assert_int_equal(mfa_user_rec_decode(buf, len, &back, &error), 0);
	assert_memory_equal(&back, &r, sizeof(r));
}

static void test_user_malformed(void **state)
{
	struct mfa_user_rec r = sample_user(), back;
	uint8_t buf[MFA_REC_MAX], bad[MFA_REC_MAX];
	const char *error;
	size_t len;
	struct {
		const char *what;
		int off;	/* byte to set, -1 none */
		uint8_t val;
		long dlen;	/* length change */
	} cases[] = {
		{ "empty", -1, 0, -(long)(MFA_USER_REC_FIXED + 48) },
		{ "short fixed part", -1, 0, -(long)(48 + 1) },
		{ "sealed part cut", -1, 0, -1 },
		{ "a byte too many", -1, 0, 1 },
		{ "version 0", 0, 0, 0 },
		{ "version 2", 0, 2, 0 },
		{ "unknown algorithm", 1, MFA_TOTP_SHA512 + 1, 0 },
		{ "5 digits", 2, 5, 0 },
		{ "9 digits", 2, 9, 0 },
		{ "sealed length over the array", 33, 0xff, 0 },
		{ "sealed length one more", 32, 49, 0 },
	};

	(void)state;
	assert_int_equal(mfa_user_rec_encode(&r, buf, sizeof(buf), &len, &error), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, len);
		if (cases[i].off >= 0)
			bad[cases[i].off] = cases[i].val;
		error = NULL;
		if (mfa_user_rec_decode(bad, (size_t)((long)len + cases[i].dlen), &back, &error) != -1)
			fail_msg("user record accepted: %s", cases[i].what);
		assert_string_equal(error, "malformed user record");
		assert_int_equal(back.sealed_len, 0);
	}
	/* The encoder refuses what it cannot write. */
	r.sealed_len = sizeof(r.sealed) + 1;
	assert_int_equal(mfa_user_rec_encode(&r, buf, sizeof(buf), &len, &error), -1);
	assert_string_equal(error, "sealed secret too long");
	r = sample_user();
	assert_int_equal(mfa_user_rec_encode(&r, buf, MFA_USER_REC_FIXED + 47, &len, &error), -1);
}

static const char hmac_hex[] =
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void test_app_roundtrip(void **state)
{
	struct mfa_app_rec r, back;
	uint8_t buf[MFA_REC_MAX];
	const char *error = NULL;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	memcpy(r.id, "ab12", 4);
	r.scheme = MFA_APP_SCHEME_HMAC_SHA256;
	strcpy(r.name, "phone");
	strcpy(r.services, "imap,smtp");
	strcpy(r.hash, hmac_hex);
	r.created = 1600000000;
	r.last_used = 1700000000;
	assert_int_equal(mfa_app_rec_encode(&r, buf, sizeof(buf), &len, &error), 0);
	assert_int_equal(len, MFA_APP_REC_FIXED + 6 + 10 + 65);
	assert_int_equal(buf[0], 2);
	assert_int_equal(buf[1], MFA_APP_SCHEME_HMAC_SHA256);
	assert_memory_equal(buf + MFA_APP_REC_FIXED, "phone\0imap,smtp\0", 16);
	assert_int_equal(mfa_app_rec_decode("ab12", 4, buf, len, &back, &error), 0);
	assert_memory_equal(&back, &r, sizeof(r));
	/* Each maximum length fits MFA_REC_MAX. */
	memset(r.name, 'n', MFA_APP_NAME_MAX);
	memset(r.services, 's', MFA_APP_SERVICES_MAX);
	r.scheme = MFA_APP_SCHEME_YESCRYPT;
	memset(r.hash, 'h', MFA_APP_HASH_MAX);
	assert_int_equal(mfa_app_rec_encode(&r, buf, sizeof(buf), &len, &error), 0);
	assert_int_equal(len, MFA_REC_MAX);
	assert_int_equal(mfa_app_rec_decode("ab12", 4, buf, len, &back, &error), 0);
	assert_memory_equal(&back, &r, sizeof(r));
}

/* Version 1 (before issue 19): no scheme byte, always yescrypt. */
static void test_app_v1(void **state)
{
	static const uint8_t v1[] =
		"\x01" "\x00\xe1\xf5\x05\x00\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00"
		"mua\0\0$y$j9T$salt$hash";
	struct mfa_app_rec back;
	const char *error = NULL;

	(void)state;
	assert_int_equal(mfa_app_rec_decode("zz99", 4, v1, sizeof(v1), &back, &error), 0);
	assert_int_equal(back.scheme, MFA_APP_SCHEME_YESCRYPT);
	assert_int_equal(back.created, 100000000);
	assert_int_equal(back.last_used, 0);
	assert_string_equal(back.id, "zz99");
	assert_string_equal(back.name, "mua");
	assert_string_equal(back.services, "");
	assert_string_equal(back.hash, "$y$j9T$salt$hash");
}

static void test_app_malformed(void **state)
{
	struct mfa_app_rec r, back;
	uint8_t buf[MFA_REC_MAX], bad[MFA_REC_MAX];
	const char *error;
	size_t len, n;

	(void)state;
	memset(&r, 0, sizeof(r));
	memcpy(r.id, "ab12", 4);
	r.scheme = MFA_APP_SCHEME_HMAC_SHA256;
	strcpy(r.name, "phone");
	strcpy(r.hash, hmac_hex);
	assert_int_equal(mfa_app_rec_encode(&r, buf, sizeof(buf), &len, &error), 0);
	n = MFA_APP_REC_FIXED + 6 + 1;	/* offset of the hash */

#define BAD(what, id, idlen, l) do { \
		error = NULL; \
		if (mfa_app_rec_decode(id, idlen, bad, l, &back, &error) != -1) \
			fail_msg("app record accepted: %s", what); \
		assert_string_equal(error, "malformed app password record"); \
		assert_string_equal(back.hash, ""); \
	} while (0)
	memcpy(bad, buf, len);
	BAD("empty id", "", 0, len);
	BAD("id too long", "ab123", 5, len);
	BAD("short", "ab12", 4, MFA_APP_REC_FIXED_V1 - 1);
	BAD("last NUL missing", "ab12", 4, len - 1);
	bad[len] = 'x';
	BAD("trailing byte", "ab12", 4, len + 1);
	bad[0] = 3;
	BAD("version 3", "ab12", 4, len);
	memcpy(bad, buf, len);
	bad[1] = 2;
	BAD("unknown scheme", "ab12", 4, len);
	memcpy(bad, buf, len);
	bad[n] = 'A';
	BAD("HMAC tag upper case", "ab12", 4, len);
	memcpy(bad, buf, len);
	bad[n + 63] = '\0';
	bad[n + 64] = 'f';
	BAD("HMAC tag 63 digits", "ab12", 4, len);
	/* The encoder refuses a hash that does not fit its scheme. */
	strcpy(r.hash, "$y$yescrypt");
	assert_int_equal(mfa_app_rec_encode(&r, buf, sizeof(buf), &len, &error), -1);
	assert_string_equal(error, "app password hash does not fit its scheme");
	r.scheme = MFA_APP_SCHEME_YESCRYPT;
	r.hash[0] = '\0';
	assert_int_equal(mfa_app_rec_encode(&r, buf, sizeof(buf), &len, &error), -1);
}

static void test_ip(void **state)
{
	struct mfa_ip_rec r = { 7, 1700000000 }, back;
	uint8_t buf[MFA_REC_MAX];
	const char *error = NULL;
	size_t len;

	(void)state;
	assert_int_equal(mfa_ip_rec_encode(&r, buf, sizeof(buf), &len, &error), 0);
	assert_int_equal(len, MFA_IP_REC_LEN);
	assert_memory_equal(buf, "\x01\x07\x00\x00\x00\x00\xf1\x53\x65\x00\x00\x00\x00", 13);
	assert_int_equal(mfa_ip_rec_decode(buf, len, &back, &error), 0);
	assert_int_equal(back.failures, 7);
	assert_int_equal(back.since, 1700000000);
	assert_int_equal(mfa_ip_rec_decode(buf, len - 1, &back, &error), -1);
	assert_string_equal(error, "malformed ip record");
	assert_int_equal(mfa_ip_rec_decode(buf, len + 1, &back, &error), -1);
	buf[0] = 2;
	assert_int_equal(mfa_ip_rec_decode(buf, len, &back, &error), -1);
	assert_int_equal(mfa_ip_rec_encode(&r, buf, MFA_IP_REC_LEN - 1, &len, &error), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_layout),
		cmocka_unit_test(test_user_malformed),
		cmocka_unit_test(test_app_roundtrip),
		cmocka_unit_test(test_app_v1),
		cmocka_unit_test(test_app_malformed),
		cmocka_unit_test(test_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
