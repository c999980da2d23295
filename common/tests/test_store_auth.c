/*++
 * NAME
 *	test_store_auth 1
 * SUMMARY
 *	Redis AUTH of store_redis.c against a private password-protected
 *	redis-server
 * DESCRIPTION
 *	Starts redis-server (unix socket in a mkdtemp directory, no TCP
 *	port) with a password for the "default" user (requirepass) and an
 *	ACL user "messec". The password reaches redis-server on its own
 *	command line: that is the test server's business; the store only
 *	ever reads credentials from an auth_file. Checks: no credentials =
 *	NOAUTH at open; default user and ACL user log in; a wrong password
 *	is refused without the password in the error; the auth_file must be
 *	a regular file (no symlink) owned by us or root with no group or
 *	other permission, at an absolute path, with a well-formed content;
 *	credentials in the address are refused; a connection the server
 *	dropped is replaced by one that authenticates again.
 *--*/
#include "test_util.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include <messec/store.h>

#define DEFAULT_PW "default-pw-4711"
#define USER_PW "messec=pw#1"

static char *dir;
static char sock_path[512];
static pid_t redis_pid = -1;

static int start_redis(void **state)
{
	static const char *const extra[] = {
		"--requirepass", DEFAULT_PW,
		"--user", "messec", "on", ">" USER_PW, "~*", "&*", "+@all",
		NULL,
	};
	char logfile[600];
	int i;

	dir = test_tmpdir();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
	redis_pid = test_redis_spawn_args(dir, sock_path, logfile, extra);
	if (redis_pid < 0)
		return -1;
	/* Wait (bounded) until it answers, with a raw client. */
	for (i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };
		redisContext *c = redisConnectUnix(sock_path);
		int up = c != NULL && !c->err;

		if (c != NULL)
			redisFree(c);
		if (up)
			return 0;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "redis-server did not start\n");
	return -1;
}

static int stop_redis(void **state)
{
	test_redis_stop(&redis_pid, SIGTERM);
	test_rmtree(&dir);
	return 0;
}

/* Write an auth file with mode; returns its malloc'ed path. */
static char *auth_file(const char *name, const char *text, mode_t mode)
{
	char *path = test_write_file(dir, name, text, strlen(text));

	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static struct store *open_with(const char *path, const char **err)
{
	char uri[1200];

	if (path != NULL)
		snprintf(uri, sizeof(uri), "redis://%s?db=3&auth_file=%s", sock_path, path);
	else
		snprintf(uri, sizeof(uri), "redis://%s?db=3", sock_path);
	*err = NULL;
	return store_open(uri, err);
}

static void use(struct store *s)
{
	void *v = NULL;

	assert_int_equal(store_put(s, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_get(s, "k", 1, &v, NULL), STORE_OK);
	assert_string_equal(v, "v");
	free(v);
}

static void test_no_credentials(void **state)
{
	const char *err;

	/* The server wants a password: open fails at once, not at the
	   first lookup. */
	assert_null(open_with(NULL, &err));
	assert_non_null(strstr(err, "NOAUTH"));
}

static void test_default_user(void **state)
{
	char *path = auth_file("default.auth", "# requirepass\npassword = " DEFAULT_PW "\n", 0600);
	const char *err;
	struct store *s = open_with(path, &err);

	assert_non_null(s);
	use(s);
	store_close(&s);
	free(path);
}

static void test_acl_user(void **state)
{
	char *path = auth_file("user.auth", "user = messec\n  password =  " USER_PW "  \n", 0400);
	const char *err;
	struct store *s = open_with(path, &err);
	struct store_txn *txn;

	assert_non_null(s);
	use(s);
	/* Transactions run on authenticated connections too. */
	txn = store_txn_begin(s);
	assert_non_null(txn);
	assert_int_equal(store_txn_put(txn, "t", 1, "1", 1, 0), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	store_close(&s);
	free(path);
}

static void test_wrong_password(void **state)
{
	char *path = auth_file("wrong.auth", "user = messec\npassword = not-the-one-123\n", 0600);
	const char *err;

	assert_null(open_with(path, &err));
	assert_non_null(strstr(err, "AUTH failed: WRONGPASS"));
	assert_null(strstr(err, "not-the-one-123"));
	free(path);
}

struct file_case {
	const char *name, *file, *text;
	mode_t mode;
	const char *want;
};

static const struct file_case file_cases[] = {
	{ "auth_file readable by group is refused", "g.auth", "password = " DEFAULT_PW "\n",
	  0640, "group or others have access (mode 640; chmod 600)" },
	{ "auth_file readable by others is refused", "o.auth", "password = " DEFAULT_PW "\n",
	  0604, "group or others have access (mode 604; chmod 600)" },
	{ "auth_file writable by group is refused", "w.auth", "password = " DEFAULT_PW "\n",
	  0620, "group or others have access" },
	{ "auth_file without password", "np.auth", "user = messec\n", 0600,
	  "no password = line" },
	{ "auth_file unknown name", "un.auth", "pass = x\n", 0600,
	  ":1: unknown name (expected user or password)" },
	{ "auth_file line without =", "ne.auth", "# c\n\npassword\n", 0600,
	  ":3: expected name = value" },
	{ "auth_file password twice", "tw.auth", "password = a\npassword = b\n", 0600,
	  ":2: password given twice, empty or longer than 512 bytes" },
	{ "auth_file empty password", "em.auth", "password =   \n", 0600,
	  ":1: password given twice, empty or longer than 512 bytes" },
};

static void test_file_case(void **state)
{
	const struct file_case *c = *state;
	char *path = auth_file(c->file, c->text, c->mode);
	const char *err;

	assert_null(open_with(path, &err));
	if (strstr(err, c->want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, c->want);
	/* Never the secret in the error text. */
	assert_null(strstr(err, DEFAULT_PW));
	free(path);
}

static void test_file_owner(void **state)
{
	char *path = auth_file("owner.auth", "password = " DEFAULT_PW "\n", 0600);
	const char *err;

	if (geteuid() != 0)
		skip();	/* only root can give a file away */
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_null(open_with(path, &err));
	assert_non_null(strstr(err, "owned by uid 65534 (expected root or uid 0)"));
	free(path);
}

static void test_file_symlink_relative_missing(void **state)
{
	char *target = auth_file("real.auth", "password = " DEFAULT_PW "\n", 0600);
	char link[600], uri[1200];
	const char *err;

	snprintf(link, sizeof(link), "%s/link.auth", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_null(open_with(link, &err));
	assert_non_null(strstr(err, "Too many levels of symbolic links"));
	snprintf(link, sizeof(link), "%s/missing.auth", dir);
	assert_null(open_with(link, &err));
	assert_non_null(strstr(err, "No such file or directory"));
	snprintf(uri, sizeof(uri), "redis://%s?auth_file=real.auth", sock_path);
	assert_null(store_open(uri, &err));
	assert_non_null(strstr(err, "auth_file must be an absolute path"));
	free(target);
}

static void test_credentials_in_address(void **state)
{
	const char *err;

	assert_null(store_open("redis://messec:" DEFAULT_PW "@127.0.0.1/0", &err));
	assert_non_null(strstr(err, "credentials do not belong in the address (use auth_file=/path)"));
}

static void test_reconnect_authenticates(void **state)
{
	char *path = auth_file("re.auth", "user = messec\npassword = " USER_PW "\n", 0600);
	const char *err;
	struct store *s = open_with(path, &err);
	redisContext *admin;
	redisReply *rep;
	void *v = NULL;
	enum store_result r;

	assert_non_null(s);
	use(s);
	/* The server drops every client connection (a restart, a timeout). */
	admin = redisConnectUnix(sock_path);
	assert_non_null(admin);
	rep = redisCommand(admin, "AUTH %s", DEFAULT_PW);
	assert_int_equal(rep->type, REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	rep = redisCommand(admin, "CLIENT KILL TYPE normal SKIPME yes");
	assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
	assert_true(rep->integer >= 1);
	freeReplyObject(rep);
	redisFree(admin);
	/* The pooled connection fails once (ERROR, never NOTFOUND); the
	   next call opens a new one, which must authenticate again. */
	r = store_get(s, "k", 1, &v, NULL);
	if (r == STORE_ERROR)
		r = store_get(s, "k", 1, &v, NULL);
	assert_int_equal(r, STORE_OK);
	free(v);
	store_close(&s);
	free(path);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "no auth_file on a password server: NOAUTH at open", test_no_credentials, NULL);
	tests_add(&l, "password only: the default user (requirepass)", test_default_user, NULL);
	tests_add(&l, "user and password: an ACL user, mode 0400 accepted", test_acl_user, NULL);
	tests_add(&l, "wrong password refused, not echoed", test_wrong_password, NULL);
	tests_add_table(&l, file_cases, test_file_case);
	tests_add(&l, "auth_file owned by another user is refused", test_file_owner, NULL);
	tests_add(&l, "auth_file: symlink, missing file, relative path refused",
		  test_file_symlink_relative_missing, NULL);
	tests_add(&l, "credentials in the address are refused", test_credentials_in_address, NULL);
	tests_add(&l, "a dropped connection is replaced by an authenticated one",
		  test_reconnect_authenticates, NULL);
	return tests_run(&l, "store_auth", start_redis, stop_redis);
}
