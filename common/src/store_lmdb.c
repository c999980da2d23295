/*++
 * NAME
 *	store_lmdb 3
 * SUMMARY
 *	LMDB backend of store.h
 * SYNOPSIS
 *	"lmdb:/var/lib/messec/x.lmdb" or "lmdb:/path?map_size=256M"
 * DESCRIPTION
 *	One file per store (MDB_NOSUBDIR; LMDB adds "<path>-lock"), created
 *	mode 0600, default map size 64 MiB (the file grows as needed up to
 *	it; a full map is STORE_ERROR "store full", raise map_size).
 *
 *	Each record is an 8-byte big-endian expiry (seconds since the epoch,
 *	0 = never) followed by the value. Reads treat an expired record as
 *	absent; store_expire() deletes them.
 *
 *	Every call runs in its own transaction, so the handle can be shared
 *	by threads (MDB_NOTLS: read transactions are not bound to a thread's
 *	reader slot); store_incr() reads and writes in one write transaction,
 *	which LMDB serialises across threads and processes, so concurrent
 *	increments never lose an update.
 *
 *	LMDB forbids opening one environment twice in a process (closing
 *	one handle would drop the other's file locks), so open handles on
 *	the same file (device + inode) share one environment, refcounted.
 *	MDB_NOMETASYNC: a system crash may lose the last transaction but
 *	never corrupts the file; one fsync per write instead of two.
 * TRUST BOUNDARY
 *	Keys and values are opaque bytes from the daemons; the file is
 *	private to the daemon user (0600).
 * DIAGNOSTICS
 *	STORE_ERROR with the LMDB error text through store_set_error().
 *--*/
#include "store_int.h"

#include <messec/cfg.h>
#include <messec/str.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#define LMDB_DEFAULT_MAP_SIZE (64ULL * 1024 * 1024)
#define EXPIRY_LEN 8

struct lmdb_env {
	dev_t dev;
	ino_t ino;
	MDB_env *env;
	MDB_dbi dbi;
	char *path;
	int refs;
	struct lmdb_env *next;
};

struct store_lmdb {
	struct store base;
	struct lmdb_env *shared;
};

static pthread_mutex_t envs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lmdb_env *envs;

static enum store_result lmdb_fail(const struct lmdb_env *e, const char *what, int rc)
{
	if (rc == MDB_MAP_FULL)
		return store_set_error("%s: %s: store full (raise map_size)", e->path, what);
	return store_set_error("%s: %s: %s", e->path, what, mdb_strerror(rc));
}

static void put_expiry(unsigned char *p, uint64_t expiry)
{
	int i;

	for (i = EXPIRY_LEN - 1; i >= 0; i--) {
		p[i] = (unsigned char)(expiry & 0xff);
		expiry >>= 8;
	}
}

static uint64_t get_expiry(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < EXPIRY_LEN; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t expiry_for(uint32_t ttl)
{
	return ttl == 0 ? 0 : (uint64_t)store_now() + ttl;
}

static int expired(uint64_t expiry)
{
	return expiry != 0 && expiry <= (uint64_t)store_now();
}

/* Parse "/path" or "/path?map_size=N"; path into buf. */
static int parse_rest(const char *uri, const char *rest, char *buf, size_t size,
		      uint64_t *map_size_r)
{
	const char *q = strchr(rest, '?'), *err;
	size_t len = q != NULL ? (size_t)(q - rest) : strlen(rest);

	*map_size_r = LMDB_DEFAULT_MAP_SIZE;
	if (*rest != '/' || len >= size) {
		store_set_error("%s: bad path (expected lmdb:/absolute/path)", uri);
		return -1;
	}
	memcpy(buf, rest, len);
	buf[len] = '\0';
	if (q != NULL) {
		if (strncmp(q + 1, "map_size=", 9) != 0 ||
		    cfg_parse_size(q + 10, map_size_r, &err) < 0 ||
		    *map_size_r < 1024 * 1024 || *map_size_r > (uint64_t)SIZE_MAX / 2) {
			store_set_error("%s: bad option (expected ?map_size=1M..)", uri);
			return -1;
		}
	}
	return 0;
}

/* Create and open an environment; NULL with the error set. */
static struct lmdb_env *env_create(const char *path, uint64_t map_size)
{
	struct lmdb_env *e = xcalloc(1, sizeof(*e));
	MDB_txn *txn;
	struct stat st;
	int rc, dead;

	e->path = xstrdup(path);
	if ((rc = mdb_env_create(&e->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(e->env, (size_t)map_size)) != 0 ||
	    (rc = mdb_env_open(e->env, path, MDB_NOSUBDIR | MDB_NOTLS |
			       MDB_NOMETASYNC, 0600)) != 0 ||
	    (rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0) {
		lmdb_fail(e, "open", rc);
		goto fail;
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &e->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		lmdb_fail(e, "open", rc);
		goto fail;
	}
	/* Reader slots of crashed processes would block page reuse. */
	mdb_reader_check(e->env, &dead);
	if (stat(path, &st) < 0) {
		store_set_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	return e;
fail:
	if (e->env != NULL)
		mdb_env_close(e->env);
	free(e->path);
	free(e);
	return NULL;
}

static struct store *lmdb_open(const char *uri, const char *rest)
{
	char path[PATH_MAX];
	uint64_t map_size;
	struct lmdb_env *e = NULL;
	struct store_lmdb *s;
	struct stat st;

	if (parse_rest(uri, rest, path, sizeof(path), &map_size) < 0)
		return NULL;
	pthread_mutex_lock(&envs_lock);
	if (stat(path, &st) == 0) {
		for (e = envs; e != NULL; e = e->next) {
			if (e->dev == st.st_dev && e->ino == st.st_ino)
				break;
		}
	}
	if (e == NULL && (e = env_create(path, map_size)) != NULL) {
		e->next = envs;
		envs = e;
	}
	if (e != NULL)
		e->refs++;
	pthread_mutex_unlock(&envs_lock);
	if (e == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &store_lmdb_ops;
	s->shared = e;
	return &s->base;
}

static void lmdb_close(struct store *store)
{
	struct store_lmdb *s = (struct store_lmdb *)store;
	struct lmdb_env *e = s->shared, **pp;

	pthread_mutex_lock(&envs_lock);
	if (--e->refs == 0) {
		for (pp = &envs; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == e) {
				*pp = e->next;
				break;
			}
		}
		mdb_env_close(e->env);
		free(e->path);
		free(e);
	}
	pthread_mutex_unlock(&envs_lock);
	free(s);
}

static struct lmdb_env *env_of(struct store *store)
{
	return ((struct store_lmdb *)store)->shared;
}

static enum store_result lmdb_get(struct store *store, const void *key, size_t klen,
				  void **value_r, size_t *len_r)
{
	struct lmdb_env *e = env_of(store);
	MDB_val k = { klen, (void *)key }, v;
	MDB_txn *txn;
	unsigned char *copy;
	size_t len;
	int rc;

	if ((rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(e, "get", rc);
	rc = mdb_get(txn, e->dbi, &k, &v);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return STORE_NOTFOUND;
	}
	if (rc != 0 || v.mv_size < EXPIRY_LEN) {
		mdb_txn_abort(txn);
		return rc != 0 ? lmdb_fail(e, "get", rc) :
		    store_set_error("%s: get: corrupt record", e->path);
	}
	if (expired(get_expiry(v.mv_data))) {
		mdb_txn_abort(txn);
		return STORE_NOTFOUND;
	}
	/* Copy out: the data is valid only inside the transaction. */
	len = v.mv_size - EXPIRY_LEN;
	copy = xmalloc(len + 1);
	memcpy(copy, (unsigned char *)v.mv_data + EXPIRY_LEN, len);
	copy[len] = '\0';
	mdb_txn_abort(txn);
	*value_r = copy;
	if (len_r != NULL)
		*len_r = len;
	return STORE_OK;
}

/* Write one record inside txn. */
static int write_record(struct lmdb_env *e, MDB_txn *txn, MDB_val *k,
			uint64_t expiry, const void *value, size_t vlen)
{
	MDB_val v = { EXPIRY_LEN + vlen, NULL };
	int rc = mdb_put(txn, e->dbi, k, &v, MDB_RESERVE);

	if (rc == 0) {
		put_expiry(v.mv_data, expiry);
		if (vlen > 0)
			memcpy((unsigned char *)v.mv_data + EXPIRY_LEN, value, vlen);
	}
	return rc;
}

static enum store_result lmdb_put(struct store *store, const void *key, size_t klen,
				  const void *value, size_t vlen, uint32_t ttl)
{
	struct lmdb_env *e = env_of(store);
	MDB_val k = { klen, (void *)key };
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(e, "put", rc);
	if ((rc = write_record(e, txn, &k, expiry_for(ttl), value, vlen)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(e, "put", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(e, "put", rc);
	return STORE_OK;
}

static enum store_result lmdb_incr(struct store *store, const void *key, size_t klen,
				   int64_t delta, uint32_t ttl, int64_t *value_r)
{
	struct lmdb_env *e = env_of(store);
	MDB_val k = { klen, (void *)key }, v;
	MDB_txn *txn;
	uint64_t expiry = expiry_for(ttl);
	int64_t cur = 0;
	char text[32];
	int rc, n;

	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(e, "incr", rc);
	rc = mdb_get(txn, e->dbi, &k, &v);
	if (rc == 0 && v.mv_size >= EXPIRY_LEN && !expired(get_expiry(v.mv_data))) {
		/* A live counter keeps its expiry (fixed window). */
		expiry = get_expiry(v.mv_data);
		if (store_parse_int((unsigned char *)v.mv_data + EXPIRY_LEN,
				    v.mv_size - EXPIRY_LEN, &cur) < 0) {
			mdb_txn_abort(txn);
			return store_set_error("%s: incr: value is not an integer", e->path);
		}
	} else if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return lmdb_fail(e, "incr", rc);
	}
	if ((delta > 0 && cur > INT64_MAX - delta) ||
	    (delta < 0 && cur < INT64_MIN - delta)) {
		mdb_txn_abort(txn);
		return store_set_error("%s: incr: integer overflow", e->path);
	}
	cur += delta;
	n = snprintf(text, sizeof(text), "%lld", (long long)cur);
	if ((rc = write_record(e, txn, &k, expiry, text, (size_t)n)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(e, "incr", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(e, "incr", rc);
	if (value_r != NULL)
		*value_r = cur;
	return STORE_OK;
}

static enum store_result lmdb_del(struct store *store, const void *key, size_t klen)
{
	struct lmdb_env *e = env_of(store);
	MDB_val k = { klen, (void *)key }, v;
	MDB_txn *txn;
	int rc, was_live;

	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(e, "del", rc);
	rc = mdb_get(txn, e->dbi, &k, &v);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return STORE_NOTFOUND;
	}
	/* An expired record is already "absent": delete it, say NOTFOUND. */
	was_live = rc == 0 && v.mv_size >= EXPIRY_LEN && !expired(get_expiry(v.mv_data));
	if (rc != 0 || (rc = mdb_del(txn, e->dbi, &k, NULL)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(e, "del", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(e, "del", rc);
	return was_live ? STORE_OK : STORE_NOTFOUND;
}

static long lmdb_expire(struct store *store)
{
	struct lmdb_env *e = env_of(store);
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	long count = 0;
	int rc;

	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0) {
		lmdb_fail(e, "expire", rc);
		return -1;
	}
	if ((rc = mdb_cursor_open(txn, e->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		lmdb_fail(e, "expire", rc);
		return -1;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (v.mv_size >= EXPIRY_LEN && !expired(get_expiry(v.mv_data)))
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		count++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		lmdb_fail(e, "expire", rc);
		return -1;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		lmdb_fail(e, "expire", rc);
		return -1;
	}
	return count;
}

const struct store_ops store_lmdb_ops = {
	.scheme = "lmdb",
	.open = lmdb_open,
	.close = lmdb_close,
	.get = lmdb_get,
	.put = lmdb_put,
	.incr = lmdb_incr,
	.del = lmdb_del,
	.expire = lmdb_expire,
};
