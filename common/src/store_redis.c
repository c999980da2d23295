/*++
 * NAME
 *	store_redis 3
 * SUMMARY
 *	Redis backend of store.h (shared state for several hosts)
 * SYNOPSIS
 *	"redis://host[:port][/db][?timeout_ms=N]"   TCP (port 6379, db 0)
 *	"redis:///path/to/redis.sock[?db=N&timeout_ms=N]"   unix socket
 * DESCRIPTION
 *	hiredis, synchronous, with a connect and command timeout (default
 *	1000 ms, well below Postfix's milter and policy timeouts), so a
 *	dead Redis costs one timeout and a STORE_ERROR (= tempfail), never a
 *	hang and never "not found".
 *
 *	Threads: a small pool of connections under a mutex; a call borrows
 *	one (or opens a new one), and a connection that saw an I/O error is
 *	dropped, so the next call reconnects.
 *
 *	Semantics match the LMDB backend: SET with EX for a TTL; store_incr
 *	is one Lua script (atomic on the server) that INCRBYs and sets the
 *	TTL only when the key did not exist (fixed window); DEL answers
 *	NOTFOUND for a missing key; store_expire() returns 0 (Redis expires
 *	keys itself). Redis keeps its own clock: store_set_clock() does not
 *	apply. Passwords (AUTH) are not supported yet.
 * TRUST BOUNDARY
 *	The Redis server is trusted like the local LMDB file; replies are
 *	still checked for type and size.
 * DIAGNOSTICS
 *	STORE_ERROR with "redis: ..." text through store_set_error().
 *--*/
#include "store_int.h"

#include <messec/str.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#define REDIS_POOL_MAX 16

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
	pthread_mutex_t lock;
	redisContext *pool[REDIS_POOL_MAX];
	size_t npool;
};

static uint64_t opt_value(const char *query, const char *name, uint64_t def,
			  uint64_t max, int *bad)
{
	const char *p = query;
	size_t n = strlen(name);
	char buf[24];
	uint64_t v;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "&");

		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			if (len - n - 1 >= sizeof(buf)) {
				*bad = 1;
				return def;
			}
			memcpy(buf, p + n + 1, len - n - 1);
			buf[len - n - 1] = '\0';
			if (str_parse_uint(buf, 0, max, &v) < 0)
				*bad = 1;
			return v;
		}
		p += len + (p[len] == '&');
	}
	return def;
}

/* Split the URI after "redis:" into host/port/path/db/timeout. */
static int parse_uri(struct store_redis *r, const char *uri, const char *rest)
{
	char auth[300];
	const char *q, *slash, *colon;
	size_t alen;
	int bad = 0;
	uint64_t v;

	if (strncmp(rest, "//", 2) != 0)
		return -1;
	rest += 2;
	q = strchr(rest, '?');
	slash = strchr(rest, '/');
	if (slash != NULL && q != NULL && slash > q)
		slash = NULL;
	alen = slash != NULL ? (size_t)(slash - rest) : q != NULL ? (size_t)(q - rest) : strlen(rest);
	if (alen >= sizeof(auth))
		return -1;
	memcpy(auth, rest, alen);
	auth[alen] = '\0';
	r->port = 6379;
	if (alen == 0) {
		/* redis:///path.sock */
		size_t plen = q != NULL ? (size_t)(q - slash) : strlen(slash);

		if (slash == NULL || plen >= sizeof(r->path))
			return -1;
		memcpy(r->path, slash, plen);
		r->path[plen] = '\0';
		r->db = (unsigned)opt_value(q != NULL ? q + 1 : NULL, "db", 0, 15, &bad);
	} else {
		if (strchr(auth, '@') != NULL)
			return -1;	/* no credentials in URIs */
		colon = auth[0] == '[' ? strchr(auth, ']') : auth;
		colon = colon != NULL ? strrchr(colon, ':') : NULL;
		if (colon != NULL) {
			if (str_parse_uint(colon + 1, 1, 65535, &v) < 0)
				return -1;
			r->port = (int)v;
			auth[colon - auth] = '\0';
		}
		if (auth[0] == '[') {
			size_t hl = strlen(auth);

			if (hl < 3 || auth[hl - 1] != ']')
				return -1;
			auth[hl - 1] = '\0';
			str_copy(r->host, auth + 1, sizeof(r->host));
		} else {
			str_copy(r->host, auth, sizeof(r->host));
		}
		if (slash != NULL && slash[1] != '\0' && slash + 1 != q) {
			char db[8];
			size_t dl = q != NULL ? (size_t)(q - slash - 1) : strlen(slash + 1);

			if (dl >= sizeof(db))
				return -1;
			memcpy(db, slash + 1, dl);
			db[dl] = '\0';
			if (str_parse_uint(db, 0, 15, &v) < 0)
				return -1;
			r->db = (unsigned)v;
		}
	}
	v = opt_value(q != NULL ? q + 1 : NULL, "timeout_ms", 1000, 60000, &bad);
	if (bad || v == 0)
		return -1;
	r->timeout.tv_sec = (time_t)(v / 1000);
	r->timeout.tv_usec = (suseconds_t)((v % 1000) * 1000);
	(void)uri;
	return 0;
}

static redisContext *redis_connect(struct store_redis *r)
{
	redisContext *c;
	redisReply *rep;

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
	if (r->db != 0) {
		rep = redisCommand(c, "SELECT %u", r->db);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			store_set_error("%s: redis: SELECT %u failed", r->uri, r->db);
			if (rep != NULL)
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

/* Run one command (argv form: binary-safe); NULL with the error set. */
static redisReply *command(struct store_redis *r, int argc, const char **argv,
			   const size_t *lens)
{
	redisContext *c = borrow(r);
	struct sigpipe_state saved;
	redisReply *rep;

	if (c == NULL)
		return NULL;
	sigpipe_block(&saved);
	rep = redisCommandArgv(c, argc, argv, lens);
	sigpipe_restore(&saved);
	if (rep == NULL)
		store_set_error("%s: redis: %s", r->uri, c->errstr[0] ? c->errstr : "no reply");
	else if (rep->type == REDIS_REPLY_ERROR) {
		store_set_error("%s: redis: %s", r->uri, rep->str);
		freeReplyObject(rep);
		rep = NULL;
	}
	give_back(r, c);
	return rep;
}

static struct store *redis_open(const char *uri, const char *rest)
{
	struct store_redis *r = xcalloc(1, sizeof(*r));
	redisContext *c;

	r->base.ops = &store_redis_ops;
	r->uri = xstrdup(uri);
	pthread_mutex_init(&r->lock, NULL);
	if (parse_uri(r, uri, rest) < 0) {
		store_set_error("%s: bad redis URI (expected redis://host:port/db or redis:///path.sock)", uri);
		store_redis_ops.close(&r->base);
		return NULL;
	}
	/* Connect once now, so a wrong address fails at startup. */
	if ((c = redis_connect(r)) == NULL) {
		char err[512];

		str_copy(err, store_error(), sizeof(err));
		store_redis_ops.close(&r->base);
		store_set_error("%s", err);
		return NULL;
	}
	give_back(r, c);
	return &r->base;
}

static void redis_close(struct store *store)
{
	struct store_redis *r = (struct store_redis *)store;

	while (r->npool > 0)
		redisFree(r->pool[--r->npool]);
	pthread_mutex_destroy(&r->lock);
	free(r->uri);
	free(r);
}

static enum store_result redis_get(struct store *store, const void *key, size_t klen,
				   void **value_r, size_t *len_r)
{
	struct store_redis *r = (struct store_redis *)store;
	const char *argv[] = { "GET", key };
	size_t lens[] = { 3, klen };
	redisReply *rep = command(r, 2, argv, lens);
	unsigned char *copy;

	if (rep == NULL)
		return STORE_ERROR;
	if (rep->type == REDIS_REPLY_NIL) {
		freeReplyObject(rep);
		return STORE_NOTFOUND;
	}
	if (rep->type != REDIS_REPLY_STRING || rep->len > STORE_VALUE_MAX) {
		freeReplyObject(rep);
		return store_set_error("%s: redis: GET: unexpected reply", r->uri);
	}
	copy = xmalloc(rep->len + 1);
	memcpy(copy, rep->str, rep->len);
	copy[rep->len] = '\0';
	*value_r = copy;
	if (len_r != NULL)
		*len_r = rep->len;
	freeReplyObject(rep);
	return STORE_OK;
}

static enum store_result redis_put(struct store *store, const void *key, size_t klen,
				   const void *value, size_t vlen, uint32_t ttl)
{
	struct store_redis *r = (struct store_redis *)store;
	char ttl_text[16];
	const char *argv[] = { "SET", key, value, "EX", ttl_text };
	size_t lens[] = { 3, klen, vlen, 2, 0 };
	redisReply *rep;

	lens[4] = (size_t)snprintf(ttl_text, sizeof(ttl_text), "%u", ttl);
	rep = command(r, ttl > 0 ? 5 : 3, argv, lens);
	if (rep == NULL)
		return STORE_ERROR;
	freeReplyObject(rep);
	return STORE_OK;
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
	if (rep->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return store_set_error("%s: redis: incr: unexpected reply", r->uri);
	}
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
	n = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
	freeReplyObject(rep);
	if (n < 0)
		return store_set_error("%s: redis: DEL: unexpected reply", r->uri);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

static long redis_expire(struct store *store)
{
	(void)store;
	return 0;
}

const struct store_ops store_redis_ops = {
	.scheme = "redis",
	.open = redis_open,
	.close = redis_close,
	.get = redis_get,
	.put = redis_put,
	.incr = redis_incr,
	.del = redis_del,
	.expire = redis_expire,
};
