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
/*	The plugin opens the environment per login and closes it after (LMDB
/*	allows one environment per file per process; a per-request open also
/*	notices a store that was removed or made unreadable). That is a few
/*	local syscalls, bounded, as the auth event loop requires.
/* TRUST BOUNDARY
/*	Key parts are length-capped by mfa_store.c before they get here.
/*--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "mfa_util.h"
#include "mfa_store_int.h"

#define MAP_SIZE (64UL * 1024 * 1024)
#define KEY_MAX (MFA_USER_MAX + 16)

struct lmdb_store {
	struct mfa_store base;
	MDB_env *env;
	MDB_dbi dbi;
};

struct lmdb_txn {
	struct mfa_txn base;
	struct lmdb_store *ls;
	MDB_txn *txn;
};

static enum mfa_store_result set_error(const char *what, int rc)
{
	return mfa_store_set_error("store: %s: %s", what, mdb_strerror(rc));
}

static struct mfa_store *lmdb_open(const char *path, int create,
				   unsigned int timeout_ms, const char **error_r)
{
	struct lmdb_store *ls;
	struct stat st;
	MDB_txn *txn;
	int rc;

	(void)timeout_ms;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !create) {
			*error_r = mfa_error("store %s: %s", path, strerror(errno));
			return NULL;
		}
	} else if (!S_ISREG(st.st_mode)) {
		*error_r = mfa_error("store %s: not a regular file", path);
		return NULL;
	}
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL) {
		*error_r = "store: out of memory";
		return NULL;
	}
	ls->base.ops = &mfa_store_lmdb_ops;
	if ((rc = mdb_env_create(&ls->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(ls->env, MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(ls->env, path, MDB_NOSUBDIR, 0600)) != 0) {
		*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_txn_begin(ls->env, NULL, 0, &txn)) != 0) {
		*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &ls->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	return &ls->base;
fail:
	if (ls->env != NULL)
		mdb_env_close(ls->env);
	free(ls);
	return NULL;
}

static void lmdb_close(struct mfa_store *store)
{
	struct lmdb_store *ls = (struct lmdb_store *)store;

	mdb_env_close(ls->env);
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
	rc = mdb_txn_begin(ls->env, NULL, write ? 0 : MDB_RDONLY, &txn->txn);
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
	int rc = mdb_txn_commit(txn->txn);

	free(txn);
	if (rc != 0) {
		(void)set_error("commit", rc);
		return -1;
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
	rc = mdb_get(txn->txn, txn->ls->dbi, &k, &v);
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
	rc = mdb_put(txn->txn, txn->ls->dbi, &k, &v, 0);
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
	rc = mdb_del(txn->txn, txn->ls->dbi, &k, NULL);
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
	if ((rc = mdb_cursor_open(txn->txn, txn->ls->dbi, &cursor)) != 0)
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
