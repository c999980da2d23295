/*++
 * NAME
 *	test_config 1
 * SUMMARY
 *	unit tests for config.c: the key table, derived actions, errors
 * DESCRIPTION
 *	Each case is a config text; the wanted result is either a derived
 *	value check or the error lines ("name:line: ..."), every one of them.
 *	Plus the reference-counted swap used by SIGHUP reload.
 *--*/
#include "../../common/tests/test_util.h"

#include "config.h"

struct err_case {
	const char *name;
	const char *text;
	const char *want[3];	/* substrings of the error output, in order */
};

static const struct err_case err_cases[] = {
	{ "unknown key", "authserv_id = mx.example\nno_such_key = 1\n",
	  { "test.conf:2:", "no_such_key" } },
	{ "bad action word", "dmarc_reject_action = discard\n",
	  { "test.conf:1:", "dmarc_reject_action" } },
	{ "quarantine action not allowed for p=none", "dmarc_none_action = reject\n",
	  { "test.conf:1:", "dmarc_none_action" } },
	{ "max_headers below its minimum", "\n\nmax_headers = 5\n",
	  { "test.conf:3:", "max_headers" } },
	{ "header bytes above max", "max_header_bytes = 1G\n",
	  { "test.conf:1:", "max_header_bytes" } },
	{ "socket_mode not octal", "authserv_id = a\nsocket_mode = 999\n",
	  { "test.conf:2:", "socket_mode" } },
	{ "tag_header with a space", "tag_header = \"X Bad\"\n",
	  { "test.conf:1:", "tag_header" } },
	{ "tag_header with a colon", "tag_header = X-Bad:\n",
	  { "test.conf:1:", "tag_header" } },
	{ "metrics_listen must be inet", "metrics_listen = unix:/tmp/m.sock\n",
	  { "test.conf:1:", "metrics_listen" } },
	{ "pid_file must be absolute", "pid_file = run/x.pid\n",
	  { "test.conf:1:", "pid_file" } },
	{ "bad network", "trusted_networks = 192.0.2.1/24\n",
	  { "test.conf:1:", "trusted_networks" } },
	{ "every error reported", "max_headers = 1\ndmarc_reject_action = x\n",
	  { "test.conf:1:", "test.conf:2:" } },
	{ "bad time", "spf_timeout = soon\n", { "test.conf:1:", "spf_timeout" } },
};

static void test_error(void **state)
{
	const struct err_case *c = *state;
	char *out = NULL;
	size_t len = 0, i;
	FILE *err = open_memstream(&out, &len);
	struct ma_config *mc;
	const char *at;

	assert_non_null(err);
	mc = ma_config_load_string("test.conf", c->text, err);
	fclose(err);
	assert_null(mc);
	at = out;
	for (i = 0; i < 3 && c->want[i] != NULL; i++) {
		const char *hit = strstr(at, c->want[i]);

		if (hit == NULL)
			fail_msg("wanted \"%s\" in: %s", c->want[i], out);
		at = hit + strlen(c->want[i]);
	}
	free(out);
}

static struct ma_config *load_ok(const char *text)
{
	char *out = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&out, &len);
	struct ma_config *mc;

	assert_non_null(err);
	mc = ma_config_load_string("ok.conf", text, err);
	fclose(err);
	if (mc == NULL)
		fail_msg("unexpected config errors: %s", out);
	free(out);
	return mc;
}

static void test_defaults(void **state)
{
	struct ma_config *mc = load_ok("");

	(void) state;
	assert_int_equal(mc->policy.dmarc_reject, MA_ACTION_REJECT);
	assert_int_equal(mc->policy.dmarc_quarantine, MA_ACTION_QUARANTINE);
	assert_int_equal(mc->policy.dmarc_none, MA_ACTION_ACCEPT);
	assert_int_equal(mc->policy.temperror, MA_ACTION_ACCEPT);
	assert_int_equal(mc->policy.internal_error, MA_ACTION_TEMPFAIL);
	assert_int_equal(mc->policy.limits, MA_ACTION_REJECT);
	assert_int_equal(mc->policy.missing_from, MA_ACTION_REJECT);
	assert_int_equal(mc->policy.multiple_from, MA_ACTION_REJECT);
	assert_int_equal(mc->policy.multiple_from_first, 0);
	assert_true(mc->authserv_id[0] != '\0');	/* the host name */
	assert_string_equal(mc->tag_header, "X-Messec-DMARC");
	assert_int_equal(mc->max_headers, 1000);
	assert_int_equal(mc->max_header_bytes, 1024 * 1024);
	assert_int_equal(cidr_list_match_str(mc->internal_networks, "127.0.0.1"), 1);
	assert_int_equal(cidr_list_match_str(mc->internal_networks, "::1"), 1);
	assert_int_equal(cidr_list_match_str(mc->internal_networks, "192.0.2.1"), 0);
	assert_int_equal(cidr_list_match_str(mc->trusted_networks, "192.0.2.1"), 0);
	assert_null(mc->spf);		/* no library contexts from a string */
	ma_config_release(&mc);
	assert_null(mc);
}

static void test_values(void **state)
{
	struct ma_config *mc = load_ok(
		"authserv_id = mx.example.net\n"
		"dmarc_reject_action = tag\n"
		"dmarc_quarantine_action = reject\n"
		"dmarc_none_action = tag\n"
		"temperror_action = tempfail\n"
		"internal_error_action = accept\n"
		"limits_action = tempfail\n"
		"missing_from_action = accept\n"
		"multiple_from_action = first\n"
		"trusted_networks = 198.51.100.0/24, 2001:db8::/32\n"
		"trusted_domains = fwd.example lists.example\n"
		"internal_networks = 10.0.0.0/8\n"
		"tag_header = X-Spoof-Warning\n"
		"max_headers = 50\n"
		"dkim_max_signatures = 3\n");

	(void) state;
	assert_string_equal(mc->authserv_id, "mx.example.net");
	assert_int_equal(mc->policy.dmarc_reject, MA_ACTION_TAG);
	assert_int_equal(mc->policy.dmarc_quarantine, MA_ACTION_REJECT);
	assert_int_equal(mc->policy.dmarc_none, MA_ACTION_TAG);
	assert_int_equal(mc->policy.temperror, MA_ACTION_TEMPFAIL);
	assert_int_equal(mc->policy.internal_error, MA_ACTION_ACCEPT);
	assert_int_equal(mc->policy.limits, MA_ACTION_TEMPFAIL);
	assert_int_equal(mc->policy.missing_from, MA_ACTION_ACCEPT);
	assert_int_equal(mc->policy.multiple_from_first, 1);
	assert_int_equal(cidr_list_match_str(mc->trusted_networks, "198.51.100.7"), 1);
	assert_int_equal(cidr_list_match_str(mc->trusted_networks, "2001:db8::9"), 1);
	assert_int_equal(cidr_list_match_str(mc->internal_networks, "127.0.0.1"), 0);
	assert_string_equal(mc->trusted_domains[0], "fwd.example");
	assert_string_equal(mc->trusted_domains[1], "lists.example");
	assert_null(mc->trusted_domains[2]);
	assert_string_equal(mc->tag_header, "X-Spoof-Warning");
	assert_int_equal(mc->max_headers, 50);
	assert_int_equal(mc->max_ar_dkim, 3);
	ma_config_release(&mc);
}

/* SIGHUP swap: a holder keeps its object after a new one is installed. */
static void test_swap(void **state)
{
	struct ma_config *a = load_ok("authserv_id = a.example\n");
	struct ma_config *b = load_ok("authserv_id = b.example\n");
	struct ma_config *held, *now;

	(void) state;
	assert_null(ma_config_acquire());
	ma_config_install(a);
	held = ma_config_acquire();
	assert_ptr_equal(held, a);
	ma_config_install(b);		/* drops the installer's reference to a */
	assert_string_equal(held->authserv_id, "a.example");	/* still valid */
	now = ma_config_acquire();
	assert_string_equal(now->authserv_id, "b.example");
	ma_config_release(&held);	/* frees a (ASan would catch a leak/UAF) */
	ma_config_release(&now);
	ma_config_release(&held);	/* NULL-safe */
	ma_config_install(NULL);	/* frees b */
	assert_null(ma_config_acquire());
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, err_cases, test_error);
	tests_add(&l, "defaults are the safe ones", test_defaults, NULL);
	tests_add(&l, "every action and list configurable", test_values, NULL);
	tests_add(&l, "reload swap keeps a held config alive", test_swap, NULL);
	return tests_run(&l, "config", NULL, NULL);
}
