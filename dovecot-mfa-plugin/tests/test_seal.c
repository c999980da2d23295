/*++
 * NAME
 *	test_seal 1
 * SUMMARY
 *	unit tests for mfa_seal.c: AES-256-GCM round trip bound to the user,
 *	tampering, key files (create, load, secrecy check)
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mfa_seal.h"

static const uint8_t key1[MFA_KEY_LEN] = { 1, 2, 3, 4, 5 };
static const uint8_t key2[MFA_KEY_LEN] = { 9, 9, 9 };
static const uint8_t secret[20] = "12345678901234567890";

struct open_case {
	const char *name;
	const uint8_t *key;
	const char *user;
	int flip;		/* byte to flip, -1 none */
	int want;
};

static const struct open_case open_cases[] = {
	{ "same key and user", key1, "alice@lab.example", -1, 0 },
	{ "other user (record moved)", key1, "bob@lab.example", -1, -1 },
	{ "other key", key2, "alice@lab.example", -1, -1 },
	{ "nonce changed", key1, "alice@lab.example", 0, -1 },
	{ "ciphertext changed", key1, "alice@lab.example", MFA_NONCE_LEN + 3, -1 },
	{ "tag changed", key1, "alice@lab.example", MFA_NONCE_LEN + 20 + 5, -1 },
};

static void test_roundtrip_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++) {
		const struct open_case *c = &open_cases[i];
		uint8_t sealed[64 + MFA_SEAL_OVERHEAD], plain[64];
		size_t slen, plen;
		const char *error;
		int r;

		assert_int_equal(mfa_seal(key1, "alice@lab.example", secret, 20, sealed,
					  sizeof(sealed), &slen, &error), 0);
		assert_int_equal(slen, 20 + MFA_SEAL_OVERHEAD);
		/* The plaintext is not in the sealed bytes. */
		assert_null(memmem(sealed, slen, secret, 8));
		if (c->flip >= 0)
			sealed[c->flip] ^= 0x01;
		r = mfa_unseal(c->key, c->user, sealed, slen, plain, sizeof(plain),
			       &plen, &error);
		if (r != c->want)
			fail_msg("%s: got %d", c->name, r);
		if (r == 0)
			assert_memory_equal(plain, secret, 20);
	}
}

static void test_nonce_fresh(void **state)
{
	uint8_t a[64], b[64];
	size_t la, lb;
	const char *error;

	(void)state;
	assert_int_equal(mfa_seal(key1, "u", secret, 20, a, sizeof(a), &la, &error), 0);
	assert_int_equal(mfa_seal(key1, "u", secret, 20, b, sizeof(b), &lb, &error), 0);
	assert_memory_not_equal(a, b, MFA_NONCE_LEN);
	/* Too small an output buffer and a short input are errors. */
	assert_int_equal(mfa_seal(key1, "u", secret, 20, a, 30, &la, &error), -1);
	assert_int_equal(mfa_unseal(key1, "u", a, 10, b, sizeof(b), &lb, &error), -1);
}

static void test_key_files(void **state)
{
	char dir[] = "/tmp/mfa-test-seal.XXXXXX", path[256];
	uint8_t k1[MFA_KEY_LEN], k2[MFA_KEY_LEN];
	const char *error;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	assert_int_equal(mfa_key_create(path, k1, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(mfa_key_load(path, k2, &error), 0);
	assert_memory_equal(k1, k2, MFA_KEY_LEN);
	/* Never overwrite an existing key by "create". */
	assert_int_equal(mfa_key_create(path, k2, &error), -1);
	/* A group-readable key is refused. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(mfa_key_load(path, k2, &error), -1);
	assert_non_null(strstr(error, "chmod 600"));
	/* Atomic rewrite keeps mode 0600 and the new content. */
	assert_int_equal(mfa_key_write(path, key2, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(mfa_key_load(path, k2, &error), 0);
	assert_memory_equal(k2, key2, MFA_KEY_LEN);
	/* Missing and malformed files. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mfa_key_load(path, k2, &error), -1);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("zz not hex at all, but long enough to be read as a key file....\n", fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(mfa_key_load(path, k2, &error), -1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_table),
		cmocka_unit_test(test_nonce_fresh),
		cmocka_unit_test(test_key_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
