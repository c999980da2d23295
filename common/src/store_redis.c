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
 *
 *	Files: store_redis_addr.c (address, auth_file), this one
 *	(connections, single-key calls, prefix walk), store_redis_txn.c
 *	(transactions); store_redis_int.h between them.
 * DIAGNOSTICS
 *	STORE_ERROR with "<address>: redis: ..." text through store_set_error().
 *--*/
#include "store_redis_int.h"

#include <messec/str.h>

#include <signal.h>
#include <messec/sock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCAN_COUNT "100"

/* KEYS[1] key; ARGV[1] delta, ARGV[2] ttl (0 = none). */
static const char incr_script[] =
	"local existed = redis.call('EXISTS', KEYS[1]) "
	"local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
	"if existed == 0 and tonumber(ARGV[2]) > 0 then "
	"redis.call('EXPIRE', KEYS[1], ARGV[2]) end "
	"return v";

/* KEYS[1] key; ARGV[1] value, ARGV[2] ttl (0 = none). The live value,
   or nil once the value is written: put-if-absent that reads. */
static const char put_new_get_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v then return v end "
	"if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
	"else redis.call('SET', KEYS[1], ARGV[1]) end "
	"return false";

/* --- connections */

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
		rep = store_redis_raw_command(r, c, r->user != NULL ? 3 : 2, argv, lens);
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
		rep = store_redis_raw_command(r, c, 2, argv, lens);
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

redisContext *store_redis_borrow(struct store_redis *r)
{
	redisContext *c = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->npool > 0)
		c = r->pool[--r->npool];
	pthread_mutex_unlock(&r->lock);
	return c != NULL ? c : redis_connect(r);
}

/* Give back a healthy connection; a broken one is closed. */
void store_redis_give_back(struct store_redis *r, redisContext *c)
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
 * itself arrives as EPIPE (OpenSSH's and curl's approach): common/sock's
 * sock_sigpipe_block/restore.
 */
/*
 * Send n commands in one round trip (pipelining) and read their n
 * replies into replies[] (error replies included). 0, or -1 on an I/O
 * error with the error set and no reply left allocated.
 */
int store_redis_exchange(struct store_redis *r, redisContext *c, size_t n,
		    const int *argcs, const char **const *argvs,
		    const size_t *const *lens, redisReply **replies)
{
	struct sock_sigpipe saved;
	size_t i, got = 0;
	void *rep;
	int ret = 0;

	sock_sigpipe_block(&saved);
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
	sock_sigpipe_restore(&saved);
	if (ret < 0) {
		store_set_error("%s: redis: %s", r->uri, c->errstr[0] ? c->errstr : "no reply");
		if (!c->err)
			c->err = REDIS_ERR_OTHER;	/* half a pipeline: drop it */
		for (i = 0; i < got; i++)
			freeReplyObject(replies[i]);
	}
	return ret;
}

redisReply *store_redis_raw_command(struct store_redis *r, redisContext *c, int argc,
			       const char **argv, const size_t *lens)
{
	redisReply *rep;
	const char **const argvs[] = { argv };
	const size_t *const lensv[] = { lens };

	return store_redis_exchange(r, c, 1, &argc, argvs, lensv, &rep) < 0 ? NULL : rep;
}

/* One command on a pooled connection; an error reply is STORE_ERROR
   (NULL, error set). */
static redisReply *command(struct store_redis *r, int argc, const char **argv,
			   const size_t *lens)
{
	redisContext *c = store_redis_borrow(r);
	redisReply *rep;

	if (c == NULL)
		return NULL;
	rep = store_redis_raw_command(r, c, argc, argv, lens);
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
		store_set_error("%s: redis: %s", r->uri, rep->str);
		freeReplyObject(rep);
		rep = NULL;
	}
	store_redis_give_back(r, c);
	return rep;
}

enum store_result store_redis_unexpected(struct store_redis *r, const char *what,
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
enum store_result store_redis_take_value(struct store_redis *r, redisReply *rep,
				    void **value_r, size_t *len_r)
{
	unsigned char *copy;

	if (rep->type == REDIS_REPLY_NIL) {
		freeReplyObject(rep);
		return STORE_NOTFOUND;
	}
	if (rep->type != REDIS_REPLY_STRING || rep->len > STORE_VALUE_MAX)
		return store_redis_unexpected(r, "GET", rep);
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

static int redis_check(const char *uri, const char *rest)
{
	struct store_redis r;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = store_redis_parse(&r, uri, rest);
	store_redis_free_auth(&r);
	return ret;
}

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
	if (store_redis_parse(r, uri, rest) < 0)
		goto fail;
	/* Connect and PING now, so a wrong address or password fails at
	   startup (NOAUTH when the server wants a password we lack). */
	if ((c = redis_connect(r)) == NULL)
		goto fail;
	rep = store_redis_raw_command(r, c, 1, argv, lens);
	if (rep == NULL || rep->type != REDIS_REPLY_STATUS) {
		if (rep != NULL)
			(void)store_redis_unexpected(r, "PING", rep);
		redisFree(c);
		goto fail;
	}
	freeReplyObject(rep);
	store_redis_give_back(r, c);
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
	store_redis_free_auth(r);
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
		return store_redis_take_value(r, rep, value_r, len_r);
	if (rep->type != REDIS_REPLY_INTEGER)
		return store_redis_unexpected(r, "EXISTS", rep);
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
		return store_redis_unexpected(r, "SET", rep);
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
				       const void *value, size_t vlen, uint32_t ttl,
				       void **old_r, size_t *old_len_r)
{
	struct store_redis *r = (struct store_redis *)store;
	char t[16];
	const char *argv[] = { "EVAL", put_new_get_script, "1", key, (const char *)value, t };
	size_t lens[] = { 4, sizeof(put_new_get_script) - 1, 1, klen, vlen, 0 };
	redisReply *rep;

	if (old_r == NULL)
		return set_common(store, key, klen, value, vlen, ttl, 1);
	lens[5] = (size_t)snprintf(t, sizeof(t), "%u", ttl);
	if ((rep = command(r, 6, argv, lens)) == NULL)
		return STORE_ERROR;
	switch (store_redis_take_value(r, rep, old_r, old_len_r)) {
	case STORE_OK:
		return STORE_EXISTS;
	case STORE_NOTFOUND:
		return STORE_OK;	/* nil: written */
	default:
		return STORE_ERROR;
	}
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
		return store_redis_unexpected(r, "incr", rep);
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
		return store_redis_unexpected(r, "DEL", rep);
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
	if (store_redis_exchange(r, c, watch ? 2 : 1, argcs, argvs, lensv, replies) < 0) {
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

enum store_result store_redis_walk(struct store_redis *r, redisContext *c, const void *prefix,
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
		redisReply *rep = store_redis_raw_command(r, c, 6, argv, lens);

		if (rep == NULL) {
			ret = STORE_ERROR;
			break;
		}
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			ret = store_redis_unexpected(r, "SCAN", rep);
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
	redisContext *c = store_redis_borrow(r);
	enum store_result ret;

	if (c == NULL)
		return STORE_ERROR;
	ret = store_redis_walk(r, c, prefix, plen, 0, fn, ctx);
	store_redis_give_back(r, c);
	return ret;
}

/* store_stale() and store_sync_pending(): a server is never replaced
   under a handle the way a file is, and Redis syncs by itself. */
static int redis_stale(struct store *store)
{
	(void)store;
	return 0;
}

const struct store_ops store_redis_ops = {
	.scheme = "redis",
	.open = redis_open,
	.check = redis_check,
	.close = redis_close,
	.get = redis_get,
	.put = redis_put,
	.put_new = redis_put_new,
	.incr = redis_incr,
	.del = redis_del,
	.foreach = redis_foreach,
	.expire = redis_expire,
	.sync = redis_sync,
	.txn_begin = store_redis_txn_begin,
	.txn_get = store_redis_txn_get,
	.txn_put = store_redis_txn_put,
	.txn_del = store_redis_txn_del,
	.txn_foreach = store_redis_txn_foreach,
	.txn_hget = store_redis_txn_hget,
	.txn_hput = store_redis_txn_hput,
	.txn_hdel = store_redis_txn_hdel,
	.txn_hforeach = store_redis_txn_hforeach,
	.stale = redis_stale,
	.sync_pending = redis_stale,
	.txn_commit = store_redis_txn_commit,
	.txn_abort = store_redis_txn_abort,
};
