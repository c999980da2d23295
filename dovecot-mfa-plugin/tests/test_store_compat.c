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

#include "mfa_apppass.h"
#include "mfa_policy.h"
#include "mfa_store.h"
#include "mfa_totp.h"
#include "mfa_util.h"
#include "../../common/tests/test_util.h"	/* test_redis_spawn/stop */

#define COMPAT_DIR "dovecot-mfa-plugin/tests/compat"
#define USER "alice@lab.example"
#define IP "198.51.100.7"
#define T0 ((time_t)1800000000)		/* a multiple of 30 */
#define DB 4
#define POLICY "max_failures=3 lockout=10m ip_max_failures=50 services=imap,pop3,smtp"

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

static void copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[8192];
	size_t n;

	if (in == NULL)
		fail_msg("%s: %s", from, strerror(errno));
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, mode), 0);
}

static void settings(struct mfa_settings *set, const char *store_args)
{
	char args[1400];
	const char *error = NULL;

	snprintf(args, sizeof(args), "%s " POLICY, store_args);
	mfa_settings_init(set);
	if (mfa_settings_parse_args(set, args, &error) < 0 ||
	    mfa_settings_finish(set, &error) < 0)
		fail_msg("settings: %s", error);
}

static struct mfa_decision login(const struct mfa_settings *set, const char *password,
				 const char *service, time_t now)
{
	struct mfa_request req = {
		.user = USER, .password = password, .password_len = strlen(password),
		.service = service, .remote_ip = IP, .now = now,
	};
	struct mfa_decision d;

	mfa_policy_check(set, &req, &d);
	return d;
}

static void code_login(const struct mfa_settings *set, long step, time_t now,
		       enum mfa_verdict want, const char *want_reason)
{
	char code[MFA_DIGITS_MAX + 1], pw[64];
	struct mfa_decision d;

	assert_int_equal(mfa_hotp(MFA_TOTP_SHA1, seed1, 20, (uint64_t)(T0 / 30 + step),
				  6, code), 0);
	snprintf(pw, sizeof(pw), "alice-pw%s", code);
	d = login(set, pw, "imap", now);
	if (d.verdict != want || strstr(d.reason, want_reason) == NULL)
		fail_msg("step %ld at T0+%ld: %s (%s), want %s (%s)", step,
			 (long)(now - T0), mfa_verdict_str(d.verdict), d.reason,
			 mfa_verdict_str(want), want_reason);
}

static redisContext *raw_connect(void)
{
	redisContext *c = redisConnectUnix(sock_path);
	redisReply *rep;

	if (c == NULL || c->err) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	rep = redisCommand(c, "SELECT %d", DB);
	freeReplyObject(rep);
	return c;
}

static int start_redis(void **state)
{
	char logfile[700];
	int i;

	dir = test_tmpdir();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
	redis_pid = test_redis_spawn(dir, sock_path, logfile);
	if (redis_pid < 0)
		return -1;
	for (i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };
		redisContext *c = raw_connect();

		if (c != NULL) {
			redisFree(c);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "redis-server did not start\n");
	return -1;
}

static int stop_redis(void **state)
{
	test_redis_stop(&redis_pid, SIGTERM);
	mfa_store_release_cached();
	test_rmtree(&dir);
	return 0;
}

static void read_app_password(char pw[MFA_APPPASS_LEN + 1])
{
	FILE *fp = fopen(COMPAT_DIR "/app-password.txt", "r");

	assert_non_null(fp);
	assert_non_null(fgets(pw, MFA_APPPASS_LEN + 1, fp));
	fclose(fp);
	pw[strcspn(pw, "\n")] = '\0';
	assert_int_equal(strlen(pw), MFA_APPPASS_LEN);
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
	read_app_password(app);
	d = login(set, app, "imap", T0 + 60);
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

	copy_file(COMPAT_DIR "/lmdb-v1.lmdb", store, 0600);
	copy_file(COMPAT_DIR "/lmdb-v1.key", key, 0600);
	snprintf(args, sizeof(args), "store=%s", store);
	settings(&set, args);
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
static size_t unhex(const char *hex, char *out, size_t size)
{
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	assert_true(strlen(hex) % 2 == 0 && n <= size);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (char)v;
	}
	return n;
}

static void load_redis_dump(const char *path)
{
	FILE *fp = fopen(path, "r");
	redisContext *c = raw_connect();
	char line[8192], type[16], hk[2048], hf[2048], hv[4096];
	char k[1024], f[1024], v[2048];
	size_t kl, fl, vl;
	redisReply *rep;
	int lines = 0;

	assert_non_null(fp);
	assert_non_null(c);
	rep = redisCommand(c, "FLUSHDB");
	freeReplyObject(rep);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%15s", type) != 1)
			continue;
		if (strcmp(type, "string") == 0) {
			assert_int_equal(sscanf(line, "%*s %2047s %4095s", hk, hv), 2);
			kl = unhex(hk, k, sizeof(k));
			vl = unhex(hv, v, sizeof(v));
			rep = redisCommand(c, "SET %b %b", k, kl, v, vl);
		} else {
			assert_string_equal(type, "hash");
			assert_int_equal(sscanf(line, "%*s %2047s %2047s %4095s", hk, hf, hv), 3);
			kl = unhex(hk, k, sizeof(k));
			fl = unhex(hf, f, sizeof(f));
			vl = unhex(hv, v, sizeof(v));
			rep = redisCommand(c, "HSET %b %b %b", k, kl, f, fl, v, vl);
		}
		assert_non_null(rep);
		assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
		freeReplyObject(rep);
		lines++;
	}
	fclose(fp);
	redisFree(c);
	assert_true(lines >= 4);	/* meta, user, app hash, ip */
}

static void test_redis_v1(void **state)
{
	char *key = path_in(dir, "redis.key");
	char args[1400];
	struct mfa_settings set;

	load_redis_dump(COMPAT_DIR "/redis-v1.txt");
	copy_file(COMPAT_DIR "/redis-v1.key", key, 0600);
	snprintf(args, sizeof(args), "store=redis://%s?db=%d key_file=%s redis_timeout=1000",
		 sock_path, DB, key);
	settings(&set, args);
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
	d = login(set, "alice-pw000000", "imap", T0 + 40);
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
	redisContext *c = raw_connect();
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
	redisContext *c = raw_connect();
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
	settings(&set, args);
	write_story(&set, &app);
	snprintf(args, sizeof(args), "store=redis://%s?db=%d key_file=%s redis_timeout=1000",
		 sock_path, DB, rkey);
	settings(&set, args);
	write_story(&set, &app);

	copy_file(lmdb, COMPAT_DIR "/lmdb-v1.lmdb", 0644);
	copy_file(lkey, COMPAT_DIR "/lmdb-v1.key", 0644);
	copy_file(rkey, COMPAT_DIR "/redis-v1.key", 0644);
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
