/*++
 * NAME
 *	test_policy 1
 * SUMMARY
 *	unit tests for mfa_policy.c on a real LMDB store in a temp directory:
 *	the store contract (mfa_contract.c: login flow, replay, lockout
 *	timing with an injected clock, per-IP limit, app passwords,
 *	exemptions, records), then LMDB's own store and key failures and
 *	the settings table
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

#include "mfa_apppass.h"
#include "mfa_policy.h"
#include "mfa_util.h"
#include "mfa_contract.h"

struct contract_backend contract_backend = { "lmdb", contract_lmdb_store_args, NULL };

static void code_at(long step, char code[MFA_DIGITS_MAX + 1])
{
	contract_code_at(step, code);
}

static struct mfa_decision login(struct fixture *f, const char *user,
				 const char *password, const char *ip,
				 const char *service, time_t now)
{
	return contract_login(f, user, password, ip, service, now);
}

static void test_store_failures(void **state)
{
	struct fixture *f = *state;
	char path[128], moved[MFA_PATH_MAX + 8], code[MFA_DIGITS_MAX + 1], pw[64];
	struct mfa_decision d;

	code_at(0, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	/* key file gone, store present: internal failure, never success */
	snprintf(moved, sizeof(moved), "%s.moved", f->set.key_file);
	assert_int_equal(rename(f->set.key_file, moved), 0);
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	/* the wrong key: secrets do not open */
	FILE *fp = fopen(f->set.key_file, "w");
	fputs("00000000000000000000000000000000000000000000000000000000000000aa\n", fp);
	fclose(fp);
	chmod(f->set.key_file, 0600);
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_int_equal(rename(moved, f->set.key_file), 0);
	/* store replaced by a directory (as good as unreadable) */
	snprintf(moved, sizeof(moved), "%s.moved", f->set.store);
	assert_int_equal(rename(f->set.store, moved), 0);
	assert_int_equal(mkdir(f->set.store, 0700), 0);
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_int_equal(rmdir(f->set.store), 0);
	/* store missing but key present: not silently recreated */
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_int_equal(rename(moved, f->set.store), 0);
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_NEXT);
	/* a fresh location is created with unenrolled=deny, not with allow */
	snprintf(path, sizeof(path), "%s/new.lmdb", f->dir);
	assert_int_equal(mfa_settings_set(&f->set, "store", path, &(const char *){0}), 0);
	f->set.key_file[0] = '\0';
	assert_int_equal(mfa_settings_finish(&f->set, &(const char *){0}), 0);
	f->set.unenrolled_allow = 1;
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	f->set.unenrolled_allow = 0;
	d = login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "not enrolled"));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->set.key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

struct setting_case {
	const char *name;
	const char *args;
	int want;
};

static const struct setting_case setting_cases[] = {
	{ "store alone", "store=/var/lib/x.lmdb", 0 },
	{ "relative store", "store=x.lmdb", -1 },
	{ "window 2", "store=/x window=2", 0 },
	{ "window 3", "store=/x window=3", -1 },
	{ "digits 5", "store=/x digits=5", -1 },
	{ "lockout 15m", "store=/x lockout=15m", 0 },
	{ "lockout junk", "store=/x lockout=soon", -1 },
	{ "unknown key", "store=/x colour=blue", -1 },
	{ "not key=value", "store=/x verbose", -1 },
	{ "bad net", "store=/x exempt_nets=10.0.0.0/33", -1 },
	{ "digit separator", "store=/x separator=1", -1 },
	{ "unenrolled maybe", "store=/x unenrolled=maybe", -1 },
	{ "sha512", "store=/x algorithm=SHA512", 0 },
};

static void test_settings_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(setting_cases) / sizeof(setting_cases[0]); i++) {
		const struct setting_case *c = &setting_cases[i];
		struct mfa_settings set;
		const char *error = NULL;
		int r;

		r = contract_parse_settings(&set, c->args, &error);
		if (r != c->want)
			fail_msg("%s: %d (%s)", c->name, r, error != NULL ? error : "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CONTRACT_TESTS(contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_store_failures, contract_setup, contract_teardown),
		cmocka_unit_test(test_settings_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
