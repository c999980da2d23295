/*++
 * NAME
 *	test_sock 1
 * SUMMARY
 *	unit tests for sock.c: parse/format cases, unix and inet listen/connect
 *--*/
#include "test_util.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <messec/sock.h>

struct parse_case {
	const char *name, *text;
	int want_rc;
	const char *want_format;	/* or error */
	const char *want_milter;
};

static const struct parse_case parse_cases[] = {
	{ "unix path", "unix:/run/messec/x.sock", 0, "unix:/run/messec/x.sock", "unix:/run/messec/x.sock" },
	{ "local alias", "local:/run/x.sock", 0, "unix:/run/x.sock", "unix:/run/x.sock" },
	{ "inet v4", "inet:127.0.0.1:8891", 0, "inet:127.0.0.1:8891", "inet:8891@127.0.0.1" },
	{ "inet name", "inet:localhost:25", 0, "inet:localhost:25", "inet:25@localhost" },
	{ "inet bracketed v6", "inet:[2001:db8::1]:8891", 0, "inet:[2001:db8::1]:8891", "inet6:8891@2001:db8::1" },
	{ "inet6 bracketed", "inet6:[::1]:10025", 0, "inet:[::1]:10025", "inet6:10025@::1" },
	{ "bare host:port", "127.0.0.1:9100", 0, "inet:127.0.0.1:9100", "inet:9100@127.0.0.1" },
	{ "bare [v6]:port", "[::1]:9100", 0, "inet:[::1]:9100", "inet6:9100@::1" },
	{ "port 0", "inet:127.0.0.1:0", 0, "inet:127.0.0.1:0", "inet:0@127.0.0.1" },
	{ "port 65535", "inet:127.0.0.1:65535", 0, "inet:127.0.0.1:65535", "inet:65535@127.0.0.1" },
	{ "port 65536", "inet:127.0.0.1:65536", -1, "inet:127.0.0.1:65536: invalid port (expected 0-65535)", NULL },
	{ "port missing", "inet:127.0.0.1", -1, "inet:127.0.0.1: missing port (expected host:port)", NULL },
	{ "port empty", "inet:127.0.0.1:", -1, "inet:127.0.0.1:: invalid port (expected 0-65535)", NULL },
	{ "unix relative", "unix:run/x.sock", -1, "unix:run/x.sock: socket path must be absolute (expected unix:/path)", NULL },
	{ "inet6 without brackets", "inet6:::1:25", -1, "inet6:::1:25: inet6 needs a bracketed address (expected inet6:[addr]:port)", NULL },
	{ "milter port@host form", "inet:25@127.0.0.1", -1, "inet:25@127.0.0.1: missing port (expected host:port)", NULL },
	{ "unterminated bracket", "inet:[::1:25", -1, "inet:[::1:25: unterminated [address] (expected [addr]:port)", NULL },
	{ "bracketed not v6", "inet:[127.0.0.1]:25", -1, "inet:[127.0.0.1]:25: invalid IPv6 address (expected [addr]:port)", NULL },
	{ "unknown scheme", "tcp:1.2.3.4:5", -1, "tcp:1.2.3.4:5: invalid host (expected a name, an IPv4 address or [IPv6])", NULL },
	{ "no form", "/run/x.sock", -1, "/run/x.sock: unknown socket form (expected unix:/path or inet:host:port)", NULL },
	{ "unix path too long", "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  -1, "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: socket path too long (expected at most 107 bytes)", NULL },
};

static void test_parse(void **state)
{
	const struct parse_case *c = *state;
	struct sock_addr addr;
	const char *err = NULL;
	char buf[400];

	assert_int_equal(sock_addr_parse(c->text, &addr, &err), c->want_rc);
	if (c->want_rc < 0) {
		assert_string_equal(err, c->want_format);
		return;
	}
	sock_addr_format(&addr, buf, sizeof(buf));
	assert_string_equal(buf, c->want_format);
	sock_addr_milter(&addr, buf, sizeof(buf));
	assert_string_equal(buf, c->want_milter);
}

static void test_unix_listen(void **state)
{
	char *dir = test_tmpdir();
	char text[300];
	struct sock_addr addr;
	struct stat st;
	const char *err = NULL;
	int lfd, cfd, afd;

	snprintf(text, sizeof(text), "unix:%s/x.sock", dir);
	assert_int_equal(sock_addr_parse(text, &addr, &err), 0);
	lfd = sock_listen(&addr, 16, 0660, NULL, NULL, &err);
	assert_true(lfd >= 0);
	assert_int_equal(stat(addr.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	cfd = sock_connect(&addr, 1000, &err);
	assert_true(cfd >= 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(write(cfd, "hi", 2), 2);
	{
		char buf[4];
		assert_int_equal(read(afd, buf, sizeof(buf)), 2);
	}
	close(afd);
	close(cfd);

	/* A live socket is not removed (the probe connects and closes). */
	assert_int_equal(sock_listen(&addr, 16, 0660, NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "in use by another process"));
	close(lfd);

	/* The socket file is now stale: removed, and listening works again. */
	lfd = sock_listen(&addr, 16, 0600, NULL, NULL, &err);
	assert_true(lfd >= 0);
	assert_int_equal(stat(addr.path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(lfd);
	test_rmtree(&dir);
}

static void test_unix_not_socket(void **state)
{
	char *dir = test_tmpdir();
	char *path = test_write_file(dir, "file", "x", 1);
	struct sock_addr addr = { .kind = SOCK_ADDR_UNIX };
	const char *err = NULL;
	struct stat st;

	snprintf(addr.path, sizeof(addr.path), "%s", path);
	assert_int_equal(sock_listen(&addr, 16, 0600, NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	free(path);
	test_rmtree(&dir);
}

static void test_unix_owner(void **state)
{
	char *dir = test_tmpdir();
	struct sock_addr addr = { .kind = SOCK_ADDR_UNIX };
	const char *err = NULL;
	int fd;

	snprintf(addr.path, sizeof(addr.path), "%s/o.sock", dir);
	assert_int_equal(sock_listen(&addr, 16, 0600, "no-such-user-messec", NULL, &err), -1);
	assert_string_equal(err, "unknown user 'no-such-user-messec'");
	if (getuid() == 0) {
		struct stat st;

		fd = sock_listen(&addr, 16, 0660, "nobody", "nogroup", &err);
		assert_true(fd >= 0);
		assert_int_equal(stat(addr.path, &st), 0);
		assert_int_not_equal(st.st_uid, 0);
		close(fd);
	}
	test_rmtree(&dir);
}

static void test_inet(void **state)
{
	struct sock_addr addr;
	const char *err = NULL;
	int lfd, cfd, port;

	assert_int_equal(sock_addr_parse("inet:127.0.0.1:0", &addr, &err), 0);
	lfd = sock_listen(&addr, 16, 0, NULL, NULL, &err);
	assert_true(lfd >= 0);
	port = sock_local_port(lfd);
	assert_true(port > 0);
	addr.port = (unsigned)port;
	cfd = sock_connect(&addr, 1000, &err);
	assert_true(cfd >= 0);
	close(cfd);
	close(lfd);
	/* Nobody listens there now: refused, not a hang. */
	assert_int_equal(sock_connect(&addr, 1000, &err), -1);
	assert_non_null(strstr(err, "Connection refused"));
}

static void test_connect_missing_unix(void **state)
{
	struct sock_addr addr;
	const char *err = NULL;

	assert_int_equal(sock_addr_parse("unix:/nonexistent/messec.sock", &addr, &err), 0);
	assert_int_equal(sock_connect(&addr, 100, &err), -1);
	assert_string_equal(err, "connect unix:/nonexistent/messec.sock: No such file or directory");
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, parse_cases, test_parse);
	tests_add(&l, "unix listen, mode, live and stale socket", test_unix_listen, NULL);
	tests_add(&l, "unix listen never removes a regular file", test_unix_not_socket, NULL);
	tests_add(&l, "unix listen owner", test_unix_owner, NULL);
	tests_add(&l, "inet port 0, local port, connect, refused", test_inet, NULL);
	tests_add(&l, "connect to missing unix socket", test_connect_missing_unix, NULL);
	return tests_run(&l, "sock", NULL, NULL);
}
