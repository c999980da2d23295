/*++
 * NAME
 *	test_priv 1
 * SUMMARY
 *	unit tests for priv.c: pid file locking, signal flags, drop no-op
 *--*/
#include "test_util.h"

#include <signal.h>
#include <sys/wait.h>

#include <messec/priv.h>

static void test_pidfile(void **state)
{
	char *dir = test_tmpdir(), path[512], buf[64], want[64];
	const char *err = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/x.pid", dir);
	assert_int_equal(priv_pidfile_write(path, &err), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);

	/* A second open file description cannot take the lock. */
	assert_int_equal(priv_pidfile_write(path, &err), -1);
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	assert_non_null(strstr(err, "locked by a running process"));
	assert_non_null(strstr(err, want));

	priv_pidfile_remove(path);
	assert_int_equal(access(path, F_OK), -1);
	test_rmtree(&dir);
}

static void test_pidfile_stale(void **state)
{
	char *dir = test_tmpdir(), *path, buf[64], want[64];
	const char *err = NULL;
	FILE *fp;

	/* Left over by a crashed process: no lock, rewritten. */
	path = test_write_file(dir, "x.pid", "999999\n", 7);
	assert_int_equal(priv_pidfile_write(path, &err), 0);
	fp = fopen(path, "r");
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);
	priv_pidfile_remove(path);
	free(path);
	test_rmtree(&dir);
}

static void test_pidfile_other_process(void **state)
{
	char *dir = test_tmpdir(), path[512];
	const char *err = NULL;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/y.pid", dir);
	assert_int_equal(priv_pidfile_write(path, &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child must find the parent's lock. */
		_exit(priv_pidfile_write(path, &err) == -1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	priv_pidfile_remove(path);
	test_rmtree(&dir);
}

static void test_pidfile_bad_dir(void **state)
{
	const char *err = NULL;

	assert_int_equal(priv_pidfile_write("/nonexistent/messec/x.pid", &err), -1);
	assert_string_equal(err, "/nonexistent/messec/x.pid: No such file or directory");
}

static void test_signals(void **state)
{
	sig_setup();
	assert_int_equal(sig_hup_take(), 0);
	raise(SIGHUP);
	assert_int_equal(sig_hup_take(), 1);
	assert_int_equal(sig_hup_take(), 0);
	assert_int_equal(sig_term_requested(), 0);
	/* SIGPIPE is ignored: raising it must not kill us. */
	raise(SIGPIPE);
	raise(SIGTERM);
	assert_int_equal(sig_term_requested(), 1);
}

static void test_drop(void **state)
{
	const char *err = NULL;

	if (getuid() != 0) {
		assert_int_equal(priv_drop(NULL, NULL, NULL, &err), 0);
		assert_int_equal(priv_drop("", NULL, NULL, &err), 0);
		return;
	}
	/* As root: no user is refused; an unknown user is refused. */
	assert_int_equal(priv_drop(NULL, NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "no user configured"));
	assert_int_equal(priv_drop("no-such-user-messec", NULL, NULL, &err), -1);
	assert_string_equal(err, "unknown user 'no-such-user-messec'");
	assert_int_equal(priv_drop("root", NULL, NULL, &err), -1);
}

static void test_drop_real(void **state)
{
	int status;
	pid_t pid;

	if (getuid() != 0)
		skip();
	/* Drop in a child, which then proves root cannot be regained. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *err = NULL;

		if (priv_drop("nobody", "nogroup", "/", &err) < 0)
			_exit(2);
		if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0)
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "pid file written and locked", test_pidfile, NULL);
	tests_add(&l, "stale pid file rewritten", test_pidfile_stale, NULL);
	tests_add(&l, "pid file lock seen by another process", test_pidfile_other_process, NULL);
	tests_add(&l, "pid file in missing dir", test_pidfile_bad_dir, NULL);
	tests_add(&l, "signal flags", test_signals, NULL);
	tests_add(&l, "drop argument checks", test_drop, NULL);
	tests_add(&l, "drop to nobody in a child, root not regained", test_drop_real, NULL);
	return tests_run(&l, "priv", NULL, NULL);
}
