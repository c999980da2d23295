/*++
 * NAME
 *	store_redis_txn 3
 * SUMMARY
 *	Redis backend: transactions (WATCH, buffered writes, MULTI/EXEC)
 * DESCRIPTION
 *	A transaction holds one connection from begin to commit or abort.
 *	Every key it reads is WATCHed in the same round trip as the read;
 *	writes are kept here (read-your-writes: get and del look at them
 *	first, the last write of a key wins) and sent at commit as MULTI,
 *	SET [EX] / DEL, EXEC in one round trip. EXEC nil: a watched key
 *	changed, nothing was written, STORE_CONFLICT. Any other failure
 *	drops the connection (its MULTI state is unknown). Abort sends
 *	UNWATCH so the pooled connection starts clean.
 *	Hash fields (store_txn_h*): HGET/HEXISTS and HGETALL read (the key
 *	WATCHed), HSET/HDEL buffered like the other writes; read-your-writes
 *	per (key, field).
 *	Bounds: TXN_WRITES_MAX writes and TXN_BYTES_MAX bytes buffered.
 *--*/
#include "store_redis_int.h"

#include <messec/str.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TXN_WRITES_MAX 10000
#define TXN_BYTES_MAX (64UL * 1024 * 1024)

struct pending {
	char *key, *value;
	char *field;		/* a hash field, or NULL */
	size_t klen, vlen, flen;
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

struct store_txn *store_redis_txn_begin(struct store *store)
{
	struct store_redis *r = (struct store_redis *)store;
	redisContext *c = store_redis_borrow(r);
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
		free(t->w[i].field);
		free(t->w[i].value);
	}
	free(t->w);
	if (t->drop || t->c->err)
		redisFree(t->c);
	else
		store_redis_give_back(t->r, t->c);
	free(t);
}

/* The last buffered write of key (field: of that hash field; NULL: of
   the key's value), or NULL (read-your-writes). */
static const struct pending *pending_find(const struct redis_txn *t, const void *key,
					  size_t klen, const void *field, size_t flen)
{
	const struct pending *p;
	size_t i;

	for (i = t->n; i > 0; i--) {
		p = &t->w[i - 1];
		if (p->klen == klen && memcmp(p->key, key, klen) == 0 &&
		    (p->field == NULL) == (field == NULL) &&
		    (field == NULL || (p->flen == flen && memcmp(p->field, field, flen) == 0)))
			return p;
	}
	return NULL;
}

static enum store_result pending_add(struct redis_txn *t, const void *key, size_t klen,
				     const void *field, size_t flen,
				     const void *value, size_t vlen, uint32_t ttl, int del)
{
	struct pending *p;

	if (t->n == TXN_WRITES_MAX || t->bytes + klen + flen + vlen > TXN_BYTES_MAX)
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
	p->field = NULL;
	p->flen = flen;
	if (field != NULL) {
		p->field = xmalloc(flen);
		memcpy(p->field, field, flen);
	}
	p->value = NULL;
	p->vlen = vlen;
	if (!del) {
		p->value = xmalloc(vlen + 1);
		memcpy(p->value, value, vlen);
	}
	p->ttl = ttl;
	p->del = del;
	t->bytes += klen + flen + vlen;
	return STORE_OK;
}

/* WATCH key, then "cmd key [field]", in one round trip; the reply of cmd. */
static redisReply *watched(struct redis_txn *t, const char *cmd, const void *key,
			   size_t klen, const void *field, size_t flen)
{
	const char *wargv[] = { "WATCH", key }, *argv[] = { cmd, key, field };
	size_t wlens[] = { 5, klen }, lens[] = { strlen(cmd), klen, flen };
	const char **const argvs[] = { wargv, argv };
	const size_t *const lensv[] = { wlens, lens };
	const int argcs[] = { 2, field != NULL ? 3 : 2 };
	redisReply *replies[2];

	if (store_redis_exchange(t->r, t->c, 2, argcs, argvs, lensv, replies) < 0)
		return NULL;
	t->watching = 1;
	if (replies[0]->type != REDIS_REPLY_STATUS) {
		freeReplyObject(replies[1]);
		(void)store_redis_unexpected(t->r, "WATCH", replies[0]);
		t->drop = 1;
		return NULL;
	}
	freeReplyObject(replies[0]);
	return replies[1];
}

enum store_result store_redis_txn_get(struct store_txn *txn, const void *key,
				       size_t klen, void **value_r, size_t *len_r)
{
	return store_redis_txn_hget(txn, key, klen, NULL, 0, value_r, len_r);
}

/* get (field NULL) or hget: the buffered write, else the watched read. */
enum store_result store_redis_txn_hget(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen,
				       void **value_r, size_t *len_r)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	const struct pending *p = pending_find(t, key, klen, field, flen);
	const char *cmd;
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
	if (field == NULL)
		cmd = value_r != NULL ? "GET" : "EXISTS";
	else
		cmd = value_r != NULL ? "HGET" : "HEXISTS";
	rep = watched(t, cmd, key, klen, field, flen);
	if (rep == NULL)
		return STORE_ERROR;
	if (value_r != NULL)
		return store_redis_take_value(t->r, rep, value_r, len_r);
	if (rep->type != REDIS_REPLY_INTEGER)
		return store_redis_unexpected(t->r, cmd, rep);
	n = rep->integer;
	freeReplyObject(rep);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

enum store_result store_redis_txn_put(struct store_txn *txn, const void *key,
				       size_t klen, const void *value, size_t vlen,
				       uint32_t ttl)
{
	return pending_add((struct redis_txn *)txn, key, klen, NULL, 0, value, vlen, ttl, 0);
}

enum store_result store_redis_txn_hput(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen,
				       const void *value, size_t vlen)
{
	return pending_add((struct redis_txn *)txn, key, klen, field, flen, value, vlen,
			   0, 0);
}

enum store_result store_redis_txn_del(struct store_txn *txn, const void *key,
				       size_t klen)
{
	return store_redis_txn_hdel(txn, key, klen, NULL, 0);
}

/* del (field NULL) or hdel. */
enum store_result store_redis_txn_hdel(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	enum store_result was = store_redis_txn_hget(txn, key, klen, field, flen,
						     NULL, NULL);

	/* Delete at commit only what is there now (watched, or written by
	   this transaction): a key created meanwhile is a CONFLICT. */
	if (was != STORE_OK)
		return was;
	if (pending_add(t, key, klen, field, flen, NULL, 0, 0, 1) != STORE_OK)
		return STORE_ERROR;
	return STORE_OK;
}

/* HGETALL (watched); store.c allows it only before the first write, so
   no buffered field can be missed. */
enum store_result store_redis_txn_hforeach(struct store_txn *txn, const void *key,
					   size_t klen, store_foreach_fn *fn, void *ctx)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	redisReply *rep = watched(t, "HGETALL", key, klen, NULL, 0);
	enum store_result ret = STORE_OK;
	size_t i;
	int r;

	if (rep == NULL)
		return STORE_ERROR;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0)
		return store_redis_unexpected(t->r, "HGETALL", rep);
	for (i = 0; i < rep->elements; i += 2) {
		redisReply *f = rep->element[i], *v = rep->element[i + 1];

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			return store_redis_unexpected(t->r, "HGETALL", rep);
		r = fn(f->str, f->len, v->str, v->len, ctx);
		if (r < 0)
			ret = STORE_ERROR;
		if (r != 0)
			break;
	}
	freeReplyObject(rep);
	return ret;
}

enum store_result store_redis_txn_foreach(struct store_txn *txn, const void *prefix,
					   size_t plen, store_foreach_fn *fn, void *ctx)
{
	struct redis_txn *t = (struct redis_txn *)txn;

	t->watching = 1;
	return store_redis_walk(t->r, t->c, prefix, plen, 1, fn, ctx);
}

void store_redis_txn_abort(struct store_txn *txn)
{
	struct redis_txn *t = (struct redis_txn *)txn;
	const char *argv[] = { "UNWATCH" };
	size_t lens[] = { 7 };
	redisReply *rep;

	/* Forget the WATCHes so the pooled connection starts clean. */
	if (t->watching && !t->c->err && !t->drop) {
		rep = store_redis_raw_command(t->r, t->c, 1, argv, lens);
		if (rep == NULL || rep->type != REDIS_REPLY_STATUS)
			t->drop = 1;
		freeReplyObject(rep);
	}
	txn_free(t);
}

enum store_result store_redis_txn_commit(struct store_txn *txn)
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
		} else if (p->field != NULL) {
			a[0] = p->del ? "HDEL" : "HSET", l[0] = 4;
			a[1] = p->key, l[1] = p->klen;
			a[2] = p->field, l[2] = p->flen;
			a[3] = p->value, l[3] = p->vlen;
			argcs[i] = p->del ? 3 : 4;
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
	if (store_redis_exchange(t->r, t->c, n, argcs, argvs, lensv, replies) < 0) {
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

