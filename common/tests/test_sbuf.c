/*++
 * NAME
 *	test_sbuf 1
 * SUMMARY
 *	unit tests for sbuf.c: growth, hard cap, NUL termination, consume
 *--*/
#include "test_util.h"

#include <messec/sbuf.h>

static void test_append_grow(void **state)
{
	struct sbuf *b = sbuf_new(100000);
	size_t i;

	for (i = 0; i < 1000; i++)
		assert_int_equal(sbuf_append_str(b, "0123456789"), 0);
	assert_int_equal(sbuf_len(b), 10000);
	assert_int_equal(sbuf_str(b)[10000], '\0');
	assert_memory_equal(sbuf_data(b) + 9990, "0123456789", 10);
	sbuf_free(&b);
	assert_null(b);
	sbuf_free(&b);
}

static void test_cap(void **state)
{
	struct sbuf *b = sbuf_new(8);

	assert_int_equal(sbuf_append_str(b, "12345"), 0);
	assert_int_equal(sbuf_append_str(b, "6789"), -1);
	/* A failed append leaves the buffer untouched. */
	assert_string_equal(sbuf_str(b), "12345");
	assert_int_equal(sbuf_append_str(b, "678"), 0);
	assert_string_equal(sbuf_str(b), "12345678");
	assert_int_equal(sbuf_append(b, "", 0), 0);
	assert_int_equal(sbuf_append(b, "x", 1), -1);
	assert_int_equal(sbuf_max(b), 8);
	sbuf_free(&b);
}

static void test_printf(void **state)
{
	struct sbuf *b = sbuf_new(16);

	assert_int_equal(sbuf_printf(b, "%s=%d", "abc", 42), 0);
	assert_string_equal(sbuf_str(b), "abc=42");
	assert_int_equal(sbuf_printf(b, "%s", "this is far too long"), -1);
	assert_string_equal(sbuf_str(b), "abc=42");
	assert_int_equal(sbuf_printf(b, "%010d", 7), 0);
	assert_string_equal(sbuf_str(b), "abc=420000000007");
	sbuf_free(&b);
}

static void test_consume_reset(void **state)
{
	struct sbuf *b = sbuf_new(64);

	sbuf_append_str(b, "line1\nline2\n");
	sbuf_consume(b, 6);
	assert_string_equal(sbuf_str(b), "line2\n");
	sbuf_consume(b, 6);
	assert_int_equal(sbuf_len(b), 0);
	assert_string_equal(sbuf_str(b), "");
	sbuf_append_str(b, "x");
	sbuf_reset(b);
	assert_string_equal(sbuf_str(b), "");
	sbuf_free(&b);
}

static void test_binary(void **state)
{
	struct sbuf *b = sbuf_new(4);

	assert_int_equal(sbuf_append(b, "a\0b", 3), 0);
	assert_int_equal(sbuf_len(b), 3);
	assert_memory_equal(sbuf_data(b), "a\0b\0", 4);
	sbuf_free(&b);
}

static void test_zero_cap(void **state)
{
	struct sbuf *b = sbuf_new(0);

	assert_int_equal(sbuf_append(b, "", 0), 0);
	assert_int_equal(sbuf_append(b, "x", 1), -1);
	assert_string_equal(sbuf_str(b), "");
	sbuf_free(&b);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "append grows to 10000 bytes", test_append_grow, NULL);
	tests_add(&l, "hard cap, failed append leaves buffer", test_cap, NULL);
	tests_add(&l, "printf within and over the cap", test_printf, NULL);
	tests_add(&l, "consume and reset", test_consume_reset, NULL);
	tests_add(&l, "binary data stays NUL-terminated", test_binary, NULL);
	tests_add(&l, "cap 0", test_zero_cap, NULL);
	return tests_run(&l, "sbuf", NULL, NULL);
}
