/*++
 * NAME
 *	mfa_contract 1
 * SUMMARY
 *	the store contract: login-flow and record cases run against every
 *	backend (test_policy.c: LMDB, test_store_redis.c: Redis)
 * DESCRIPTION
 *	A backend test file sets contract_backend (its store= args, and a
 *	reset run at teardown) and lists CONTRACT_TESTS(setup, teardown).
 *	The cases only use mfa_policy.h and mfa_store.h, so both backends
 *	answer the same table of named cases.
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

static const uint8_t seed1[] = "12345678901234567890";



void contract_lmdb_store_args(struct fixture *f, char *buf, size_t size)
{
	snprintf(buf, size, "store=%s/s.lmdb", f->dir);
}

int contract_kept_setup(void **state)
{
	mfa_store_set_caching(1, MFA_STORE_SYNC_PERIODIC);
	return contract_setup(state);
}

int contract_kept_teardown(void **state)
{
	mfa_store_close_cached();
	mfa_store_set_caching(0, MFA_STORE_SYNC_ALWAYS);
	return contract_teardown(state);
}

int contract_parse_settings(struct mfa_settings *set, const char *args,
			    const char **error_r)
{
	*error_r = NULL;
	mfa_settings_init(set);
	if (mfa_settings_parse_args(set, args, error_r) < 0)
		return -1;
	return mfa_settings_finish(set, error_r);
}

void contract_rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

void contract_enroll(struct fixture *f, const char *user)
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

int contract_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error = "";
	char args[1024], store_args[900];

	strcpy(f->dir, "/tmp/mfa-test-contract.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	mfa_settings_init(&f->set);
	contract_backend.store_args(f, store_args, sizeof(store_args));
	snprintf(args, sizeof(args), "%s max_failures=3 lockout=10m "
		 "ip_max_failures=50 exempt_nets=192.0.2.80/32,2001:db8:80::/48 "
		 "services=imap,pop3,smtp", store_args);
	if (mfa_settings_parse_args(&f->set, args, &error) < 0 ||
	    mfa_settings_finish(&f->set, &error) < 0)
		fail_msg("settings: %s", error);
	contract_enroll(f, USER);
	*state = f;
	return 0;
}

int contract_teardown(void **state)
{
	struct fixture *f = *state;

	if (contract_backend.reset != NULL)
		contract_backend.reset(f);
	mfa_store_release_cached();
	contract_rm_rf(f->dir);
	free(f);
	return 0;
}

void contract_code_at(long step, char code[MFA_DIGITS_MAX + 1])
{
	assert_int_equal(mfa_hotp(MFA_TOTP_SHA1, seed1, 20,
				  (uint64_t)(T0 / 30 + step), 6, code), 0);
}

struct mfa_decision contract_login(struct fixture *f, const char *user,
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

void contract_test_flow(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(flow) / sizeof(flow[0]); i++) {
		const struct flow_step *s = &flow[i];
		char pw[128], code[MFA_DIGITS_MAX + 1] = "";
		struct mfa_decision d;

		if (s->code_step != NO_CODE)
			contract_code_at(s->code_step, code);
		snprintf(pw, sizeof(pw), "%s%s", s->password, code);
		d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0 + s->at);
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

void contract_test_bypass_table(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(bypass_cases) / sizeof(bypass_cases[0]); i++) {
		const struct bypass_case *c = &bypass_cases[i];
		struct mfa_decision d;

		f->set.unenrolled_allow = (unsigned int)c->unenrolled_allow;
		d = contract_login(f, c->user, "bare-password", c->ip, c->service, T0);
		if (d.verdict != c->want)
			fail_msg("%s: %s (%s)", c->name, mfa_verdict_str(d.verdict), d.reason);
	}
	f->set.unenrolled_allow = 0;
}

void contract_test_long_inputs(void **state)
{
	struct fixture *f = *state;
	char user[301], *pw = malloc(MFA_INPUT_MAX + 2);
	struct mfa_decision d;

	memset(user, 'u', 300);
	user[300] = '\0';
	d = contract_login(f, user, "pw123456", "198.51.100.9", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	memset(pw, 'a', MFA_INPUT_MAX + 1);
	pw[MFA_INPUT_MAX + 1] = '\0';
	d = contract_login(f, USER, pw, "198.51.100.9", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "too long"));
	free(pw);
}

void contract_test_ip_limit(void **state)
{
	struct fixture *f = *state;
	char pw[64], code[MFA_DIGITS_MAX + 1];
	struct mfa_decision d;

	f->set.ip_max_failures = 2;
	f->set.max_failures = 100;
	d = contract_login(f, USER, "nocode", "203.0.113.66", "imap", T0);
	d = contract_login(f, "nobody@lab.example", "x123456", "203.0.113.66", "imap", T0);
	contract_code_at(0, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	d = contract_login(f, USER, pw, "203.0.113.66", "imap", T0 + 1);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "IP"));
	/* another IP is not affected */
	d = contract_login(f, USER, pw, "203.0.113.67", "imap", T0 + 1);
	assert_int_equal(d.verdict, MFA_VERDICT_NEXT);
	/* the IP's window ends after lockout */
	contract_code_at(1, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	d = contract_login(f, USER, pw, "203.0.113.66", "imap", T0 + 30 + 600);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);	/* window: step 1 is too old */
	assert_null(strstr(d.reason, "IP"));
}

/* A new app password as messec-mfa app-password add makes it. */
static void add_app(struct fixture *f, const char *name, const char *services,
		    char pw[MFA_APPPASS2_LEN + 1])
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_app_rec app;
	uint8_t key[MFA_KEY_LEN];
	const char *error;

	assert_int_equal(mfa_apppass_new(pw, &error), 0);
	memset(&app, 0, sizeof(app));
	memcpy(app.id, pw, 4);
	strcpy(app.name, name);
	strcpy(app.services, services);
	app.scheme = MFA_APP_SCHEME_HMAC_SHA256;
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	assert_int_equal(mfa_apppass_tag(key, USER, pw, strlen(pw), app.hash,
					 sizeof(app.hash), &error), 0);
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_app_put(txn, USER, &app), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
}

/* An app password as the code before issue 19 stored it (v1 shape,
   yescrypt). */
static void add_old_app(struct fixture *f, const char *name,
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
	app.scheme = MFA_APP_SCHEME_YESCRYPT;
	assert_int_equal(mfa_apppass_hash(pw, app.hash, sizeof(app.hash), &error), 0);
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_app_put(txn, USER, &app), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
}

static struct mfa_app_rec get_app(struct fixture *f, const char *pw)
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_app_rec app;
	uint8_t key[MFA_KEY_LEN];
	char id[5];
	const char *error;

	memcpy(id, pw, 4);
	id[4] = '\0';
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	txn = mfa_txn_begin(store, 0);
	assert_int_equal(mfa_app_get(txn, USER, id, &app), MFA_STORE_OK);
	mfa_txn_abort(&txn);
	mfa_store_close(&store);
	return app;
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

void contract_test_app_passwords(void **state)
{
	struct fixture *f = *state;
	char phone[MFA_APPPASS2_LEN + 1], mailer[MFA_APPPASS2_LEN + 1], id[5];
	char old[MFA_APPPASS_LEN + 1], hash[MFA_APP_HASH_MAX + 1], saved;
	struct mfa_app_rec app;
	struct mfa_decision d;

	add_app(f, "phone", "", phone);
	add_app(f, "mailer", "smtp", mailer);
	/* stored as a keyed HMAC, never the password */
	app = get_app(f, phone);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_HMAC_SHA256);
	assert_int_equal(strlen(app.hash), MFA_APPPASS_TAG_HEX);
	assert_null(strstr(app.hash, phone + 5));
	d = contract_login(f, USER, phone, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_APP_OK);
	assert_non_null(strstr(d.reason, "'phone'"));
	assert_null(strstr(d.reason, phone));
	d = contract_login(f, USER, mailer, "198.51.100.7", "smtp", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_APP_OK);
	d = contract_login(f, USER, mailer, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "not allowed"));
	/* right id, wrong rest */
	strcpy(id, "x");
	phone[10] = phone[10] == 'a' ? 'b' : 'a';
	d = contract_login(f, USER, phone, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "bad app password"));
	phone[10] = phone[10] == 'a' ? 'b' : 'a';
	/* revoked: the id is gone, it is just a password without code */
	memcpy(id, phone, 4);
	id[4] = '\0';
	revoke_app(f, id);
	d = contract_login(f, USER, phone, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "no code"));

	/* (after the lockout the failures above caused) an old yescrypt
	   record: a wrong password leaves it as it is; the
	   right one logs in and re-stores it as HMAC in the same commit as
	   the last use; it keeps working, and a wrong one still fails */
	add_old_app(f, "old", old);
	saved = old[12];
	old[12] = saved == 'a' ? 'b' : 'a';
	d = contract_login(f, USER, old, "198.51.100.7", "imap", T0 + 1001);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	assert_non_null(strstr(d.reason, "bad app password"));
	old[12] = saved;
	app = get_app(f, old);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_YESCRYPT);
	d = contract_login(f, USER, old, "198.51.100.7", "imap", T0 + 1002);
	assert_int_equal(d.verdict, MFA_VERDICT_APP_OK);
	assert_non_null(strstr(d.reason, "re-stored as hmac-sha256"));
	app = get_app(f, old);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_HMAC_SHA256);
	assert_int_equal(app.last_used, T0 + 1002);
	strcpy(hash, app.hash);
	d = contract_login(f, USER, old, "198.51.100.7", "imap", T0 + 1003);
	assert_int_equal(d.verdict, MFA_VERDICT_APP_OK);
	assert_null(strstr(d.reason, "re-stored"));
	app = get_app(f, old);
	assert_string_equal(app.hash, hash);
	assert_int_equal(app.last_used, T0 + 1003);
	old[12] = saved == 'a' ? 'b' : 'a';
	d = contract_login(f, USER, old, "198.51.100.7", "imap", T0 + 1004);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
}


static int count_user(const char *user, struct mfa_user_rec *rec, void *ctx)
{
	(void)rec;
	if (strncmp(user, "rec-", 4) == 0)
		(*(int *)ctx)++;
	return 0;
}

static int count_app(const struct mfa_app_rec *rec, void *ctx)
{
	assert_string_equal(rec->services, "imap");
	(*(int *)ctx)++;
	return 0;
}

static int stop_iter(const char *user, struct mfa_user_rec *rec, void *ctx)
{
	(void)user; (void)rec; (void)ctx;
	return -1;
}

/* Record operations, straight on mfa_store.h: what both backends must
   answer, case by case. */
void contract_test_records(void **state)
{
	struct fixture *f = *state;
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_user_rec u, got;
	struct mfa_app_rec app, app_got;
	struct mfa_ip_rec ip = { 7, 1234 }, ip_got;
	uint8_t key[MFA_KEY_LEN];
	const char *error;
	char name[32];
	int n;

	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	memset(&u, 0, sizeof(u));
	u.algorithm = MFA_TOTP_SHA256;
	u.digits = 8;
	u.last_used = 0x0102030405060708ULL;
	u.failures = 3;
	u.locked_until = 1900000000;
	u.created = 1800000000;
	u.sealed_len = 40;
	memset(u.sealed, 0xa5, u.sealed_len);

	/* "put, commit, get" returns the same record */
	txn = mfa_txn_begin(store, 1);
	assert_non_null(txn);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "rec-%d@x", i);
		assert_int_equal(mfa_user_put(txn, name, &u), MFA_STORE_OK);
	}
	assert_int_equal(mfa_ip_put(txn, "2001:db8::7", &ip), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	assert_null(txn);
	txn = mfa_txn_begin(store, 0);
	assert_int_equal(mfa_user_get(txn, "rec-1@x", &got), MFA_STORE_OK);
	assert_int_equal(got.algorithm, u.algorithm);
	assert_int_equal(got.digits, 8);
	assert_true(got.last_used == u.last_used);
	assert_int_equal(got.failures, 3);
	assert_true(got.locked_until == u.locked_until && got.created == u.created);
	assert_int_equal(got.sealed_len, 40);
	assert_memory_equal(got.sealed, u.sealed, 40);
	assert_int_equal(mfa_ip_get(txn, "2001:db8::7", &ip_got), MFA_STORE_OK);
	assert_true(ip_got.failures == 7 && ip_got.since == 1234);
	/* "missing record" is NOTFOUND, not an error */
	assert_int_equal(mfa_user_get(txn, "nobody@x", &got), MFA_STORE_NOTFOUND);
	assert_int_equal(mfa_ip_get(txn, "192.0.2.99", &ip_got), MFA_STORE_NOTFOUND);
	assert_int_equal(mfa_app_get(txn, "rec-1@x", "abcd", &app_got), MFA_STORE_NOTFOUND);
	/* "foreach users" sees every user once (and the enrolled USER) */
	n = 0;
	assert_int_equal(mfa_user_foreach(txn, count_user, &n), MFA_STORE_OK);
	assert_int_equal(n, 3);
	/* "foreach callback error" is a store error */
	assert_int_equal(mfa_user_foreach(txn, stop_iter, NULL), MFA_STORE_ERROR);
	/* "oversized and empty keys" are errors, never NOTFOUND */
	char big[MFA_USER_MAX + 2];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mfa_user_get(txn, big, &got), MFA_STORE_ERROR);
	assert_int_equal(mfa_user_get(txn, "", &got), MFA_STORE_ERROR);
	mfa_txn_abort(&txn);
	assert_null(txn);

	/* "abort discards writes" */
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_user_put(txn, "rec-aborted@x", &u), MFA_STORE_OK);
	mfa_txn_abort(&txn);
	txn = mfa_txn_begin(store, 0);
	assert_int_equal(mfa_user_get(txn, "rec-aborted@x", &got), MFA_STORE_NOTFOUND);
	mfa_txn_abort(&txn);

	/* "apps: put, get, foreach, del" */
	memset(&app, 0, sizeof(app));
	strcpy(app.id, "wxyz");
	strcpy(app.name, "phone");
	strcpy(app.services, "imap");
	strcpy(app.hash, "$y$j9T$salt$hash");
	app.created = 1800000001;
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_app_put(txn, "rec-1@x", &app), MFA_STORE_OK);
	strcpy(app.id, "qrst");
	assert_int_equal(mfa_app_put(txn, "rec-1@x", &app), MFA_STORE_OK);
	assert_int_equal(mfa_app_put(txn, "rec-2@x", &app), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_app_get(txn, "rec-1@x", "wxyz", &app_got), MFA_STORE_OK);
	assert_string_equal(app_got.id, "wxyz");
	assert_string_equal(app_got.name, "phone");
	assert_string_equal(app_got.hash, app.hash);
	assert_true(app_got.created == 1800000001 && app_got.last_used == 0);
	n = 0;
	assert_int_equal(mfa_app_foreach(txn, "rec-1@x", count_app, &n), MFA_STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(mfa_app_del(txn, "rec-1@x", "wxyz"), MFA_STORE_OK);
	assert_int_equal(mfa_app_del(txn, "rec-1@x", "none"), MFA_STORE_NOTFOUND);
	assert_int_equal(mfa_user_del(txn, "rec-0@x"), MFA_STORE_OK);
	assert_int_equal(mfa_user_del(txn, "nobody@x"), MFA_STORE_NOTFOUND);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	txn = mfa_txn_begin(store, 0);
	n = 0;
	assert_int_equal(mfa_app_foreach(txn, "rec-1@x", count_app, &n), MFA_STORE_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(mfa_app_foreach(txn, "rec-2@x", count_app, &n), MFA_STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(mfa_user_get(txn, "rec-0@x", &got), MFA_STORE_NOTFOUND);
	n = 0;
	assert_int_equal(mfa_user_foreach(txn, count_user, &n), MFA_STORE_OK);
	assert_int_equal(n, 2);
	mfa_txn_abort(&txn);
	mfa_store_close(&store);
	assert_null(store);
}
