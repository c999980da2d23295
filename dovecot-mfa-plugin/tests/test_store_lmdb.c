/*++
 * NAME
 *	test_store_lmdb 1
 * SUMMARY
 *	unit tests for the LMDB environment the plugin keeps open
 *	(mfa_store_set_caching(), store_sync=periodic): the store contract
 *	again with the environment kept; reuse across logins; a removed,
 *	replaced or unreadable store (or lock file) is noticed; fork; state
 *	that survives a close and reopen without a sync; store_sync parsing
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mfa_policy.h"
#include "mfa_store.h"
#include "mfa_contract.h"

#define IP "198.51.100.7"
#define NOBODY 65534

struct contract_backend contract_backend = { "lmdb-kept", contract_lmdb_store_args, NULL };

/* "pw" + the code of step, at the time of that step */
static enum mfa_verdict login_step(struct fixture *f, long step)
{
	char code[MFA_DIGITS_MAX + 1], pw[64];

	contract_code_at(step, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	return contract_login(f, USER, pw, IP, "imap", T0 + step * 30).verdict;
}

static void copy_file(const char *from, const char *to)
{
	char buf[4096];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, 0600), 0);
}

static void test_reused(void **state)
{
	struct fixture *f = *state;
	unsigned long opens = mfa_store_lmdb_env_opens();
	const char *error = NULL;

	for (long step = 1; step <= 3; step++)
		assert_int_equal(login_step(f, step), MFA_VERDICT_NEXT);
	/* setup's enrolment opened it; the logins reused it */
	assert_int_equal(mfa_store_lmdb_env_opens(), opens);
	assert_true(mfa_store_sync_pending());
	/* within the interval: nothing flushed unless forced */
	assert_int_equal(mfa_store_sync_cached(0, &error), 0);
	assert_true(mfa_store_sync_pending());
	assert_int_equal(mfa_store_sync_cached(1, &error), 0);
	assert_false(mfa_store_sync_pending());
	/* a rejected replay is a commit too (the failure counters) */
	assert_int_equal(login_step(f, 3), MFA_VERDICT_FAIL);
	assert_true(mfa_store_sync_pending());
}

static void test_state_survives_reopen(void **state)
{
	struct fixture *f = *state;
	unsigned long opens = mfa_store_lmdb_env_opens();
	int status;
	pid_t pid;

	assert_int_equal(login_step(f, 1), MFA_VERDICT_NEXT);
	/* unsynced, then the environment closed (and flushed) and reopened */
	mfa_store_close_cached();
	assert_int_equal(login_step(f, 1), MFA_VERDICT_FAIL);
	assert_int_equal(mfa_store_lmdb_env_opens(), opens + 1);
	/* an unsynced commit is seen by another process's environment (the
	   CLI's: same page cache); LMDB allows one per file per process */
	assert_int_equal(login_step(f, 2), MFA_VERDICT_NEXT);
	assert_true(mfa_store_sync_pending());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		mfa_store_set_caching(0, MFA_STORE_SYNC_ALWAYS);
		_exit(login_step(f, 2) == MFA_VERDICT_FAIL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(mfa_store_sync_pending());
}

static void test_replaced(void **state)
{
	struct fixture *f = *state;
	char copy[MFA_PATH_MAX + 8], lock[MFA_PATH_MAX + 8];
	unsigned long opens;

	assert_int_equal(login_step(f, 1), MFA_VERDICT_NEXT);
	assert_int_equal(mfa_store_sync_cached(1, &(const char *){0}), 0);
	snprintf(copy, sizeof(copy), "%s.copy", f->set.store);
	copy_file(f->set.store, copy);
	assert_int_equal(login_step(f, 2), MFA_VERDICT_NEXT);
	opens = mfa_store_lmdb_env_opens();
	/* the copy (without step 2 burnt) replaces the store: a kept
	   environment would still see the old file and refuse the replay */
	assert_int_equal(rename(copy, f->set.store), 0);
	assert_int_equal(login_step(f, 2), MFA_VERDICT_NEXT);
	assert_int_equal(mfa_store_lmdb_env_opens(), opens + 1);
	/* removed: internal failure, never "not enrolled"; restored: works */
	assert_int_equal(rename(f->set.store, copy), 0);
	assert_int_equal(login_step(f, 3), MFA_VERDICT_INTERNAL);
	assert_int_equal(rename(copy, f->set.store), 0);
	assert_int_equal(login_step(f, 3), MFA_VERDICT_NEXT);
	/* lock file removed: reopened with a new one (the CLI would use it) */
	opens = mfa_store_lmdb_env_opens();
	snprintf(lock, sizeof(lock), "%s-lock", f->set.store);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(login_step(f, 4), MFA_VERDICT_NEXT);
	assert_int_equal(mfa_store_lmdb_env_opens(), opens + 1);
	assert_int_equal(access(lock, F_OK), 0);
}

/* In a child running as nobody (root passes every permission check). */
static int unreadable_child(struct fixture *f)
{
	char lock[MFA_PATH_MAX + 8];

	snprintf(lock, sizeof(lock), "%s-lock", f->set.store);
	if (setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return 10;
	if (login_step(f, 1) != MFA_VERDICT_NEXT)
		return 11;
	if (chmod(f->set.store, 0) < 0 || login_step(f, 2) != MFA_VERDICT_INTERNAL)
		return 12;
	if (chmod(f->set.store, 0600) < 0 || login_step(f, 2) != MFA_VERDICT_NEXT)
		return 13;
	if (chmod(lock, 0) < 0 || login_step(f, 3) != MFA_VERDICT_INTERNAL)
		return 14;
	if (chmod(lock, 0600) < 0 || login_step(f, 3) != MFA_VERDICT_NEXT)
		return 15;
	return 0;
}

static void test_unreadable(void **state)
{
	struct fixture *f = *state;
	char lock[MFA_PATH_MAX + 8];
	int status;
	pid_t pid;

	snprintf(lock, sizeof(lock), "%s-lock", f->set.store);
	mfa_store_close_cached();
	if (geteuid() == 0) {
		assert_int_equal(chown(f->dir, NOBODY, NOBODY), 0);
		assert_int_equal(chown(f->set.store, NOBODY, NOBODY), 0);
		assert_int_equal(chown(lock, NOBODY, NOBODY), 0);
		assert_int_equal(chown(f->set.key_file, NOBODY, NOBODY), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(geteuid() == 0 ? unreadable_child(f) : 20);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 20)
		skip();		/* not root: cannot change user */
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_fork(void **state)
{
	struct fixture *f = *state;
	unsigned long opens;
	int status;
	pid_t pid;

	assert_int_equal(login_step(f, 1), MFA_VERDICT_NEXT);
	opens = mfa_store_lmdb_env_opens();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the parent's environment is not used: a fresh one */
		int ok = login_step(f, 2) == MFA_VERDICT_NEXT &&
			 mfa_store_lmdb_env_opens() == opens + 1;
		mfa_store_close_cached();
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the parent's environment still works and sees the child's commit */
	assert_int_equal(login_step(f, 2), MFA_VERDICT_FAIL);
	assert_int_equal(login_step(f, 3), MFA_VERDICT_NEXT);
	assert_int_equal(mfa_store_lmdb_env_opens(), opens);
}

/* store_sync=data and always: synced at commit, nothing left pending */
static void test_sync_modes(void **state)
{
	struct fixture *f = *state;

	mfa_store_set_caching(1, MFA_STORE_SYNC_DATA);
	assert_int_equal(login_step(f, 1), MFA_VERDICT_NEXT);
	assert_false(mfa_store_sync_pending());
	mfa_store_set_caching(1, MFA_STORE_SYNC_ALWAYS);
	assert_int_equal(login_step(f, 1), MFA_VERDICT_FAIL);
	assert_int_equal(login_step(f, 2), MFA_VERDICT_NEXT);
	assert_false(mfa_store_sync_pending());
	mfa_store_set_caching(1, MFA_STORE_SYNC_PERIODIC);
	assert_int_equal(login_step(f, 3), MFA_VERDICT_NEXT);
	assert_true(mfa_store_sync_pending());
}

struct sync_case {
	const char *name;
	const char *args;
	int want;
	enum mfa_store_sync sync;
};

static const struct sync_case sync_cases[] = {
	{ "default", "store=/x", 0, MFA_STORE_SYNC_PERIODIC },
	{ "always", "store=/x store_sync=always", 0, MFA_STORE_SYNC_ALWAYS },
	{ "periodic", "store=/x store_sync=periodic", 0, MFA_STORE_SYNC_PERIODIC },
	{ "last wins", "store=/x store_sync=always store_sync=periodic", 0,
	  MFA_STORE_SYNC_PERIODIC },
	{ "data", "store=/x store_sync=data", 0, MFA_STORE_SYNC_DATA },
	{ "junk", "store=/x store_sync=sometimes", -1, 0 },
	{ "empty", "store=/x store_sync=", -1, 0 },
	{ "case", "store=/x store_sync=Always", -1, 0 },
};

static void test_sync_settings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sync_cases) / sizeof(sync_cases[0]); i++) {
		const struct sync_case *c = &sync_cases[i];
		struct mfa_settings set;
		const char *error = NULL;
		int r;

		r = contract_parse_settings(&set, c->args, &error);
		if (r != c->want)
			fail_msg("%s: %d (%s)", c->name, r, error != NULL ? error : "");
		if (r == 0 && set.store_sync != (unsigned int)c->sync)
			fail_msg("%s: store_sync %u", c->name, set.store_sync);
	}
}

#define KEPT(fn) cmocka_unit_test_setup_teardown(fn, contract_kept_setup, contract_kept_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CONTRACT_TESTS(contract_kept_setup, contract_kept_teardown),
		KEPT(test_reused),
		KEPT(test_state_survives_reopen),
		KEPT(test_replaced),
		KEPT(test_unreadable),
		KEPT(test_fork),
		KEPT(test_sync_modes),
		cmocka_unit_test(test_sync_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
