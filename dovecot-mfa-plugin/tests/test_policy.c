/*++
 * NAME
 *	test_policy 1
 * SUMMARY
 *	unit tests for mfa_policy.c on a real LMDB store in a temp directory:
 *	login flow, replay, lockout timing (injected clock), per-IP limit,
 *	app passwords, exemptions, store and key failures
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

#define USER "alice@lab.example"
#define T0 ((time_t)1800000000)		/* a multiple of 30 */

static const uint8_t seed1[] = "12345678901234567890";

struct fixture {
	char dir[64];
	struct mfa_settings set;
};

static void rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void enroll(struct fixture *f, const char *user)
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_user_rec rec;
	uint8_t key[MFA_KEY_LEN];
	const char *error;

	assert_int_equal(mfa_open(&f->set, 1, &store, key, &error), 0);
	txn = mfa_txn_begin(store, 1);
	assert_non_null(txn);
	memset(&rec, 0, sizeof(rec));
	rec.algorithm = MFA_TOTP_SHA1;
	rec.digits = 6;
	assert_int_equal(mfa_seal(key, user, seed1, 20, rec.sealed, sizeof(rec.sealed),
				  &rec.sealed_len, &error), 0);
	assert_int_equal(mfa_user_put(txn, user, &rec), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error;
	char args[256];

	strcpy(f->dir, "/tmp/mfa-test-policy.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	mfa_settings_init(&f->set);
	snprintf(args, sizeof(args), "store=%s/s.lmdb max_failures=3 lockout=10m "
		 "ip_max_failures=50 exempt_nets=192.0.2.80/32,2001:db8:80::/48 "
		 "services=imap,pop3,smtp", f->dir);
	assert_int_equal(mfa_settings_parse_args(&f->set, args, &error), 0);
	assert_int_equal(mfa_settings_finish(&f->set, &error), 0);
	enroll(f, USER);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

static void code_at(long step, char code[MFA_DIGITS_MAX + 1])
{
	assert_int_equal(mfa_hotp(MFA_TOTP_SHA1, seed1, 20,
				  (uint64_t)(T0 / 30 + step), 6, code), 0);
}

static struct mfa_decision login(struct fixture *f, const char *user,
				 const char *password, const char *ip,
				 const char *service, time_t now)
{
	struct mfa_request req = {
		.user = user, .password = password, .password_len = strlen(password),
		.service = service, .remote_ip = ip, .now = now,
	};
	struct mfa_decision d;

	mfa_policy_check(&f->set, &req, &d);
	return d;
}

#define NO_CODE (-999)
struct flow_step {
	const char *name;
	time_t at;		/* seconds after T0 */
	const char *password;
	long code_step;		/* code for T0/30 + step appended, or NO_CODE */
	enum mfa_verdict want;
	const char *want_reason;
	size_t want_len;	/* for NEXT */
};

/* One user's story, in order: each step sees the state the previous left. */
static const struct flow_step flow[] = {
	{ "right password without code", 0, "alice-pw", NO_CODE, MFA_VERDICT_FAIL, "no code", 0 },
	{ "password and current code", 0, "alice-pw", 0, MFA_VERDICT_NEXT, "code ok", 8 },
	{ "same code again (replay)", 5, "alice-pw", 0, MFA_VERDICT_FAIL, "replay", 0 },
	{ "previous step's code after current", 10, "alice-pw", -1, MFA_VERDICT_FAIL, "replay", 0 },
	{ "next step's code", 30, "alice-pw", 1, MFA_VERDICT_NEXT, "code ok", 8 },
	{ "code from 10 minutes ago", 60, "alice-pw", -18, MFA_VERDICT_FAIL, "bad code", 0 },
	{ "code alone", 60, "", 2, MFA_VERDICT_FAIL, "code without password", 0 },
	{ "third failure locks", 61, "alice-pw", NO_CODE, MFA_VERDICT_FAIL, "user locked", 0 },
	{ "locked: right code refused", 62, "alice-pw", 2, MFA_VERDICT_FAIL, "locked", 0 },
	{ "still locked before lockout ends", 60 + 600, "alice-pw", 22, MFA_VERDICT_FAIL, "locked", 0 },
	{ "lockout over: code accepted", 61 + 600, "alice-pw", 22, MFA_VERDICT_NEXT, "code ok", 8 },
	{ "accepted step used again", 61 + 630, "x", 22 + 0, MFA_VERDICT_FAIL, "replay", 0 },
	{ "window: code of the step before", 30 * 25, "x", 24, MFA_VERDICT_NEXT, "code ok", 1 },
	{ "window: two steps old refused", 30 * 28, "x", 26, MFA_VERDICT_FAIL, "bad code", 0 },
};

static void test_flow(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(flow) / sizeof(flow[0]); i++) {
		const struct flow_step *s = &flow[i];
		char pw[128], code[MFA_DIGITS_MAX + 1] = "";
		struct mfa_decision d;

		if (s->code_step != NO_CODE)
			code_at(s->code_step, code);
		snprintf(pw, sizeof(pw), "%s%s", s->password, code);
		d = login(f, USER, pw, "198.51.100.7", "imap", T0 + s->at);
		if (d.verdict != s->want || strstr(d.reason, s->want_reason) == NULL)
			fail_msg("%s: %s (%s), want %s (%s)", s->name,
				 mfa_verdict_str(d.verdict), d.reason,
				 mfa_verdict_str(s->want), s->want_reason);
		if (d.verdict == MFA_VERDICT_NEXT && d.password_len != s->want_len)
			fail_msg("%s: password_len %zu", s->name, d.password_len);
		/* The reason never carries the code. */
		if (code[0] != '\0' && strstr(d.reason, code) != NULL)
			fail_msg("%s: code in reason", s->name);
	}
}

struct bypass_case {
	const char *name;
	const char *user;
	const char *ip;
	const char *service;
	int unenrolled_allow;
	enum mfa_verdict want;
};

static const struct bypass_case bypass_cases[] = {
	{ "exempt IPv4 host", USER, "192.0.2.80", "imap", 0, MFA_VERDICT_PASS_THROUGH },
	{ "next IPv4 host not exempt", USER, "192.0.2.81", "imap", 0, MFA_VERDICT_FAIL },
	{ "exempt IPv6 net", USER, "2001:db8:80::5", "imap", 0, MFA_VERDICT_PASS_THROUGH },
	{ "service not covered", USER, "198.51.100.7", "sieve", 0, MFA_VERDICT_PASS_THROUGH },
	{ "smtp covered", USER, "198.51.100.7", "smtp", 0, MFA_VERDICT_FAIL },
	{ "not enrolled, deny", "bob@lab.example", "198.51.100.7", "imap", 0, MFA_VERDICT_FAIL },
	{ "not enrolled, allow", "bob@lab.example", "198.51.100.7", "imap", 1, MFA_VERDICT_PASS_THROUGH },
	{ "empty user", "", "198.51.100.7", "imap", 0, MFA_VERDICT_FAIL },
};

static void test_bypass_table(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(bypass_cases) / sizeof(bypass_cases[0]); i++) {
		const struct bypass_case *c = &bypass_cases[i];
		struct mfa_decision d;

		f->set.unenrolled_allow = (unsigned int)c->unenrolled_allow;
		d = login(f, c->user, "bare-password", c->ip, c->service, T0);
		if (d.verdict != c->want)
			fail_msg("%s: %s (%s)", c->name, mfa_verdict_str(d.verdict), d.reason);
	}
	f->set.unenrolled_allow = 0;
}

static void test_long_inputs(void **state)
{
	struct fixture *f = *state;
	char user[301], *pw = malloc(MFA_INPUT_MAX + 2);
	struct mfa_decision d;

	memset(user, 'u', 300);
	user[300] = '\0';
	d = login(f, user, "pw123456", "198.51.100.9", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	memset(pw, 'a', MFA_INPUT_MAX + 1);
	pw[MFA_INPUT_MAX + 1] = '\0';
	d = login(f, USER, pw, "198.51.100.9", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "too long"));
	free(pw);
}

static void test_ip_limit(void **state)
{
	struct fixture *f = *state;
	char pw[64], code[MFA_DIGITS_MAX + 1];
	struct mfa_decision d;

	f->set.ip_max_failures = 2;
	f->set.max_failures = 100;
	d = login(f, USER, "nocode", "203.0.113.66", "imap", T0);
	d = login(f, "nobody@lab.example", "x123456", "203.0.113.66", "imap", T0);
	code_at(0, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	d = login(f, USER, pw, "203.0.113.66", "imap", T0 + 1);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "IP"));
	/* another IP is not affected */
	d = login(f, USER, pw, "203.0.113.67", "imap", T0 + 1);
	assert_int_equal(d.verdict, MFA_VERDICT_NEXT);
	/* the IP's window ends after lockout */
	code_at(1, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	d = login(f, USER, pw, "203.0.113.66", "imap", T0 + 30 + 600);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);	/* window: step 1 is too old */
	assert_null(strstr(d.reason, "IP"));
}

static void add_app(struct fixture *f, const char *name, const char *services,
		    char pw[MFA_APPPASS_LEN + 1])
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_app_rec app;
	uint8_t key[MFA_KEY_LEN];
	const char *error;

	assert_int_equal(mfa_apppass_generate(pw, &error), 0);
	memset(&app, 0, sizeof(app));
	memcpy(app.id, pw, 4);
	strcpy(app.name, name);
	strcpy(app.services, services);
	assert_int_equal(mfa_apppass_hash(pw, app.hash, sizeof(app.hash), &error), 0);
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_app_put(txn, USER, &app), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
}

static void revoke_app(struct fixture *f, const char *id)
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	uint8_t key[MFA_KEY_LEN];
	const char *error;

	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_app_del(txn, USER, id), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
}

static void test_app_passwords(void **state)
{
	struct fixture *f = *state;
	char phone[MFA_APPPASS_LEN + 1], mailer[MFA_APPPASS_LEN + 1], id[5];
	struct mfa_decision d;

	add_app(f, "phone", "", phone);
	add_app(f, "mailer", "smtp", mailer);
	d = login(f, USER, phone, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_APP_OK);
	assert_non_null(strstr(d.reason, "'phone'"));
	assert_null(strstr(d.reason, phone));
	d = login(f, USER, mailer, "198.51.100.7", "smtp", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_APP_OK);
	d = login(f, USER, mailer, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "not allowed"));
	/* right id, wrong rest */
	strcpy(id, "x");
	phone[10] = phone[10] == 'a' ? 'b' : 'a';
	d = login(f, USER, phone, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "bad app password"));
	phone[10] = phone[10] == 'a' ? 'b' : 'a';
	/* revoked: the id is gone, it is just a password without code */
	memcpy(id, phone, 4);
	id[4] = '\0';
	revoke_app(f, id);
	d = login(f, USER, phone, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "no code"));
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

		mfa_settings_init(&set);
		r = mfa_settings_parse_args(&set, c->args, &error);
		if (r == 0)
			r = mfa_settings_finish(&set, &error);
		if (r != c->want)
			fail_msg("%s: %d (%s)", c->name, r, error != NULL ? error : "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bypass_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_passwords, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failures, setup, teardown),
		cmocka_unit_test(test_settings_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
