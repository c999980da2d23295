/*++
 * NAME
 *	store_redis 3
 * SUMMARY
 *	Redis backend of store.h (shared state for several hosts)
 * SYNOPSIS
 *	"redis://host[:port][/db][?timeout_ms=N][&auth_file=/path]"   TCP
 *	"redis:///path/to/redis.sock[?db=N][&timeout_ms=N][&auth_file=/path]"
 * DESCRIPTION
 *	hiredis, synchronous, with a connect and command timeout (default
 *	1000 ms, well below Postfix's milter and policy timeouts), so a
 *	dead Redis costs one timeout and a STORE_ERROR (= tempfail), never a
 *	hang and never "not found".
 *
 *	Threads: a small pool of connections under a mutex; a call borrows
 *	one (or opens a new one), and a connection that saw an I/O error is
 *	dropped, so the next call reconnects. A transaction keeps its
 *	connection from begin to commit/abort (WATCH belongs to a
 *	connection).
 *
 *	AUTH: auth_file names a file the daemon alone can read (checked on
 *	the open descriptor: regular, owner root or us, no group/other
 *	permission); "user = NAME" (optional, Redis 6 ACL) and "password =
 *	SECRET". Every new connection sends AUTH (then SELECT); store_open()
 *	also PINGs, so a wrong or missing password fails at startup. The
 *	password is kept for reconnects, wiped at close, never logged.
 *
 *	Semantics match the LMDB backend: SET with EX for a TTL; put_new is
 *	SET NX; store_incr is one Lua script (atomic on the server) that
 *	INCRBYs and sets the TTL only when the key did not exist (fixed
 *	window); DEL answers NOTFOUND for a missing key; store_expire()
 *	returns 0 (Redis expires keys itself). Redis keeps its own clock:
 *	store_set_clock() does not apply.
 *
 *	Transactions (optimistic locking, Redis "WATCH"): every key the
 *	transaction reads is WATCHed first, in the same round trip as the
 *	read; writes are buffered (read-your-writes: txn_get and txn_del
 *	look at them first) and commit sends MULTI, the writes and EXEC in
 *	one round trip. EXEC answering nil means a watched key changed:
 *	nothing was written, commit answers STORE_CONFLICT and
 *	store_txn_run() runs the caller's function again. A transaction
 *	that only read still ends with an empty MULTI/EXEC, so it too
 *	answers CONFLICT when what it read changed before commit.
 *	foreach walks with SCAN MATCH <prefix>* and MGET (non-string keys
 *	read as nil and are skipped).
 * TRUST BOUNDARY
 *	The Redis server is trusted like the local LMDB file; replies are
 *	still checked for type and size. The address is the admin's, parsed
 *	strictly; credentials in it are refused.
 * DIAGNOSTICS
 *	STORE_ERROR with "<address>: redis: ..." text through store_set_error().
 *--*/
#include "store_int.h"

#include <messec/secret.h>
#include <messec/str.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#define REDIS_POOL_MAX 16
#define AUTH_FILE_MAX 4096
#define AUTH_FIELD_MAX 512
#define TXN_WRITES_MAX 10000
#define TXN_BYTES_MAX (64UL * 1024 * 1024)
#define SCAN_COUNT "100"

/* KEYS[1] key; ARGV[1] delta, ARGV[2] ttl (0 = none). */
static const char incr_script[] =
	"local existed = redis.call('EXISTS', KEYS[1]) "
	"local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
	"if existed == 0 and tonumber(ARGV[2]) > 0 then "
	"redis.call('EXPIRE', KEYS[1], ARGV[2]) end "
	"return v";

struct store_redis {
	struct store base;
	char *uri;
	char host[256];
	char path[108];		/* unix socket, or "" */
	int port;
	unsigned db;
	struct timeval timeout;
	char *user, *password;	/* AUTH, or NULL */
	pthread_mutex_t lock;
	redisContext *pool[REDIS_POOL_MAX];
	size_t npool;
};

struct pending {
	char *key, *value;
	size_t klen, vlen;
	uint32_t ttl;
	int del;
};

struct redis_txn {
	struct store_txn base;
	struct store_redis *r;
	redisContext *c;
	int watching;
	int drop;		/* connection state unknown: do not reuse */
	struct pending *w;
	size_t n, cap, bytes;
};

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
	return str_parse_uint(buf, min, max, v_r);
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

/* Split the URI after "redis:" into host/port/path/db/timeout/auth. */
static int parse_uri(struct store_redis *r, const char *uri, const char *rest)
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
	    str_parse_uint(values[0], 1, 60000, &v) < 0) {
		store_set_error("%s: bad timeout_ms (expected 1..60000)", uri);
		goto out;
	}
	r->timeout.tv_sec = (time_t)(v / 1000);
	r->timeout.tv_usec = (suseconds_t)((v % 1000) * 1000);
	if (names == unix_names && values[2] != NULL) {
		if (str_parse_uint(values[2], 0, 15, &v) < 0) {
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

/* --- connections */

/* One command on c (argv form: binary-safe); the reply, error replies
   included, or NULL on I/O error (error set, c->err set). */
static redisReply *raw_command(struct store_redis *r, redisContext *c, int argc,
			       const char **argv, const size_t *lens);

static redisContext *redis_connect(struct store_redis *r)
{
	redisContext *c;
	redisReply *rep;
	char db[8];

	c = r->path[0] != '\0' ? redisConnectUnixWithTimeout(r->path, r->timeout) :
	    redisConnectWithTimeout(r->host, r->port, r->timeout);
	if (c == NULL || c->err) {
		store_set_error("%s: redis: connect: %s", r->uri,
				c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, r->timeout);
	if (r->password != NULL) {
		/* AUTH [user] password (Redis 6 ACL form with a user). */
		const char *argv[] = { "AUTH", r->user, r->password };
		size_t lens[] = { 4, r->user != NULL ? strlen(r->user) : 0,
				  strlen(r->password) };

		if (r->user == NULL) {
			argv[1] = r->password;
			lens[1] = lens[2];
		}
		rep = raw_command(r, c, r->user != NULL ? 3 : 2, argv, lens);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			/* Redis' reply names no secret ("WRONGPASS invalid
			   username-password pair ..."). */
			if (rep != NULL)
				store_set_error("%s: redis: AUTH failed: %s", r->uri, rep->str);
			freeReplyObject(rep);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(rep);
	}
	if (r->db != 0) {
		const char *argv[] = { "SELECT", db };
		size_t lens[] = { 6, 0 };

		lens[1] = (size_t)snprintf(db, sizeof(db), "%u", r->db);
		rep = raw_command(r, c, 2, argv, lens);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			if (rep != NULL)
				store_set_error("%s: redis: SELECT %u: %s", r->uri, r->db, rep->str);
			freeReplyObject(rep);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(rep);
	}
	return c;
}

static redisContext *borrow(struct store_redis *r)
{
	redisContext *c = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->npool > 0)
		c = r->pool[--r->npool];
	pthread_mutex_unlock(&r->lock);
	return c != NULL ? c : redis_connect(r);
}

/* Give back a healthy connection; a broken one is closed. */
static void give_back(struct store_redis *r, redisContext *c)
{
	if (c->err) {
		redisFree(c);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->npool < REDIS_POOL_MAX) {
		r->pool[r->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (c != NULL)
		redisFree(c);
}

/*
 * hiredis writes with write(2), so a server that went away raises
 * SIGPIPE, whose default action kills the daemon. Block it in this
 * thread for the command and swallow one raised meanwhile; the error
 * itself arrives as EPIPE (OpenSSH's and curl's approach).
 */
struct sigpipe_state {
	sigset_t old;
	int was_pending;
};

static void sigpipe_block(struct sigpipe_state *st)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	st->was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &st->old);
}

static void sigpipe_restore(const struct sigpipe_state *st)
{
	sigset_t pipe_set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	if (!st->was_pending && sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &st->old, NULL);
}

/*
 * Send n commands in one round trip (pipelining) and read their n
 * replies into replies[] (error replies included). 0, or -1 on an I/O
 * error with the error set and no reply left allocated.
 */
static int exchange(struct store_redis *r, redisContext *c, size_t n,
		    const int *argcs, const char **const *argvs,
		    const size_t *const *lens, redisReply **replies)
{
	struct sigpipe_state saved;
	size_t i, got = 0;
	void *rep;
	int ret = 0;

	sigpipe_block(&saved);
	for (i = 0; i < n && ret == 0; i++) {
		if (redisAppendCommandArgv(c, argcs[i], argvs[i], lens[i]) != REDIS_OK)
			ret = -1;
	}
	while (got < n && ret == 0) {
		if (redisGetReply(c, &rep) != REDIS_OK || rep == NULL)
			ret = -1;
		else
			replies[got++] = rep;
	}
	sigpipe_restore(&saved);
	if (ret < 0) {
		store_set_error("%s: redis: %s", r->uri, c->errstr[0] ? c->errstr : "no reply");
		if (!c->err)
			c->err = REDIS_ERR_OTHER;	/* half a pipeline: drop it */
		for (i = 0; i < got; i++)
			freeReplyObject(replies[i]);
	}
	return ret;
}

static redisReply *raw_command(struct store_redis *r, redisContext *c, int argc,
			       const char **argv, const size_t *lens)
{
	redisReply *rep;
	const char **const argvs[] = { argv };
	const size_t *const lensv[] = { lens };

	return exchange(r, c, 1, &argc, argvs, lensv, &rep) < 0 ? NULL : rep;
}

/* One command on a pooled connection; an error reply is STORE_ERROR
   (NULL, error set). */
static redisReply *command(struct store_redis *r, int argc, const char **argv,
			   const size_t *lens)
{
	redisContext *c = borrow(r);
	redisReply *rep;

	if (c == NULL)
		return NULL;
	rep = raw_command(r, c, argc, argv, lens);
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
		store_set_error("%s: redis: %s", r->uri, rep->str);
		freeReplyObject(rep);
		rep = NULL;
	}
	give_back(r, c);
	return rep;
}

static enum store_result unexpected(struct store_redis *r, const char *what,
				    redisReply *rep)
{
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		store_set_error("%s: redis: %s: %s", r->uri, what, rep->str);
	else
		store_set_error("%s: redis: %s: unexpected reply", r->uri, what);
	freeReplyObject(rep);
	return STORE_ERROR;
}

/* A string or nil reply into value_r: OK/NOTFOUND; frees rep. */
static enum store_result take_value(struct store_redis *r, redisReply *rep,
				    void **value_r, size_t *len_r)
{
	unsigned char *copy;

	if (rep->type == REDIS_REPLY_NIL) {
		freeReplyObject(rep);
		return STORE_NOTFOUND;
	}
	if (rep->type != REDIS_REPLY_STRING || rep->len > STORE_VALUE_MAX)
		return unexpected(r, "GET", rep);
	copy = xmalloc(rep->len + 1);
	memcpy(copy, rep->str, rep->len);
	copy[rep->len] = '\0';
	*value_r = copy;
	if (len_r != NULL)
		*len_r = rep->len;
	freeReplyObject(rep);
	return STORE_OK;
}

static void redis_close(struct store *store);

static struct store *redis_open(const char *uri, const char *rest)
{
	struct store_redis *r = xcalloc(1, sizeof(*r));
	const char *argv[] = { "PING" };
	size_t lens[] = { 4 };
	redisContext *c;
	redisReply *rep;
	char err[1280];

	r->base.ops = &store_redis_ops;
	r->uri = xstrdup(uri);
	pthread_mutex_init(&r->lock, NULL);
	if (parse_uri(r, uri, rest) < 0)
		goto fail;
	/* Connect and PING now, so a wrong address or password fails at
	   startup (NOAUTH when the server wants a password we lack). */
	if ((c = redis_connect(r)) == NULL)
		goto fail;
	rep = raw_command(r, c, 1, argv, lens);
	if (rep == NULL || rep->type != REDIS_REPLY_STATUS) {
		if (rep != NULL)
			(void)unexpected(r, "PING", rep);
		redisFree(c);
		goto fail;
	}
	freeReplyObject(rep);
	give_back(r, c);
	return &r->base;
fail:
	str_copy(err, store_error(), sizeof(err));
	redis_close(&r->base);
	store_set_error("%s", err);
	return NULL;
}

static void redis_close(struct store *store)
{
	struct store_redis *r = (struct store_redis *)store;

	while (r->npool > 0)
		redisFree(r->pool[--r->npool]);
	pthread_mutex_destroy(&r->lock);
	free_secret(&r->user);
	free_secret(&r->password);
	free(r->uri);
	free(r);
}

/* --- single-key calls */

static enum store_result redis_get(struct store *store, const void *key, size_t klen,
				   void **value_r, size_t *len_r)
{
	struct store_redis *r = (struct store_redis *)store;
	const char *argv[] = { value_r != NULL ? "GET" : "EXISTS", key };
	size_t lens[] = { strlen(argv[0]), klen };
	redisReply *rep = command(r, 2, argv, lens);
	long long n;

	if (rep == NULL)
		return STORE_ERROR;
	if (value_r != NULL)
		return take_value(r, rep, value_r, len_r);
	if (rep->type != REDIS_REPLY_INTEGER)
		return unexpected(r, "EXISTS", rep);
	n = rep->integer;
	freeReplyObject(rep);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

static enum store_result set_common(struct store *store, const void *key, size_t klen,
				    const void *value, size_t vlen, uint32_t ttl,
				    int only_new)
{
	struct store_redis *r = (struct store_redis *)store;
	char ttl_text[16];
	const char *argv[6] = { "SET", key, value };
	size_t lens[6] = { 3, klen, vlen };
	redisReply *rep;
	int argc = 3, type;

	if (ttl > 0) {
		argv[argc] = "EX";
		lens[argc++] = 2;
		argv[argc] = ttl_text;
		lens[argc++] = (size_t)snprintf(ttl_text, sizeof(ttl_text), "%u", ttl);
	}
	if (only_new) {
		argv[argc] = "NX";
		lens[argc++] = 2;
	}
	if ((rep = command(r, argc, argv, lens)) == NULL)
		return STORE_ERROR;
	type = rep->type;
	if (type != REDIS_REPLY_STATUS && !(only_new && type == REDIS_REPLY_NIL))
		return unexpected(r, "SET", rep);
	freeReplyObject(rep);
	/* SET NX answers nil when the key exists. */
	return type == REDIS_REPLY_NIL ? STORE_EXISTS : STORE_OK;
}

static enum store_result redis_put(struct store *store, const void *key, size_t klen,
				   const void *value, size_t vlen, uint32_t ttl)
{
	return set_common(store, key, klen, value, vlen, ttl, 0);
}

static enum store_result redis_put_new(struct store *store, const void *key, size_t klen,
				       const void *value, size_t vlen, uint32_t ttl)
{
	return set_common(store, key, klen, value, vlen, ttl, 1);
}

static enum store_result redis_incr(struct store *store, const void *key, size_t klen,
				    int64_t delta, uint32_t ttl, int64_t *value_r)
{
	struct store_redis *r = (struct store_redis *)store;
	char d[24], t[16];
	const char *argv[] = { "EVAL", incr_script, "1", key, d, t };
	size_t lens[] = { 4, sizeof(incr_script) - 1, 1, klen, 0, 0 };
	redisReply *rep;

	lens[4] = (size_t)snprintf(d, sizeof(d), "%lld", (long long)delta);
	lens[5] = (size_t)snprintf(t, sizeof(t), "%u", ttl);
	rep = command(r, 6, argv, lens);
	if (rep == NULL)
		return STORE_ERROR;
	if (rep->type != REDIS_REPLY_INTEGER)
		return unexpected(r, "incr", rep);
	if (value_r != NULL)
		*value_r = rep->integer;
	freeReplyObject(rep);
	return STORE_OK;
}

static enum store_result redis_del(struct store *store, const void *key, size_t klen)
{
	struct store_redis *r = (struct store_redis *)store;
	const char *argv[] = { "DEL", key };
	size_t lens[] = { 3, klen };
	redisReply *rep = command(r, 2, argv, lens);
	long long n;

	if (rep == NULL)
		return STORE_ERROR;
	if (rep->type != REDIS_REPLY_INTEGER)
		return unexpected(r, "DEL", rep);
	n = rep->integer;
	freeReplyObject(rep);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

static long redis_expire(struct store *store)
{
	(void)store;
	return 0;
}

static enum store_result redis_sync(struct store *store, int force)
{
	(void)store;
	(void)force;
	return STORE_OK;
}

/* --- prefix walk: SCAN MATCH <escaped prefix>* then (WATCH +) MGET */

static char *glob_pattern(const unsigned char *prefix, size_t plen, size_t *len_r)
{
	char *p = xmalloc(2 * plen + 2);
	size_t i, o = 0;

	for (i = 0; i < plen; i++) {
		if (strchr("*?[]\\", prefix[i]) != NULL && prefix[i] != '\0')
			p[o++] = '\\';
		p[o++] = (char)prefix[i];
	}
	p[o++] = '*';
	p[o] = '\0';
	*len_r = o;
	return p;
}

/* Read (and with watch, WATCH first) one SCAN batch of keys; call fn. */
static enum store_result walk_batch(struct store_redis *r, redisContext *c,
				    redisReply *keys, const void *prefix, size_t plen,
				    int watch, store_foreach_fn *fn, void *ctx, int *stop_r)
{
	size_t n = 0, i, j;
	const char **argv = xcalloc(keys->elements + 1, sizeof(*argv));
	size_t *lens = xcalloc(keys->elements + 1, sizeof(*lens));
	redisReply *replies[2] = { NULL, NULL }, *vals;
	enum store_result ret = STORE_OK;
	int argcs[2];
	const char **argvs[2];
	const size_t *lensv[2];
	const char **wargv = NULL;
	size_t *wlens = NULL;

	argv[0] = "MGET";
	lens[0] = 4;
	for (i = 0; i < keys->elements; i++) {
		redisReply *k = keys->element[i];

		if (k->type != REDIS_REPLY_STRING)
			goto bad;
		/* Only what store.h could have written under the prefix. */
		if (k->len < plen || k->len > STORE_KEY_MAX ||
		    memcmp(k->str, prefix, plen) != 0)
			continue;
		argv[++n] = k->str;
		lens[n] = k->len;
	}
	if (n == 0)
		goto out;
	argcs[0] = (int)n + 1;
	argvs[0] = argv;
	lensv[0] = lens;
	if (watch) {
		wargv = xcalloc(n + 1, sizeof(*wargv));
		wlens = xcalloc(n + 1, sizeof(*wlens));
		memcpy(wargv, argv, (n + 1) * sizeof(*wargv));
		memcpy(wlens, lens, (n + 1) * sizeof(*wlens));
		wargv[0] = "WATCH";
		wlens[0] = 5;
		argcs[1] = argcs[0];
		argvs[1] = argv;
		lensv[1] = lens;
		argvs[0] = wargv;
		lensv[0] = wlens;
	}
	if (exchange(r, c, watch ? 2 : 1, argcs, argvs, lensv, replies) < 0) {
		ret = STORE_ERROR;
		goto out;
	}
	if (watch && replies[0]->type != REDIS_REPLY_STATUS)
		goto bad;
	vals = replies[watch ? 1 : 0];
	if (vals->type != REDIS_REPLY_ARRAY || vals->elements != n)
		goto bad;
	for (j = 0; j < n; j++) {
		redisReply *v = vals->element[j];
		int rc;

		if (v->type == REDIS_REPLY_NIL)
			continue;	/* gone since SCAN, or not a string */
		if (v->type != REDIS_REPLY_STRING || v->len > STORE_VALUE_MAX)
			goto bad;
		rc = fn(argv[j + 1], lens[j + 1], v->str, v->len, ctx);
		if (rc < 0) {
			ret = STORE_ERROR;
			goto out;
		}
		if (rc > 0) {
			*stop_r = 1;
			goto out;
		}
	}
	goto out;
bad:
	ret = store_set_error("%s: redis: foreach: unexpected reply", r->uri);
out:
	freeReplyObject(replies[0]);
	freeReplyObject(replies[1]);
	free(argv);
	free(lens);
	free(wargv);
	free(wlens);
	return ret;
}

static enum store_result walk(struct store_redis *r, redisContext *c, const void *prefix,
			      size_t plen, int watch, store_foreach_fn *fn, void *ctx)
{
	size_t patlen;
	char *pattern = glob_pattern(prefix, plen, &patlen);
	char cursor[32] = "0";
	enum store_result ret = STORE_OK;
	int stop = 0;

	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT };
		size_t lens[] = { 4, strlen(cursor), 5, patlen, 5, strlen(SCAN_COUNT) };
		redisReply *rep = raw_command(r, c, 6, argv, lens);

		if (rep == NULL) {
			ret = STORE_ERROR;
			break;
		}
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			ret = unexpected(r, "SCAN", rep);
			break;
		}
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
		cursor[rep->element[0]->len] = '\0';
		ret = walk_batch(r, c, rep->element[1], prefix, plen, watch, fn, ctx, &stop);
		freeReplyObject(rep);
	} while (ret == STORE_OK && !stop && strcmp(cursor, "0") != 0);
	free(pattern);
	return ret;
}

static enum store_result redis_foreach(struct store *store, const void *prefix,
				       size_t plen, store_foreach_fn *fn, void *ctx)
{
	struct store_redis *r = (struct store_redis *)store;
	redisContext *c = borrow(r);
	enum store_result ret;

	if (c == NULL)
		return STORE_ERROR;
	ret = walk(r, c, prefix, plen, 0, fn, ctx);
	give_back(r, c);
	return ret;
}

/* --- transactions: WATCH on read, buffered writes, MULTI/EXEC at commit */

static struct store_txn *redis_txn_begin(struct store *store)
{
	struct store_redis *r = (struct store_redis *)store;
	redisContext *c = borrow(r);
	struct redis_txn *t;

	if (c == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->base.store = store;
	t->r = r;
	t->c = c;
	return &t->base;
}

static void txn_free(struct redis_txn *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->w[i].key);
		free(t->w[i].value);
	}
	free(t->w);
	if (t->drop || t->c->err)
		redisFree(t->c);
	else
		give_back(t->r, t->c);
	free(t);
}

/* The last buffered write of key, or NULL (read-your-writes). */
static const struct pending *pending_find(const struct redis_txn *t, const void *key,
					  size_t klen)
{
	size_t i;

	for (i = t->n; i > 0; i--) {
		if (t->w[i - 1].klen == klen && memcmp(t->w[i - 1].key, key, klen) == 0)
			return &t->w[i - 1];
	}
	return NULL;
}

static enum store_result pending_add(struct redis_txn *t, const void *key, size_t klen,
				     const void *value, size_t vlen, uint32_t ttl, int del)
{
	struct pending *p;

	if (t->n == TXN_WRITES_MAX || t->bytes + klen + vlen > TXN_BYTES_MAX)
		return store_set_error("%s: redis: more than %d writes or %lu bytes in one "
				       "transaction", t->r->uri, TXN_WRITES_MAX, TXN_BYTES_MAX);
	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 8 : t->cap * 2;
		t->w = xrealloc(t->w, t->cap * sizeof(*t->w));
	}
	p = &t->w[t->n++];
	p->key = xmalloc(klen);
	memcpy(p->key, key, klen);
	p->klen = klen;
	p->value = NULL;
	p->vlen = vlen;
	if (!del) {
		p->value = xmalloc(vlen + 1);
		memcpy(p->value, value, vlen);
	}
	p->ttl = ttl;
	p->del = del;
	t->bytes += klen + vlen;
	return STORE_OK;
}

/* WATCH key, then cmd key, in one round trip; the reply of cmd. */
static redisReply *watched(struct redis_txn *t, const char *cmd, const void *key,
			   size_t klen)
{
	const char *wargv[] = { "WATCH", key }, *argv[] = { cmd, key };
	size_t wlens[] = { 5, klen }, lens[] = { strlen(cmd), klen };
	const char **const argvs[] = { wargv, argv };
	const size_t *const lensv[] = { wlens, lens };
	const int argcs[] = { 2, 2 };
	redisReply *replies[2];

	if (exchange(t->r, t->c, 2, argcs, argvs, lensv, replies) < 0)
		return NULL;
	t->watching = 1;
	if (replies[0]->type != REDIS_REPLY_STATUS) {
		freeReplyObject(replies[1]);
		(void)unexpected(t->r, "WATCH", replies[0]);
		t->drop = 1;
		return NULL;
	}
	freeReplyObject(replies[0]);
	return replies[1];
}

static enum store_result redis_txn_get(struct store_txn *txn, const void *key,
				       size_t klen, void **value_r, size_t *len_r)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	const struct pending *p = pending_find(t, key, klen);
	redisReply *rep;
	long long n;

	if (p != NULL) {
		if (p->del)
			return STORE_NOTFOUND;
		if (value_r != NULL) {
			unsigned char *copy = xmalloc(p->vlen + 1);

			memcpy(copy, p->value, p->vlen);
			copy[p->vlen] = '\0';
			*value_r = copy;
			if (len_r != NULL)
				*len_r = p->vlen;
		}
		return STORE_OK;
	}
	rep = watched(t, value_r != NULL ? "GET" : "EXISTS", key, klen);
	if (rep == NULL)
		return STORE_ERROR;
	if (value_r != NULL)
		return take_value(t->r, rep, value_r, len_r);
	if (rep->type != REDIS_REPLY_INTEGER)
		return unexpected(t->r, "EXISTS", rep);
	n = rep->integer;
	freeReplyObject(rep);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

static enum store_result redis_txn_put(struct store_txn *txn, const void *key,
				       size_t klen, const void *value, size_t vlen,
				       uint32_t ttl)
{
	return pending_add((struct redis_txn *)txn, key, klen, value, vlen, ttl, 0);
}

static enum store_result redis_txn_del(struct store_txn *txn, const void *key,
				       size_t klen)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	enum store_result was = redis_txn_get(txn, key, klen, NULL, NULL);

	/* Delete at commit only what is there now (watched, or written by
	   this transaction): a key created meanwhile is a CONFLICT. */
	if (was != STORE_OK)
		return was;
	if (pending_add(t, key, klen, NULL, 0, 0, 1) != STORE_OK)
		return STORE_ERROR;
	return STORE_OK;
}

static enum store_result redis_txn_foreach(struct store_txn *txn, const void *prefix,
					   size_t plen, store_foreach_fn *fn, void *ctx)
{
	struct redis_txn *t = (struct redis_txn *)txn;

	t->watching = 1;
	return walk(t->r, t->c, prefix, plen, 1, fn, ctx);
}

static void redis_txn_abort(struct store_txn *txn)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	const char *argv[] = { "UNWATCH" };
	size_t lens[] = { 7 };
	redisReply *rep;

	/* Forget the WATCHes so the pooled connection starts clean. */
	if (t->watching && !t->c->err && !t->drop) {
		rep = raw_command(t->r, t->c, 1, argv, lens);
		if (rep == NULL || rep->type != REDIS_REPLY_STATUS)
			t->drop = 1;
		freeReplyObject(rep);
	}
	txn_free(t);
}

static enum store_result redis_txn_commit(struct store_txn *txn)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	size_t n = t->n + 2, i;
	int *argcs;
	const char ***argvs;
	const size_t **lensv;
	const char **args;
	size_t *lens;
	char (*ttls)[16];
	redisReply **replies, *exec;
	enum store_result ret = STORE_OK;

	if (t->n == 0 && !t->watching) {
		txn_free(t);
		return STORE_OK;
	}
	/* MULTI, one SET [EX] or DEL per write, EXEC: one round trip. Even
	   with no write, an empty MULTI/EXEC checks the WATCHes, so what a
	   read-only transaction read was one consistent state. */
	argcs = xcalloc(n, sizeof(*argcs));
	argvs = xcalloc(n, sizeof(*argvs));
	lensv = xcalloc(n, sizeof(*lensv));
	args = xcalloc(n * 5, sizeof(*args));
	lens = xcalloc(n * 5, sizeof(*lens));
	ttls = xcalloc(n, sizeof(*ttls));
	replies = xcalloc(n, sizeof(*replies));
	for (i = 0; i < n; i++) {
		const char **a = args + 5 * i;
		size_t *l = lens + 5 * i;
		const struct pending *p = i > 0 && i < n - 1 ? &t->w[i - 1] : NULL;

		argvs[i] = a;
		lensv[i] = l;
		if (p == NULL) {
			a[0] = i == 0 ? "MULTI" : "EXEC";
			l[0] = strlen(a[0]);
			argcs[i] = 1;
		} else if (p->del) {
			a[0] = "DEL", l[0] = 3;
			a[1] = p->key, l[1] = p->klen;
			argcs[i] = 2;
		} else {
			a[0] = "SET", l[0] = 3;
			a[1] = p->key, l[1] = p->klen;
			a[2] = p->value, l[2] = p->vlen;
			argcs[i] = 3;
			if (p->ttl > 0) {
				a[3] = "EX", l[3] = 2;
				a[4] = ttls[i];
				l[4] = (size_t)snprintf(ttls[i], sizeof(ttls[i]), "%u", p->ttl);
				argcs[i] = 5;
			}
		}
	}
	if (exchange(t->r, t->c, n, argcs, argvs, lensv, replies) < 0) {
		ret = STORE_ERROR;
		goto out;
	}
	for (i = 0; i + 1 < n; i++) {
		if (replies[i]->type != REDIS_REPLY_STATUS)
			ret = STORE_ERROR;	/* MULTI not OK or a write not QUEUED */
	}
	exec = replies[n - 1];
	if (ret == STORE_OK && exec->type == REDIS_REPLY_NIL) {
		/* A watched key changed: nothing was written. */
		ret = STORE_CONFLICT;
	} else if (ret == STORE_OK && exec->type == REDIS_REPLY_ARRAY &&
		   exec->elements == t->n) {
		for (i = 0; i < exec->elements; i++) {
			if (exec->element[i]->type == REDIS_REPLY_ERROR)
				ret = STORE_ERROR;
		}
	} else {
		ret = STORE_ERROR;
	}
	if (ret == STORE_ERROR) {
		store_set_error("%s: redis: EXEC failed%s%s", t->r->uri,
				exec->type == REDIS_REPLY_ERROR ? ": " : "",
				exec->type == REDIS_REPLY_ERROR ? exec->str : "");
		t->drop = 1;	/* state unknown (half a MULTI?): do not reuse */
	}
	for (i = 0; i < n; i++)
		freeReplyObject(replies[i]);
	if (ret == STORE_CONFLICT)
		store_set_error("%s: redis: transaction conflict (a watched key changed)",
				t->r->uri);
out:
	free(argcs);
	free(argvs);
	free(lensv);
	free(args);
	free(lens);
	free(ttls);
	free(replies);
	txn_free(t);
	return ret;
}

const struct store_ops store_redis_ops = {
	.scheme = "redis",
	.open = redis_open,
	.close = redis_close,
	.get = redis_get,
	.put = redis_put,
	.put_new = redis_put_new,
	.incr = redis_incr,
	.del = redis_del,
	.foreach = redis_foreach,
	.expire = redis_expire,
	.sync = redis_sync,
	.txn_begin = redis_txn_begin,
	.txn_get = redis_txn_get,
	.txn_put = redis_txn_put,
	.txn_del = redis_txn_del,
	.txn_foreach = redis_txn_foreach,
	.txn_commit = redis_txn_commit,
	.txn_abort = redis_txn_abort,
};
