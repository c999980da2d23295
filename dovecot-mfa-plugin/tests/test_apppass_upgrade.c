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

#include "compat_fixture.h"

#define USER COMPAT_USER
#define T0 COMPAT_T0			/* as in the fixtures */
#define DB 5

static char *dir;
static char sock_path[600];
static pid_t redis_pid = -1;

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

	compat_read_app_password(pw);
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
	d = compat_login(set, wrong, "imap", T0 + 100);
	expect(&d, MFA_VERDICT_FAIL, "bad app password", "wrong password, old record");
	app = get_app(set, pw, key);
	assert_int_equal(app.scheme, MFA_APP_SCHEME_YESCRYPT);
	assert_string_equal(app.hash, old_hash);

	/* the right one: accepted and re-stored in the same commit */
	d = compat_login(set, pw, "imap", T0 + 101);
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
	d = compat_login(set, pw, "imap", T0 + 102);
	expect(&d, MFA_VERDICT_APP_OK, "app password 'phone' used", "second login");
	assert_null(strstr(d.reason, "re-stored"));
	d = compat_login(set, wrong, "imap", T0 + 103);
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
	compat_copy_file(COMPAT_DIR "/lmdb-v1.lmdb", store, 0600);
	compat_copy_file(COMPAT_DIR "/lmdb-v1.key", key, 0600);
	snprintf(args, sizeof(args), "store=%s", store);
	compat_settings(&set, args);
	upgrade_story(&set);
}

/* --- Redis: the dump's "string HEXKEY HEXVALUE" / "hash HEXKEY HEXFIELD
   HEXVALUE" lines into db DB of a private server */

static void test_redis(void **state)
{
	char key[700], args[1500];
	struct mfa_settings set;

	assert_true(compat_load_redis_dump(COMPAT_DIR "/redis-v1.txt", sock_path, DB) >= 4);
	snprintf(key, sizeof(key), "%s/redis.key", dir);
	compat_copy_file(COMPAT_DIR "/redis-v1.key", key, 0600);
	snprintf(args, sizeof(args), "store=redis://%s?db=%d key_file=%s redis_timeout=1000",
		 sock_path, DB, key);
	compat_settings(&set, args);
	upgrade_story(&set);
}

static int setup(void **state)
{
	dir = test_tmpdir();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	redis_pid = compat_redis_start(dir, sock_path, DB);
	return redis_pid < 0 ? -1 : 0;
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
