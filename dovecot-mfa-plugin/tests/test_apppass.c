/*++
 * NAME
 *	test_apppass 1
 * SUMMARY
 *	unit tests for mfa_apppass.c: shape, yescrypt hashing and verification
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mfa_apppass.h"

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
	{ "valid", "abcd-efgh-ijkl-mnop-qrst-uvwx-yz23", 1 },
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_shape),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_hash_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
