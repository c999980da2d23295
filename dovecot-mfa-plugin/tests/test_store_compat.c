/*++
 * NAME
 *	test_store_compat 1
 * SUMMARY
 *	stores written by an earlier version of the plugin keep working
 * DESCRIPTION
 *	dovecot-mfa-plugin/tests/compat/ holds stores written by the plugin's
 *	own store code as of commit ebfd37e (before issue 15 moved the
 *	plugin onto common/'s store): an LMDB file (lmdb-v1.lmdb + its key
 *	file) and a text dump of the Redis keys (redis-v1.txt, "string HEXKEY
 *	HEXVALUE" / "hash HEXKEY HEXFIELD HEXVALUE" lines, + its key file).
 *	Both hold the same story: alice@lab.example enrolled (seed
 *	"12345678901234567890", SHA1, 6 digits), a login at T0 with step 0's
 *	code, one bad code at T0+40 from 198.51.100.7, and an app password
 *	"phone" (app-password.txt).
 *
 *	Each case copies one store into a fresh place (a temp dir, or a
 *	private redis-server's db), reads the records (user, app, IP
 *	failure count, user listing) and logs in: step 0's code is a replay,
 *	step 1's code passes and clears the failure count, the app password
 *	passes. A change of record encoding, key layout or sealing that
 *	would strand existing users fails here.
 *
 *	MFA_COMPAT_WRITE=1 rewrites the fixtures with the code of the tree
 *	instead of testing. Never do that to make this test pass: the files
 *	are the old version's output, and new code must read them.
 *--*/
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "mfa_totp.h"
#include "mfa_util.h"
#include "compat_fixture.h"

#define USER COMPAT_USER
#define IP COMPAT_IP
#define T0 COMPAT_T0
#define DB 4

static const uint8_t seed1[] = "12345678901234567890";

static char *dir;			/* this run's temp dir */
static char sock_path[600];
static pid_t redis_pid = -1;

/* --- helpers */

static char *path_in(const char *d, const char *name)
{
	size_t n = strlen(d) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", d, name);
	return p;
}

static void code_login(const struct mfa_settings *set, long step, time_t now,
		       enum mfa_verdict want, const char *want_reason)
{
	char code[MFA_DIGITS_MAX + 1], pw[64];
	struct mfa_decision d;

	assert_int_equal(mfa_hotp(MFA_TOTP_SHA1, seed1, 20, (uint64_t)(T0 / 30 + step),
				  6, code), 0);
	snprintf(pw, sizeof(pw), "alice-pw%s", code);
	d = compat_login(set, pw, "imap", now);
	if (d.verdict != want || strstr(d.reason, want_reason) == NULL)
		fail_msg("step %ld at T0+%ld: %s (%s), want %s (%s)", step,
			 (long)(now - T0), mfa_verdict_str(d.verdict), d.reason,
			 mfa_verdict_str(want), want_reason);
}

static int start_redis(void **state)
{
	dir = test_tmpdir();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	redis_pid = compat_redis_start(dir, sock_path, DB);
	return redis_pid < 0 ? -1 : 0;
}

static int stop_redis(void **state)
{
	test_redis_stop(&redis_pid, SIGTERM);
	mfa_store_release_cached();
	test_rmtree(&dir);
	return 0;
}

/* --- the old store, read and used */

static int count_user(const char *user, struct mfa_user_rec *rec, void *ctx)
{
	assert_string_equal(user, USER);
	(*(int *)ctx)++;
	return 0;
}

static int count_app(const struct mfa_app_rec *rec, void *ctx)
{
	assert_string_equal(rec->name, "phone");
	assert_string_equal(rec->services, "");
	(*(int *)ctx)++;
	return 0;
}

static void check_records(const struct mfa_settings *set, uint32_t want_failures)
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_user_rec rec;
	struct mfa_ip_rec ip;
	uint8_t key[MFA_KEY_LEN];
	const char *error = NULL;
	int users = 0, apps = 0;

	if (mfa_open(set, 0, &store, key, &error) < 0)
		fail_msg("mfa_open: %s", error);
	txn = mfa_txn_begin(store, 0);
	assert_non_null(txn);
	assert_int_equal(mfa_user_get(txn, USER, &rec), MFA_STORE_OK);
	assert_int_equal(rec.algorithm, MFA_TOTP_SHA1);
	assert_int_equal(rec.digits, 6);
	assert_int_equal(rec.last_used, (uint64_t)(T0 / 30) + 1);
	assert_int_equal(rec.failures, want_failures);
	assert_int_equal(rec.locked_until, 0);
	assert_int_equal(mfa_user_foreach(txn, count_user, &users), MFA_STORE_OK);
	assert_int_equal(users, 1);
	assert_int_equal(mfa_app_foreach(txn, USER, count_app, &apps), MFA_STORE_OK);
	assert_int_equal(apps, 1);
	assert_int_equal(mfa_ip_get(txn, IP, &ip), MFA_STORE_OK);
	assert_int_equal(ip.failures, 1);
	mfa_txn_abort(&txn);
	mfa_store_close(&store);
}

static void use_old_store(const struct mfa_settings *set)
{
	char app[MFA_APPPASS_LEN + 1];
	struct mfa_decision d;

	check_records(set, 1);
	/* The replay state written by the old code holds. */
	code_login(set, 0, T0 + 45, MFA_VERDICT_FAIL, "replay");
	/* The secret unseals with the old key file; the old record is
	   rewritten by the new code (failures cleared). */
	code_login(set, 1, T0 + 50, MFA_VERDICT_NEXT, "code ok");
	compat_read_app_password(app);
	d = compat_login(set, app, "imap", T0 + 60);
	if (d.verdict != MFA_VERDICT_APP_OK || strstr(d.reason, "'phone'") == NULL)
		fail_msg("app password: %s (%s)", mfa_verdict_str(d.verdict), d.reason);
}

static void test_lmdb_v1(void **state)
{
	char *store = path_in(dir, "old.lmdb"), *key = path_in(dir, "old.lmdb.key");
	char args[1300];
	struct mfa_settings set;
	struct mfa_store *s;
	struct mfa_txn *txn;
	struct mfa_user_rec rec;
	uint8_t k[MFA_KEY_LEN];
	const char *error;

	compat_copy_file(COMPAT_DIR "/lmdb-v1.lmdb", store, 0600);
	compat_copy_file(COMPAT_DIR "/lmdb-v1.key", key, 0600);
	snprintf(args, sizeof(args), "store=%s", store);
	compat_settings(&set, args);
	use_old_store(&set);
	/* The failure count was cleared by the accepted code. */
	assert_int_equal(mfa_open(&set, 0, &s, k, &error), 0);
	txn = mfa_txn_begin(s, 0);
	assert_int_equal(mfa_user_get(txn, USER, &rec), MFA_STORE_OK);
	assert_int_equal(rec.failures, 0);
	mfa_txn_abort(&txn);
	mfa_store_close(&s);
	free(store);
	free(key);
}

/* "string HEXKEY HEXVALUE" / "hash HEXKEY HEXFIELD HEXVALUE" into db DB. */
static void test_redis_v1(void **state)
{
	char *key = path_in(dir, "redis.key");
	char args[1400];
	struct mfa_settings set;

	assert_true(compat_load_redis_dump(COMPAT_DIR "/redis-v1.txt", sock_path, DB) >= 4);	/* meta, user, app hash, ip */
	compat_copy_file(COMPAT_DIR "/redis-v1.key", key, 0600);
	snprintf(args, sizeof(args), "store=redis://%s?db=%d key_file=%s redis_timeout=1000",
		 sock_path, DB, key);
	compat_settings(&set, args);
	use_old_store(&set);
	free(key);
}

/* --- MFA_COMPAT_WRITE=1: write the fixtures with this tree's code */

static void write_story(const struct mfa_settings *set, const struct mfa_app_rec *app)
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_user_rec rec;
	uint8_t key[MFA_KEY_LEN];
	const char *error = NULL;
	struct mfa_decision d;

	if (mfa_open(set, 1, &store, key, &error) < 0)
		fail_msg("mfa_open: %s", error);
	txn = mfa_txn_begin(store, 1);
	memset(&rec, 0, sizeof(rec));
	rec.algorithm = MFA_TOTP_SHA1;
	rec.digits = 6;
	rec.created = T0 - 3600;
	assert_int_equal(mfa_seal(key, USER, seed1, 20, rec.sealed, sizeof(rec.sealed),
				  &rec.sealed_len, &error), 0);
	assert_int_equal(mfa_user_put(txn, USER, &rec), MFA_STORE_OK);
	assert_int_equal(mfa_app_put(txn, USER, app), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
	code_login(set, 0, T0, MFA_VERDICT_NEXT, "code ok");
	d = compat_login(set, "alice-pw000000", "imap", T0 + 40);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	check_records(set, 1);
}

static void hex_out(FILE *fp, const char *p, size_t n)
{
	size_t i;

	fputc(' ', fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%02x", (unsigned char)p[i]);
}

static void dump_redis(const char *path)
{
	redisContext *c = compat_redis_connect(sock_path, DB);
	redisReply *keys, *rep;
	FILE *fp = fopen(path, "w");
	size_t i, j;

	assert_non_null(c);
	assert_non_null(fp);
	keys = redisCommand(c, "KEYS *");
	assert_int_equal(keys->type, REDIS_REPLY_ARRAY);
	for (i = 0; i < keys->elements; i++) {
		redisReply *k = keys->element[i];

		rep = redisCommand(c, "TYPE %b", k->str, k->len);
		if (strcmp(rep->str, "string") == 0) {
			freeReplyObject(rep);
			rep = redisCommand(c, "GET %b", k->str, k->len);
			fputs("string", fp);
			hex_out(fp, k->str, k->len);
			hex_out(fp, rep->str, rep->len);
			fputc('\n', fp);
		} else {
			assert_string_equal(rep->str, "hash");
			freeReplyObject(rep);
			rep = redisCommand(c, "HGETALL %b", k->str, k->len);
			for (j = 0; j + 1 < rep->elements; j += 2) {
				fputs("hash", fp);
				hex_out(fp, k->str, k->len);
				hex_out(fp, rep->element[j]->str, rep->element[j]->len);
				hex_out(fp, rep->element[j + 1]->str, rep->element[j + 1]->len);
				fputc('\n', fp);
			}
		}
		freeReplyObject(rep);
	}
	freeReplyObject(keys);
	assert_int_equal(fclose(fp), 0);
	redisFree(c);
}

static void write_fixtures(void **state)
{
	char pw[MFA_APPPASS_LEN + 1], args[1400];
	char *lmdb = path_in(dir, "w.lmdb"), *lkey = path_in(dir, "w.lmdb.key");
	char *rkey = path_in(dir, "w-redis.key");
	struct mfa_app_rec app;
	struct mfa_settings set;
	const char *error;
	redisContext *c = compat_redis_connect(sock_path, DB);
	FILE *fp;

	freeReplyObject(redisCommand(c, "FLUSHDB"));
	redisFree(c);
	assert_int_equal(mfa_apppass_generate(pw, &error), 0);
	memset(&app, 0, sizeof(app));
	memcpy(app.id, pw, MFA_APP_ID_LEN);
	strcpy(app.name, "phone");
	app.created = T0 - 100;
	assert_int_equal(mfa_apppass_hash(pw, app.hash, sizeof(app.hash), &error), 0);

	snprintf(args, sizeof(args), "store=%s", lmdb);
	compat_settings(&set, args);
	write_story(&set, &app);
	snprintf(args, sizeof(args), "store=redis://%s?db=%d key_file=%s redis_timeout=1000",
		 sock_path, DB, rkey);
	compat_settings(&set, args);
	write_story(&set, &app);

	compat_copy_file(lmdb, COMPAT_DIR "/lmdb-v1.lmdb", 0644);
	compat_copy_file(lkey, COMPAT_DIR "/lmdb-v1.key", 0644);
	compat_copy_file(rkey, COMPAT_DIR "/redis-v1.key", 0644);
	dump_redis(COMPAT_DIR "/redis-v1.txt");
	fp = fopen(COMPAT_DIR "/app-password.txt", "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", pw);
	assert_int_equal(fclose(fp), 0);
	free(lmdb);
	free(lkey);
	free(rkey);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lmdb_v1),
		cmocka_unit_test(test_redis_v1),
	};
	const struct CMUnitTest writer[] = {
		cmocka_unit_test(write_fixtures),
	};
	const char *w = getenv("MFA_COMPAT_WRITE");

	if (w != NULL && strcmp(w, "1") == 0)
		return cmocka_run_group_tests(writer, start_redis, stop_redis);
	return cmocka_run_group_tests(tests, start_redis, stop_redis);
}
