/*++
 * NAME
 *	test_apppass_upgrade 1
 * SUMMARY
 *	an app password stored as yescrypt by the old code is re-stored as
 *	HMAC-SHA-256 at its first successful login, and keeps working
 * DESCRIPTION
 *	Uses the stores in dovecot-mfa-plugin/tests/compat/ (written by the
 *	plugin's code as of commit ebfd37e, before issue 19; see its README
 *	and test_store_compat.c): the LMDB file, and the dump of the Redis
 *	keys loaded into a private redis-server. Each holds the app password
 *	"phone" of alice@lab.example (app-password.txt) as a version 1
 *	record with a yescrypt hash.
 *
 *	For each backend, on a copy: the record reads as yescrypt; a wrong
 *	password of the same id fails and changes nothing; the right one
 *	logs in and, in the same commit as its last use, the record becomes
 *	HMAC-SHA-256 (64 hex digits, the tag mfa_apppass_tag() gives under
 *	the store's key file); it logs in again without a second re-store;
 *	a wrong password still fails; the record read back carries the new
 *	scheme and the last use of the last success.
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "mfa_apppass.h"
#include "mfa_policy.h"
#include "mfa_store.h"
#include "../../common/tests/test_util.h"	/* test_redis_spawn/stop */

#define COMPAT_DIR "dovecot-mfa-plugin/tests/compat"
#define USER "alice@lab.example"
#define IP "198.51.100.7"
#define T0 ((time_t)1800000000)		/* as in the fixtures */
#define DB 5
#define POLICY "max_failures=3 lockout=10m ip_max_failures=50 services=imap,pop3,smtp"

static char *dir;
static char sock_path[600];
static pid_t redis_pid = -1;

static void copy_file(const char *from, const char *to)
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
	assert_int_equal(chmod(to, 0600), 0);
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

static struct mfa_decision login(const struct mfa_settings *set,
				 const char *password, time_t now)
{
	struct mfa_request req = {
		.user = USER, .password = password, .password_len = strlen(password),
		.service = "imap", .remote_ip = IP, .now = now,
	};
	struct mfa_decision d;

	mfa_policy_check(set, &req, &d);
	return d;
}

static void read_app_password(char pw[MFA_APPPASS_LEN + 1])
{
	FILE *fp = fopen(COMPAT_DIR "/app-password.txt", "r");
	char line[128];

	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strlen(line), MFA_APPPASS_LEN);
	memcpy(pw, line, MFA_APPPASS_LEN + 1);
}

/* The app record of pw, and the store's key. */
static struct mfa_app_rec get_app(const struct mfa_settings *set, const char *pw,
				  uint8_t key_r[MFA_KEY_LEN])
{
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_app_rec app;
	const char *error = NULL;
	char id[5];

	memcpy(id, pw, 4);
	id[4] = '\0';
	if (mfa_open(set, 0, &store, key_r, &error) < 0)
		fail_msg("mfa_open: %s", error);
	txn = mfa_txn_begin(store, 0);
	assert_non_null(txn);
	assert_int_equal(mfa_app_get(txn, USER, id, &app), MFA_STORE_OK);
	mfa_txn_abort(&txn);
	mfa_store_close(&store);
	return app;
}

static void expect(const struct mfa_decision *d, enum mfa_verdict want,
		   const char *want_reason, const char *what)
{
	if (d->verdict != want || strstr(d->reason, want_reason) == NULL)
		fail_msg("%s: %s (%s), want %s (%s)", what,
			 mfa_verdict_str(d->verdict), d->reason,
			 mfa_verdict_str(want), want_reason);
}

static void upgrade_story(const struct mfa_settings *set)
{
	char pw[MFA_APPPASS_LEN + 1], wrong[MFA_APPPASS_LEN + 1];
	char tag[MFA_APPPASS_TAG_HEX + 1], old_hash[MFA_APP_HASH_MAX + 1];
	uint8_t key[MFA_KEY_LEN];
	struct mfa_app_rec app;
	struct mfa_decision d;
	const char *error = NULL;

	read_app_password(pw);
	memcpy(wrong, pw, sizeof(wrong));
	wrong[20] = pw[20] == 'a' ? 'b' : 'a';

	/* as the old code left it */
	app = get_app(set, pw, key);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_YESCRYPT);
	assert_int_equal(strncmp(app.hash, "$y$", 3), 0);
	assert_string_equal(app.name, "phone");
	assert_int_equal(app.last_used, 0);
	memcpy(old_hash, app.hash, sizeof(old_hash));

	/* a wrong password of the same id: refused, record unchanged */
	d = login(set, wrong, T0 + 100);
	expect(&d, MFA_VERDICT_FAIL, "bad app password", "wrong password, old record");
	app = get_app(set, pw, key);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_YESCRYPT);
	assert_string_equal(app.hash, old_hash);

	/* the right one: accepted and re-stored in the same commit */
	d = login(set, pw, T0 + 101);
	expect(&d, MFA_VERDICT_APP_OK, "re-stored as hmac-sha256", "first login");
	app = get_app(set, pw, key);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_HMAC_SHA256);
	assert_int_equal(app.last_used, T0 + 101);
	assert_string_equal(app.name, "phone");
	assert_int_equal(mfa_apppass_tag(key, USER, pw, strlen(pw), tag,
					 sizeof(tag), &error), 0);
	assert_string_equal(app.hash, tag);
	assert_null(strstr(app.hash, pw + 5));

	/* still working, no second re-store; a wrong one still fails */
	d = login(set, pw, T0 + 102);
	expect(&d, MFA_VERDICT_APP_OK, "app password 'phone' used", "second login");
	assert_null(strstr(d.reason, "re-stored"));
	d = login(set, wrong, T0 + 103);
	expect(&d, MFA_VERDICT_FAIL, "bad app password", "wrong password, new record");
	app = get_app(set, pw, key);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_HMAC_SHA256);
	assert_string_equal(app.hash, tag);
	assert_int_equal(app.last_used, T0 + 102);
}

static void test_lmdb(void **state)
{
	char store[700], key[700], args[1500];
	struct mfa_settings set;

	snprintf(store, sizeof(store), "%s/old.lmdb", dir);
	snprintf(key, sizeof(key), "%s/old.lmdb.key", dir);
	copy_file(COMPAT_DIR "/lmdb-v1.lmdb", store);
	copy_file(COMPAT_DIR "/lmdb-v1.key", key);
	snprintf(args, sizeof(args), "store=%s", store);
	settings(&set, args);
	upgrade_story(&set);
}

/* --- Redis: the dump's "string HEXKEY HEXVALUE" / "hash HEXKEY HEXFIELD
   HEXVALUE" lines into db DB of a private server */

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

	assert_non_null(fp);
	assert_non_null(c);
	freeReplyObject(redisCommand(c, "FLUSHDB"));
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
	}
	fclose(fp);
	redisFree(c);
}

static void test_redis(void **state)
{
	char key[700], args[1500];
	struct mfa_settings set;

	load_redis_dump(COMPAT_DIR "/redis-v1.txt");
	snprintf(key, sizeof(key), "%s/redis.key", dir);
	copy_file(COMPAT_DIR "/redis-v1.key", key);
	snprintf(args, sizeof(args), "store=redis://%s?db=%d key_file=%s redis_timeout=1000",
		 sock_path, DB, key);
	settings(&set, args);
	upgrade_story(&set);
}

static int setup(void **state)
{
	char logfile[700];

	dir = test_tmpdir();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
	redis_pid = test_redis_spawn(dir, sock_path, logfile);
	if (redis_pid < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
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

static int teardown(void **state)
{
	test_redis_stop(&redis_pid, SIGTERM);
	mfa_store_release_cached();
	test_rmtree(&dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lmdb),
		cmocka_unit_test(test_redis),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
