/*++
 * NAME
 *	test_str 1
 * SUMMARY
 *	unit tests for str.c: str_copy, ms_str_parse_uint, str_trim, str_lower
 *--*/
#include "test_util.h"

#include <messec/str.h>

struct copy_case {
	const char *name, *src;
	size_t size;
	const char *want;
	size_t want_ret;
};

static const struct copy_case copy_cases[] = {
	{ "copy fits", "abc", 8, "abc", 3 },
	{ "copy exact fit", "abc", 4, "abc", 3 },
	{ "copy truncates and reports", "abcdef", 4, "abc", 6 },
	{ "copy into size 1", "abc", 1, "", 3 },
	{ "copy empty", "", 4, "", 0 },
};

static void test_copy(void **state)
{
	const struct copy_case *c = *state;
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(str_copy(buf, c->src, c->size), c->want_ret);
	assert_string_equal(buf, c->want);
}

static void test_copy_size0(void **state)
{
	char buf[2] = { 'X', 'Y' };

	assert_int_equal(str_copy(buf, "abc", 0), 3);
	assert_int_equal(buf[0], 'X');
}

struct uint_case {
	const char *name, *s;
	uint64_t min, max;
	int want_rc;
	uint64_t want;
};

static const struct uint_case uint_cases[] = {
	{ "uint plain", "42", 0, 100, 0, 42 },
	{ "uint zero", "0", 0, 100, 0, 0 },
	{ "uint at max", "100", 0, 100, 0, 100 },
	{ "uint above max", "101", 0, 100, -1, 0 },
	{ "uint below min", "4", 5, 100, -1, 0 },
	{ "uint empty", "", 0, 100, -1, 0 },
	{ "uint sign", "+1", 0, 100, -1, 0 },
	{ "uint negative", "-1", 0, 100, -1, 0 },
	{ "uint leading space", " 1", 0, 100, -1, 0 },
	{ "uint trailing junk", "1x", 0, 100, -1, 0 },
	{ "uint hex", "0x10", 0, 100, -1, 0 },
	{ "uint max u64", "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "uint overflow u64", "18446744073709551616", 0, UINT64_MAX, -1, 0 },
	{ "uint long overflow", "99999999999999999999999", 0, UINT64_MAX, -1, 0 },
};

static void test_uint(void **state)
{
	const struct uint_case *c = *state;
	uint64_t v = 12345;

	assert_int_equal(ms_str_parse_uint(c->s, c->min, c->max, &v), c->want_rc);
	if (c->want_rc == 0)
		assert_true(v == c->want);
	else
		assert_true(v == 12345);
}

struct trim_case {
	const char *name, *in, *want;
};

static const struct trim_case trim_cases[] = {
	{ "trim both", "  a b \t\r\n", "a b" },
	{ "trim none", "ab", "ab" },
	{ "trim all space", " \t ", "" },
	{ "trim empty", "", "" },
};

static void test_trim(void **state)
{
	const struct trim_case *c = *state;
	char buf[64];

	str_copy(buf, c->in, sizeof(buf));
	assert_string_equal(str_trim(buf), c->want);
}

static void test_lower(void **state)
{
	char buf[] = "MiXeD-09\xc3\x89";

	str_lower(buf);
	assert_string_equal(buf, "mixed-09\xc3\x89");
}

static void test_xalloc(void **state)
{
	char *s = xstrndup("abcdef", 3);
	char *t = xstrdup("");
	int *v = xcalloc(4, sizeof(int));

	assert_string_equal(s, "abc");
	assert_string_equal(t, "");
	assert_int_equal(v[3], 0);
	v = xrealloc(v, 100 * sizeof(int));
	v[99] = 1;
	free(s);
	free(t);
	free(v);
	free(xmalloc(0));
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, copy_cases, test_copy);
	tests_add(&l, "copy size 0 writes nothing", test_copy_size0, NULL);
	tests_add_table(&l, uint_cases, test_uint);
	tests_add_table(&l, trim_cases, test_trim);
	tests_add(&l, "lower ASCII only", test_lower, NULL);
	tests_add(&l, "x allocators", test_xalloc, NULL);
	return tests_run(&l, "str", NULL, NULL);
}
