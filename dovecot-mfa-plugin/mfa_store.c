/*++
/* NAME
/*	mfa_store 3
/* SUMMARY
/*	MFA records: encoding, and the choice of backend (LMDB or Redis)
/* DESCRIPTION
/*	See mfa_store.h. This file encodes and checks the records and hands
/*	bytes to a backend (mfa_store_lmdb.c, mfa_store_redis.c). Values are
/*	versioned, little-endian, length-checked on read: a short or unknown
/*	record is an error, never a default. The same bytes are stored by
/*	both backends.
/* TRUST BOUNDARY
/*	The user name and IP come from the client (after Dovecot's username
/*	checks): they are length-capped here before they become keys.
/*--*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <messec/secret.h>

#include "mfa_util.h"
#include "mfa_store_int.h"

#define USER_REC_FIXED 34
#define APP_REC_FIXED_V1 17
#define APP_REC_FIXED 18
#define APP_REC_VERSION 2
#define IP_REC_LEN 13
#define IP_MAX 64
#define REC_VERSION 1
#define REC_MAX (APP_REC_FIXED + MFA_APP_NAME_MAX + MFA_APP_SERVICES_MAX + \
		 MFA_APP_HASH_MAX + 3)

static __thread char last_error[512];

const char *mfa_store_error(void)
{
	return last_error;
}

enum mfa_store_result mfa_store_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return MFA_STORE_ERROR;
}

int mfa_store_is_redis(const char *spec)
{
	return strncmp(spec, "redis:", 6) == 0;
}

static const struct mfa_store_ops *backend(const char *spec)
{
	return mfa_store_is_redis(spec) ? &mfa_store_redis_ops : &mfa_store_lmdb_ops;
}

int mfa_store_spec_check(const char *spec, const char **error_r)
{
	struct mfa_redis_addr addr;

	if (mfa_store_is_redis(spec))
		return mfa_redis_parse(spec, &addr, error_r);
	if (spec[0] != '/') {
		*error_r = "store must be an absolute path or redis://...";
		return -1;
	}
	return 0;
}

struct mfa_store *mfa_store_open(const char *spec, int create,
				 unsigned int timeout_ms, const char **error_r)
{
	return backend(spec)->open(spec, create, timeout_ms, error_r);
}

void mfa_store_close(struct mfa_store **store)
{
	if (*store == NULL)
		return;
	(*store)->ops->close(*store);
	*store = NULL;
}

int mfa_store_exists(const char *spec, unsigned int timeout_ms,
		     int *exists_r, const char **error_r)
{
	return backend(spec)->exists(spec, timeout_ms, exists_r, error_r);
}

int mfa_store_check_key(struct mfa_store *store, const uint8_t *key_id,
			size_t key_id_len, int create, const char **error_r)
{
	int created;

	return store->ops->check_key(store, key_id, key_id_len, create,
				     &created, error_r);
}

int mfa_txn_set_key_id(struct mfa_txn *txn, const uint8_t *key_id,
		       size_t key_id_len)
{
	return txn->store->ops->set_key_id(txn, key_id, key_id_len);
}

struct mfa_txn *mfa_txn_begin(struct mfa_store *store, int write)
{
	return store->ops->txn_begin(store, write);
}

int mfa_txn_commit(struct mfa_txn **txn)
{
	struct mfa_txn *t = *txn;

	*txn = NULL;
	return t->store->ops->txn_commit(t);
}

void mfa_txn_abort(struct mfa_txn **txn)
{
	struct mfa_txn *t = *txn;

	if (t == NULL)
		return;
	*txn = NULL;
	t->store->ops->txn_abort(t);
}

/* User names and IPs become keys: non-empty, capped. */
static int key_ok(const char *a, size_t max)
{
	size_t len = strlen(a);

	if (len == 0 || len > max) {
		(void)mfa_store_set_error("store: key too long or empty");
		return 0;
	}
	return 1;
}

static int app_id_ok(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > MFA_APP_ID_LEN) {
		(void)mfa_store_set_error("store: bad app password id");
		return 0;
	}
	return 1;
}

/* --- users */

static int user_decode(const uint8_t *p, size_t len, struct mfa_user_rec *rec)
{
	size_t sealed_len;

	if (len < USER_REC_FIXED || p[0] != REC_VERSION)
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
	    len != USER_REC_FIXED + sealed_len)
		goto bad;
	memcpy(rec->sealed, p + USER_REC_FIXED, sealed_len);
	rec->sealed_len = sealed_len;
	return 0;
bad:
	(void)mfa_store_set_error("store: malformed user record");
	return -1;
}

enum mfa_store_result mfa_user_get(struct mfa_txn *txn, const char *user,
				   struct mfa_user_rec *rec_r)
{
	uint8_t val[REC_MAX];
	enum mfa_store_result ret;
	size_t len;

	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	ret = txn->store->ops->get(txn, MFA_TABLE_USER, user, NULL, val,
				   sizeof(val), &len);
	if (ret == MFA_STORE_OK && user_decode(val, len, rec_r) < 0)
		ret = MFA_STORE_ERROR;
	secret_wipe(val, sizeof(val));
	return ret;
}

enum mfa_store_result mfa_user_put(struct mfa_txn *txn, const char *user,
				   const struct mfa_user_rec *rec)
{
	uint8_t val[USER_REC_FIXED + sizeof(rec->sealed)];
	enum mfa_store_result ret;

	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	if (rec->sealed_len > sizeof(rec->sealed))
		return mfa_store_set_error("store: sealed secret too long");
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
	ret = txn->store->ops->put(txn, MFA_TABLE_USER, user, NULL, val,
				   USER_REC_FIXED + rec->sealed_len);
	secret_wipe(val, sizeof(val));
	return ret;
}

enum mfa_store_result mfa_user_del(struct mfa_txn *txn, const char *user)
{
	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	return txn->store->ops->del(txn, MFA_TABLE_USER, user, NULL);
}

struct user_iter {
	int (*fn)(const char *user, struct mfa_user_rec *rec, void *ctx);
	void *ctx;
};

static int user_iter_one(const char *name, size_t name_len,
			 const uint8_t *val, size_t len, void *ctx)
{
	struct user_iter *it = ctx;
	struct mfa_user_rec rec;
	char user[MFA_USER_MAX + 1];
	int ret;

	if (name_len == 0 || name_len > MFA_USER_MAX) {
		(void)mfa_store_set_error("store: malformed user key");
		return -1;
	}
	if (user_decode(val, len, &rec) < 0)
		return -1;
	memcpy(user, name, name_len);
	user[name_len] = '\0';
	ret = it->fn(user, &rec, it->ctx);
	secret_wipe(&rec, sizeof(rec));
	return ret;
}

enum mfa_store_result
mfa_user_foreach(struct mfa_txn *txn,
		 int (*fn)(const char *user, struct mfa_user_rec *rec, void *ctx),
		 void *ctx)
{
	struct user_iter it = { fn, ctx };

	return txn->store->ops->foreach(txn, MFA_TABLE_USER, NULL,
					user_iter_one, &it);
}

/* --- app passwords: value =
   version 1: 1, created, last_used, name\0services\0hash\0 (yescrypt);
   version 2: 2, scheme, created, last_used, name\0services\0hash\0. */

/* The hash field fits its scheme (the scheme byte is never trusted
   alone: an HMAC record must hold exactly a 32-byte tag in hex). */
static int app_hash_ok(enum mfa_app_scheme scheme, const char *hash, size_t len)
{
	switch (scheme) {
	case MFA_APP_SCHEME_YESCRYPT:
		return len > 0;
	case MFA_APP_SCHEME_HMAC_SHA256:
		if (len != 64)
			return 0;
		for (size_t i = 0; i < len; i++) {
			if (strchr("0123456789abcdef", hash[i]) == NULL ||
			    hash[i] == '\0')
				return 0;
		}
		return 1;
	}
	return 0;
}

static int app_decode(const char *id, size_t idlen, const uint8_t *val,
		      size_t len, struct mfa_app_rec *rec)
{
	const char *p, *end, *fields[3];
	size_t lens[3], fixed;

	memset(rec, 0, sizeof(*rec));
	if (len < APP_REC_FIXED_V1 || idlen == 0 || idlen > MFA_APP_ID_LEN)
		goto bad;
	if (val[0] == REC_VERSION) {
		rec->scheme = MFA_APP_SCHEME_YESCRYPT;
		fixed = APP_REC_FIXED_V1;
	} else if (val[0] == APP_REC_VERSION && len >= APP_REC_FIXED) {
		rec->scheme = (enum mfa_app_scheme)val[1];
		fixed = APP_REC_FIXED;
	} else {
		goto bad;
	}
	memcpy(rec->id, id, idlen);
	rec->created = (int64_t)mfa_get_u64(val + fixed - 16);
	rec->last_used = (int64_t)mfa_get_u64(val + fixed - 8);
	p = (const char *)val + fixed;
	end = (const char *)val + len;
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			goto bad;
		fields[i] = p;
		lens[i] = (size_t)(nul - p);
		p = nul + 1;
	}
	if (lens[0] > MFA_APP_NAME_MAX || lens[1] > MFA_APP_SERVICES_MAX ||
	    lens[2] > MFA_APP_HASH_MAX || p != end ||
	    !app_hash_ok(rec->scheme, fields[2], lens[2]))
		goto bad;
	memcpy(rec->name, fields[0], lens[0]);
	memcpy(rec->services, fields[1], lens[1]);
	memcpy(rec->hash, fields[2], lens[2]);
	return 0;
bad:
	(void)mfa_store_set_error("store: malformed app password record");
	return -1;
}

enum mfa_store_result mfa_app_get(struct mfa_txn *txn, const char *user,
				  const char *id, struct mfa_app_rec *rec_r)
{
	uint8_t val[REC_MAX];
	enum mfa_store_result ret;
	size_t len;

	if (!key_ok(user, MFA_USER_MAX) || !app_id_ok(id))
		return MFA_STORE_ERROR;
	ret = txn->store->ops->get(txn, MFA_TABLE_APP, user, id, val,
				   sizeof(val), &len);
	if (ret == MFA_STORE_OK && app_decode(id, strlen(id), val, len, rec_r) < 0)
		return MFA_STORE_ERROR;
	return ret;
}

enum mfa_store_result mfa_app_put(struct mfa_txn *txn, const char *user,
				  const struct mfa_app_rec *rec)
{
	uint8_t val[REC_MAX];
	size_t o = APP_REC_FIXED, l;
	const char *fields[3] = { rec->name, rec->services, rec->hash };

	if (!key_ok(user, MFA_USER_MAX) || !app_id_ok(rec->id))
		return MFA_STORE_ERROR;
	if (!app_hash_ok(rec->scheme, rec->hash, strlen(rec->hash)))
		return mfa_store_set_error("store: app password hash does not fit its scheme");
	val[0] = APP_REC_VERSION;
	val[1] = (uint8_t)rec->scheme;
	mfa_put_u64(val + 2, (uint64_t)rec->created);
	mfa_put_u64(val + 10, (uint64_t)rec->last_used);
	/* UNSAFE: each field is NUL-terminated inside its fixed array, so
	   the sum of lengths fits val (sized for all three maxima). */
	for (int i = 0; i < 3; i++) {
		l = strlen(fields[i]) + 1;
		memcpy(val + o, fields[i], l);
		o += l;
	}
	return txn->store->ops->put(txn, MFA_TABLE_APP, user, rec->id, val, o);
}

enum mfa_store_result mfa_app_del(struct mfa_txn *txn, const char *user,
				  const char *id)
{
	if (!key_ok(user, MFA_USER_MAX) || !app_id_ok(id))
		return MFA_STORE_ERROR;
	return txn->store->ops->del(txn, MFA_TABLE_APP, user, id);
}

struct app_iter {
	int (*fn)(const struct mfa_app_rec *rec, void *ctx);
	void *ctx;
};

static int app_iter_one(const char *name, size_t name_len,
			const uint8_t *val, size_t len, void *ctx)
{
	struct app_iter *it = ctx;
	struct mfa_app_rec rec;

	if (app_decode(name, name_len, val, len, &rec) < 0)
		return -1;
	return it->fn(&rec, it->ctx);
}

enum mfa_store_result
mfa_app_foreach(struct mfa_txn *txn, const char *user,
		int (*fn)(const struct mfa_app_rec *rec, void *ctx), void *ctx)
{
	struct app_iter it = { fn, ctx };

	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	return txn->store->ops->foreach(txn, MFA_TABLE_APP, user,
					app_iter_one, &it);
}

/* --- per-IP failures */

enum mfa_store_result mfa_ip_get(struct mfa_txn *txn, const char *ip,
				 struct mfa_ip_rec *rec_r)
{
	uint8_t val[REC_MAX];
	enum mfa_store_result ret;
	size_t len;

	if (!key_ok(ip, IP_MAX))
		return MFA_STORE_ERROR;
	ret = txn->store->ops->get(txn, MFA_TABLE_IP, ip, NULL, val,
				   sizeof(val), &len);
	if (ret != MFA_STORE_OK)
		return ret;
	if (len != IP_REC_LEN || val[0] != REC_VERSION)
		return mfa_store_set_error("store: malformed ip record");
	rec_r->failures = mfa_get_u32(val + 1);
	rec_r->since = (int64_t)mfa_get_u64(val + 5);
	return MFA_STORE_OK;
}

enum mfa_store_result mfa_ip_put(struct mfa_txn *txn, const char *ip,
				 const struct mfa_ip_rec *rec)
{
	uint8_t val[IP_REC_LEN];

	if (!key_ok(ip, IP_MAX))
		return MFA_STORE_ERROR;
	val[0] = REC_VERSION;
	mfa_put_u32(val + 1, rec->failures);
	mfa_put_u64(val + 5, (uint64_t)rec->since);
	return txn->store->ops->put(txn, MFA_TABLE_IP, ip, NULL, val, sizeof(val));
}
