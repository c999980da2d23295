/*++
/* NAME
/*	mfa_store 3
/* SUMMARY
/*	LMDB-backed records of the MFA passdb
/* DESCRIPTION
/*	See mfa_store.h. Keys: "u\0<user>" user record, "a\0<user>\0<id>" app
/*	password, "i\0<ip>" per-IP failures. Values are versioned,
/*	little-endian, length-checked on read: a short or unknown record is
/*	an error, never a default.
/*
/*	The plugin opens the environment per login and closes it after (LMDB
/*	allows one environment per file per process; a per-request open also
/*	notices a store that was removed or made unreadable). That is a few
/*	local syscalls, bounded, as the auth event loop requires.
/* TRUST BOUNDARY
/*	The user name comes from the client (after Dovecot's username
/*	checks): it is length-capped here before it becomes a key.
/*--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "mfa_util.h"
#include "mfa_store.h"

#define MAP_SIZE (64UL * 1024 * 1024)
#define USER_REC_FIXED 34
#define REC_VERSION 1

struct mfa_store {
	MDB_env *env;
	MDB_dbi dbi;
};

struct mfa_txn {
	struct mfa_store *store;
	MDB_txn *txn;
};

static __thread const char *last_error = "";

const char *mfa_store_error(void)
{
	return last_error;
}

static void set_error(const char *what, int rc)
{
	last_error = mfa_error("store: %s: %s", what, mdb_strerror(rc));
}

struct mfa_store *mfa_store_open(const char *path, int create,
				 const char **error_r)
{
	struct mfa_store *store;
	struct stat st;
	MDB_txn *txn;
	int rc;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !create) {
			*error_r = mfa_error("store %s: %s", path, strerror(errno));
			return NULL;
		}
	} else if (!S_ISREG(st.st_mode)) {
		*error_r = mfa_error("store %s: not a regular file", path);
		return NULL;
	}
	store = calloc(1, sizeof(*store));
	if (store == NULL) {
		*error_r = "store: out of memory";
		return NULL;
	}
	if ((rc = mdb_env_create(&store->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(store->env, MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(store->env, path, MDB_NOSUBDIR, 0600)) != 0) {
		*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_txn_begin(store->env, NULL, 0, &txn)) != 0) {
		*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &store->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		*error_r = mfa_error("store %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	return store;
fail:
	if (store->env != NULL)
		mdb_env_close(store->env);
	free(store);
	return NULL;
}

void mfa_store_close(struct mfa_store **store)
{
	if (*store == NULL)
		return;
	mdb_env_close((*store)->env);
	free(*store);
	*store = NULL;
}

struct mfa_txn *mfa_txn_begin(struct mfa_store *store, int write)
{
	struct mfa_txn *txn = calloc(1, sizeof(*txn));
	int rc;

	if (txn == NULL) {
		last_error = "store: out of memory";
		return NULL;
	}
	txn->store = store;
	rc = mdb_txn_begin(store->env, NULL, write ? 0 : MDB_RDONLY, &txn->txn);
	if (rc != 0) {
		set_error("begin", rc);
		free(txn);
		return NULL;
	}
	return txn;
}

int mfa_txn_commit(struct mfa_txn **txn)
{
	int rc = mdb_txn_commit((*txn)->txn);

	free(*txn);
	*txn = NULL;
	if (rc != 0) {
		set_error("commit", rc);
		return -1;
	}
	return 0;
}

void mfa_txn_abort(struct mfa_txn **txn)
{
	if (*txn == NULL)
		return;
	mdb_txn_abort((*txn)->txn);
	free(*txn);
	*txn = NULL;
}

/* Key: tag byte, NUL, then parts separated by NUL. */
static int make_key(uint8_t *buf, size_t size, char tag, const char *a,
		    const char *b, size_t *len_r)
{
	size_t alen = strlen(a), blen = b == NULL ? 0 : strlen(b) + 1;

	if (alen == 0 || alen > MFA_USER_MAX || 2 + alen + blen > size) {
		last_error = "store: key too long or empty";
		return -1;
	}
	buf[0] = (uint8_t)tag;
	buf[1] = '\0';
	memcpy(buf + 2, a, alen);
	if (b != NULL) {
		buf[2 + alen] = '\0';
		memcpy(buf + 3 + alen, b, blen - 1);
	}
	*len_r = 2 + alen + blen;
	return 0;
}

static enum mfa_store_result get_raw(struct mfa_txn *txn, const uint8_t *key,
				     size_t klen, MDB_val *val_r)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_get(txn->txn, txn->store->dbi, &k, val_r);

	if (rc == MDB_NOTFOUND)
		return MFA_STORE_NOTFOUND;
	if (rc != 0) {
		set_error("get", rc);
		return MFA_STORE_ERROR;
	}
	return MFA_STORE_OK;
}

static enum mfa_store_result put_raw(struct mfa_txn *txn, const uint8_t *key,
				     size_t klen, const uint8_t *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(txn->txn, txn->store->dbi, &k, &v, 0);

	if (rc != 0) {
		set_error("put", rc);
		return MFA_STORE_ERROR;
	}
	return MFA_STORE_OK;
}

static enum mfa_store_result del_raw(struct mfa_txn *txn, const uint8_t *key,
				     size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(txn->txn, txn->store->dbi, &k, NULL);

	if (rc == MDB_NOTFOUND)
		return MFA_STORE_NOTFOUND;
	if (rc != 0) {
		set_error("del", rc);
		return MFA_STORE_ERROR;
	}
	return MFA_STORE_OK;
}

static int user_decode(const MDB_val *val, struct mfa_user_rec *rec)
{
	const uint8_t *p = val->mv_data;
	size_t sealed_len;

	if (val->mv_size < USER_REC_FIXED || p[0] != REC_VERSION)
		goto bad;
	memset(rec, 0, sizeof(*rec));
	rec->algorithm = (enum mfa_totp_alg)p[1];
	rec->digits = p[2];
	rec->last_used = mfa_get_u64(p + 4);
	rec->failures = mfa_get_u32(p + 12);
	rec->locked_until = (int64_t)mfa_get_u64(p + 16);
	rec->created = (int64_t)mfa_get_u64(p + 24);
	sealed_len = (size_t)p[32] | ((size_t)p[33] << 8);
	if (rec->algorithm > MFA_TOTP_SHA512 || rec->digits < MFA_DIGITS_MIN ||
	    rec->digits > MFA_DIGITS_MAX || sealed_len > sizeof(rec->sealed) ||
	    val->mv_size != USER_REC_FIXED + sealed_len)
		goto bad;
	memcpy(rec->sealed, p + USER_REC_FIXED, sealed_len);
	rec->sealed_len = sealed_len;
	return 0;
bad:
	last_error = "store: malformed user record";
	return -1;
}

enum mfa_store_result mfa_user_get(struct mfa_txn *txn, const char *user,
				   struct mfa_user_rec *rec_r)
{
	uint8_t key[MFA_USER_MAX + 8];
	enum mfa_store_result ret;
	size_t klen;
	MDB_val val;

	if (make_key(key, sizeof(key), 'u', user, NULL, &klen) < 0)
		return MFA_STORE_ERROR;
	ret = get_raw(txn, key, klen, &val);
	if (ret == MFA_STORE_OK && user_decode(&val, rec_r) < 0)
		return MFA_STORE_ERROR;
	return ret;
}

enum mfa_store_result mfa_user_put(struct mfa_txn *txn, const char *user,
				   const struct mfa_user_rec *rec)
{
	uint8_t key[MFA_USER_MAX + 8], val[USER_REC_FIXED + sizeof(rec->sealed)];
	enum mfa_store_result ret;
	size_t klen;

	if (make_key(key, sizeof(key), 'u', user, NULL, &klen) < 0 ||
	    rec->sealed_len > sizeof(rec->sealed))
		return MFA_STORE_ERROR;
	memset(val, 0, USER_REC_FIXED);
	val[0] = REC_VERSION;
	val[1] = (uint8_t)rec->algorithm;
	val[2] = (uint8_t)rec->digits;
	mfa_put_u64(val + 4, rec->last_used);
	mfa_put_u32(val + 12, rec->failures);
	mfa_put_u64(val + 16, (uint64_t)rec->locked_until);
	mfa_put_u64(val + 24, (uint64_t)rec->created);
	val[32] = (uint8_t)rec->sealed_len;
	val[33] = (uint8_t)(rec->sealed_len >> 8);
	memcpy(val + USER_REC_FIXED, rec->sealed, rec->sealed_len);
	ret = put_raw(txn, key, klen, val, USER_REC_FIXED + rec->sealed_len);
	mfa_wipe(val, sizeof(val));
	return ret;
}

enum mfa_store_result mfa_user_del(struct mfa_txn *txn, const char *user)
{
	uint8_t key[MFA_USER_MAX + 8];
	size_t klen;

	if (make_key(key, sizeof(key), 'u', user, NULL, &klen) < 0)
		return MFA_STORE_ERROR;
	return del_raw(txn, key, klen);
}

/* Walk keys starting with prefix; fn gets key and value. */
static enum mfa_store_result
foreach_prefix(struct mfa_txn *txn, const uint8_t *prefix, size_t plen,
	       int (*fn)(const MDB_val *key, const MDB_val *val, void *ctx),
	       void *ctx)
{
	MDB_cursor *cursor;
	MDB_val k = { plen, (void *)prefix }, v;
	enum mfa_store_result ret = MFA_STORE_OK;
	int rc;

	if ((rc = mdb_cursor_open(txn->txn, txn->store->dbi, &cursor)) != 0) {
		set_error("cursor", rc);
		return MFA_STORE_ERROR;
	}
	rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (fn(&k, &v, ctx) < 0) {
			ret = MFA_STORE_ERROR;
			break;
		}
		rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		set_error("cursor", rc);
		ret = MFA_STORE_ERROR;
	}
	mdb_cursor_close(cursor);
	return ret;
}

struct user_iter {
	int (*fn)(const char *user, struct mfa_user_rec *rec, void *ctx);
	void *ctx;
};

static int user_iter_one(const MDB_val *key, const MDB_val *val, void *ctx)
{
	struct user_iter *it = ctx;
	struct mfa_user_rec rec;
	char user[MFA_USER_MAX + 1];
	int ret;

	if (key->mv_size - 2 > MFA_USER_MAX || user_decode(val, &rec) < 0)
		return -1;
	memcpy(user, (const char *)key->mv_data + 2, key->mv_size - 2);
	user[key->mv_size - 2] = '\0';
	ret = it->fn(user, &rec, it->ctx);
	mfa_wipe(&rec, sizeof(rec));
	return ret;
}

enum mfa_store_result
mfa_user_foreach(struct mfa_txn *txn,
		 int (*fn)(const char *user, struct mfa_user_rec *rec, void *ctx),
		 void *ctx)
{
	static const uint8_t prefix[2] = { 'u', '\0' };
	struct user_iter it = { fn, ctx };

	return foreach_prefix(txn, prefix, sizeof(prefix), user_iter_one, &it);
}

static int app_decode(const MDB_val *key, const MDB_val *val,
		      struct mfa_app_rec *rec)
{
	const char *p, *end, *fields[3];
	size_t lens[3], idlen;
	const char *keyend = (const char *)key->mv_data + key->mv_size;
	const char *id = memchr((const char *)key->mv_data + 2, '\0',
				key->mv_size - 2);

	memset(rec, 0, sizeof(*rec));
	if (id == NULL || val->mv_size < 17 ||
	    ((const uint8_t *)val->mv_data)[0] != REC_VERSION)
		goto bad;
	idlen = (size_t)(keyend - id - 1);
	if (idlen == 0 || idlen > MFA_APP_ID_LEN)
		goto bad;
	memcpy(rec->id, id + 1, idlen);
	rec->created = (int64_t)mfa_get_u64((const uint8_t *)val->mv_data + 1);
	rec->last_used = (int64_t)mfa_get_u64((const uint8_t *)val->mv_data + 9);
	p = (const char *)val->mv_data + 17;
	end = (const char *)val->mv_data + val->mv_size;
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			goto bad;
		fields[i] = p;
		lens[i] = (size_t)(nul - p);
		p = nul + 1;
	}
	if (lens[0] > MFA_APP_NAME_MAX || lens[1] > MFA_APP_SERVICES_MAX ||
	    lens[2] > MFA_APP_HASH_MAX)
		goto bad;
	memcpy(rec->name, fields[0], lens[0]);
	memcpy(rec->services, fields[1], lens[1]);
	memcpy(rec->hash, fields[2], lens[2]);
	return 0;
bad:
	last_error = "store: malformed app password record";
	return -1;
}

enum mfa_store_result mfa_app_get(struct mfa_txn *txn, const char *user,
				  const char *id, struct mfa_app_rec *rec_r)
{
	uint8_t key[MFA_USER_MAX + 16];
	enum mfa_store_result ret;
	size_t klen;
	MDB_val val;

	if (strlen(id) > MFA_APP_ID_LEN ||
	    make_key(key, sizeof(key), 'a', user, id, &klen) < 0)
		return MFA_STORE_ERROR;
	ret = get_raw(txn, key, klen, &val);
	if (ret == MFA_STORE_OK) {
		MDB_val k = { klen, key };

		if (app_decode(&k, &val, rec_r) < 0)
			return MFA_STORE_ERROR;
	}
	return ret;
}

enum mfa_store_result mfa_app_put(struct mfa_txn *txn, const char *user,
				  const struct mfa_app_rec *rec)
{
	uint8_t key[MFA_USER_MAX + 16];
	uint8_t val[17 + MFA_APP_NAME_MAX + MFA_APP_SERVICES_MAX + MFA_APP_HASH_MAX + 3];
	size_t klen, o = 17, l;
	const char *fields[3] = { rec->name, rec->services, rec->hash };

	if (strlen(rec->id) > MFA_APP_ID_LEN ||
	    make_key(key, sizeof(key), 'a', user, rec->id, &klen) < 0)
		return MFA_STORE_ERROR;
	val[0] = REC_VERSION;
	mfa_put_u64(val + 1, (uint64_t)rec->created);
	mfa_put_u64(val + 9, (uint64_t)rec->last_used);
	/* UNSAFE: each field is NUL-terminated inside its fixed array, so
	   the sum of lengths fits val (sized for all three maxima). */
	for (int i = 0; i < 3; i++) {
		l = strlen(fields[i]) + 1;
		memcpy(val + o, fields[i], l);
		o += l;
	}
	return put_raw(txn, key, klen, val, o);
}

enum mfa_store_result mfa_app_del(struct mfa_txn *txn, const char *user,
				  const char *id)
{
	uint8_t key[MFA_USER_MAX + 16];
	size_t klen;

	if (make_key(key, sizeof(key), 'a', user, id, &klen) < 0)
		return MFA_STORE_ERROR;
	return del_raw(txn, key, klen);
}

struct app_iter {
	int (*fn)(const struct mfa_app_rec *rec, void *ctx);
	void *ctx;
};

static int app_iter_one(const MDB_val *key, const MDB_val *val, void *ctx)
{
	struct app_iter *it = ctx;
	struct mfa_app_rec rec;

	if (app_decode(key, val, &rec) < 0)
		return -1;
	return it->fn(&rec, it->ctx);
}

enum mfa_store_result
mfa_app_foreach(struct mfa_txn *txn, const char *user,
		int (*fn)(const struct mfa_app_rec *rec, void *ctx), void *ctx)
{
	uint8_t prefix[MFA_USER_MAX + 8];
	struct app_iter it = { fn, ctx };
	size_t plen;

	if (make_key(prefix, sizeof(prefix), 'a', user, "", &plen) < 0)
		return MFA_STORE_ERROR;
	return foreach_prefix(txn, prefix, plen, app_iter_one, &it);
}

enum mfa_store_result mfa_ip_get(struct mfa_txn *txn, const char *ip,
				 struct mfa_ip_rec *rec_r)
{
	uint8_t key[80];
	enum mfa_store_result ret;
	size_t klen;
	MDB_val val;

	if (make_key(key, sizeof(key), 'i', ip, NULL, &klen) < 0)
		return MFA_STORE_ERROR;
	ret = get_raw(txn, key, klen, &val);
	if (ret != MFA_STORE_OK)
		return ret;
	if (val.mv_size != 13 || ((const uint8_t *)val.mv_data)[0] != REC_VERSION) {
		last_error = "store: malformed ip record";
		return MFA_STORE_ERROR;
	}
	rec_r->failures = mfa_get_u32((const uint8_t *)val.mv_data + 1);
	rec_r->since = (int64_t)mfa_get_u64((const uint8_t *)val.mv_data + 5);
	return MFA_STORE_OK;
}

enum mfa_store_result mfa_ip_put(struct mfa_txn *txn, const char *ip,
				 const struct mfa_ip_rec *rec)
{
	uint8_t key[80], val[13];
	size_t klen;

	if (make_key(key, sizeof(key), 'i', ip, NULL, &klen) < 0)
		return MFA_STORE_ERROR;
	val[0] = REC_VERSION;
	mfa_put_u32(val + 1, rec->failures);
	mfa_put_u64(val + 5, (uint64_t)rec->since);
	return put_raw(txn, key, klen, val, sizeof(val));
}
