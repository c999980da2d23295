/*++
 * NAME
 *	test_secret 1
 * SUMMARY
 *	unit tests for secret.c: compare, wipe, random, file secrecy check
 *--*/
#include "test_util.h"

#include <sys/stat.h>

#include <messec/secret.h>

static void test_equal(void **state)
{
	assert_true(secret_equal("123456", 6, "123456", 6));
	assert_false(secret_equal("123456", 6, "123457", 6));
	assert_false(secret_equal("123456", 6, "12345", 5));
	assert_true(secret_equal("", 0, "", 0));
}

static void test_wipe(void **state)
{
	char buf[8] = "secret!";
	static const char zero[8];

	secret_wipe(buf, sizeof(buf));
	assert_memory_equal(buf, zero, sizeof(buf));
	secret_wipe(NULL, 0);
}

static void test_random(void **state)
{
	unsigned char a[32], b[32];

	assert_int_equal(secret_random(a, sizeof(a)), 0);
	assert_int_equal(secret_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(secret_random(a, 0), 0);
}

struct file_case {
	const char *name;
	mode_t mode;
	int key;
	int want_rc;
	const char *want_err;	/* substring */
};

static const struct file_case file_cases[] = {
	{ "file 0600 key ok", 0600, 1, 0, NULL },
	{ "file 0400 key ok", 0400, 1, 0, NULL },
	{ "file 0644 non-key ok", 0644, 0, 0, NULL },
	{ "file 0640 key refused", 0640, 1, -1, "group/world readable key" },
	{ "file 0604 key refused", 0604, 1, -1, "group/world readable key" },
	{ "file 0620 refused", 0620, 0, -1, "group/world writable" },
	{ "file 0602 refused", 0602, 0, -1, "group/world writable" },
};

static void test_file(void **state)
{
	const struct file_case *c = *state;
	char *dir = test_tmpdir();
	char *path = test_write_file(dir, "key", "k", 1);
	const char *err = NULL;

	assert_int_equal(chmod(path, c->mode), 0);
	assert_int_equal(secret_file_check(path, getuid(), c->key, &err), c->want_rc);
	if (c->want_err != NULL)
		assert_non_null(strstr(err, c->want_err));
	free(path);
	test_rmtree(&dir);
}

static void test_file_missing(void **state)
{
	const char *err = NULL;

	assert_int_equal(secret_file_check("/nonexistent/messec/key", 0, 1, &err), -1);
	assert_string_equal(err, "/nonexistent/messec/key: No such file or directory");
}

static void test_file_dir(void **state)
{
	char *dir = test_tmpdir();
	const char *err = NULL;

	assert_int_equal(secret_file_check(dir, getuid(), 0, &err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	test_rmtree(&dir);
}

static void test_file_owner(void **state)
{
	char *dir = test_tmpdir();
	char *path = test_write_file(dir, "key", "k", 1);
	const char *err = NULL;

	chmod(path, 0600);
	if (getuid() == 0) {
		/* Owned by root: accepted whatever owner_uid says. */
		assert_int_equal(secret_file_check(path, 4242, 1, &err), 0);
		assert_int_equal(chown(path, 4242, 0), 0);
		assert_int_equal(secret_file_check(path, 4243, 1, &err), -1);
		assert_non_null(strstr(err, "owned by uid 4242"));
		assert_int_equal(secret_file_check(path, 4242, 1, &err), 0);
	}
	free(path);
	test_rmtree(&dir);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "equal: constant-time compare, lengths", test_equal, NULL);
	tests_add(&l, "wipe zeroes", test_wipe, NULL);
	tests_add(&l, "random fills", test_random, NULL);
	tests_add_table(&l, file_cases, test_file);
	tests_add(&l, "file missing", test_file_missing, NULL);
	tests_add(&l, "file is a directory", test_file_dir, NULL);
	tests_add(&l, "file owner root or daemon user", test_file_owner, NULL);
	return tests_run(&l, "secret", NULL, NULL);
}
