/*++
 * NAME
 *	store_redis_addr 3
 * SUMMARY
 *	Redis backend: the address grammar and the auth_file
 * SYNOPSIS
 *	redis://host[:port][/db][?timeout_ms=N][&auth_file=/abs/path]
 *	redis:///path/to/socket[?db=N][&timeout_ms=N][&auth_file=/abs/path]
 * DESCRIPTION
 *	Strict: every malformed part is an error naming the address and
 *	the part; options through store_parse_query(). Credentials in the
 *	address are refused. The auth_file is checked on its open
 *	descriptor (O_NOFOLLOW; regular; owner root or the effective uid;
 *	no permission at all for group or others, OpenSMTPD's
 *	check_file_secrecy made stricter) and holds "user = NAME"
 *	(optional) and "password = SECRET" lines, '#' comments.
 * TRUST BOUNDARY
 *	The address and the file are the admin's; the file's secret never
 *	reaches an error text, and the read buffer is wiped.
 *--*/
#include "store_redis_int.h"

#include <messec/secret.h>
#include <messec/str.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_FILE_MAX 4096
#define AUTH_FIELD_MAX 512

static const char bad_address[] =
	"bad redis address (expected redis://host[:port][/db] or redis:///path/to/socket)";

/* --- address */

/* Decimal in [min, max] from len bytes at s; 0, or -1. */
static int parse_num(const char *s, size_t len, uint64_t min, uint64_t max,
		     uint64_t *v_r)
{
	char buf[24];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return ms_str_parse_uint(buf, min, max, v_r);
}

/* "host", "host:port", "[v6]", "[v6]:port" of len bytes at a. */
static int parse_authority(struct store_redis *r, const char *uri,
			   const char *a, size_t len)
{
	const char *host = a, *port = NULL, *end = a + len;
	size_t hlen, i;
	uint64_t v;

	if (memchr(a, '@', len) != NULL) {
		store_set_error("%s: credentials do not belong in the address "
				"(use auth_file=/path)", uri);
		return -1;
	}
	if (len > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', len);

		if (close == NULL || close == a + 1)
			goto bad;
		host = a + 1;
		hlen = (size_t)(close - host);
		for (i = 0; i < hlen; i++) {
			if (!isxdigit((unsigned char)host[i]) && host[i] != ':' &&
			    host[i] != '.')
				goto bad;
		}
		if (close + 1 < end) {
			if (close[1] != ':')
				goto bad;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', len);

		hlen = colon != NULL ? (size_t)(colon - a) : len;
		if (hlen == 0)
			goto bad;
		for (i = 0; i < hlen; i++) {
			if (!isalnum((unsigned char)a[i]) && a[i] != '.' &&
			    a[i] != '-' && a[i] != '_')
				goto bad;
		}
		if (colon != NULL)
			port = colon + 1;
	}
	if (hlen >= sizeof(r->host))
		goto bad;
	memcpy(r->host, host, hlen);
	r->host[hlen] = '\0';
	r->port = 6379;
	if (port != NULL) {
		if (parse_num(port, (size_t)(end - port), 1, 65535, &v) < 0) {
			store_set_error("%s: bad port (expected 1..65535)", uri);
			return -1;
		}
		r->port = (int)v;
	}
	return 0;
bad:
	store_set_error("%s: bad host (expected a name, an IPv4 address or [IPv6])", uri);
	return -1;
}

static int read_auth_file(struct store_redis *r, const char *uri, const char *path);

int store_redis_parse(struct store_redis *r, const char *uri, const char *rest)
{
	static const char *const tcp_names[] = { "timeout_ms", "auth_file", NULL };
	static const char *const unix_names[] = { "timeout_ms", "auth_file", "db", NULL };
	char *values[3] = { NULL, NULL, NULL };
	const char *const *names;
	const char *q, *body, *slash;
	size_t blen;
	uint64_t v;
	int ret = -1;

	if (strncmp(rest, "//", 2) != 0) {
		store_set_error("%s: %s", uri, bad_address);
		return -1;
	}
	body = rest + 2;
	q = strchr(body, '?');
	blen = q != NULL ? (size_t)(q - body) : strlen(body);
	if (blen > 0 && body[0] == '/') {
		/* redis:///path/to/socket */
		if (blen < 2 || blen >= sizeof(r->path) || body[blen - 1] == '/') {
			store_set_error("%s: bad socket path (expected redis:///path/to/socket, "
					"at most %zu bytes)", uri, sizeof(r->path) - 1);
			return -1;
		}
		memcpy(r->path, body, blen);
		r->path[blen] = '\0';
		names = unix_names;
	} else {
		slash = memchr(body, '/', blen);
		if (parse_authority(r, uri, body, slash != NULL ?
				    (size_t)(slash - body) : blen) < 0)
			return -1;
		if (slash != NULL) {
			if (parse_num(slash + 1, (size_t)(body + blen - slash - 1),
				      0, 15, &v) < 0) {
				store_set_error("%s: bad db (expected /0../15)", uri);
				return -1;
			}
			r->db = (unsigned)v;
		}
		names = tcp_names;
	}
	if (store_parse_query(uri, q != NULL ? q + 1 : NULL, names, values) < 0)
		return -1;
	v = 1000;
	if (values[0] != NULL &&
	    ms_str_parse_uint(values[0], 1, 60000, &v) < 0) {
		store_set_error("%s: bad timeout_ms (expected 1..60000)", uri);
		goto out;
	}
	r->timeout.tv_sec = (time_t)(v / 1000);
	r->timeout.tv_usec = (suseconds_t)((v % 1000) * 1000);
	if (names == unix_names && values[2] != NULL) {
		if (ms_str_parse_uint(values[2], 0, 15, &v) < 0) {
			store_set_error("%s: bad db (expected 0..15)", uri);
			goto out;
		}
		r->db = (unsigned)v;
	}
	if (values[1] != NULL && read_auth_file(r, uri, values[1]) < 0)
		goto out;
	ret = 0;
out:
	store_free_values(names, values);
	return ret;
}

/* --- credentials */

/* "name = value" line (NUL-terminated, trimmed) into user/password. */
static int auth_line(struct store_redis *r, const char *uri, const char *path,
		     int lineno, char *line)
{
	char *eq = strchr(line, '='), *name, *value;
	char **slot;

	if (eq == NULL) {
		store_set_error("%s: auth_file %s:%d: expected name = value", uri, path, lineno);
		return -1;
	}
	*eq = '\0';
	name = str_trim(line);
	value = str_trim(eq + 1);
	if (strcmp(name, "user") == 0)
		slot = &r->user;
	else if (strcmp(name, "password") == 0)
		slot = &r->password;
	else {
		store_set_error("%s: auth_file %s:%d: unknown name (expected user or password)",
				uri, path, lineno);
		return -1;
	}
	if (*slot != NULL || *value == '\0' || strlen(value) > AUTH_FIELD_MAX) {
		store_set_error("%s: auth_file %s:%d: %s given twice, empty or longer than %d bytes",
				uri, path, lineno, name, AUTH_FIELD_MAX);
		return -1;
	}
	*slot = xstrdup(value);
	return 0;
}

static int read_auth_file(struct store_redis *r, const char *uri, const char *path)
{
	char buf[AUTH_FILE_MAX + 1], *line, *next;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, lineno = 0, ret = -1;

	if (path[0] != '/') {
		store_set_error("%s: auth_file must be an absolute path", uri);
		return -1;
	}
	/* Check what was opened, not the name (no window for a swap). */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		store_set_error("%s: auth_file %s: %s", uri, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		store_set_error("%s: auth_file %s: not a regular file", uri, path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		store_set_error("%s: auth_file %s: owned by uid %u (expected root or uid %u)",
				uri, path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		store_set_error("%s: auth_file %s: group or others have access (mode %03o; "
				"chmod 600)", uri, path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while (len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			store_set_error("%s: auth_file %s: %s", uri, path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > AUTH_FILE_MAX || memchr(buf, '\0', len) != NULL) {
		store_set_error("%s: auth_file %s: larger than %d bytes or binary",
				uri, path, AUTH_FILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	for (line = buf; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (auth_line(r, uri, path, lineno, line) < 0)
			goto out;
	}
	if (r->password == NULL) {
		store_set_error("%s: auth_file %s: no password = line", uri, path);
		goto out;
	}
	ret = 0;
out:
	secret_wipe(buf, sizeof(buf));
	close(fd);
	return ret;
}

static void free_secret(char **s)
{
	if (*s != NULL) {
		secret_wipe(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void store_redis_free_auth(struct store_redis *r)
{
	free_secret(&r->user);
	free_secret(&r->password);
}

