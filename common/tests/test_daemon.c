/*++
 * NAME
 *	test_daemon 1
 * SUMMARY
 *	unit tests for daemon.c: the config swap, the options, and a whole
 *	run of a toy daemon (pid file, SIGHUP with a bad and a good config,
 *	SIGTERM) in a child process
 *--*/
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <messec/daemon.h>

/* --- a toy daemon: config "name = ...", run() waits for stop() -------- */

struct toy_conf {
	struct daemon_ref ref;
	struct cfg *cfg;
};

static const struct cfg_def toy_defs[] = {
	{"name", CFG_STR, "first", 1, 64, NULL, "a name"},
	{"port", CFG_STR, "1", 0, 8, NULL, "read at startup only"},
	{"user", CFG_STR, "", 0, 64, NULL, "user"},
	{"group", CFG_STR, "", 0, 64, NULL, "group"},
	{"pid_file", CFG_STR, "", 0, 1024, NULL, "pid file"},
	{"log_level", CFG_ENUM, "info", 0, 0, "debug|info|notice|warning|error", "level"},
	{"metrics_listen", CFG_STR, "", 0, 300, NULL, "metrics"},
	CFG_END
};

static int toy_frees;
static volatile sig_atomic_t toy_stopping;

static void toy_free(struct daemon_ref *ref)
{
	struct toy_conf *tc = DAEMON_CONF(ref, struct toy_conf, ref);

	cfg_free(&tc->cfg);
	free(tc);
	toy_frees++;
}

static struct daemon_ref *toy_load(const char *path, FILE *err)
{
	struct toy_conf *tc;
	struct cfg *cfg;
	int n = 0;

	if ((cfg = cfg_load(toy_defs, path, 0, err, &n)) == NULL)
		return NULL;
	tc = calloc(1, sizeof(*tc));
	assert_non_null(tc);
	tc->cfg = cfg;
	tc->ref.refs = 1;
	tc->ref.free = toy_free;
	return &tc->ref;
}

static const struct cfg *toy_cfg(struct daemon_ref *ref)
{
	return DAEMON_CONF(ref, struct toy_conf, ref)->cfg;
}

static void toy_dump(struct daemon_ref *ref, FILE *out)
{
	cfg_dump(toy_cfg(ref), out);
}

static void toy_describe(struct daemon_ref *ref, char *buf, size_t size)
{
	snprintf(buf, size, "name %s", cfg_str(toy_cfg(ref), "name"));
}

/* The service: every 20 ms, write the current name to "seen" in cwd. */
static int toy_run(void)
{
	struct timespec t = { 0, 20 * 1000 * 1000 };

	while (!toy_stopping) {
		struct daemon_ref *ref = daemon_conf_acquire();
		FILE *fp = fopen("seen.tmp", "w");

		if (fp != NULL) {
			fprintf(fp, "%s\n", ref != NULL ? cfg_str(toy_cfg(ref), "name") : "-");
			fclose(fp);
			rename("seen.tmp", "seen");
		}
		daemon_ref_release(&ref);
		nanosleep(&t, NULL);
	}
	return 0;
}

static void toy_stop(void)
{
	toy_stopping = 1;
}

static const char *const toy_restart[] = { "port", NULL };
static const struct daemon_def toy_def = {
	.name = "toyd", .config_path = "/nonexistent/toyd.conf",
	.load = toy_load, .cfg = toy_cfg, .dump = toy_dump, .describe = toy_describe,
	.run = toy_run, .stop = toy_stop, .restart_keys = toy_restart,
	.thread_stack = 256 * 1024,
};

/* --- the swap ------------------------------------------------------------ */

static struct daemon_ref *toy_new(void)
{
	struct toy_conf *tc = calloc(1, sizeof(*tc));

	assert_non_null(tc);
	tc->ref.refs = 1;
	tc->ref.free = toy_free;
	return &tc->ref;
}

static void test_swap(void **state)
{
	struct daemon_ref *a = toy_new(), *b = toy_new(), *held, *now;

	toy_frees = 0;
	assert_null(daemon_conf_acquire());
	daemon_conf_install(a);
	held = daemon_conf_acquire();
	assert_ptr_equal(held, a);
	daemon_conf_install(b);		/* drops the installer's reference to a */
	assert_int_equal(toy_frees, 0);	/* a: still held */
	now = daemon_conf_acquire();
	assert_ptr_equal(now, b);
	daemon_ref_release(&held);	/* a's last user */
	assert_null(held);
	assert_int_equal(toy_frees, 1);
	daemon_ref_release(&now);
	daemon_ref_release(&now);	/* NULL-safe */
	assert_int_equal(toy_frees, 1);
	daemon_conf_install(NULL);	/* frees b */
	assert_int_equal(toy_frees, 2);
	assert_null(daemon_conf_acquire());
}

/* The typed accessors; ref not first, so the offset is exercised. */
struct typed_conf {
	char pad[24];
	struct daemon_ref ref;
};

static int typed_frees;

static void typed_free(struct daemon_ref *ref)
{
	typed_frees++;
	free(DAEMON_CONF(ref, struct typed_conf, ref));
}

DAEMON_CONF_ACCESSORS_DECL(typed, struct typed_conf);
DAEMON_CONF_ACCESSORS(typed, struct typed_conf, ref)

static void test_typed_swap(void **state)
{
	struct typed_conf *a = calloc(1, sizeof(*a)), *held, *none = NULL;

	assert_non_null(a);
	a->ref.refs = 1;
	a->ref.free = typed_free;
	typed_frees = 0;
	assert_null(typed_acquire());
	typed_install(a);
	held = typed_acquire();
	assert_ptr_equal(held, a);		/* the object, not its daemon_ref */
	typed_install(NULL);			/* a: still held */
	assert_int_equal(typed_frees, 0);
	typed_release(&held);			/* a's last user */
	assert_null(held);
	assert_int_equal(typed_frees, 1);
	typed_release(&none);			/* NULL-safe */
	assert_int_equal(typed_frees, 1);
}

/* --- options (each in a child: usage errors exit) ----------------------- */

struct opt_case {
	const char *name;
	const char *args[4];
	int conf;		/* 0: none, 1: good, 2: bad */
	int status;
	const char *out;	/* in stdout+stderr */
};

static const struct opt_case opt_cases[] = {
	{ "-V", { "-V" }, 0, 0, "toyd " MESSEC_VERSION },
	{ "--version", { "--version" }, 0, 0, "toyd " MESSEC_VERSION },
	{ "-h", { "-h" }, 0, 0, "-t       check the config" },
	{ "--help", { "--help" }, 0, 0, "usage: toyd [-f] [-t] [-c config_file]" },
	{ "unknown option: exit 2", { "-x" }, 0, 2, "usage: toyd" },
	{ "extra argument: exit 2", { "-t", "extra" }, 0, 2, "usage: toyd" },
	{ "-t good config: dump, exit 0", { "-t", "-c", "@" }, 1, 0, "name = toy-one" },
	{ "-t bad config: path:line, exit 1", { "-t", "-c", "@" }, 2, 1, "toyd.conf:2: bogus" },
	{ "bad config at startup: exit 78", { "-f", "-c", "@" }, 2, 78, "configuration errors, not starting" },
	{ "missing config: exit 78", { "-f" }, 0, 78, "/nonexistent/toyd.conf" },
};

/* Run daemon_main(toy_def) in a child; its output in out, status returned. */
static int run_child(char **argv, int argc, char *out, size_t size)
{
	int fds[2], status;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		fflush(NULL);
		exit(daemon_main(&toy_def, argc, argv));
	}
	close(fds[1]);
	while (len + 1 < size && (n = read(fds[0], out + len, size - len - 1)) > 0)
		len += (size_t) n;
	out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_options(void **state)
{
	const struct opt_case *c = *state;
	char *dir = test_tmpdir(), *conf = NULL, out[8192];
	char *argv[8] = { (char *) "toyd" };
	int argc = 1, i;

	if (c->conf == 1)
		conf = test_write_file(dir, "toyd.conf", "name = toy-one\n", 15);
	else if (c->conf == 2)
		conf = test_write_file(dir, "toyd.conf", "name = toy-one\nbogus = 1\n", 25);
	for (i = 0; i < 4 && c->args[i] != NULL; i++)
		argv[argc++] = strcmp(c->args[i], "@") == 0 ? conf : (char *) c->args[i];
	optind = 1;
	assert_int_equal(run_child(argv, argc, out, sizeof(out)), c->status);
	if (strstr(out, c->out) == NULL)
		fail_msg("%s: \"%s\" not in: %s", c->name, c->out, out);
	free(conf);
	test_rmtree(&dir);
}

/* --- a whole run ---------------------------------------------------------- */

/* Wait (bounded) until path holds want (NULL: until it exists). */
static int wait_file(const char *path, const char *want)
{
	char buf[4096];
	int i;

	for (i = 0; i < 500; i++) {
		FILE *fp = fopen(path, "r");

		if (fp != NULL) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, fp);

			fclose(fp);
			buf[n] = '\0';
			if (want == NULL || strstr(buf, want) != NULL)
				return 0;
		}
		usleep(20 * 1000);
	}
	return -1;
}

static void write_conf(const char *path, const char *text)
{
	char tmp[600];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(rename(tmp, path), 0);
}

static void test_lifecycle(void **state)
{
	char *dir = test_tmpdir(), conf[512], pidf[512], log[512], seen[512], text[1200];
	int status, fd;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/toyd.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/toyd.pid", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(seen, sizeof(seen), "%s/seen", dir);
	snprintf(text, sizeof(text), "name = one\npid_file = %s\n", pidf);
	write_conf(conf, text);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *) "toyd", (char *) "-f", (char *) "-c", conf, NULL };

		if (chdir(dir) != 0 || (fd = open(log, O_WRONLY | O_CREAT, 0600)) < 0)
			_exit(99);
		dup2(fd, 2);
		optind = 1;
		_exit(daemon_main(&toy_def, 4, argv));
	}
	assert_int_equal(wait_file(seen, "one"), 0);
	assert_int_equal(wait_file(log, "started, name one, config"), 0);
	assert_int_equal(wait_file(pidf, NULL), 0);

	/* A bad config: every problem logged, the old one kept. */
	snprintf(text, sizeof(text), "name = two\npid_file = %s\nbogus = 1\n", pidf);
	write_conf(conf, text);
	assert_int_equal(kill(pid, SIGHUP), 0);
	assert_int_equal(wait_file(log, "keeping the previous configuration"), 0);
	assert_int_equal(wait_file(log, "toyd.conf:3: bogus"), 0);
	unlink(seen);
	assert_int_equal(wait_file(seen, "one"), 0);

	/* A good one: swapped in; a startup-only key changed is named. */
	snprintf(text, sizeof(text), "name = three\nport = 2\npid_file = %s\n", pidf);
	write_conf(conf, text);
	assert_int_equal(kill(pid, SIGHUP), 0);
	assert_int_equal(wait_file(log, "configuration reloaded from"), 0);
	assert_int_equal(wait_file(log, "reload: port, user and metrics_listen changes need a restart"), 0);
	assert_int_equal(wait_file(seen, "three"), 0);

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(wait_file(log, "stopped"), 0);
	assert_int_equal(access(pidf, F_OK), -1);	/* removed at exit */
	test_rmtree(&dir);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "config swap: reference counted, freed by the last user", test_swap, NULL);
	tests_add(&l, "typed config accessors: object pointer, NULL-safe", test_typed_swap, NULL);
	tests_add_table(&l, opt_cases, test_options);
	tests_add(&l, "run: pid file, SIGHUP bad then good config, SIGTERM", test_lifecycle, NULL);
	return tests_run(&l, "daemon", NULL, NULL);
}
