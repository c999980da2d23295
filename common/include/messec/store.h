/*++
 * NAME
 *	store 3h
 * SUMMARY
 *	key-value state store of every layer: LMDB (embedded) or Redis
 * DESCRIPTION
 *	One interface for the small shared state of every layer (greylist
 *	triplets, rate-limit counters, TOTP replay counters, lockouts), on
 *	an LMDB file (one host) or a Redis server (several hosts).
 *
 *	Address grammar (strict: an unknown option, a repeated option, an
 *	empty value or trailing text is an error naming the address):
 *	  lmdb:/abs/path[?map_size=SIZE][&sync=always|data|periodic]
 *	       [&records=expiry|plain][&create=yes|no][&writemap=yes|no]
 *	    a file created 0600 with "<path>-lock" beside it (create=no: a
 *	    missing file is an error, nothing is created); map_size
 *	    (default 64M, at least 1M; k/M/G suffixes) caps its growth;
 *	    sync: "always" (two synced writes per commit), "data" (default:
 *	    one fdatasync per commit; a system crash may lose the last
 *	    commit, never the file), "periodic" (commits reach the page
 *	    cache; store_sync() writes them to disk, at most every
 *	    STORE_SYNC_INTERVAL_MS after a commit, or at once with force).
 *	    records: "expiry" (default) prefixes each value on disk with its
 *	    8-byte expiry; "plain" stores values as they are, for files
 *	    written before this store (the MFA plugin's): no TTL there (a
 *	    ttl other than 0 is STORE_ERROR) and store_expire() returns 0.
 *	    writemap=yes: LMDB's MDB_WRITEMAP, commits without a pwrite()
 *	    per dirty page (store_lmdb.c says what it gives up); every
 *	    process opening the file must use the same setting.
 *	  redis://host[:port][/db][?timeout_ms=N][&auth_file=/abs/path]
 *	    TCP; port 6379, db 0..15 (default 0), host a name, an IPv4
 *	    address or "[v6]".
 *	  redis:///path/to/socket[?db=N][&timeout_ms=N][&auth_file=/abs/path]
 *	    unix socket.
 *	  timeout_ms: 1..60000 (default 1000), on connect and every command.
 *	  auth_file: Redis AUTH credentials (never in the address, the
 *	  command line or the config text): a regular file owned by root or
 *	  the daemon's user, with no permission for group or others (else
 *	  the open fails), holding "password = SECRET" and optionally
 *	  "user = NAME" (Redis 6 ACL; without it the "default" user of
 *	  requirepass); '#' comments; at most 4 KiB.
 *
 *	Every call answers STORE_OK, STORE_NOTFOUND or STORE_ERROR (an error
 *	is never "not found": Postfix's three-way lookup result), and the
 *	calls below that say so also STORE_EXISTS or STORE_CONFLICT; the
 *	caller turns STORE_ERROR into its configured failure action
 *	(tempfail), with store_error() for the log.
 *
 *	TTLs are in seconds, 0 = no expiry; an expired key reads as
 *	NOTFOUND everywhere (get, exists, del, put_new, foreach); LMDB
 *	checks on read and store_expire() purges, Redis expires keys itself
 *	(store_expire() returns 0). Counters are decimal text, so
 *	store_get() of a store_incr() key reads e.g. "42". Keys and values
 *	are bytes, keys 1..511 bytes, values at most 64 KiB.
 *
 *	Transactions: store_txn_begin() .. store_txn_get/put/del/foreach ..
 *	store_txn_commit() or store_txn_abort(). On LMDB a transaction is a
 *	write transaction (one writer at a time across threads and
 *	processes; commit answers OK or ERROR). On Redis it holds one
 *	connection: every key read (get, del, foreach) is WATCHed before it
 *	is read, writes are buffered and sent as MULTI .. EXEC at commit;
 *	when a watched key changed meanwhile (another host or process wrote
 *	it), nothing is written and commit answers STORE_CONFLICT. So on
 *	both backends a committed transaction saw exactly the values it
 *	read. store_txn_run() reruns a caller's function on CONFLICT, at
 *	most STORE_TXN_ATTEMPTS times: use it for every read-modify-write.
 *
 *	Read-your-writes rule (both backends): inside a transaction,
 *	store_txn_get() and store_txn_del() see the transaction's own
 *	earlier store_txn_put() and store_txn_del() of the same key (Redis
 *	answers them from the buffered writes). store_txn_foreach() walks
 *	the data as committed before the transaction: call it before the
 *	transaction's first write; after a write it is STORE_ERROR. Nothing
 *	written in a transaction is visible to anyone else before commit.
 *
 *	Threads: a store handle may be shared by threads; a transaction
 *	belongs to the thread that began it. On LMDB a thread that holds a
 *	transaction must not begin another one nor call a single-key write
 *	(put, put_new, incr, del, expire): it would wait for itself; reads
 *	are fine. Close a handle only when none of its transactions is
 *	open. After
 *	fork(), the child opens its own handle (the parent's is not used).
 *--*/
#ifndef MESSEC_STORE_H
#define MESSEC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum store_result {
	STORE_ERROR = -1,
	STORE_NOTFOUND = 0,
	STORE_OK = 1,
	STORE_EXISTS = 2,	/* store_put_new(): a live value was there */
	STORE_CONFLICT = 3,	/* store_txn_commit(): retry the transaction */
};

#define STORE_KEY_MAX 511
#define STORE_VALUE_MAX 65536
#define STORE_TXN_ATTEMPTS 16
#define STORE_SYNC_INTERVAL_MS 1000

struct store;
struct store_txn;

/* NULL with *error_r (thread-local text) when the address is bad or the
   store cannot be opened. */
struct store *store_open(const char *uri, const char **error_r);
void store_close(struct store **store);
/* Parse an address as store_open() would, without opening anything (a
   Redis auth_file is read and checked): for config checks at startup.
   0, or -1 with *error_r (thread-local text). */
int store_check_address(const char *uri, const char **error_r);

/* *value_r is malloc'ed (NUL-terminated after *len_r bytes); caller frees.
   len_r may be NULL. */
enum store_result store_get(struct store *store, const void *key, size_t klen,
			    void **value_r, size_t *len_r);
/* OK when a live value exists, else NOTFOUND. */
enum store_result store_exists(struct store *store, const void *key, size_t klen);
enum store_result store_put(struct store *store, const void *key, size_t klen,
			    const void *value, size_t vlen, uint32_t ttl);
/* Put-if-absent: OK (written) or EXISTS (a live value was there, left
   unchanged); atomic on both backends. */
enum store_result store_put_new(struct store *store, const void *key, size_t klen,
				const void *value, size_t vlen, uint32_t ttl);
/* The same, and on EXISTS the live value in *old_r (malloc'ed, NUL-
   terminated after *old_len_r bytes; old_len_r may be NULL): one call,
   one round trip, for "write if new, else read it". */
enum store_result store_put_new_get(struct store *store, const void *key, size_t klen,
				    const void *value, size_t vlen, uint32_t ttl,
				    void **old_r, size_t *old_len_r);
/* Atomic add: a missing/expired key starts at 0 and gets ttl; an existing
   key keeps its expiry. New value in *value_r (may be NULL). */
enum store_result store_incr(struct store *store, const void *key, size_t klen,
			     int64_t delta, uint32_t ttl, int64_t *value_r);
/* Delete; NOTFOUND when absent. */
enum store_result store_del(struct store *store, const void *key, size_t klen);

/*
 * Walk the live keys that start with prefix (plen 0: every key), calling
 * fn with each key and value (valid during the call only). fn returns 0
 * to go on, 1 to stop (the walk answers OK), -1 to fail (STORE_ERROR; fn
 * sets the reason with store_set_error_text() if it wants one). LMDB
 * walks in key order, one consistent snapshot. Redis walks with SCAN
 * (any order): keys written during the walk may or may not be seen, and
 * a key may be seen twice; keys that are not strings (e.g. hashes) are
 * skipped. Outside a transaction nothing is locked.
 */
typedef int store_foreach_fn(const void *key, size_t klen, const void *value,
			     size_t vlen, void *ctx);
enum store_result store_foreach(struct store *store, const void *prefix,
				size_t plen, store_foreach_fn *fn, void *ctx);

/* Remove expired entries; returns how many, or -1. */
long store_expire(struct store *store);
/* sync=periodic: write pending commits to disk when force is set or
   STORE_SYNC_INTERVAL_MS passed since the last sync. Else a no-op. */
enum store_result store_sync(struct store *store, int force);

/*
 * Batches (group commit): between store_batch_begin() and
 * store_batch_end() the calling thread's single-key calls on this store
 * (get, exists, put, put_new, incr, del) run in ONE write transaction:
 * each sees the batch's earlier writes, nothing is visible to others
 * nor durable before the end, and the end commits once (one fdatasync
 * with sync=data instead of one per write). Only on LMDB: on other
 * backends begin answers STORE_NOTFOUND and calls go one by one as
 * usual. begin: OK, NOTFOUND, or ERROR (e.g. a batch already open in
 * this thread). end with commit 1: OK (all written) or ERROR (nothing
 * written: a call in the batch failed, or the commit did; run the work
 * again call by call to get per-call results); commit 0 discards. While
 * a batch is open the thread holds LMDB's writer lock: keep it short (no
 * network waits), and no store_txn_begin(), foreach or expire from it.
 */
enum store_result store_batch_begin(struct store *store);
enum store_result store_batch_end(struct store *store, int commit);
/* 1 when this backend batches (LMDB), 0 when begin answers NOTFOUND. */
int store_batches(const struct store *store);

/* Transactions (see DESCRIPTION). begin: NULL with store_error(). */
struct store_txn *store_txn_begin(struct store *store);
/* value_r NULL: existence only. */
enum store_result store_txn_get(struct store_txn *txn, const void *key, size_t klen,
				void **value_r, size_t *len_r);
enum store_result store_txn_put(struct store_txn *txn, const void *key, size_t klen,
				const void *value, size_t vlen, uint32_t ttl);
/* OK, or NOTFOUND when there was nothing live to delete. */
enum store_result store_txn_del(struct store_txn *txn, const void *key, size_t klen);
enum store_result store_txn_foreach(struct store_txn *txn, const void *prefix,
				    size_t plen, store_foreach_fn *fn, void *ctx);
/* OK, CONFLICT (nothing written) or ERROR; frees *txn and sets it NULL. */
enum store_result store_txn_commit(struct store_txn **txn);
/* Discard the writes; frees *txn and sets it NULL (NULL *txn: no-op). */
void store_txn_abort(struct store_txn **txn);

/*
 * Hash fields: a small map of fields under one key (the MFA plugin's app
 * passwords, one map per user). Transactions only; the read-your-writes
 * rule applies per (key, field), and store_txn_hforeach(), like
 * store_txn_foreach(), must come before the transaction's first write.
 * Redis: a hash (HGET, HSET, HDEL, HGETALL), the key WATCHed before it
 * is read. LMDB: one record per field whose key is key followed by
 * field, so store_foreach() of the prefix key also sees the fields.
 * A key holds either a value or fields, never both. Fields have no TTL.
 * klen + flen at most STORE_KEY_MAX, flen at least 1.
 */
enum store_result store_txn_hget(struct store_txn *txn, const void *key, size_t klen,
				 const void *field, size_t flen,
				 void **value_r, size_t *len_r);
enum store_result store_txn_hput(struct store_txn *txn, const void *key, size_t klen,
				 const void *field, size_t flen,
				 const void *value, size_t vlen);
/* OK, or NOTFOUND when the field was not there. */
enum store_result store_txn_hdel(struct store_txn *txn, const void *key, size_t klen,
				 const void *field, size_t flen);
/* fn gets each field (as its key argument) and value, in any order. */
enum store_result store_txn_hforeach(struct store_txn *txn, const void *key,
				     size_t klen, store_foreach_fn *fn, void *ctx);

/*
 * A handle kept open for long (a plugin's store between logins) checks
 * before each use that it still is the store its address names.
 * store_stale(): 1 when the LMDB file or its lock file at the path is
 * not the one opened any more (removed, replaced, renamed over) or is no
 * longer readable and writable by this process, so the caller closes
 * and opens again (and meets the error a fresh open would); 0 otherwise,
 * and always 0 on Redis.
 */
int store_stale(struct store *store);
/* sync=periodic: 1 when commits wait for store_sync(); else 0. */
int store_sync_pending(struct store *store);
/* sync=periodic: from now on commits on this store's file (in this
   process) never flush in the committing thread, so no commit waits for
   an fdatasync or msync; the caller promises a thread of its own that
   calls store_sync(store, 0) at least every STORE_SYNC_INTERVAL_MS.
   A no-op for other modes and backends. */
void store_sync_deferred(struct store *store);

/*
 * Run fn in a fresh transaction and commit when it returns STORE_OK;
 * rerun on CONFLICT, from the commit or from fn itself (fn must only
 * compute from what it reads in txn),
 * at most STORE_TXN_ATTEMPTS times, then answer CONFLICT. Any other
 * answer of fn aborts and is returned as is (fn may return NOTFOUND or
 * EXISTS to mean "nothing to write").
 */
typedef enum store_result store_txn_fn(struct store_txn *txn, void *ctx);
enum store_result store_txn_run(struct store *store, store_txn_fn *fn, void *ctx);

/* Last error text for this thread (for logs; never holds a password). */
const char *store_error(void);
/* For a store_foreach_fn or store_txn_fn: set store_error()'s text. */
void store_set_error_text(const char *text);

/* Test hook: override the clock (NULL = real time); LMDB only. */
void store_set_clock(time_t (*now_fn)(void));

#endif
