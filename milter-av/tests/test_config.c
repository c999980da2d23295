/*++
 * NAME
 *	test_config - messec-milter-av's key table: defaults, every getter, errors
 *--*/
#include "../../common/tests/test_util.h"
#include "config.h"

static void test_defaults(void **state)
{
	struct av_config *c = av_config_load_string("", stderr);

	assert_non_null(c);
	assert_string_equal(c->database_dir, "/var/lib/clamav");
	assert_int_equal(c->actions.infected, AV_HIT_REJECT);
	assert_int_equal(c->actions.policy, AV_HIT_REJECT);
	assert_int_equal(c->actions.encrypted, AV_HIT_REJECT);
	assert_int_equal(c->actions.macro, AV_HIT_OFF);
	assert_int_equal(c->actions.oversize, AV_UNSCANNED_TEMPFAIL);
	assert_int_equal(c->actions.error, AV_UNSCANNED_TEMPFAIL);	/* safe default */
	assert_int_equal(c->memory_spool_max, 1 << 20);
	assert_int_equal(c->limits.max_scan_time_ms, 120000);
	assert_true(c->double_extensions);
	assert_non_null(c->blocked_extensions);
	av_config_release(&c);
}

static void test_values(void **state)
{
	struct av_config *c = av_config_load_string(
		"infected_action = quarantine\nerror_action = accept\noversize_action = accept\n"
		"blocked_extensions = exe, js\nmax_message_size = 2M\nmacro_action = tag\n", stderr);

	assert_non_null(c);
	assert_int_equal(c->actions.infected, AV_HIT_QUARANTINE);
	assert_int_equal(c->actions.error, AV_UNSCANNED_ACCEPT);
	assert_int_equal(c->actions.macro, AV_HIT_TAG);
	assert_string_equal(c->blocked_extensions[0], "exe");
	assert_string_equal(c->blocked_extensions[1], "js");
	assert_null(c->blocked_extensions[2]);
	assert_int_equal(c->max_message_size, 2 << 20);
	av_config_release(&c);
}

struct bad { const char *name, *text; };
static const struct bad bads[] = {
	{ "infected_action off is refused (a virus is never let through silently)", "infected_action = off\n" },
	{ "unknown key", "bogus = 1\n" },
	{ "error_action bad word", "error_action = pass\n" },
	{ "max_recursion out of range", "max_recursion = 0\n" },
	{ "relative database_dir", "database_dir = clamav\n" },
};

static void test_bad(void **state)
{
	const struct bad *b = *state;
	FILE *err = tmpfile();
	struct av_config *c = av_config_load_string(b->text, err);

	assert_null(c);
	fclose(err);
}

/* The sample config (run from the top of the tree, as make check does)
   loads, and documents every declared key. */
static void test_sample(void **state)
{
	const char *path = "milter-av/messec-milter-av.conf";
	struct av_config *c = av_config_load(path, 0, stderr);
	const struct cfg_def *d;
	char *text, line[200];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(c);
	assert_non_null(f);
	text = calloc(1, 65536);
	n = fread(text, 1, 65535, f);
	fclose(f);
	assert_true(n > 0);
	for (d = av_config_defs; d->name != NULL; d++) {
		snprintf(line, sizeof(line), "\n%s =", d->name);
		if (strstr(text, line) == NULL)
			fail_msg("key %s not in the sample config", d->name);
	}
	free(text);
	av_config_release(&c);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "defaults: every key read, safe actions", test_defaults, NULL);
	tests_add(&l, "values from text", test_values, NULL);
	tests_add_table(&l, bads, test_bad);
	tests_add(&l, "sample config loads and shows every key", test_sample, NULL);
	return tests_run(&l, "milter-av config", NULL, NULL);
}
