/*++
 * NAME
 *	store_lmdb 3
 * SUMMARY
 *	LMDB backend of store.h
 * SYNOPSIS
 *	"lmdb:/var/lib/messec/x.lmdb[?map_size=256M][&sync=always|data|periodic]"
 *	     "[&records=expiry|plain][&create=yes|no][&writemap=yes|no]"
 * DESCRIPTION
 *	One file per store (MDB_NOSUBDIR; LMDB adds "<path>-lock"), created
 *	mode 0600, default map size 64 MiB (the file grows as needed up to
 *	it; a full map is STORE_ERROR "store full", raise map_size).
 *
 *	Each record is an 8-byte big-endian expiry (seconds since the epoch,
 *	0 = never) followed by the value. Reads treat an expired record as
 *	absent; store_expire() deletes them. records=plain: the value alone
 *	(files written before this store, the MFA plugin's: their records
 *	carry no expiry, so none is read or written; a TTL is an error).
 *	create=no: a missing file is an error, so a typo in a path never
 *	becomes a new empty store that answers "not found" for everyone.
 *
 *	Hash fields (store_txn_h*): the field's record key is key followed
 *	by field (the MFA plugin's "a\0<user>\0" + app id), so a field walk
 *	is a prefix walk.
 *
 *	store_stale(): a handle kept open for long (the plugin's, between
 *	logins) compares the file and lock file at the path with the ones
 *	opened (device + inode) and asks faccessat(EACCESS) for read and
 *	write, so a store removed, replaced or made unreadable is noticed
 *	at the next use as a fresh open would notice it.
 *
 *	Every single-key call runs in its own transaction, so the handle can
 *	be shared by threads (MDB_NOTLS: read transactions are not bound to
 *	a thread's reader slot); store_incr() and store_put_new() read and
 *	write in one write transaction, which LMDB serialises across threads
 *	and processes, so concurrent increments never lose an update. A
 *	store_txn is one LMDB write transaction: it sees its own writes, and
 *	its commit never answers CONFLICT (nobody else wrote meanwhile).
 *
 *	LMDB forbids opening one environment twice in a process (closing
 *	one handle would drop the other's file locks), so open handles on
 *	the same file (device + inode) share one environment, refcounted;
 *	a second open asking for another sync mode is refused. An
 *	environment inherited through fork() is never shared with a handle
 *	the child opens, and never closed by the child.
 *	sync=data (default): MDB_NOMETASYNC, one fdatasync per commit; a
 *	system crash may lose the last transaction but never corrupts the
 *	file. sync=always: LMDB's default, two synced writes per commit.
 *	sync=periodic: MDB_NOSYNC|MDB_NOMETASYNC, commits reach the page
 *	cache (other processes see them at once) and mdb_env_sync() runs
 *	from store_sync() and after a commit, at most every
 *	STORE_SYNC_INTERVAL_MS; an OS crash may lose the commits since.
 *	After store_sync_deferred() only store_sync() flushes: a commit
 *	never waits for a flush (nor for another thread's).
 *	writemap=yes: MDB_WRITEMAP, a commit writes into the shared mapping
 *	instead of one pwrite() per dirty page (policyd's greylisting: ~5
 *	system calls per single-write commit become none; syncs use msync).
 *	LMDB's own warnings apply: a wild pointer write in the process can
 *	damage the file (no longer protected by a read-only map), every
 *	process opening the file must use the same setting ("do not mix"),
 *	and the file's apparent size is map_size at once (sparse on Linux
 *	filesystems: the blocks used grow as before).
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
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#define LMDB_DEFAULT_MAP_SIZE (64ULL * 1024 * 1024)
#define EXPIRY_LEN 8

enum lmdb_sync {
	LMDB_SYNC_DATA,
	LMDB_SYNC_ALWAYS,
	LMDB_SYNC_PERIODIC,
};

static const char *const sync_names[] = { "data", "always", "periodic" };

struct lmdb_env {
	dev_t dev;
	ino_t ino;
	MDB_env *env;
	MDB_dbi dbi;
	char *path;
	pid_t pid;			/* the process that opened it */
	enum lmdb_sync sync;
	int plain;			/* records=plain: no expiry header */
	int writemap;			/* writemap=yes: MDB_WRITEMAP */
	size_t hdr;			/* EXPIRY_LEN, or 0 when plain */
	dev_t lock_dev;
	ino_t lock_ino;
	pthread_mutex_t sync_lock;	/* one syncer at a time; last_sync */
	int dirty;			/* periodic: commits not yet synced (atomic) */
	int deferred;			/* store_sync_deferred(): no sync in commit() (atomic) */
	struct timespec last_sync;	/* CLOCK_MONOTONIC */
	int refs;
	struct lmdb_env *next;
};

struct store_lmdb {
	struct store base;
	struct lmdb_env *shared;
};

struct lmdb_txn {
	struct store_txn base;
	struct lmdb_env *e;
	MDB_txn *txn;
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

/* The options of an address besides its path. */
struct lmdb_opts {
	uint64_t map_size;
	enum lmdb_sync sync;
	int plain;
	int create;
	int writemap;
};

/* "yes"/"no" (or the two words of another option); 0/1, -1 if neither. */
static int parse_choice(const char *v, const char *zero, const char *one)
{
	if (strcmp(v, zero) == 0)
		return 0;
	return strcmp(v, one) == 0 ? 1 : -1;
}

/* Parse "/path[?map_size=N][&sync=MODE][&records=R][&create=C]"; path
   into buf. */
static int parse_rest(const char *uri, const char *rest, char *buf, size_t size,
		      struct lmdb_opts *o)
{
	static const char *const names[] = { "map_size", "sync", "records", "create", "writemap",
					      NULL };
	char *values[5];
	const char *q = strchr(rest, '?'), *err;
	size_t len = q != NULL ? (size_t)(q - rest) : strlen(rest);
	int ret = -1;
	size_t i;

	o->map_size = LMDB_DEFAULT_MAP_SIZE;
	o->sync = LMDB_SYNC_DATA;
	o->plain = 0;
	o->create = 1;
	o->writemap = 0;
	if (*rest != '/' || len >= size || rest[len - 1] == '/') {
		store_set_error("%s: bad path (expected lmdb:/absolute/path)", uri);
		return -1;
	}
	memcpy(buf, rest, len);
	buf[len] = '\0';
	if (store_parse_query(uri, q != NULL ? q + 1 : NULL, names, values) < 0)
		return -1;
	if (values[0] != NULL &&
	    (cfg_parse_size(values[0], &o->map_size, &err) < 0 ||
	     o->map_size < 1024 * 1024 || o->map_size > (uint64_t)SIZE_MAX / 2)) {
		store_set_error("%s: bad map_size \"%s\" (expected 1M or more, e.g. 256M)",
				uri, values[0]);
		goto out;
	}
	if (values[1] != NULL) {
		for (i = 0; i < sizeof(sync_names) / sizeof(sync_names[0]); i++) {
			if (strcmp(values[1], sync_names[i]) == 0)
				break;
		}
		if (i == sizeof(sync_names) / sizeof(sync_names[0])) {
			store_set_error("%s: bad sync \"%s\" (expected always, data or periodic)",
					uri, values[1]);
			goto out;
		}
		o->sync = (enum lmdb_sync)i;
	}
	if (values[2] != NULL &&
	    (o->plain = parse_choice(values[2], "expiry", "plain")) < 0) {
		store_set_error("%s: bad records \"%s\" (expected expiry or plain)",
				uri, values[2]);
		goto out;
	}
	if (values[3] != NULL &&
	    (o->create = parse_choice(values[3], "no", "yes")) < 0) {
		store_set_error("%s: bad create \"%s\" (expected yes or no)",
				uri, values[3]);
		goto out;
	}
	if (values[4] != NULL &&
	    (o->writemap = parse_choice(values[4], "no", "yes")) < 0) {
		store_set_error("%s: bad writemap \"%s\" (expected yes or no)",
				uri, values[4]);
		goto out;
	}
	ret = 0;
out:
	store_free_values(names, values);
	return ret;
}

/* "<path>-lock" (LMDB's name with MDB_NOSUBDIR); malloc'ed. */
static char *lock_path(const char *path)
{
	size_t n = strlen(path);
	char *lp = xmalloc(n + sizeof("-lock"));

	memcpy(lp, path, n);
	memcpy(lp + n, "-lock", sizeof("-lock"));
	return lp;
}

/* Create and open an environment; NULL with the error set. */
static struct lmdb_env *env_create(const char *path, const struct lmdb_opts *o)
{
	struct lmdb_env *e = xcalloc(1, sizeof(*e));
	unsigned int flags = MDB_NOSUBDIR | MDB_NOTLS;
	MDB_txn *txn;
	struct stat st;
	char *lp;
	int rc, dead;

	e->path = xstrdup(path);
	e->sync = o->sync;
	e->plain = o->plain;
	e->writemap = o->writemap;
	e->hdr = o->plain ? 0 : EXPIRY_LEN;
	/* Before LMDB creates anything: create=no, and never a directory or
	   a device where a store file is expected. */
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !o->create) {
			store_set_error("%s: %s", path, strerror(errno));
			goto fail;
		}
	} else if (!S_ISREG(st.st_mode)) {
		store_set_error("%s: not a regular file", path);
		goto fail;
	}
	if (o->sync == LMDB_SYNC_DATA)
		flags |= MDB_NOMETASYNC;
	else if (o->sync == LMDB_SYNC_PERIODIC)
		flags |= MDB_NOSYNC | MDB_NOMETASYNC;
	if (o->writemap)
		flags |= MDB_WRITEMAP;
	if ((rc = mdb_env_create(&e->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(e->env, (size_t)o->map_size)) != 0 ||
	    (rc = mdb_env_open(e->env, path, flags, 0600)) != 0 ||
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
	lp = lock_path(path);
	rc = stat(lp, &st);
	free(lp);
	if (rc < 0) {
		store_set_error("%s-lock: %s", path, strerror(errno));
		goto fail;
	}
	e->lock_dev = st.st_dev;
	e->lock_ino = st.st_ino;
	e->pid = getpid();
	pthread_mutex_init(&e->sync_lock, NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, &e->last_sync);
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
	struct lmdb_opts o;
	struct lmdb_env *e = NULL;
	struct store_lmdb *s;
	struct stat st;

	if (parse_rest(uri, rest, path, sizeof(path), &o) < 0)
		return NULL;
	pthread_mutex_lock(&envs_lock);
	if (stat(path, &st) == 0) {
		for (e = envs; e != NULL; e = e->next) {
			/* Never an environment inherited through fork(). */
			if (e->dev == st.st_dev && e->ino == st.st_ino &&
			    e->pid == getpid())
				break;
		}
	}
	if (e != NULL && (e->sync != o.sync || e->plain != o.plain || e->writemap != o.writemap)) {
		/* One environment, one set of flags: refuse, never ignore. */
		store_set_error("%s: already open in this process with sync=%s&records=%s&writemap=%s",
				uri, sync_names[e->sync], e->plain ? "plain" : "expiry",
				e->writemap ? "yes" : "no");
		e = NULL;
	} else if (e == NULL && (e = env_create(path, &o)) != NULL) {
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

static int lmdb_check(const char *uri, const char *rest)
{
	char path[PATH_MAX];
	struct lmdb_opts o;

	return parse_rest(uri, rest, path, sizeof(path), &o);
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
		/* A child closing a handle inherited through fork() leaves the
		   parent's environment alone (LMDB: no use across fork). */
		if (e->pid == getpid()) {
			if (e->dirty)
				(void)mdb_env_sync(e->env, 1);
			mdb_env_close(e->env);
		}
		pthread_mutex_destroy(&e->sync_lock);
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

static long ms_since(const struct timespec *then)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - then->tv_sec) * 1000 +
		(now.tv_nsec - then->tv_nsec) / 1000000;
}

/*
 * sync=periodic: flush when forced or the interval passed. The flag is
 * cleared before the flush: a commit that ends during it sets it again
 * (its pages may have missed this flush), one that ended before is in
 * it. Committers never wait for sync_lock: only syncers take it.
 */
static enum store_result env_sync(struct lmdb_env *e, int force)
{
	int rc = 0;

	if (e->sync != LMDB_SYNC_PERIODIC || !__atomic_load_n(&e->dirty, __ATOMIC_ACQUIRE))
		return STORE_OK;
	pthread_mutex_lock(&e->sync_lock);
	if (__atomic_load_n(&e->dirty, __ATOMIC_ACQUIRE) &&
	    (force || ms_since(&e->last_sync) >= STORE_SYNC_INTERVAL_MS)) {
		__atomic_store_n(&e->dirty, 0, __ATOMIC_RELEASE);
		rc = mdb_env_sync(e->env, 1);
		(void)clock_gettime(CLOCK_MONOTONIC, &e->last_sync);
		if (rc != 0)
			__atomic_store_n(&e->dirty, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&e->sync_lock);
	return rc == 0 ? STORE_OK : lmdb_fail(e, "sync", rc);
}

/* Commit txn (freed either way); STORE_OK or STORE_ERROR. */
static enum store_result commit(struct lmdb_env *e, MDB_txn *txn, const char *what)
{
	int rc = mdb_txn_commit(txn);

	if (rc != 0)
		return lmdb_fail(e, what, rc);
	if (e->sync == LMDB_SYNC_PERIODIC) {
		__atomic_store_n(&e->dirty, 1, __ATOMIC_RELEASE);
		/* The commit stands; a failed flush is retried next time.
		   Deferred: the caller's own thread flushes (a flush here
		   would hold this commit's answer for an fdatasync). */
		if (!__atomic_load_n(&e->deferred, __ATOMIC_ACQUIRE))
			(void)env_sync(e, 0);
	}
	return STORE_OK;
}

/*
 * Batches (store_batch_begin): the calling thread's single-key calls on
 * the batch's environment use its write transaction instead of one each;
 * store_batch_end() commits once. A call that fails inside the batch
 * marks it failed (an LMDB error can leave the transaction unusable):
 * the end then writes nothing and answers STORE_ERROR.
 */
static __thread struct {
	struct lmdb_env *e;
	MDB_txn *txn;
	int failed;
} batch;

static int in_batch(const struct lmdb_env *e)
{
	return batch.txn != NULL && batch.e == e;
}

/* A write transaction: the batch's, or a new one. */
static int wtxn_begin(struct lmdb_env *e, MDB_txn **txn)
{
	if (in_batch(e)) {
		*txn = batch.txn;
		return 0;
	}
	return mdb_txn_begin(e->env, NULL, 0, txn);
}

/* Give up txn: a batch's stays open (failed: marks the batch failed). */
static void wtxn_abort(struct lmdb_env *e, MDB_txn *txn, int failed)
{
	if (in_batch(e) && txn == batch.txn) {
		if (failed)
			batch.failed = 1;
		return;
	}
	mdb_txn_abort(txn);
}

static enum store_result wtxn_commit(struct lmdb_env *e, MDB_txn *txn, const char *what)
{
	if (in_batch(e) && txn == batch.txn)
		return STORE_OK;	/* store_batch_end() commits */
	return commit(e, txn, what);
}

/*
 * Find the live record of key in txn: OK with its value in *v (inside
 * the transaction), NOTFOUND (absent or expired), or ERROR.
 */
static enum store_result rec_get(struct lmdb_env *e, MDB_txn *txn, const void *key,
				 size_t klen, MDB_val *v, const char *what)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_get(txn, e->dbi, &k, v);

	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return lmdb_fail(e, what, rc);
	if (v->mv_size < e->hdr)
		return store_set_error("%s: %s: corrupt record", e->path, what);
	if (e->hdr > 0 && expired(get_expiry(v->mv_data)))
		return STORE_NOTFOUND;
	return STORE_OK;
}

/* Copy out a record's value (valid only inside the transaction). */
static void copy_value(const struct lmdb_env *e, const MDB_val *v, void **value_r,
		       size_t *len_r)
{
	size_t len = v->mv_size - e->hdr;
	unsigned char *copy = xmalloc(len + 1);

	memcpy(copy, (unsigned char *)v->mv_data + e->hdr, len);
	copy[len] = '\0';
	*value_r = copy;
	if (len_r != NULL)
		*len_r = len;
}

static enum store_result lmdb_get(struct store *store, const void *key, size_t klen,
				  void **value_r, size_t *len_r)
{
	struct lmdb_env *e = env_of(store);
	MDB_txn *txn;
	MDB_val v;
	enum store_result ret;
	int rc;

	if (in_batch(e)) {	/* sees the batch's own writes */
		ret = rec_get(e, batch.txn, key, klen, &v, "get");
		if (ret == STORE_OK && value_r != NULL)
			copy_value(e, &v, value_r, len_r);
		if (ret == STORE_ERROR)
			batch.failed = 1;
		return ret;
	}
	if ((rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(e, "get", rc);
	ret = rec_get(e, txn, key, klen, &v, "get");
	if (ret == STORE_OK && value_r != NULL)
		copy_value(e, &v, value_r, len_r);
	mdb_txn_abort(txn);
	return ret;
}

/* Write one record inside txn. */
static int write_record(struct lmdb_env *e, MDB_txn *txn, MDB_val *k,
			uint64_t expiry, const void *value, size_t vlen)
{
	MDB_val v = { e->hdr + vlen, NULL };
	int rc = mdb_put(txn, e->dbi, k, &v, MDB_RESERVE);

	if (rc == 0) {
		if (e->hdr > 0)
			put_expiry(v.mv_data, expiry);
		if (vlen > 0)
			memcpy((unsigned char *)v.mv_data + e->hdr, value, vlen);
	}
	return rc;
}

/* records=plain has nowhere to keep an expiry: a TTL is refused, never
   dropped (the key would live for ever). */
static enum store_result ttl_ok(const struct lmdb_env *e, uint32_t ttl)
{
	if (ttl != 0 && e->plain)
		return store_set_error("%s: a TTL needs records=expiry", e->path);
	return STORE_OK;
}

/* put (only_new 0) or put-if-absent (only_new 1) in one write txn;
   put-if-absent copies the live value into *old_r when wanted. */
static enum store_result put_common(struct store *store, const void *key, size_t klen,
				    const void *value, size_t vlen, uint32_t ttl,
				    int only_new, void **old_r, size_t *old_len_r)
{
	struct lmdb_env *e = env_of(store);
	MDB_val k = { klen, (void *)key }, v;
	MDB_txn *txn;
	enum store_result ret;
	int rc;

	if (ttl_ok(e, ttl) != STORE_OK)
		return STORE_ERROR;
	if ((rc = wtxn_begin(e, &txn)) != 0)
		return lmdb_fail(e, "put", rc);
	if (only_new) {
		ret = rec_get(e, txn, key, klen, &v, "put");
		if (ret != STORE_NOTFOUND) {
			if (ret == STORE_OK && old_r != NULL)
				copy_value(e, &v, old_r, old_len_r);
			wtxn_abort(e, txn, ret == STORE_ERROR);
			return ret == STORE_OK ? STORE_EXISTS : STORE_ERROR;
		}
	}
	if ((rc = write_record(e, txn, &k, expiry_for(ttl), value, vlen)) != 0) {
		wtxn_abort(e, txn, 1);
		return lmdb_fail(e, "put", rc);
	}
	return wtxn_commit(e, txn, "put");
}

static enum store_result lmdb_put(struct store *store, const void *key, size_t klen,
				  const void *value, size_t vlen, uint32_t ttl)
{
	return put_common(store, key, klen, value, vlen, ttl, 0, NULL, NULL);
}

static enum store_result lmdb_put_new(struct store *store, const void *key, size_t klen,
				      const void *value, size_t vlen, uint32_t ttl,
				      void **old_r, size_t *old_len_r)
{
	return put_common(store, key, klen, value, vlen, ttl, 1, old_r, old_len_r);
}

static enum store_result lmdb_incr(struct store *store, const void *key, size_t klen,
				   int64_t delta, uint32_t ttl, int64_t *value_r)
{
	struct lmdb_env *e = env_of(store);
	MDB_val k = { klen, (void *)key }, v;
	MDB_txn *txn;
	uint64_t expiry = expiry_for(ttl);
	enum store_result ret;
	int64_t cur = 0;
	char text[32];
	int rc, n;

	if (ttl_ok(e, ttl) != STORE_OK)
		return STORE_ERROR;
	if ((rc = wtxn_begin(e, &txn)) != 0)
		return lmdb_fail(e, "incr", rc);
	ret = rec_get(e, txn, key, klen, &v, "incr");
	if (ret == STORE_ERROR) {
		wtxn_abort(e, txn, 1);
		return STORE_ERROR;
	}
	if (ret == STORE_OK) {
		/* A live counter keeps its expiry (fixed window). */
		expiry = e->hdr > 0 ? get_expiry(v.mv_data) : 0;
		if (store_parse_int((unsigned char *)v.mv_data + e->hdr,
				    v.mv_size - e->hdr, &cur) < 0) {
			wtxn_abort(e, txn, 0);	/* nothing written */
			return store_set_error("%s: incr: value is not an integer", e->path);
		}
	}
	if ((delta > 0 && cur > INT64_MAX - delta) ||
	    (delta < 0 && cur < INT64_MIN - delta)) {
		wtxn_abort(e, txn, 0);
		return store_set_error("%s: incr: integer overflow", e->path);
	}
	cur += delta;
	n = snprintf(text, sizeof(text), "%lld", (long long)cur);
	if ((rc = write_record(e, txn, &k, expiry, text, (size_t)n)) != 0) {
		wtxn_abort(e, txn, 1);
		return lmdb_fail(e, "incr", rc);
	}
	if (wtxn_commit(e, txn, "incr") != STORE_OK)
		return STORE_ERROR;
	if (value_r != NULL)
		*value_r = cur;
	return STORE_OK;
}

/* Delete key inside txn: OK when it was live, NOTFOUND otherwise (an
   expired record is deleted too: it is already "absent"). */
static enum store_result del_in(struct lmdb_env *e, MDB_txn *txn, const void *key,
				size_t klen)
{
	MDB_val k = { klen, (void *)key }, v;
	enum store_result ret = rec_get(e, txn, key, klen, &v, "del");
	int rc;

	if (ret == STORE_ERROR)
		return STORE_ERROR;
	rc = mdb_del(txn, e->dbi, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_fail(e, "del", rc);
	return ret;
}

static enum store_result lmdb_del(struct store *store, const void *key, size_t klen)
{
	struct lmdb_env *e = env_of(store);
	MDB_txn *txn;
	enum store_result ret;
	int rc;

	if ((rc = wtxn_begin(e, &txn)) != 0)
		return lmdb_fail(e, "del", rc);
	ret = del_in(e, txn, key, klen);
	if (ret == STORE_ERROR) {
		wtxn_abort(e, txn, 1);
		return STORE_ERROR;
	}
	if (wtxn_commit(e, txn, "del") != STORE_OK)
		return STORE_ERROR;
	return ret;
}

/* Walk the live keys under prefix inside txn, in key order; fn gets
   each key without its first skip bytes. */
static enum store_result walk(struct lmdb_env *e, MDB_txn *txn, const void *prefix,
			      size_t plen, size_t skip, store_foreach_fn *fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k = { plen, (void *)prefix }, v;
	enum store_result ret = STORE_OK;
	int rc, r;

	if ((rc = mdb_cursor_open(txn, e->dbi, &cur)) != 0)
		return lmdb_fail(e, "foreach", rc);
	rc = plen > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) :
	    mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (v.mv_size < e->hdr) {
			ret = store_set_error("%s: foreach: corrupt record", e->path);
			break;
		}
		if (e->hdr > 0 && expired(get_expiry(v.mv_data)))
			continue;
		/* skip: a field walk passes the field only (store_txn_hforeach) */
		r = fn((const unsigned char *)k.mv_data + skip, k.mv_size - skip,
		       (unsigned char *)v.mv_data + e->hdr, v.mv_size - e->hdr, ctx);
		if (r < 0) {
			ret = STORE_ERROR;
			break;
		}
		if (r > 0)
			break;
	}
	if (ret == STORE_OK && rc != 0 && rc != MDB_NOTFOUND)
		ret = lmdb_fail(e, "foreach", rc);
	mdb_cursor_close(cur);
	return ret;
}

static enum store_result lmdb_foreach(struct store *store, const void *prefix,
				      size_t plen, store_foreach_fn *fn, void *ctx)
{
	struct lmdb_env *e = env_of(store);
	MDB_txn *txn;
	enum store_result ret;
	int rc;

	if ((rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(e, "foreach", rc);
	ret = walk(e, txn, prefix, plen, 0, fn, ctx);
	mdb_txn_abort(txn);
	return ret;
}

static long lmdb_expire(struct store *store)
{
	struct lmdb_env *e = env_of(store);
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	long count = 0;
	int rc;

	if (e->plain)
		return 0;	/* no record can expire */
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
	if (commit(e, txn, "expire") != STORE_OK)
		return -1;
	return count;
}

static enum store_result lmdb_sync(struct store *store, int force)
{
	return env_sync(env_of(store), force);
}

/* --- transactions: one LMDB write transaction each */

static struct store_txn *lmdb_txn_begin(struct store *store)
{
	struct lmdb_env *e = env_of(store);
	struct lmdb_txn *t;
	MDB_txn *txn;
	int rc;

	if (in_batch(e)) {	/* would wait for the batch's own lock */
		store_set_error("%s: begin: a batch is open in this thread", e->path);
		return NULL;
	}
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0) {
		lmdb_fail(e, "begin", rc);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->base.store = store;
	t->e = e;
	t->txn = txn;
	return &t->base;
}

static enum store_result lmdb_txn_get(struct store_txn *txn, const void *key,
				      size_t klen, void **value_r, size_t *len_r)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;
	enum store_result ret;
	MDB_val v;

	ret = rec_get(t->e, t->txn, key, klen, &v, "get");
	if (ret == STORE_OK && value_r != NULL)
		copy_value(t->e, &v, value_r, len_r);
	return ret;
}

static enum store_result lmdb_txn_put(struct store_txn *txn, const void *key,
				      size_t klen, const void *value, size_t vlen,
				      uint32_t ttl)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;
	MDB_val k = { klen, (void *)key };
	int rc;

	if (ttl_ok(t->e, ttl) != STORE_OK)
		return STORE_ERROR;
	rc = write_record(t->e, t->txn, &k, expiry_for(ttl), value, vlen);
	return rc == 0 ? STORE_OK : lmdb_fail(t->e, "put", rc);
}

static enum store_result lmdb_txn_del(struct store_txn *txn, const void *key,
				      size_t klen)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;

	return del_in(t->e, t->txn, key, klen);
}

static enum store_result lmdb_txn_foreach(struct store_txn *txn, const void *prefix,
					  size_t plen, store_foreach_fn *fn, void *ctx)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;

	return walk(t->e, t->txn, prefix, plen, 0, fn, ctx);
}

/* --- hash fields: the record key is key followed by field */

/* key ‖ field into buf (store.c checked klen + flen <= STORE_KEY_MAX). */
static size_t field_key(unsigned char buf[STORE_KEY_MAX], const void *key, size_t klen,
			const void *field, size_t flen)
{
	memcpy(buf, key, klen);
	memcpy(buf + klen, field, flen);
	return klen + flen;
}

static enum store_result lmdb_txn_hget(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen,
				       void **value_r, size_t *len_r)
{
	unsigned char fk[STORE_KEY_MAX];

	return lmdb_txn_get(txn, fk, field_key(fk, key, klen, field, flen),
			    value_r, len_r);
}

static enum store_result lmdb_txn_hput(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen,
				       const void *value, size_t vlen)
{
	unsigned char fk[STORE_KEY_MAX];

	return lmdb_txn_put(txn, fk, field_key(fk, key, klen, field, flen),
			    value, vlen, 0);
}

static enum store_result lmdb_txn_hdel(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen)
{
	unsigned char fk[STORE_KEY_MAX];

	return lmdb_txn_del(txn, fk, field_key(fk, key, klen, field, flen));
}

static enum store_result lmdb_txn_hforeach(struct store_txn *txn, const void *key,
					   size_t klen, store_foreach_fn *fn, void *ctx)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;

	return walk(t->e, t->txn, key, klen, klen, fn, ctx);
}

/* --- a handle kept open */

static int same_file(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino &&
	       faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) == 0;
}

static int lmdb_stale(struct store *store)
{
	struct lmdb_env *e = env_of(store);
	char *lp = lock_path(e->path);
	int ok = same_file(e->path, e->dev, e->ino) &&
		 same_file(lp, e->lock_dev, e->lock_ino);

	free(lp);
	return !ok;
}

static int lmdb_sync_pending(struct store *store)
{
	struct lmdb_env *e = env_of(store);
	int dirty;

	if (e->sync != LMDB_SYNC_PERIODIC || e->pid != getpid())
		return 0;
	dirty = __atomic_load_n(&e->dirty, __ATOMIC_ACQUIRE);
	return dirty;
}

static void lmdb_sync_deferred(struct store *store)
{
	__atomic_store_n(&env_of(store)->deferred, 1, __ATOMIC_RELEASE);
}

static enum store_result lmdb_txn_commit(struct store_txn *txn)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;
	enum store_result ret = commit(t->e, t->txn, "commit");

	free(t);
	return ret;
}

static void lmdb_txn_abort(struct store_txn *txn)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;

	mdb_txn_abort(t->txn);
	free(t);
}

static enum store_result lmdb_batch_begin(struct store *store)
{
	struct lmdb_env *e = env_of(store);
	int rc;

	if (batch.txn != NULL)
		return store_set_error("%s: batch: one is open in this thread", e->path);
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &batch.txn)) != 0) {
		batch.txn = NULL;
		return lmdb_fail(e, "batch", rc);
	}
	batch.e = e;
	batch.failed = 0;
	return STORE_OK;
}

static enum store_result lmdb_batch_end(struct store *store, int keep)
{
	struct lmdb_env *e = env_of(store);
	MDB_txn *txn = batch.txn;
	int failed = batch.failed;

	if (!in_batch(e))
		return store_set_error("%s: batch: none open in this thread", e->path);
	batch.txn = NULL;
	batch.e = NULL;
	if (failed || !keep) {
		mdb_txn_abort(txn);
		return failed ? store_set_error("%s: batch: a call in it failed, nothing written",
						e->path) : STORE_OK;
	}
	return commit(e, txn, "batch");
}

const struct store_ops store_lmdb_ops = {
	.scheme = "lmdb",
	.open = lmdb_open,
	.check = lmdb_check,
	.close = lmdb_close,
	.get = lmdb_get,
	.put = lmdb_put,
	.put_new = lmdb_put_new,
	.incr = lmdb_incr,
	.del = lmdb_del,
	.foreach = lmdb_foreach,
	.expire = lmdb_expire,
	.sync = lmdb_sync,
	.txn_begin = lmdb_txn_begin,
	.txn_get = lmdb_txn_get,
	.txn_put = lmdb_txn_put,
	.txn_del = lmdb_txn_del,
	.txn_foreach = lmdb_txn_foreach,
	.txn_hget = lmdb_txn_hget,
	.txn_hput = lmdb_txn_hput,
	.txn_hdel = lmdb_txn_hdel,
	.txn_hforeach = lmdb_txn_hforeach,
	.stale = lmdb_stale,
	.sync_pending = lmdb_sync_pending,
	.sync_deferred = lmdb_sync_deferred,
	.txn_commit = lmdb_txn_commit,
	.txn_abort = lmdb_txn_abort,
	.batch_begin = lmdb_batch_begin,
	.batch_end = lmdb_batch_end,
};
