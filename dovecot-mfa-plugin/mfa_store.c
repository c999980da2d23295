/*++
/* NAME
/*	mfa_store 3
/* SUMMARY
/*	MFA records: keys, and common/'s store underneath
/* DESCRIPTION
/*	See mfa_store.h. This file keeps the records in common/'s store
/*	(store.h); their bytes (versioned, little-endian, checked on read:
/*	a short or unknown record is an error, never a default; the same
/*	bytes on both backends) are mfa_record.c's.
/*
/*	Keys, as the plugin's own store code wrote them before it moved onto
/*	common/ (tests/compat/ holds such stores; mfa_test_store_compat
/*	reads them):
/*	LMDB (opened "lmdb:PATH?records=plain": those records carry no
/*	expiry header): "u\0<user>" user record, "a\0<user>\0" + id app
/*	password (a hash field: record key = key followed by field),
/*	"i\0<ip>" per-IP failures.
/*	Redis: "mfa:u:<user>" (string), "mfa:a:<user>" (a hash, field =
/*	id), "mfa:i:<ip>" (string), "mfa:meta" = "messec-mfa-v1 <key id>":
/*	an HMAC of a fixed text under the key file (mfa_key_id()), which
/*	ties the data to the key: a host with another key file gets a clear
/*	error instead of secrets that do not open.
/*
/*	Settings: store = PATH becomes "lmdb:PATH?records=plain&sync=S&
/*	create=C" (S from store_sync, C yes only when mfa_open() creates a
/*	new store); store = redis://... gets "timeout_ms=<redis_timeout>"
/*	unless it names one itself. So existing configs keep working.
/*
/*	Handles kept between logins (mfa_store_set_caching(), the plugin):
/*	the LMDB handle stays open and is checked with store_stale() before
/*	each reuse (removed, replaced, unreadable: closed and opened again,
/*	which fails as a fresh open would); a Redis handle (its connection
/*	pool) is always kept until mfa_store_release_cached(). Neither is
/*	used in a child after fork(): the child opens its own.
/*	The process-wide kept handles are used by one thread at a time (in
/*	the plugin, its worker thread), as before.
/* TRUST BOUNDARY
/*	The user name and IP come from the client (after Dovecot's username
/*	checks): they are length-capped here before they become keys.
/*--*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <messec/secret.h>
#include <messec/store.h>
#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_settings.h"
#include "mfa_store.h"

#define IP_MAX 64
#define URI_MAX (MFA_PATH_MAX + 64)
#define KEY_MAX (MFA_USER_MAX + 16)

#define REDIS_PREFIX "mfa:"
#define META_KEY REDIS_PREFIX "meta"
#define META_TAG "messec-mfa-v1 "

enum mfa_table {
	MFA_TABLE_USER = 'u',
	MFA_TABLE_APP = 'a',
	MFA_TABLE_IP = 'i',
};

struct mfa_store {
	struct store *s;
	char spec[MFA_PATH_MAX];	/* the store= setting, for messages */
	int redis;
	int kept;		/* s is a kept handle: not closed with this one */
};

struct mfa_txn {
	struct mfa_store *store;
	struct store_txn *t;
	int write;
};

/* A handle kept between opens (see DESCRIPTION). */
struct kept_handle {
	struct store *s;
	char uri[URI_MAX];
	pid_t pid;
};

static struct {
	int keep_open;
	enum mfa_store_sync sync;
	struct kept_handle lmdb, redis;
	unsigned long lmdb_opens;
} kept;

static __thread char last_error[512];

const char *mfa_store_error(void)
{
	return last_error;
}

static enum mfa_store_result set_error(const char *fmt, ...)
	MFA_PRINTF(1, 2);

static enum mfa_store_result set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return MFA_STORE_ERROR;
}

/* common/'s text for the last failed call (never holds a secret). */
static enum mfa_store_result store_failed(void)
{
	return set_error("store: %s", store_error());
}

int mfa_store_is_redis(const char *spec)
{
	return strncmp(spec, "redis:", 6) == 0;
}

static const char *const sync_names[] = {
	[MFA_STORE_SYNC_ALWAYS] = "always",
	[MFA_STORE_SYNC_PERIODIC] = "periodic",
	[MFA_STORE_SYNC_DATA] = "data",
};

/* The plugin's store= as one of common/'s addresses; 0, or -1. */
static int store_uri(const char *spec, int create, enum mfa_store_sync sync,
		     unsigned int timeout_ms, char *buf, size_t size,
		     const char **error_r)
{
	int n;

	if (mfa_store_is_redis(spec)) {
		if (strstr(spec, "timeout_ms=") != NULL)
			n = snprintf(buf, size, "%s", spec);
		else
			n = snprintf(buf, size, "%s%ctimeout_ms=%u", spec,
				     strchr(spec, '?') != NULL ? '&' : '?', timeout_ms);
	} else if (spec[0] != '/') {
		*error_r = "store must be an absolute path or redis://...";
		return -1;
	} else if (strpbrk(spec, "?&") != NULL) {
		*error_r = "store path must not contain '?' or '&'";
		return -1;
	} else {
		n = snprintf(buf, size, "lmdb:%s?records=plain&sync=%s&create=%s", spec,
			     sync_names[sync], create ? "yes" : "no");
	}
	if (n < 0 || (size_t)n >= size) {
		*error_r = "store address too long";
		return -1;
	}
	return 0;
}

int mfa_store_spec_check(const char *spec, const char **error_r)
{
	char uri[URI_MAX];

	if (store_uri(spec, 0, MFA_STORE_SYNC_ALWAYS, MFA_REDIS_TIMEOUT_DEFAULT,
		      uri, sizeof(uri), error_r) < 0)
		return -1;
	return store_check_address(uri, error_r);
}

static void kept_drop(struct kept_handle *k)
{
	/* store_close() in a child after fork() leaves the parent's LMDB
	   environment alone, and closes only the child's copies of the
	   Redis sockets (store.h). */
	if (k->s != NULL) {
		if (k->pid == getpid())
			(void)store_sync(k->s, 1);
		store_close(&k->s);
	}
	k->uri[0] = '\0';
}

void mfa_store_set_caching(int keep_open, enum mfa_store_sync sync)
{
	kept_drop(&kept.lmdb);
	kept.keep_open = keep_open;
	kept.sync = sync;
}

int mfa_store_sync_pending(void)
{
	return kept.lmdb.s != NULL && kept.lmdb.pid == getpid() &&
	       store_sync_pending(kept.lmdb.s);
}

int mfa_store_sync_cached(int force, const char **error_r)
{
	if (!mfa_store_sync_pending())
		return 0;
	if (store_sync(kept.lmdb.s, force) != STORE_OK) {
		*error_r = mfa_error("store: %s", store_error());
		return -1;
	}
	return 0;
}

void mfa_store_close_cached(void)
{
	kept_drop(&kept.lmdb);
}

void mfa_store_release_cached(void)
{
	kept_drop(&kept.redis);
}

unsigned long mfa_store_lmdb_env_opens(void)
{
	return kept.lmdb_opens;
}

/* Open uri (LMDB opens counted for the tests); NULL with *error_r,
   common/'s text as it is: it starts with the store's path or address
   ("/var/lib/messec/mfa/mfa.lmdb: Permission denied"). */
static struct store *open_counted(const char *uri, int redis, const char **error_r)
{
	struct store *s = store_open(uri, error_r);

	if (s != NULL && !redis)
		kept.lmdb_opens++;
	return s;
}

/* The kept handle of id (the address with create=no), (re)opened with
   uri when missing, another address, inherited through fork() or stale;
   NULL with *error_r. create only matters for a missing file, so it
   is not part of the identity. */
static struct store *kept_open(struct kept_handle *k, const char *uri, const char *id,
			       int redis, const char **error_r)
{
	if (k->s != NULL &&
	    (k->pid != getpid() || strcmp(k->uri, id) != 0 || store_stale(k->s)))
		kept_drop(k);	/* closed first: a reopen must not share it */
	if (k->s == NULL) {
		if ((k->s = open_counted(uri, redis, error_r)) == NULL)
			return NULL;
		(void)str_copy(k->uri, id, sizeof(k->uri));
		k->pid = getpid();
	}
	return k->s;
}

struct mfa_store *mfa_store_open(const char *spec, int create,
				 unsigned int timeout_ms, const char **error_r)
{
	char uri[URI_MAX], id[URI_MAX];
	struct mfa_store *store;
	int redis = mfa_store_is_redis(spec), keep = redis || kept.keep_open;
	enum mfa_store_sync sync = kept.keep_open ? kept.sync : MFA_STORE_SYNC_ALWAYS;
	struct store *s;

	if (store_uri(spec, create, sync, timeout_ms, uri, sizeof(uri), error_r) < 0 ||
	    store_uri(spec, 0, sync, timeout_ms, id, sizeof(id), error_r) < 0)
		return NULL;
	s = keep ? kept_open(redis ? &kept.redis : &kept.lmdb, uri, id, redis, error_r) :
		open_counted(uri, redis, error_r);
	if (s == NULL)
		return NULL;
	store = calloc(1, sizeof(*store));
	if (store == NULL) {
		if (!keep)
			store_close(&s);
		*error_r = "store: out of memory";
		return NULL;
	}
	store->s = s;
	(void)str_copy(store->spec, spec, sizeof(store->spec));
	store->redis = redis;
	store->kept = keep;
	return store;
}

void mfa_store_close(struct mfa_store **store)
{
	if (*store == NULL)
		return;
	if (!(*store)->kept)
		store_close(&(*store)->s);
	free(*store);
	*store = NULL;
}

int mfa_store_exists(const char *spec, unsigned int timeout_ms,
		     int *exists_r, const char **error_r)
{
	struct mfa_store *store;
	struct stat st;
	enum store_result ret;

	if (!mfa_store_is_redis(spec)) {
		if (stat(spec, &st) == 0) {
			*exists_r = 1;
			return 0;
		}
		if (errno == ENOENT) {
			*exists_r = 0;
			return 0;
		}
		*error_r = mfa_error("%s: %s", spec, strerror(errno));
		return -1;
	}
	if ((store = mfa_store_open(spec, 0, timeout_ms, error_r)) == NULL)
		return -1;
	ret = store_exists(store->s, META_KEY, strlen(META_KEY));
	mfa_store_close(&store);
	if (ret == STORE_ERROR) {
		*error_r = mfa_error("store: %s", store_error());
		return -1;
	}
	*exists_r = ret == STORE_OK;
	return 0;
}

static void meta_value(const uint8_t *key_id, size_t len, char *buf, size_t size)
{
	size_t o = strlen(META_TAG);

	/* UNSAFE: callers pass a buffer of strlen(META_TAG) + 2 * len + 1. */
	memcpy(buf, META_TAG, o);
	for (size_t i = 0; i < len && o + 2 < size; i++, o += 2)
		(void)snprintf(buf + o, 3, "%02x", key_id[i]);
	buf[o] = '\0';
}

int mfa_store_check_key(struct mfa_store *store, const uint8_t *key_id,
			size_t key_id_len, int create, const char **error_r)
{
	char want[64 + 2 * 32];
	enum store_result ret;
	void *v = NULL;
	size_t len = 0;

	/* LMDB: the file is the store, nothing ties it to the key. */
	if (!store->redis)
		return 0;
	if (key_id_len > 32) {
		*error_r = "redis: key id too long";
		return -1;
	}
	meta_value(key_id, key_id_len, want, sizeof(want));
	/* Put-if-absent: of two hosts creating at once, one wins; the
	   other then compares like any later host. */
	if (create &&
	    store_put_new(store->s, META_KEY, strlen(META_KEY), want, strlen(want),
			  0) == STORE_ERROR)
		goto error;
	ret = store_get(store->s, META_KEY, strlen(META_KEY), &v, &len);
	if (ret == STORE_ERROR)
		goto error;
	if (ret == STORE_NOTFOUND) {
		*error_r = mfa_error("redis %s holds no messec-mfa data (%s missing: "
				     "flushed, or never initialised) but the key file exists",
				     store->spec, META_KEY);
		return -1;
	}
	if (len != strlen(want) || memcmp(v, want, len) != 0) {
		free(v);
		*error_r = mfa_error("redis %s: key_file is not the key this store's "
				     "secrets are sealed with (hosts sharing a Redis "
				     "must share one key file)", store->spec);
		return -1;
	}
	free(v);
	return 0;
error:
	*error_r = mfa_error("store: %s", store_error());
	return -1;
}

int mfa_txn_set_key_id(struct mfa_txn *txn, const uint8_t *key_id,
		       size_t key_id_len)
{
	char value[64 + 2 * 32];

	if (!txn->store->redis)
		return 0;
	if (key_id_len > 32)
		return set_error("redis: key id too long");
	meta_value(key_id, key_id_len, value, sizeof(value));
	if (store_txn_put(txn->t, META_KEY, strlen(META_KEY), value, strlen(value),
			  0) != STORE_OK)
		return store_failed();
	return 0;
}

/* Transactions: common/'s are read-write on both backends; "write" only
   marks the caller's intent (a read-only one is aborted, never
   committed, by the callers). */
struct mfa_txn *mfa_txn_begin(struct mfa_store *store, int write)
{
	struct mfa_txn *txn = calloc(1, sizeof(*txn));

	if (txn == NULL) {
		(void)set_error("store: out of memory");
		return NULL;
	}
	txn->t = store_txn_begin(store->s);
	if (txn->t == NULL) {
		(void)store_failed();
		free(txn);
		return NULL;
	}
	txn->store = store;
	txn->write = write;
	return txn;
}

int mfa_txn_commit(struct mfa_txn **txn)
{
	struct mfa_txn *t = *txn;
	enum store_result ret;

	*txn = NULL;
	ret = store_txn_commit(&t->t);
	free(t);
	if (ret == STORE_CONFLICT)
		return MFA_TXN_CONFLICT;
	if (ret != STORE_OK) {
		(void)store_failed();
		return -1;
	}
	return 0;
}

void mfa_txn_abort(struct mfa_txn **txn)
{
	struct mfa_txn *t = *txn;

	if (t == NULL)
		return;
	*txn = NULL;
	store_txn_abort(&t->t);
	free(t);
}

/* --- keys */

/* The key of a record (an app record: of its user's map); 0 or -1. */
static int make_key(const struct mfa_txn *txn, enum mfa_table table, const char *a,
		    char *buf, size_t size, size_t *len_r)
{
	size_t alen = strlen(a);
	int n;

	if (txn->store->redis) {
		n = snprintf(buf, size, REDIS_PREFIX "%c:%s", (char)table, a);
		if (n < 0 || (size_t)n >= size) {
			(void)set_error("store: key too long");
			return -1;
		}
		*len_r = (size_t)n;
		return 0;
	}
	/* LMDB: table byte, NUL, a; for apps NUL (then the id as field). */
	if (alen + 3 > size) {
		(void)set_error("store: key too long");
		return -1;
	}
	buf[0] = (char)table;
	buf[1] = '\0';
	memcpy(buf + 2, a, alen);
	*len_r = 2 + alen;
	if (table == MFA_TABLE_APP)
		buf[(*len_r)++] = '\0';
	return 0;
}

/* A value into buf (at most size bytes): OK, NOTFOUND or ERROR. */
static enum mfa_store_result rec_get(struct mfa_txn *txn, enum mfa_table table,
				     const char *a, const char *b, uint8_t *buf,
				     size_t size, size_t *len_r)
{
	char key[KEY_MAX];
	size_t klen, len = 0;
	enum store_result ret;
	void *v = NULL;

	if (make_key(txn, table, a, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	ret = b != NULL ? store_txn_hget(txn->t, key, klen, b, strlen(b), &v, &len) :
		store_txn_get(txn->t, key, klen, &v, &len);
	if (ret == STORE_NOTFOUND)
		return MFA_STORE_NOTFOUND;
	if (ret != STORE_OK)
		return store_failed();
	if (len > size) {
		secret_wipe(v, len);
		free(v);
		return set_error("store: record too long");
	}
	memcpy(buf, v, len);
	*len_r = len;
	secret_wipe(v, len);
	free(v);
	return MFA_STORE_OK;
}

static enum mfa_store_result rec_put(struct mfa_txn *txn, enum mfa_table table,
				     const char *a, const char *b,
				     const uint8_t *val, size_t len)
{
	char key[KEY_MAX];
	size_t klen;
	enum store_result ret;

	if (make_key(txn, table, a, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	ret = b != NULL ? store_txn_hput(txn->t, key, klen, b, strlen(b), val, len) :
		store_txn_put(txn->t, key, klen, val, len, 0);
	return ret == STORE_OK ? MFA_STORE_OK : store_failed();
}

static enum mfa_store_result rec_del(struct mfa_txn *txn, enum mfa_table table,
				     const char *a, const char *b)
{
	char key[KEY_MAX];
	size_t klen;
	enum store_result ret;

	if (make_key(txn, table, a, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	ret = b != NULL ? store_txn_hdel(txn->t, key, klen, b, strlen(b)) :
		store_txn_del(txn->t, key, klen);
	if (ret == STORE_NOTFOUND)
		return MFA_STORE_NOTFOUND;
	return ret == STORE_OK ? MFA_STORE_OK : store_failed();
}

typedef int raw_iter_fn(const char *name, size_t name_len, const uint8_t *val,
			size_t len, void *ctx);

struct raw_iter {
	raw_iter_fn *fn;
	void *ctx;
	size_t skip;		/* key bytes before the name */
	int failed;		/* fn failed: its error text stands */
};

static int raw_iter_one(const void *key, size_t klen, const void *value, size_t vlen,
			void *ctx)
{
	struct raw_iter *it = ctx;

	if (klen < it->skip ||
	    it->fn((const char *)key + it->skip, klen - it->skip, value, vlen,
		   it->ctx) < 0) {
		it->failed = 1;
		return -1;
	}
	return 0;
}

/* Every user (a NULL), or the apps of user a: fn gets the user name or
   the app id, and the value. */
static enum mfa_store_result rec_foreach(struct mfa_txn *txn, enum mfa_table table,
					 const char *a, raw_iter_fn *fn, void *ctx)
{
	struct raw_iter it = { fn, ctx, 0, 0 };
	char key[KEY_MAX];
	size_t klen;
	enum store_result ret;

	if (table == MFA_TABLE_APP) {
		if (make_key(txn, table, a, key, sizeof(key), &klen) < 0)
			return MFA_STORE_ERROR;
		ret = store_txn_hforeach(txn->t, key, klen, raw_iter_one, &it);
	} else {
		if (make_key(txn, table, "", key, sizeof(key), &klen) < 0)
			return MFA_STORE_ERROR;
		it.skip = klen;
		ret = store_txn_foreach(txn->t, key, klen, raw_iter_one, &it);
	}
	if (ret == STORE_OK)
		return MFA_STORE_OK;
	return it.failed ? MFA_STORE_ERROR : store_failed();	/* fn set its text */
}
/* User names and IPs become keys: non-empty, capped. */
static int key_ok(const char *a, size_t max)
{
	size_t len = strlen(a);

	if (len == 0 || len > max) {
		(void)set_error("store: key too long or empty");
		return 0;
	}
	return 1;
}

static int app_id_ok(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > MFA_APP_ID_LEN) {
		(void)set_error("store: bad app password id");
		return 0;
	}
	return 1;
}

/* --- users */

/* A record's bytes that do not decode: an error of the store. */
static enum mfa_store_result rec_bad(const char *error)
{
	return set_error("store: %s", error);
}

enum mfa_store_result mfa_user_get(struct mfa_txn *txn, const char *user,
				   struct mfa_user_rec *rec_r)
{
	uint8_t val[MFA_REC_MAX];
	enum mfa_store_result ret;
	const char *error;
	size_t len;

	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	ret = rec_get(txn, MFA_TABLE_USER, user, NULL, val, sizeof(val), &len);
	if (ret == MFA_STORE_OK && mfa_user_rec_decode(val, len, rec_r, &error) < 0)
		ret = rec_bad(error);
	secret_wipe(val, sizeof(val));
	return ret;
}

enum mfa_store_result mfa_user_put(struct mfa_txn *txn, const char *user,
				   const struct mfa_user_rec *rec)
{
	uint8_t val[MFA_USER_REC_FIXED + sizeof(rec->sealed)];
	enum mfa_store_result ret;
	const char *error;
	size_t len;

	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	if (mfa_user_rec_encode(rec, val, sizeof(val), &len, &error) < 0)
		ret = rec_bad(error);
	else
		ret = rec_put(txn, MFA_TABLE_USER, user, NULL, val, len);
	secret_wipe(val, sizeof(val));
	return ret;
}

enum mfa_store_result mfa_user_del(struct mfa_txn *txn, const char *user)
{
	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	return rec_del(txn, MFA_TABLE_USER, user, NULL);
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
	const char *error;
	int ret;

	if (name_len == 0 || name_len > MFA_USER_MAX) {
		(void)set_error("store: malformed user key");
		return -1;
	}
	if (mfa_user_rec_decode(val, len, &rec, &error) < 0) {
		(void)rec_bad(error);
		return -1;
	}
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

	return rec_foreach(txn, MFA_TABLE_USER, NULL, user_iter_one, &it);
}

/* --- app passwords (the bytes: mfa_record.h) */

enum mfa_store_result mfa_app_get(struct mfa_txn *txn, const char *user,
				  const char *id, struct mfa_app_rec *rec_r)
{
	uint8_t val[MFA_REC_MAX];
	enum mfa_store_result ret;
	const char *error;
	size_t len;

	if (!key_ok(user, MFA_USER_MAX) || !app_id_ok(id))
		return MFA_STORE_ERROR;
	ret = rec_get(txn, MFA_TABLE_APP, user, id, val, sizeof(val), &len);
	if (ret == MFA_STORE_OK &&
	    mfa_app_rec_decode(id, strlen(id), val, len, rec_r, &error) < 0)
		return rec_bad(error);
	return ret;
}

enum mfa_store_result mfa_app_put(struct mfa_txn *txn, const char *user,
				  const struct mfa_app_rec *rec)
{
	uint8_t val[MFA_REC_MAX];
	const char *error;
	size_t len;

	if (!key_ok(user, MFA_USER_MAX) || !app_id_ok(rec->id))
		return MFA_STORE_ERROR;
	if (mfa_app_rec_encode(rec, val, sizeof(val), &len, &error) < 0)
		return rec_bad(error);
	return rec_put(txn, MFA_TABLE_APP, user, rec->id, val, len);
}

enum mfa_store_result mfa_app_del(struct mfa_txn *txn, const char *user,
				  const char *id)
{
	if (!key_ok(user, MFA_USER_MAX) || !app_id_ok(id))
		return MFA_STORE_ERROR;
	return rec_del(txn, MFA_TABLE_APP, user, id);
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
	const char *error;

	if (mfa_app_rec_decode(name, name_len, val, len, &rec, &error) < 0) {
		(void)rec_bad(error);
		return -1;
	}
	return it->fn(&rec, it->ctx);
}

enum mfa_store_result
mfa_app_foreach(struct mfa_txn *txn, const char *user,
		int (*fn)(const struct mfa_app_rec *rec, void *ctx), void *ctx)
{
	struct app_iter it = { fn, ctx };

	if (!key_ok(user, MFA_USER_MAX))
		return MFA_STORE_ERROR;
	return rec_foreach(txn, MFA_TABLE_APP, user, app_iter_one, &it);
}

/* --- per-IP failures */

enum mfa_store_result mfa_ip_get(struct mfa_txn *txn, const char *ip,
				 struct mfa_ip_rec *rec_r)
{
	uint8_t val[MFA_REC_MAX];
	enum mfa_store_result ret;
	const char *error;
	size_t len;

	if (!key_ok(ip, IP_MAX))
		return MFA_STORE_ERROR;
	ret = rec_get(txn, MFA_TABLE_IP, ip, NULL, val, sizeof(val), &len);
	if (ret == MFA_STORE_OK && mfa_ip_rec_decode(val, len, rec_r, &error) < 0)
		return rec_bad(error);
	return ret;
}

enum mfa_store_result mfa_ip_put(struct mfa_txn *txn, const char *ip,
				 const struct mfa_ip_rec *rec)
{
	uint8_t val[MFA_IP_REC_LEN];
	const char *error;
	size_t len;

	if (!key_ok(ip, IP_MAX))
		return MFA_STORE_ERROR;
	if (mfa_ip_rec_encode(rec, val, sizeof(val), &len, &error) < 0)
		return rec_bad(error);
	return rec_put(txn, MFA_TABLE_IP, ip, NULL, val, len);
}
