/*++
 * NAME
 *	test_apppass 1
 * SUMMARY
 *	unit tests for mfa_apppass.c: shapes (v2 and v1), the HMAC-SHA-256
 *	scheme (HKDF key, user binding, constant-time check), the old yescrypt
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mfa_apppass.h"

static void test_new_shape(void **state)
{
	static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";
	char a[MFA_APPPASS2_LEN + 1], b[MFA_APPPASS2_LEN + 1], id[5];
	unsigned int seen[256] = { 0 };
	const char *error;

	(void)state;
	assert_int_equal(mfa_apppass_new(b, &error), 0);
	for (int n = 0; n < 200; n++) {
		assert_int_equal(mfa_apppass_new(a, &error), 0);
		assert_int_equal(strlen(a), MFA_APPPASS2_LEN);
		assert_string_not_equal(a, b);
		assert_int_equal(mfa_apppass_parse(a, strlen(a), id), MFA_APPPASS_V2);
		assert_memory_equal(id, a, 4);
		for (size_t i = 0; i < MFA_APPPASS2_LEN; i++) {
			if (i % 5 == 4)
				assert_int_equal(a[i], '-');
			else
				seen[(unsigned char)a[i]]++;
		}
		/* never ends in a 6-digit code */
		assert_int_equal(a[MFA_APPPASS2_LEN - 5], '-');
	}
	/* only the 31 unambiguous characters, and (6400 draws) every one */
	for (int c = 0; c < 256; c++) {
		if (c != 0 && strchr(alphabet, c) != NULL)
			assert_true(seen[c] > 0);
		else
			assert_int_equal(seen[c], 0);
	}
	/* >= 128 bits in the 7 secret groups: 28 * log2(31) = 138.7 */
	assert_true((MFA_APPPASS2_GROUPS - 1) * 4 * 4.95 >= 128);
}

static void test_generate_shape(void **state)
{
	char a[MFA_APPPASS_LEN + 1], b[MFA_APPPASS_LEN + 1], id[5];
	const char *error;

	(void)state;
	assert_int_equal(mfa_apppass_generate(a, &error), 0);
	assert_int_equal(mfa_apppass_generate(b, &error), 0);
	assert_int_equal(strlen(a), MFA_APPPASS_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(mfa_apppass_parse(a, strlen(a), id), 1);
	assert_memory_equal(id, a, 4);
	/* never ends in a 6-digit code */
	assert_int_equal(a[MFA_APPPASS_LEN - 5], '-');
}

struct parse_case {
	const char *name;
	const char *input;
	int want;
};

static const struct parse_case parse_cases[] = {
	{ "v2 valid", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789a", MFA_APPPASS_V2 },
	{ "v2 with 0 (ambiguous)", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789" "0", 0 },
	{ "v2 with o", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789o", 0 },
	{ "v2 with 1", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-7891", 0 },
	{ "v2 with l", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789l", 0 },
	{ "v2 with i", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789i", 0 },
	{ "v2 upper case", "ABCD-efgh-jkmn-pqrs-tuvw-xyz2-3456-789a", 0 },
	{ "v2 missing dash", "abcd-efgh-jkmn-pqrs-tuvwxxyz2-3456-789a", 0 },
	{ "v2 one group more", "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789a-bcde", 0 },
	{ "v1 valid", "abcd-efgh-ijkl-mnop-qrst-uvwx-yz23", MFA_APPPASS_V1 },
	{ "upper case", "ABCD-efgh-ijkl-mnop-qrst-uvwx-yz23", 0 },
	{ "digit 1 not in alphabet", "abcd-efgh-ijkl-mnop-qrst-uvwx-yz21", 0 },
	{ "missing dash", "abcdxefgh-ijkl-mnop-qrst-uvwx-yz23", 0 },
	{ "short", "abcd-efgh-ijkl-mnop-qrst-uvwx-yz2", 0 },
	{ "password plus code", "alice-lab-pw123456", 0 },
};

static void test_parse_table(void **state)
{
	char id[5];

	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		if (mfa_apppass_parse(c->input, strlen(c->input), id) != c->want)
			fail_msg("%s", c->name);
	}
}

/* HMAC-SHA-256(HKDF-SHA-256(key 00..1f, no salt, info "messec-mfa
   app-password hmac-sha256 v1"), "alice@lab.example" NUL password) */
#define KAT_TAG "2a20bd34dd17bdc817aab9e4cdba38b6090266190baa8b298da5e27901bf5685"

static const uint8_t key1[MFA_KEY_LEN] = { 1, 2, 3 };
static const uint8_t key2[MFA_KEY_LEN] = { 1, 2, 4 };

static void test_tag_check(void **state)
{
	char pw[MFA_APPPASS2_LEN + 1], tag[MFA_APPPASS_TAG_HEX + 1];
	char other[MFA_APPPASS_TAG_HEX + 1];
	const char *error;
	size_t len;

	(void)state;
	assert_int_equal(mfa_apppass_new(pw, &error), 0);
	len = strlen(pw);
	assert_int_equal(mfa_apppass_tag(key1, "alice", pw, len, tag, sizeof(tag), &error), 0);
	assert_int_equal(strlen(tag), MFA_APPPASS_TAG_HEX);
	assert_int_equal(strspn(tag, "0123456789abcdef"), MFA_APPPASS_TAG_HEX);
	/* deterministic: the login recomputes it */
	assert_int_equal(mfa_apppass_tag(key1, "alice", pw, len, other, sizeof(other), &error), 0);
	assert_string_equal(tag, other);
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, len,
					   MFA_APP_SCHEME_HMAC_SHA256, tag, &error), 1);
	/* another key (a store without its key file), another user (a
	   record copied to another user), another password: no match */
	assert_int_equal(mfa_apppass_check(key2, "alice", pw, len,
					   MFA_APP_SCHEME_HMAC_SHA256, tag, &error), 0);
	assert_int_equal(mfa_apppass_check(key1, "alicf", pw, len,
					   MFA_APP_SCHEME_HMAC_SHA256, tag, &error), 0);
	pw[20] = pw[20] == 'a' ? 'b' : 'a';
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, len,
					   MFA_APP_SCHEME_HMAC_SHA256, tag, &error), 0);
	/* malformed stored tag, unknown scheme, overlong input: errors */
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, len,
					   MFA_APP_SCHEME_HMAC_SHA256, "abcd", &error), -1);
	tag[0] = 'x';
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, len,
					   MFA_APP_SCHEME_HMAC_SHA256, tag, &error), -1);
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, len,
					   (enum mfa_app_scheme)7, tag, &error), -1);
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, MFA_APPPASS_MAX + 1,
					   MFA_APP_SCHEME_HMAC_SHA256, tag, &error), -1);
	assert_int_equal(mfa_apppass_tag(key1, "alice", pw, len, tag, 64, &error), -1);
}

/* A known answer computed with another implementation (Python's hmac and
   an RFC 5869 HKDF), so the scheme is pinned: a change of label, message
   layout or hash would strand every stored app password. */
static void test_tag_known_answer(void **state)
{
	uint8_t key[MFA_KEY_LEN];
	char tag[MFA_APPPASS_TAG_HEX + 1];
	const char *pw = "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789a", *error;

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	assert_int_equal(mfa_apppass_tag(key, "alice@lab.example", pw, strlen(pw),
					 tag, sizeof(tag), &error), 0);
	assert_string_equal(tag, KAT_TAG);
}

static void test_hash_verify(void **state)
{
	char pw[MFA_APPPASS_LEN + 1], hash[256], other[256];
	const char *error;

	(void)state;
	assert_int_equal(mfa_apppass_generate(pw, &error), 0);
	assert_int_equal(mfa_apppass_hash(pw, hash, sizeof(hash), &error), 0);
	/* crypt(3) yescrypt, no plaintext in the hash */
	assert_int_equal(strncmp(hash, "$y$", 3), 0);
	assert_null(strstr(hash, pw));
	assert_int_equal(mfa_apppass_verify(pw, hash, &error), 1);
	pw[7] = pw[7] == 'a' ? 'b' : 'a';
	assert_int_equal(mfa_apppass_verify(pw, hash, &error), 0);
	/* same password, fresh salt, different hash */
	assert_int_equal(mfa_apppass_hash(pw, other, sizeof(other), &error), 0);
	assert_int_equal(mfa_apppass_hash(pw, hash, sizeof(hash), &error), 0);
	assert_string_not_equal(hash, other);
	/* unusable stored hash is an error, not a mismatch */
	assert_int_equal(mfa_apppass_verify(pw, "*", &error), -1);
	assert_int_equal(mfa_apppass_hash(pw, hash, 10, &error), -1);
	/* the same through mfa_apppass_check() */
	assert_int_equal(mfa_apppass_hash(pw, hash, sizeof(hash), &error), 0);
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, strlen(pw),
					   MFA_APP_SCHEME_YESCRYPT, hash, &error), 1);
	pw[7] = pw[7] == 'a' ? 'b' : 'a';
	assert_int_equal(mfa_apppass_check(key1, "alice", pw, strlen(pw),
					   MFA_APP_SCHEME_YESCRYPT, hash, &error), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_shape),
		cmocka_unit_test(test_tag_check),
		cmocka_unit_test(test_tag_known_answer),
		cmocka_unit_test(test_generate_shape),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_hash_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
