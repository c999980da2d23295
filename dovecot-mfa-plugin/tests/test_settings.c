/*++
 * NAME
 *	test_settings 1
 * SUMMARY
 *	unit tests for mfa_settings.c on common/'s declared-table parser:
 *	passdb args, config file and drop-ins, override order, the checks
 *	the table cannot make, exempt_nets matching
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

#include "mfa_settings.h"
#include "mfa_store.h"

static char dir[64];
static char conf[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mfa-settings-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/mfa.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int parse(struct mfa_settings *set, const char *args, const char **error_r)
{
	*error_r = NULL;
	mfa_settings_init(set);
	return mfa_settings_parse_args(set, args, error_r);
}

static void test_defaults(void **state)
{
	struct mfa_settings set;

	(void)state;
	mfa_settings_init(&set);
	assert_string_equal(set.issuer, "messec");
	assert_int_equal(set.algorithm, MFA_TOTP_SHA1);
	assert_int_equal(set.digits, 6);
	assert_int_equal(set.step, 30);
	assert_int_equal(set.window, 1);
	assert_int_equal(set.max_failures, 5);
	assert_int_equal(set.lockout, 15 * 60);
	assert_int_equal(set.ip_max_failures, 20);
	assert_int_equal(set.unenrolled_allow, 0);
	assert_int_equal(set.check_chain, 1);
	assert_int_equal(set.redis_timeout, MFA_REDIS_TIMEOUT_DEFAULT);
	assert_int_equal(set.store_sync, MFA_STORE_SYNC_PERIODIC);
	assert_int_equal(set.services_count, 0);
	assert_int_equal(set.nets_count, 0);
	assert_string_equal(set.store, "");
	assert_string_equal(set.separator, "");
}

static void test_every_key(void **state)
{
	struct mfa_settings set;
	const char *error;

	(void)state;
	assert_int_equal(parse(&set, "store=/s.lmdb key_file=/k issuer=Ex separator=: "
			       "algorithm=sha256 digits=8 window=2 max_failures=3 "
			       "ip_max_failures=10 lockout=1h unenrolled=allow check_chain=no "
			       "services=imap,pop3 exempt_nets=192.0.2.0/24,2001:db8::/32 "
			       "store_sync=data redis_timeout=50", &error), 0);
	assert_string_equal(set.store, "/s.lmdb");
	assert_string_equal(set.key_file, "/k");
	assert_string_equal(set.issuer, "Ex");
	assert_string_equal(set.separator, ":");
	assert_int_equal(set.algorithm, MFA_TOTP_SHA256);
	assert_int_equal(set.digits, 8);
	assert_int_equal(set.window, 2);
	assert_int_equal(set.max_failures, 3);
	assert_int_equal(set.ip_max_failures, 10);
	assert_int_equal(set.lockout, 3600);
	assert_int_equal(set.unenrolled_allow, 1);
	assert_int_equal(set.check_chain, 0);
	assert_int_equal(set.services_count, 2);
	assert_string_equal(set.services[1], "pop3");
	assert_int_equal(set.nets_count, 2);
	assert_int_equal(set.store_sync, MFA_STORE_SYNC_DATA);
	assert_int_equal(set.redis_timeout, 50);
}

/* An args value is literal: no comment, no quoting, no second line. */
static void test_args_literal(void **state)
{
	struct mfa_settings set;
	const char *error;

	(void)state;
	assert_int_equal(parse(&set, "store=/s separator=# issuer=a\"b\\c", &error), 0);
	assert_string_equal(set.separator, "#");
	assert_string_equal(set.issuer, "a\"b\\c");
	assert_int_equal(parse(&set, "store=/s issuer=x\nwindow=2", &error), -1);
	assert_non_null(strstr(error, "control character"));
	assert_int_equal(set.window, 1);
}

struct bad_case {
	const char *name, *args, *want;	/* want: a piece of the error */
};

static const struct bad_case bad_cases[] = {
	{ "unknown key", "store=/s colour=blue", "colour: unknown key" },
	{ "not key=value", "store=/s verbose", "'verbose' is not key=value" },
	{ "digits below range", "store=/s digits=5", "digits: '5' is out of range (expected 6..8)" },
	{ "window above range", "store=/s window=3", "window: '3' is out of range" },
	{ "lockout zero", "store=/s lockout=0", "lockout:" },
	{ "lockout over 30 days", "store=/s lockout=31d", "lockout:" },
	{ "lockout junk", "store=/s lockout=soon", "lockout: 'soon' is not a time" },
	{ "unenrolled maybe", "store=/s unenrolled=maybe", "expected deny|allow" },
	{ "store_sync junk", "store=/s store_sync=never", "expected always|periodic|data" },
	{ "redis_timeout 0", "store=/s redis_timeout=0", "redis_timeout: '0' is out of range" },
	{ "relative store", "store=x.lmdb", "store:" },
	/* store= becomes one of common/'s addresses (mfa_store.c): checked
	   at load time with common/'s parser, nothing opened. */
	{ "'?' in a store path", "store=/s?map_size=1M", "store: store path must not contain '?' or '&'" },
	{ "redis db out of range", "store=redis://127.0.0.1:6379/16 key_file=/k",
	  "store: redis://127.0.0.1:6379/16?timeout_ms=20: bad db (expected /0../15)" },
	{ "redis unknown option", "store=redis:///run/r.sock?db=1&colour=red key_file=/k",
	  "unknown option \"colour\"" },
	{ "relative key_file", "store=/s key_file=k", "key_file: 'k' is not an absolute path" },
	{ "empty issuer", "store=/s issuer=", "issuer: bad value" },
	{ "digit in separator", "store=/s separator=-1", "separator: bad value '-1'" },
	{ "unknown algorithm", "store=/s algorithm=MD5", "algorithm: bad value 'MD5'" },
	{ "net prefix too long", "store=/s exempt_nets=10.0.0.0/33", "exempt_nets:" },
	{ "net host bits set", "store=/s exempt_nets=192.0.2.1/24", "exempt_nets:" },
	{ "17 services", "store=/s services=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q",
	  "services: 17 services (expected at most 16)" },
	{ "service name of 32 bytes", "store=/s services=abcdefghijklmnopqrstuvwxyz012345",
	  "service name too long" },
};

static void test_bad(void **state)
{
	struct mfa_settings set;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		if (parse(&set, c->args, &error) == 0)
			fail_msg("%s: accepted", c->name);
		if (error == NULL || strstr(error, c->want) == NULL)
			fail_msg("%s: error '%s', expected '%s'", c->name,
				 error != NULL ? error : "(none)", c->want);
	}
}

/* Args before config= are overridden by the file, args after it win;
   the drop-ins override the main file. */
static void test_file_order(void **state)
{
	struct mfa_settings set;
	const char *error;
	char args[512], dropins[160];

	(void)state;
	write_file(conf, "# comment\nstore = /from/file\nwindow = 0\n"
		   "issuer = \"Example # Corp\"   # quoted, with a #\n"
		   "digits = 7\nservices = imap pop3\n");
	snprintf(dropins, sizeof(dropins), "%s.d", conf);
	assert_int_equal(mkdir(dropins, 0700), 0);
	snprintf(dropins, sizeof(dropins), "%s.d/10-local.conf", conf);
	write_file(dropins, "digits = 8\n");
	snprintf(args, sizeof(args), "window=2 max_failures=9 config=%s window=1", conf);
	assert_int_equal(parse(&set, args, &error), 0);
	assert_string_equal(set.store, "/from/file");
	assert_int_equal(set.window, 1);
	assert_int_equal(set.max_failures, 9);
	assert_string_equal(set.issuer, "Example # Corp");
	assert_int_equal(set.digits, 8);
	assert_int_equal(set.services_count, 2);
}

/* Every problem of a file, each with path:line, in one line. */
static void test_file_errors(void **state)
{
	struct mfa_settings set;
	const char *error;
	char args[256], want[512];

	(void)state;
	write_file(conf, "store = /s\ndigits = 9\nwindow = 1\ncolour = blue\n");
	snprintf(args, sizeof(args), "config=%s", conf);
	assert_int_equal(parse(&set, args, &error), -1);
	snprintf(want, sizeof(want), "%s:2: digits: '9' is out of range (expected 6..8); "
		 "%s:4: colour: unknown key", conf, conf);
	if (strstr(error, want) == NULL)
		fail_msg("error '%s', expected '%s'", error, want);
	write_file(conf, "store = /s\nseparator = 12\n");
	assert_int_equal(parse(&set, args, &error), -1);
	snprintf(want, sizeof(want), "%s:2: separator: bad value '12'", conf);
	assert_string_equal(error, want);
	snprintf(args, sizeof(args), "config=%s/missing.conf", dir);
	assert_int_equal(parse(&set, args, &error), -1);
	assert_non_null(strstr(error, "missing.conf: cannot open"));
}

struct exempt_case {
	const char *name, *ip;
	int want;
};

static const struct exempt_case exempt_cases[] = {
	{ "v4 in net", "192.0.2.77", 1 },
	{ "v4 outside", "192.0.3.1", 0 },
	{ "v4-mapped v6 in v4 net", "::ffff:192.0.2.77", 1 },
	{ "v6 in net", "2001:db8:80::5", 1 },
	{ "v6 outside", "2001:db8:81::5", 0 },
	{ "host entry", "198.51.100.7", 1 },
	{ "host entry neighbour", "198.51.100.8", 0 },
	{ "not an address", "webmail", 0 },
	{ "empty", "", 0 },
};

static void test_exempt(void **state)
{
	struct mfa_settings set;
	const char *error;

	(void)state;
	assert_int_equal(parse(&set, "store=/s exempt_nets=192.0.2.0/24,2001:db8:80::/48,"
			       "198.51.100.7", &error), 0);
	for (size_t i = 0; i < sizeof(exempt_cases) / sizeof(exempt_cases[0]); i++) {
		const struct exempt_case *c = &exempt_cases[i];

		if (mfa_settings_ip_exempt(&set, c->ip) != c->want)
			fail_msg("%s: %s", c->name, c->ip);
	}
	assert_int_equal(mfa_settings_ip_exempt(&set, NULL), 0);
	assert_int_equal(parse(&set, "store=/s exempt_nets=192.0.2.0/24 exempt_nets=", &error), 0);
	assert_int_equal(mfa_settings_ip_exempt(&set, "192.0.2.77"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_args_literal),
		cmocka_unit_test(test_bad),
		cmocka_unit_test_setup_teardown(test_file_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test(test_exempt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
