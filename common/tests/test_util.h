/*++
 * NAME
 *	test_util 3h
 * SUMMARY
 *	tiny helpers for the cmocka unit tests: named cases, temp dirs
 * DESCRIPTION
 *	tests_add() appends one named case (TAP line "ok N - name") with an
 *	initial state, so a table of cases becomes one cmocka test each and a
 *	failure names its case. tests_run() runs them all.
 *	test_tmpdir() makes a private mkdtemp directory under $TMPDIR (or
 *	/tmp); test_rmtree() removes it at the end. Tests write nowhere else.
 *--*/
#ifndef MESSEC_TEST_UTIL_H
#define MESSEC_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>
#include <cmocka.h>

struct test_list {
	struct CMUnitTest *items;
	size_t count, cap;
};

static inline void tests_add(struct test_list *l, const char *name,
			     CMUnitTestFunction fn, void *state)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, state };

	if (l->count == l->cap) {
		l->cap = l->cap == 0 ? 32 : l->cap * 2;
		l->items = realloc(l->items, l->cap * sizeof(*l->items));
		if (l->items == NULL)
			abort();
	}
	l->items[l->count++] = t;
}

/* Add every case of a table: cases have their name as first member. */
#define tests_add_table(l, table, fn) do { \
	size_t i_; \
	for (i_ = 0; i_ < sizeof(table) / sizeof((table)[0]); i_++) \
		tests_add((l), (table)[i_].name, (fn), (void *)&(table)[i_]); \
} while (0)

static inline int tests_run(struct test_list *l, const char *group,
			    CMFixtureFunction setup, CMFixtureFunction teardown)
{
	int rc = _cmocka_run_group_tests(group, l->items, l->count, setup, teardown);

	free(l->items);
	l->items = NULL;
	return rc;
}

static inline char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	path = malloc(strlen(base) + 32);
	if (path == NULL)
		abort();
	snprintf(path, strlen(base) + 32, "%s/messec-test-XXXXXX", base);
	if (mkdtemp(path) == NULL)
		abort();
	return path;
}

static inline int test_rm_one(const char *path, const struct stat *st,
			      int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static inline void test_rmtree(char **path)
{
	if (*path == NULL)
		return;
	nftw(*path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*path);
	*path = NULL;
}

/* Write text (len bytes) to dir/name; returns the malloc'ed path. */
static inline char *test_write_file(const char *dir, const char *name,
				    const char *text, size_t len)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	FILE *fp;

	if (path == NULL)
		abort();
	snprintf(path, n, "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL || fwrite(text, 1, len, fp) != len || fclose(fp) != 0)
		abort();
	return path;
}

/*
 * test_redis_spawn: start a private redis-server for a test: unix socket
 * sock_path only (no TCP port), no persistence, log to logfile, working
 * directory dir. Returns its pid (the caller waits until it accepts
 * connections, with whatever client it tests), or -1.
 * test_redis_spawn_args: the same with extra arguments (NULL-terminated),
 * e.g. "--requirepass" or "--user" for the AUTH tests.
 * test_redis_stop: stop it with sig and reap it; sets *pid to -1.
 */
#include <signal.h>
#include <sys/wait.h>

static inline pid_t test_redis_spawn_args(const char *dir, const char *sock_path,
					  const char *logfile,
					  const char *const extra[])
{
	const char *argv[40] = {
		"redis-server", "--port", "0", "--unixsocket", sock_path,
		"--unixsocketperm", "700", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", logfile, "--daemonize", "no",
	};
	size_t n = 17, i;
	pid_t pid;

	for (i = 0; extra != NULL && extra[i] != NULL && n + 1 < 40; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Extra redis-server arguments (e.g. "--requirepass", "pw"): see above. */
static inline pid_t test_redis_spawn(const char *dir, const char *sock_path,
				     const char *logfile)
{
	return test_redis_spawn_args(dir, sock_path, logfile, NULL);
}

static inline void test_redis_stop(pid_t *pid, int sig)
{
	if (*pid > 0) {
		kill(*pid, sig);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}

#endif
