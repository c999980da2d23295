/*++
/* NAME
/*	mfa_store_lmdb 3
/* SUMMARY
/*	LMDB backend of mfa_store.h (the embedded default)
/* DESCRIPTION
/*	One LMDB file (MDB_NOSUBDIR, lock file "<path>-lock"). Keys:
/*	"u\0<user>" user record, "a\0<user>\0<id>" app password, "i\0<ip>"
/*	per-IP failures; values are encoded by mfa_store.c.
/*
/*	A write transaction is LMDB's single writer: the read-check-write of
/*	a login is atomic against the CLI and other auth processes of the
/*	host. Commit never answers MFA_TXN_CONFLICT.
/*
/*	The CLI opens an environment per command and closes it (LMDB allows
/*	one environment per file per process). The plugin asks, through
/*	mfa_store_set_caching(), to keep one open for the life of the auth
/*	process: opening costs an env, a lock file, a 64 MiB mmap (about
/*	1 ms), and each reuse is first checked with stat() and faccessat()
/*	of the file and its lock file so that a removed, replaced or
/*	unreadable store is still noticed at the next login (mfa_store.h). Environments are opened
/*	with MDB_NOTLS: a read transaction's reader slot belongs to the
/*	transaction, not to the thread.
/*
/*	Durability: MFA_STORE_SYNC_ALWAYS is LMDB's default (fdatasync of
/*	the data, then the meta page through an O_DSYNC descriptor: two
/*	disk writes per commit). MFA_STORE_SYNC_DATA: MDB_NOMETASYNC, one
/*	fdatasync per commit. MFA_STORE_SYNC_PERIODIC adds MDB_NOSYNC and
/*	MDB_NOMETASYNC: commits reach the page cache (visible at once to the
/*	CLI and other processes, which read through the same cache) and
/*	mdb_env_sync() flushes them at most every MFA_STORE_SYNC_INTERVAL_MS.
/*	Only an OS crash or power loss inside that interval can forget the
/*	last commits (docs/mfa.md "Durability").
/* TRUST BOUNDARY
/*	Key parts are length-capped by mfa_store.c before they get here.
/*--*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_store_int.h"

#define MAP_SIZE (64UL * 1024 * 1024)
#define KEY_MAX (MFA_USER_MAX + 16)
#define ENV_PATH_MAX 1024

/* One open environment. */
struct lmdb_env {
	MDB_env *env;
	MDB_dbi dbi;
	char path[ENV_PATH_MAX];
	pid_t pid;			/* process that opened it */
	dev_t dev, lock_dev;
	ino_t ino, lock_ino;
	int periodic;			/* opened with MDB_NOSYNC */
	int dirty;			/* commits not yet synced */
	struct timespec last_sync;	/* CLOCK_MONOTONIC */
};

struct lmdb_store {
	struct mfa_store base;
	struct lmdb_env *e;
	int kept;			/* e is the kept environment */
};

struct lmdb_txn {
	struct mfa_txn base;
	struct lmdb_store *ls;
	MDB_txn *txn;
	int write;
};

/* Process-wide state of mfa_store_set_caching(); one thread at a time,
   no lock: in the plugin the worker thread (mfa_worker.c), the main
   thread only before starting it or after joining it (deinit). */
static struct {
	int keep_open;
	enum mfa_store_sync sync;
	struct lmdb_env env;		/* env.env == NULL: none kept */
	unsigned long opens;
} kept;

static enum mfa_store_result set_error(const char *what, int rc)
{
	return mfa_store_set_error("store: %s: %s", what, mdb_strerror(rc));
}

static int lock_path(const char *path, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s-lock", path);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static long ms_since(const struct timespec *then)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - then->tv_sec) * 1000 +
		(now.tv_nsec - then->tv_nsec) / 1000000;
}

/* Open e for path; 0, or -1 with *error_r. */
static int env_open(struct lmdb_env *e, const char *path, int create,
		    enum mfa_store_sync sync, const char **error_r)
{
	unsigned int flags = MDB_NOSUBDIR | MDB_NOTLS;
	char lpath[ENV_PATH_MAX + 8];
	struct stat st;
	MDB_txn *txn;
	int rc, fd;

	memset(e, 0, sizeof(*e));
	if (str_copy(e->path, path, sizeof(e->path)) >= sizeof(e->path) ||
	    lock_path(path, lpath, sizeof(lpath)) < 0) {
		*error_r = "store: path too long";
		return -1;
	}
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !create) {
			*error_r = mfa_error("store %s: %s", path, strerror(errno));
			return -1;
		}
	} else if (!S_ISREG(st.st_mode)) {
		*error_r = mfa_error("store %s: not a regular file", path);
		return -1;
	}
	if (sync == MFA_STORE_SYNC_PERIODIC)
		flags |= MDB_NOSYNC | MDB_NOMETASYNC;
	else if (sync == MFA_STORE_SYNC_DATA)
		flags |= MDB_NOMETASYNC;
	if ((rc = mdb_env_create(&e->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(e->env, MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(e->env, path, flags, 0600)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &e->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		goto fail;
	}
	/* Identity of what was opened (fstat: no window for a rename). */
	if ((rc = mdb_env_get_fd(e->env, &fd)) != 0)
		goto fail;
	if (fstat(fd, &st) < 0) {
		*error_r = mfa_error("store %s: %s", path, strerror(errno));
		goto fail_closed;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	if (stat(lpath, &st) < 0) {
		*error_r = mfa_error("store %s: %s", lpath, strerror(errno));
		goto fail_closed;
	}
	e->lock_dev = st.st_dev;
	e->lock_ino = st.st_ino;
	e->pid = getpid();
	e->periodic = sync == MFA_STORE_SYNC_PERIODIC;
	(void)clock_gettime(CLOCK_MONOTONIC, &e->last_sync);
	kept.opens++;
	return 0;
fail:
	*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
fail_closed:
	if (e->env != NULL)
		mdb_env_close(e->env);
	e->env = NULL;
	return -1;
}

/* Flush e's pending commits; 0, or -1 with *error_r. */
static int env_sync(struct lmdb_env *e, const char **error_r)
{
	int rc;

	if (!e->dirty)
		return 0;
	rc = mdb_env_sync(e->env, 1);
	(void)clock_gettime(CLOCK_MONOTONIC, &e->last_sync);
	if (rc != 0) {
		*error_r = mfa_error("store %s: sync: %s", e->path, mdb_strerror(rc));
		return -1;
	}
	e->dirty = 0;
	return 0;
}

/* Is the kept environment still the file at path, usable by us? */
static int kept_valid(const char *path)
{
	char lpath[ENV_PATH_MAX + 8];
	struct stat st;

	if (strcmp(kept.env.path, path) != 0)
		return 0;
	if (stat(path, &st) < 0 || st.st_dev != kept.env.dev ||
	    st.st_ino != kept.env.ino)
		return 0;
	if (lock_path(path, lpath, sizeof(lpath)) < 0 ||
	    stat(lpath, &st) < 0 || st.st_dev != kept.env.lock_dev ||
	    st.st_ino != kept.env.lock_ino)
		return 0;
	/* The permissions as a fresh open would meet them (root passes). */
	return faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) == 0 &&
	       faccessat(AT_FDCWD, lpath, R_OK | W_OK, AT_EACCESS) == 0;
}

/* Drop the kept environment: flushed and closed, or only forgotten in
   a child after fork() (its MDB_env belongs to the parent). */
static void kept_drop(void)
{
	const char *error;

	if (kept.env.env == NULL)
		return;
	if (kept.env.pid == getpid()) {
		(void)env_sync(&kept.env, &error);
		mdb_env_close(kept.env.env);
	}
	memset(&kept.env, 0, sizeof(kept.env));
}

void mfa_store_set_caching(int keep_open, enum mfa_store_sync sync)
{
	kept_drop();
	kept.keep_open = keep_open;
	kept.sync = sync;
}

int mfa_store_sync_pending(void)
{
	return kept.env.env != NULL && kept.env.pid == getpid() && kept.env.dirty;
}

int mfa_store_sync_cached(int force, const char **error_r)
{
	if (!mfa_store_sync_pending())
		return 0;
	if (!force && ms_since(&kept.env.last_sync) < MFA_STORE_SYNC_INTERVAL_MS)
		return 0;
	return env_sync(&kept.env, error_r);
}

void mfa_store_close_cached(void)
{
	kept_drop();
}

unsigned long mfa_store_lmdb_env_opens(void)
{
	return kept.opens;
}

static struct mfa_store *lmdb_open(const char *path, int create,
				   unsigned int timeout_ms, const char **error_r)
{
	struct lmdb_store *ls;

	(void)timeout_ms;
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL) {
		*error_r = "store: out of memory";
		return NULL;
	}
	ls->base.ops = &mfa_store_lmdb_ops;
	if (!kept.keep_open) {
		ls->e = calloc(1, sizeof(*ls->e));
		if (ls->e == NULL) {
			*error_r = "store: out of memory";
		} else if (env_open(ls->e, path, create, MFA_STORE_SYNC_ALWAYS,
				    error_r) == 0) {
			return &ls->base;
		}
		free(ls->e);
		free(ls);
		return NULL;
	}
	if (kept.env.env != NULL &&
	    (kept.env.pid != getpid() || !kept_valid(path)))
		kept_drop();
	if (kept.env.env == NULL &&
	    env_open(&kept.env, path, create, kept.sync, error_r) < 0) {
		free(ls);
		return NULL;
	}
	ls->e = &kept.env;
	ls->kept = 1;
	return &ls->base;
}

static void lmdb_close(struct mfa_store *store)
{
	struct lmdb_store *ls = (struct lmdb_store *)store;

	if (!ls->kept) {
		mdb_env_close(ls->e->env);
		free(ls->e);
	}
	free(ls);
}

/* The file is the store: nothing ties it to the key (see mfa_open()). */
static int lmdb_check_key(struct mfa_store *store, const uint8_t *key_id,
			  size_t key_id_len, int create, int *created_r,
			  const char **error_r)
{
	(void)store; (void)key_id; (void)key_id_len; (void)create; (void)error_r;
	*created_r = 0;
	return 0;
}

static int lmdb_set_key_id(struct mfa_txn *txn, const uint8_t *key_id,
			   size_t key_id_len)
{
	(void)txn; (void)key_id; (void)key_id_len;
	return 0;
}

static int lmdb_exists(const char *path, unsigned int timeout_ms,
		       int *exists_r, const char **error_r)
{
	struct stat st;

	(void)timeout_ms;
	if (stat(path, &st) == 0) {
		*exists_r = 1;
		return 0;
	}
	if (errno == ENOENT) {
		*exists_r = 0;
		return 0;
	}
	*error_r = mfa_error("%s: %s", path, strerror(errno));
	return -1;
}

static struct mfa_txn *lmdb_txn_begin(struct mfa_store *store, int write)
{
	struct lmdb_store *ls = (struct lmdb_store *)store;
	struct lmdb_txn *txn = calloc(1, sizeof(*txn));
	int rc;

	if (txn == NULL) {
		(void)mfa_store_set_error("store: out of memory");
		return NULL;
	}
	txn->base.store = store;
	txn->ls = ls;
	txn->write = write;
	rc = mdb_txn_begin(ls->e->env, NULL, write ? 0 : MDB_RDONLY, &txn->txn);
	if (rc != 0) {
		(void)set_error("begin", rc);
		free(txn);
		return NULL;
	}
	return &txn->base;
}

static int lmdb_txn_commit(struct mfa_txn *_txn)
{
	struct lmdb_txn *txn = (struct lmdb_txn *)_txn;
	struct lmdb_env *e = txn->ls->e;
	int rc = mdb_txn_commit(txn->txn), write = txn->write;
	const char *error;

	free(txn);
	if (rc != 0) {
		(void)set_error("commit", rc);
		return -1;
	}
	if (write && e->periodic) {
		/* In the page cache now; flushed by the caller's periodic
		   flush (mfa_worker.c) or here once the interval has passed. A
		   failed flush stays pending (retried): the commit stands. */
		e->dirty = 1;
		if (ms_since(&e->last_sync) >= MFA_STORE_SYNC_INTERVAL_MS)
			(void)env_sync(e, &error);
	}
	return 0;
}

static void lmdb_txn_abort(struct mfa_txn *_txn)
{
	struct lmdb_txn *txn = (struct lmdb_txn *)_txn;

	mdb_txn_abort(txn->txn);
	free(txn);
}

/* Key: table byte, NUL, a, and for apps NUL, b. */
static int make_key(uint8_t *buf, size_t size, enum mfa_table table,
		    const char *a, const char *b, size_t *len_r)
{
	size_t alen = strlen(a), blen = b == NULL ? 0 : strlen(b) + 1;

	if (2 + alen + blen > size) {
		(void)mfa_store_set_error("store: key too long");
		return -1;
	}
	buf[0] = (uint8_t)table;
	buf[1] = '\0';
	memcpy(buf + 2, a, alen);
	if (b != NULL) {
		buf[2 + alen] = '\0';
		memcpy(buf + 3 + alen, b, blen - 1);
	}
	*len_r = 2 + alen + blen;
	return 0;
}

static enum mfa_store_result lmdb_get(struct mfa_txn *_txn, enum mfa_table table,
				      const char *a, const char *b, uint8_t *buf,
				      size_t size, size_t *len_r)
{
	struct lmdb_txn *txn = (struct lmdb_txn *)_txn;
	uint8_t key[KEY_MAX];
	MDB_val k, v;
	size_t klen;
	int rc;

	if (make_key(key, sizeof(key), table, a, b, &klen) < 0)
		return MFA_STORE_ERROR;
	k.mv_size = klen;
	k.mv_data = key;
	rc = mdb_get(txn->txn, txn->ls->e->dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return MFA_STORE_NOTFOUND;
	if (rc != 0)
		return set_error("get", rc);
	if (v.mv_size > size)
		return mfa_store_set_error("store: record too long");
	memcpy(buf, v.mv_data, v.mv_size);
	*len_r = v.mv_size;
	return MFA_STORE_OK;
}

static enum mfa_store_result lmdb_put(struct mfa_txn *_txn, enum mfa_table table,
				      const char *a, const char *b,
				      const uint8_t *val, size_t len)
{
	struct lmdb_txn *txn = (struct lmdb_txn *)_txn;
	uint8_t key[KEY_MAX];
	MDB_val k, v = { len, (void *)val };
	size_t klen;
	int rc;

	if (make_key(key, sizeof(key), table, a, b, &klen) < 0)
		return MFA_STORE_ERROR;
	k.mv_size = klen;
	k.mv_data = key;
	rc = mdb_put(txn->txn, txn->ls->e->dbi, &k, &v, 0);
	return rc != 0 ? set_error("put", rc) : MFA_STORE_OK;
}

static enum mfa_store_result lmdb_del(struct mfa_txn *_txn, enum mfa_table table,
				      const char *a, const char *b)
{
	struct lmdb_txn *txn = (struct lmdb_txn *)_txn;
	uint8_t key[KEY_MAX];
	MDB_val k;
	size_t klen;
	int rc;

	if (make_key(key, sizeof(key), table, a, b, &klen) < 0)
		return MFA_STORE_ERROR;
	k.mv_size = klen;
	k.mv_data = key;
	rc = mdb_del(txn->txn, txn->ls->e->dbi, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return MFA_STORE_NOTFOUND;
	return rc != 0 ? set_error("del", rc) : MFA_STORE_OK;
}

/* Walk the keys starting with "<table>\0" (users) or "a\0<user>\0" (apps). */
static enum mfa_store_result lmdb_foreach(struct mfa_txn *_txn,
					  enum mfa_table table, const char *a,
					  mfa_raw_iter_fn *fn, void *ctx)
{
	struct lmdb_txn *txn = (struct lmdb_txn *)_txn;
	uint8_t prefix[KEY_MAX];
	MDB_cursor *cursor;
	MDB_val k, v;
	enum mfa_store_result ret = MFA_STORE_OK;
	size_t plen;
	int rc;

	if (table == MFA_TABLE_APP) {
		if (make_key(prefix, sizeof(prefix), table, a, "", &plen) < 0)
			return MFA_STORE_ERROR;
	} else {
		prefix[0] = (uint8_t)table;
		prefix[1] = '\0';
		plen = 2;
	}
	if ((rc = mdb_cursor_open(txn->txn, txn->ls->e->dbi, &cursor)) != 0)
		return set_error("cursor", rc);
	k.mv_size = plen;
	k.mv_data = prefix;
	rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (fn((const char *)k.mv_data + plen, k.mv_size - plen,
		       v.mv_data, v.mv_size, ctx) < 0) {
			ret = MFA_STORE_ERROR;
			break;
		}
		rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		ret = set_error("cursor", rc);
	mdb_cursor_close(cursor);
	return ret;
}

const struct mfa_store_ops mfa_store_lmdb_ops = {
	.name = "lmdb",
	.open = lmdb_open,
	.close = lmdb_close,
	.check_key = lmdb_check_key,
	.set_key_id = lmdb_set_key_id,
	.exists = lmdb_exists,
	.txn_begin = lmdb_txn_begin,
	.txn_commit = lmdb_txn_commit,
	.txn_abort = lmdb_txn_abort,
	.get = lmdb_get,
	.put = lmdb_put,
	.del = lmdb_del,
	.foreach = lmdb_foreach,
};
