/*++
/* NAME
/*	mfa_store_redis 3
/* SUMMARY
/*	Redis backend of mfa_store.h: replay and lockout state shared by hosts
/* SYNOPSIS
/*	store = redis://host[:port][/db]          TCP (port 6379, db 0)
/*	store = redis://[2001:db8::5]:6379/2      IPv6
/*	store = redis:///run/redis/redis.sock?db=N   unix socket
/* DESCRIPTION
/*	Keys (db chosen by the spec): "mfa:u:<user>" user record (string),
/*	"mfa:a:<user>" hash of app passwords (field = id), "mfa:i:<ip>"
/*	per-IP failures (string), "mfa:meta" = "messec-mfa-v1 <key id>". The
/*	values are the same bytes as in the LMDB backend (mfa_store.c).
/*
/*	Atomicity across hosts (Redis "transactions", optimistic locking):
/*	a write transaction WATCHes every key before it reads it and
/*	buffers its writes; commit sends MULTI, the writes, EXEC in one
/*	round trip. If any watched key changed since it was read (another
/*	host accepted the same code, counted a failure, the CLI unlocked),
/*	EXEC answers nil and commit returns MFA_TXN_CONFLICT: nothing was
/*	written, and mfa_policy.c decides the login again on fresh data. So
/*	two hosts racing with the same code accept it at most once, and no
/*	failure count is lost. Reads do not see the transaction's own
/*	buffered writes (no caller needs that).
/*
/*	Never block the auth event loop for long: hiredis in blocking mode
/*	with the redis_timeout (ms) on connect and on every send/receive
/*	(SO_SNDTIMEO/SO_RCVTIMEO). A login makes at most a handful of round
/*	trips, and the first error or timeout ends it: the connection is
/*	dropped and the login is an internal failure (MFA_STORE_ERROR),
/*	never "not found". The next login reconnects.
/*
/*	One connection per thread is cached between logins (mfa_redis.c; in
/*	Dovecot every store call runs on the plugin's one worker thread,
/*	mfa_worker.c). A cached connection is not used in a child
/*	after fork(). mfa_store_release_cached() closes it.
/*
/*	mfa:meta ties the data to the key file: it holds an HMAC of a fixed
/*	text under the key (mfa_key_id()), not the key. A host with another
/*	key file gets a clear error instead of secrets that do not open.
/*
/*	Why not common/src/store_redis.c yet: common/'s store now has
/*	WATCH/MULTI transactions (store_txn_*), but app passwords live in one
/*	Redis hash per user (mfa:a:<user>) and common/ stores strings only;
/*	moving over needs hash fields in common/ or a layout that still reads
/*	the old hash (issue 15 item 2, docs/mfa.md). The SIGPIPE guard in
/*	mfa_redis.c is the same idea as common/'s.
/* TRUST BOUNDARY
/*	The Redis server is trusted like the LMDB file (it could unlock
/*	users, but it never sees a secret in clear). Replies are still
/*	checked for type and length. User names and IPs come from clients:
/*	they are length-capped by mfa_store.c before they become keys.
/*--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "mfa_util.h"
#include "mfa_settings.h"
#include "mfa_store_int.h"
#include "mfa_redis.h"

#define KEY_PREFIX "mfa:"
#define META_KEY KEY_PREFIX "meta"
#define META_TAG "messec-mfa-v1 "
#define KEY_MAX (8 + MFA_USER_MAX)
#define TXN_WRITES_MAX 100000
#define SCAN_KEYS_MAX 1000000

struct redis_store {
	struct mfa_store base;
	struct mfa_redis_conn conn;
};

struct redis_txn {
	struct mfa_txn base;
	struct redis_store *rs;
	int write;
	int watching;
	size_t nwrites, cap;
	char **writes;		/* formatted commands (redisFormatCommandArgv) */
	size_t *lens;
};

static struct mfa_store *redis_open(const char *spec, int create,
				    unsigned int timeout_ms, const char **error_r)
{
	struct redis_store *rs;

	(void)create;	/* a Redis database needs no creating: see check_key */
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		*error_r = "redis: out of memory";
		return NULL;
	}
	rs->base.ops = &mfa_store_redis_ops;
	if (mfa_redis_conn_open(&rs->conn, spec, timeout_ms, error_r) < 0) {
		free(rs);
		return NULL;
	}
	return &rs->base;
}

static void redis_close(struct mfa_store *store)
{
	struct redis_store *rs = (struct redis_store *)store;

	mfa_redis_conn_close(&rs->conn);
	free(rs);
}

/* --- key ownership (mfa:meta) */

static void meta_value(const uint8_t *key_id, size_t len, char *buf, size_t size)
{
	size_t o = strlen(META_TAG);

	/* UNSAFE: callers pass a buffer of strlen(META_TAG) + 2 * len + 1. */
	memcpy(buf, META_TAG, o);
	for (size_t i = 0; i < len && o + 2 < size; i++, o += 2)
		(void)snprintf(buf + o, 3, "%02x", key_id[i]);
	buf[o] = '\0';
}

static int redis_exists(const char *spec, unsigned int timeout_ms,
			int *exists_r, const char **error_r)
{
	struct mfa_store *store = redis_open(spec, 0, timeout_ms, error_r);
	struct redis_store *rs = (struct redis_store *)store;
	const char *argv[] = { "EXISTS", META_KEY };
	size_t lens[] = { 6, strlen(META_KEY) };
	redisReply *reply;

	if (store == NULL)
		return -1;
	reply = mfa_redis_command(&rs->conn, 2, argv, lens);
	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
		(void)mfa_redis_bad_reply(&rs->conn, "EXISTS", reply);
		*error_r = mfa_store_error();
		redis_close(store);
		return -1;
	}
	*exists_r = reply->integer > 0;
	freeReplyObject(reply);
	redis_close(store);
	return 0;
}

static int redis_check_key(struct mfa_store *store, const uint8_t *key_id,
			   size_t key_id_len, int create, int *created_r,
			   const char **error_r)
{
	struct redis_store *rs = (struct redis_store *)store;
	char want[64 + 2 * 32];
	const char *get_argv[] = { "GET", META_KEY };
	size_t get_lens[] = { 3, strlen(META_KEY) };
	redisReply *reply;

	*created_r = 0;
	if (key_id_len > 32) {
		*error_r = "redis: key id too long";
		return -1;
	}
	meta_value(key_id, key_id_len, want, sizeof(want));
	if (create) {
		/* SET NX: of two hosts creating at once, one wins; the
		   other then compares like any later host. */
		const char *argv[] = { "SET", META_KEY, want, "NX" };
		size_t lens[] = { 3, strlen(META_KEY), strlen(want), 2 };

		reply = mfa_redis_command(&rs->conn, 4, argv, lens);
		if (reply == NULL ||
		    (reply->type != REDIS_REPLY_STATUS && reply->type != REDIS_REPLY_NIL))
			goto error;
		*created_r = reply->type == REDIS_REPLY_STATUS;
		freeReplyObject(reply);
	}
	reply = mfa_redis_command(&rs->conn, 2, get_argv, get_lens);
	if (reply == NULL ||
	    (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL))
		goto error;
	if (reply->type == REDIS_REPLY_NIL) {
		freeReplyObject(reply);
		*error_r = mfa_error("redis %s holds no messec-mfa data (%s missing: "
				     "flushed, or never initialised) but the key file exists",
				     rs->conn.spec, META_KEY);
		return -1;
	}
	if (reply->len != strlen(want) || memcmp(reply->str, want, reply->len) != 0) {
		freeReplyObject(reply);
		*error_r = mfa_error("redis %s: key_file is not the key this store's "
				     "secrets are sealed with (hosts sharing a Redis "
				     "must share one key file)", rs->conn.spec);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
error:
	(void)mfa_redis_bad_reply(&rs->conn, "mfa:meta", reply);
	*error_r = mfa_store_error();
	return -1;
}

/* --- transactions */

static struct mfa_txn *redis_txn_begin(struct mfa_store *store, int write)
{
	struct redis_store *rs = (struct redis_store *)store;
	struct redis_txn *txn;

	if (rs->conn.c == NULL) {
		(void)mfa_store_set_error("redis %s: not connected", rs->conn.spec);
		return NULL;
	}
	txn = calloc(1, sizeof(*txn));
	if (txn == NULL) {
		(void)mfa_store_set_error("redis: out of memory");
		return NULL;
	}
	txn->base.store = store;
	txn->rs = rs;
	txn->write = write;
	return &txn->base;
}

static void txn_free(struct redis_txn *txn)
{
	for (size_t i = 0; i < txn->nwrites; i++)
		redisFreeCommand(txn->writes[i]);
	free(txn->writes);
	free(txn->lens);
	free(txn);
}

/* Forget the WATCHes so the cached connection starts clean. */
static void unwatch(struct redis_txn *txn)
{
	const char *argv[] = { "UNWATCH" };
	size_t lens[] = { 7 };
	redisReply *reply;

	if (!txn->watching || txn->rs->conn.c == NULL)
		return;
	reply = mfa_redis_command(&txn->rs->conn, 1, argv, lens);
	if (reply == NULL || reply->type != REDIS_REPLY_STATUS)
		(void)mfa_redis_bad_reply(&txn->rs->conn, "UNWATCH", reply);
	else
		freeReplyObject(reply);
}

static void redis_txn_abort(struct mfa_txn *_txn)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;

	unwatch(txn);
	txn_free(txn);
}

static int redis_txn_commit(struct mfa_txn *_txn)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;
	struct redis_store *rs = txn->rs;
	static const char multi[] = "*1\r\n$5\r\nMULTI\r\n";
	static const char exec[] = "*1\r\n$4\r\nEXEC\r\n";
	redisReply **replies = NULL;
	char **cmds = NULL;
	size_t *lens = NULL, n = txn->nwrites + 2;
	int ret = -1;

	if (txn->nwrites == 0) {
		unwatch(txn);
		ret = rs->conn.c == NULL ? -1 : 0;
		txn_free(txn);
		return ret;
	}
	cmds = calloc(n, sizeof(*cmds));
	lens = calloc(n, sizeof(*lens));
	replies = calloc(n, sizeof(*replies));
	if (cmds == NULL || lens == NULL || replies == NULL) {
		(void)mfa_store_set_error("redis: out of memory");
		mfa_redis_drop(&rs->conn);
		goto out;
	}
	cmds[0] = (char *)multi;
	lens[0] = sizeof(multi) - 1;
	for (size_t i = 0; i < txn->nwrites; i++) {
		cmds[i + 1] = txn->writes[i];
		lens[i + 1] = txn->lens[i];
	}
	cmds[n - 1] = (char *)exec;
	lens[n - 1] = sizeof(exec) - 1;
	if (mfa_redis_exchange(&rs->conn, n, cmds, lens, replies) < 0)
		goto out;
	ret = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (replies[i]->type != REDIS_REPLY_STATUS)
			ret = -1;
	}
	if (ret == 0 && replies[n - 1]->type == REDIS_REPLY_NIL) {
		/* A watched key changed: nothing was written. */
		ret = MFA_TXN_CONFLICT;
	} else if (ret == 0 && replies[n - 1]->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < replies[n - 1]->elements; i++) {
			if (replies[n - 1]->element[i]->type == REDIS_REPLY_ERROR)
				ret = -1;
		}
	} else {
		ret = -1;
	}
	if (ret == -1) {
		(void)mfa_store_set_error("redis %s: EXEC failed%s%s", rs->conn.spec,
					  replies[n - 1]->type == REDIS_REPLY_ERROR ? ": " : "",
					  replies[n - 1]->type == REDIS_REPLY_ERROR ?
					  replies[n - 1]->str : "");
		mfa_redis_drop(&rs->conn);
	}
	for (size_t i = 0; i < n; i++)
		freeReplyObject(replies[i]);
out:
	free(cmds);
	free(lens);
	free(replies);
	txn_free(txn);
	return ret;
}

static int add_write(struct redis_txn *txn, int argc, const char **argv,
		     const size_t *lens);

/* Rekey: the new key's tag replaces mfa:meta in the same EXEC as the
   re-sealed secrets. */
static int redis_set_key_id(struct mfa_txn *_txn, const uint8_t *key_id,
			    size_t key_id_len)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;
	char value[64 + 2 * 32];
	const char *argv[] = { "SET", META_KEY, value };
	size_t lens[] = { 3, strlen(META_KEY), 0 };

	if (key_id_len > 32)
		return mfa_store_set_error("redis: key id too long");
	meta_value(key_id, key_id_len, value, sizeof(value));
	lens[2] = strlen(value);
	return add_write(txn, 3, argv, lens) < 0 ? -1 : 0;
}

/* --- records */

/* Redis key of a record: "mfa:u:<user>", "mfa:a:<user>", "mfa:i:<ip>". */
static int make_key(enum mfa_table table, const char *a, char *buf, size_t size,
		    size_t *len_r)
{
	int n = snprintf(buf, size, KEY_PREFIX "%c:%s", (char)table, a);

	if (n < 0 || (size_t)n >= size) {
		(void)mfa_store_set_error("redis: key too long");
		return -1;
	}
	*len_r = (size_t)n;
	return 0;
}

static int add_write(struct redis_txn *txn, int argc, const char **argv,
		     const size_t *lens)
{
	size_t len;
	char *cmd;

	if (!txn->write) {
		(void)mfa_store_set_error("redis: write in a read-only transaction");
		return -1;
	}
	if (txn->nwrites == txn->cap) {
		size_t cap = txn->cap == 0 ? 4 : txn->cap * 2;
		char **w;
		size_t *l;

		if (cap > TXN_WRITES_MAX) {
			(void)mfa_store_set_error("redis: too many writes in one transaction");
			return -1;
		}
		w = realloc(txn->writes, cap * sizeof(*w));
		if (w == NULL)
			goto oom;
		txn->writes = w;
		l = realloc(txn->lens, cap * sizeof(*l));
		if (l == NULL)
			goto oom;
		txn->lens = l;
		txn->cap = cap;
	}
	if ((cmd = mfa_redis_format(argc, argv, lens, &len)) == NULL)
		return -1;
	txn->writes[txn->nwrites] = cmd;
	txn->lens[txn->nwrites++] = len;
	return 0;
oom:
	(void)mfa_store_set_error("redis: out of memory");
	return -1;
}

/*
 * Read with argv; in a write transaction WATCH the key first, in the same
 * round trip. The reply of the read is returned (caller frees).
 */
static redisReply *watched_read(struct redis_txn *txn, const char *key,
				size_t klen, int argc, const char **argv,
				const size_t *lens)
{
	const char *wargv[] = { "WATCH", key };
	size_t wlens[] = { 5, klen }, clens[2];
	redisReply *replies[2];
	char *cmds[2] = { NULL, NULL };
	int first = txn->write ? 0 : 1, ret = -1;

	if (txn->write && (cmds[0] = mfa_redis_format(2, wargv, wlens, &clens[0])) == NULL)
		return NULL;
	if ((cmds[1] = mfa_redis_format(argc, argv, lens, &clens[1])) == NULL)
		goto out;
	ret = mfa_redis_exchange(&txn->rs->conn, (size_t)(2 - first), cmds + first, clens + first,
		       replies + first);
	if (ret == 0 && txn->write) {
		txn->watching = 1;
		if (replies[0]->type != REDIS_REPLY_STATUS) {
			freeReplyObject(replies[1]);
			(void)mfa_redis_bad_reply(&txn->rs->conn, "WATCH", replies[0]);
			ret = -1;
		} else {
			freeReplyObject(replies[0]);
		}
	}
out:
	if (cmds[0] != NULL)
		redisFreeCommand(cmds[0]);
	if (cmds[1] != NULL)
		redisFreeCommand(cmds[1]);
	return ret < 0 ? NULL : replies[1];
}

static enum mfa_store_result redis_get(struct mfa_txn *_txn, enum mfa_table table,
				       const char *a, const char *b, uint8_t *buf,
				       size_t size, size_t *len_r)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;
	char key[KEY_MAX];
	size_t klen;
	redisReply *reply;

	if (make_key(table, a, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	if (table == MFA_TABLE_APP) {
		const char *argv[] = { "HGET", key, b };
		size_t lens[] = { 4, klen, strlen(b) };

		reply = watched_read(txn, key, klen, 3, argv, lens);
	} else {
		const char *argv[] = { "GET", key };
		size_t lens[] = { 3, klen };

		reply = watched_read(txn, key, klen, 2, argv, lens);
	}
	if (reply == NULL)
		return MFA_STORE_ERROR;
	if (reply->type == REDIS_REPLY_NIL) {
		freeReplyObject(reply);
		return MFA_STORE_NOTFOUND;
	}
	if (reply->type != REDIS_REPLY_STRING || reply->len > size)
		return mfa_redis_bad_reply(&txn->rs->conn, "GET", reply);
	memcpy(buf, reply->str, reply->len);
	*len_r = reply->len;
	freeReplyObject(reply);
	return MFA_STORE_OK;
}

static enum mfa_store_result redis_put(struct mfa_txn *_txn, enum mfa_table table,
				       const char *a, const char *b,
				       const uint8_t *val, size_t len)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;
	char key[KEY_MAX];
	size_t klen;
	int ret;

	if (make_key(table, a, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	if (table == MFA_TABLE_APP) {
		const char *argv[] = { "HSET", key, b, (const char *)val };
		size_t lens[] = { 4, klen, strlen(b), len };

		ret = add_write(txn, 4, argv, lens);
	} else {
		const char *argv[] = { "SET", key, (const char *)val };
		size_t lens[] = { 3, klen, len };

		ret = add_write(txn, 3, argv, lens);
	}
	return ret < 0 ? MFA_STORE_ERROR : MFA_STORE_OK;
}

static enum mfa_store_result redis_del(struct mfa_txn *_txn, enum mfa_table table,
				       const char *a, const char *b)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;
	char key[KEY_MAX];
	size_t klen;
	redisReply *reply;
	int ret;

	/* Answer NOTFOUND like LMDB: check (and watch) first, delete at
	   commit. */
	if (make_key(table, a, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	if (table == MFA_TABLE_APP) {
		const char *argv[] = { "HEXISTS", key, b };
		size_t lens[] = { 7, klen, strlen(b) };

		reply = watched_read(txn, key, klen, 3, argv, lens);
	} else {
		const char *argv[] = { "EXISTS", key };
		size_t lens[] = { 6, klen };

		reply = watched_read(txn, key, klen, 2, argv, lens);
	}
	if (reply == NULL)
		return MFA_STORE_ERROR;
	if (reply->type != REDIS_REPLY_INTEGER)
		return mfa_redis_bad_reply(&txn->rs->conn, "EXISTS", reply);
	ret = reply->integer > 0;
	freeReplyObject(reply);
	if (!ret)
		return MFA_STORE_NOTFOUND;
	if (table == MFA_TABLE_APP) {
		const char *argv[] = { "HDEL", key, b };
		size_t lens[] = { 4, klen, strlen(b) };

		ret = add_write(txn, 3, argv, lens);
	} else {
		const char *argv[] = { "DEL", key };
		size_t lens[] = { 3, klen };

		ret = add_write(txn, 2, argv, lens);
	}
	return ret < 0 ? MFA_STORE_ERROR : MFA_STORE_OK;
}

static enum mfa_store_result foreach_app(struct redis_txn *txn, const char *user,
					 mfa_raw_iter_fn *fn, void *ctx)
{
	char key[KEY_MAX];
	size_t klen;
	const char *argv[] = { "HGETALL", key };
	size_t lens[] = { 7, 0 };
	redisReply *reply;
	enum mfa_store_result ret = MFA_STORE_OK;

	if (make_key(MFA_TABLE_APP, user, key, sizeof(key), &klen) < 0)
		return MFA_STORE_ERROR;
	lens[1] = klen;
	reply = watched_read(txn, key, klen, 2, argv, lens);
	if (reply == NULL)
		return MFA_STORE_ERROR;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0)
		return mfa_redis_bad_reply(&txn->rs->conn, "HGETALL", reply);
	for (size_t i = 0; i < reply->elements; i += 2) {
		redisReply *f = reply->element[i], *v = reply->element[i + 1];

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			return mfa_redis_bad_reply(&txn->rs->conn, "HGETALL", reply);
		if (fn(f->str, f->len, (const uint8_t *)v->str, v->len, ctx) < 0) {
			ret = MFA_STORE_ERROR;
			break;
		}
	}
	freeReplyObject(reply);
	return ret;
}

/* Every "mfa:u:*" key by SCAN (the CLI's status and rekey), then each read
   like redis_get. */
static enum mfa_store_result foreach_user(struct redis_txn *txn,
					  mfa_raw_iter_fn *fn, void *ctx)
{
	static const char pattern[] = KEY_PREFIX "u:*";
	const size_t plen = sizeof(pattern) - 2;	/* without the '*' */
	char cursor[32] = "0", user[MFA_USER_MAX + 1];
	uint8_t val[1024];
	size_t seen = 0, len;

	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "200" };
		size_t lens[] = { 4, strlen(cursor), 5, sizeof(pattern) - 1, 5, 3 };
		redisReply *reply = mfa_redis_command(&txn->rs->conn, 6, argv, lens);

		if (reply == NULL)
			return MFA_STORE_ERROR;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[0]->len >= sizeof(cursor) ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY)
			return mfa_redis_bad_reply(&txn->rs->conn, "SCAN", reply);
		memcpy(cursor, reply->element[0]->str, reply->element[0]->len);
		cursor[reply->element[0]->len] = '\0';
		for (size_t i = 0; i < reply->element[1]->elements; i++) {
			redisReply *k = reply->element[1]->element[i];
			enum mfa_store_result r;

			if (k->type != REDIS_REPLY_STRING || k->len <= plen ||
			    k->len - plen > MFA_USER_MAX || ++seen > SCAN_KEYS_MAX)
				return mfa_redis_bad_reply(&txn->rs->conn, "SCAN key", reply);
			memcpy(user, k->str + plen, k->len - plen);
			user[k->len - plen] = '\0';
			r = redis_get(&txn->base, MFA_TABLE_USER, user, NULL, val,
				      sizeof(val), &len);
			/* SCAN may return a key twice, or one deleted since. */
			if (r == MFA_STORE_NOTFOUND)
				continue;
			if (r != MFA_STORE_OK ||
			    fn(user, strlen(user), val, len, ctx) < 0) {
				freeReplyObject(reply);
				return MFA_STORE_ERROR;
			}
		}
		freeReplyObject(reply);
	} while (strcmp(cursor, "0") != 0);
	return MFA_STORE_OK;
}

static enum mfa_store_result redis_foreach(struct mfa_txn *_txn,
					   enum mfa_table table, const char *a,
					   mfa_raw_iter_fn *fn, void *ctx)
{
	struct redis_txn *txn = (struct redis_txn *)_txn;

	if (table == MFA_TABLE_APP)
		return foreach_app(txn, a, fn, ctx);
	if (table == MFA_TABLE_USER)
		return foreach_user(txn, fn, ctx);
	return mfa_store_set_error("redis: foreach: bad table");
}

const struct mfa_store_ops mfa_store_redis_ops = {
	.name = "redis",
	.open = redis_open,
	.close = redis_close,
	.check_key = redis_check_key,
	.set_key_id = redis_set_key_id,
	.exists = redis_exists,
	.txn_begin = redis_txn_begin,
	.txn_commit = redis_txn_commit,
	.txn_abort = redis_txn_abort,
	.get = redis_get,
	.put = redis_put,
	.del = redis_del,
	.foreach = redis_foreach,
};
