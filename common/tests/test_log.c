/*++
 * NAME
 *	test_log 1
 * SUMMARY
 *	unit tests for log.c: levels, handler, errno suffix, ms_str_sanitize
 *--*/
#include "test_util.h"

#include <errno.h>

#include <messec/log.h>

struct capture {
	int count;
	enum log_level level;
	char text[512];
};

static void capture_fn(enum log_level level, const char *text, void *ctx)
{
	struct capture *cap = ctx;

	cap->count++;
	cap->level = level;
	snprintf(cap->text, sizeof(cap->text), "%s", text);
}

static void test_levels(void **state)
{
	struct capture cap = { 0 };

	log_init("test_log", 1, LOG_LEVEL_INFO);
	log_set_handler(capture_fn, &cap);
	log_debug("hidden %d", 1);
	assert_int_equal(cap.count, 0);
	log_info("shown %d", 2);
	assert_int_equal(cap.count, 1);
	assert_string_equal(cap.text, "shown 2");
	assert_int_equal(cap.level, LOG_LEVEL_INFO);
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("now shown");
	assert_int_equal(cap.count, 2);
	log_set_level(LOG_LEVEL_ERROR);
	log_warnx("hidden");
	log_error("error %s", "x");
	assert_int_equal(cap.count, 3);
	assert_int_equal(cap.level, LOG_LEVEL_ERROR);
	log_set_level(LOG_LEVEL_INFO);
	log_set_handler(NULL, NULL);
}

static void test_errno(void **state)
{
	struct capture cap = { 0 };

	log_set_handler(capture_fn, &cap);
	errno = ENOENT;
	log_warn("open %s", "/x");
	assert_string_equal(cap.text, "open /x: No such file or directory");
	assert_int_equal(errno, ENOENT);
	log_warnx("plain");
	assert_string_equal(cap.text, "plain");
	log_verdict("4XyZ1", "dmarc=%s", "fail");
	assert_string_equal(cap.text, "4XyZ1: dmarc=fail");
	log_verdict(NULL, "x");
	assert_string_equal(cap.text, "NOQUEUE: x");
	log_set_handler(NULL, NULL);
}

static void test_level_parse(void **state)
{
	enum log_level l;

	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("WARNING", &l), 0);
	assert_int_equal(l, LOG_LEVEL_WARNING);
	assert_int_equal(log_level_parse("error", &l), 0);
	assert_int_equal(l, LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("loud", &l), -1);
}

struct san_case {
	const char *name, *src;
	size_t dst_size, max;
	const char *want;
};

static const struct san_case san_cases[] = {
	{ "sanitize plain", "hello", 64, 80, "hello" },
	{ "sanitize control chars", "a\r\nb\tc\x1b", 64, 80, "a??b?c?" },
	{ "sanitize high bytes", "caf\xc3\xa9", 64, 80, "caf??" },
	{ "sanitize cut with dots", "abcdefgh", 64, 4, "abcd..." },
	{ "sanitize exact length no dots", "abcd", 64, 4, "abcd" },
	{ "sanitize small dst", "abcdefgh", 6, 80, "ab..." },
	{ "sanitize tiny dst", "abcdefgh", 2, 80, "" },
};

static void test_sanitize(void **state)
{
	const struct san_case *c = *state;
	char buf[64];

	assert_string_equal(ms_str_sanitize(buf, c->dst_size, c->src, c->max), c->want);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "levels filter, handler receives", test_levels, NULL);
	tests_add(&l, "warn appends strerror, verdict prefix", test_errno, NULL);
	tests_add(&l, "level names", test_level_parse, NULL);
	tests_add_table(&l, san_cases, test_sanitize);
	return tests_run(&l, "log", NULL, NULL);
}
