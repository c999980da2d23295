/*++
 * NAME
 *	store_int 3h
 * SUMMARY
 *	private: the store backend interface (store.c dispatches to it)
 * DESCRIPTION
 *	A backend fills a struct store_ops; store.c checks the arguments
 *	common to all backends (key/value sizes, foreach after a write)
 *	before calling it, so a backend sees only valid sizes. Backends
 *	report failures through store_set_error() and STORE_ERROR.
 *	get/txn_get with value_r NULL only test for a live value.
 *	store_parse_query() is the one option parser of the address grammar.
 *--*/
#ifndef MESSEC_STORE_INT_H
#define MESSEC_STORE_INT_H

#include <messec/store.h>

struct store_ops {
	const char *scheme;	/* "lmdb", "redis" */
	/* rest: the URI after "scheme:" */
	struct store *(*open)(const char *uri, const char *rest);
	/* Parse only (store_check_address); 0, or -1 with the error set. */
	int (*check)(const char *uri, const char *rest);
	void (*close)(struct store *store);
	enum store_result (*get)(struct store *store, const void *key, size_t klen,
				 void **value_r, size_t *len_r);
	enum store_result (*put)(struct store *store, const void *key, size_t klen,
				 const void *value, size_t vlen, uint32_t ttl);
	/* old_r NULL: the value that was there is not wanted. */
	enum store_result (*put_new)(struct store *store, const void *key, size_t klen,
				     const void *value, size_t vlen, uint32_t ttl,
				     void **old_r, size_t *old_len_r);
	enum store_result (*incr)(struct store *store, const void *key, size_t klen,
				  int64_t delta, uint32_t ttl, int64_t *value_r);
	enum store_result (*del)(struct store *store, const void *key, size_t klen);
	enum store_result (*foreach)(struct store *store, const void *prefix,
				     size_t plen, store_foreach_fn *fn, void *ctx);
	long (*expire)(struct store *store);
	enum store_result (*sync)(struct store *store, int force);

	struct store_txn *(*txn_begin)(struct store *store);
	enum store_result (*txn_get)(struct store_txn *txn, const void *key,
				     size_t klen, void **value_r, size_t *len_r);
	enum store_result (*txn_put)(struct store_txn *txn, const void *key,
				     size_t klen, const void *value, size_t vlen,
				     uint32_t ttl);
	enum store_result (*txn_del)(struct store_txn *txn, const void *key,
				     size_t klen);
	enum store_result (*txn_foreach)(struct store_txn *txn, const void *prefix,
					 size_t plen, store_foreach_fn *fn, void *ctx);
	/* Hash fields (store.h); store.c checks the sizes. */
	enum store_result (*txn_hget)(struct store_txn *txn, const void *key,
				      size_t klen, const void *field, size_t flen,
				      void **value_r, size_t *len_r);
	enum store_result (*txn_hput)(struct store_txn *txn, const void *key,
				      size_t klen, const void *field, size_t flen,
				      const void *value, size_t vlen);
	enum store_result (*txn_hdel)(struct store_txn *txn, const void *key,
				      size_t klen, const void *field, size_t flen);
	enum store_result (*txn_hforeach)(struct store_txn *txn, const void *key,
					  size_t klen, store_foreach_fn *fn, void *ctx);
	int (*stale)(struct store *store);
	int (*sync_pending)(struct store *store);
	void (*sync_deferred)(struct store *store);	/* NULL: nothing to defer */
	/* Both free the transaction. */
	enum store_result (*txn_commit)(struct store_txn *txn);
	void (*txn_abort)(struct store_txn *txn);
	/* NULL: the backend does not batch (store_batch_begin: NOTFOUND). */
	enum store_result (*batch_begin)(struct store *store);
	enum store_result (*batch_end)(struct store *store, int commit);
};

/* Every backend's handle starts with this. */
struct store {
	const struct store_ops *ops;
};

/* Every backend's transaction starts with this. */
struct store_txn {
	struct store *store;
	int wrote;		/* a put or del happened (store.c) */
};

extern const struct store_ops store_lmdb_ops;
extern const struct store_ops store_redis_ops;

/* Set this thread's error text; returns STORE_ERROR. */
enum store_result store_set_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Current time, through the test clock when set. */
time_t store_now(void);
/* Decimal integer text (what store_incr stores) to int64; 0 ok, -1 not one. */
int store_parse_int(const void *data, size_t len, int64_t *value_r);

/*
 * Split the query of an address ("a=1&b=2", the text after '?'; NULL or
 * "" = none) by the NULL-terminated names[]: values[i] gets a malloc'ed
 * copy of names[i]'s value, or stays NULL when absent. An unknown name,
 * a name given twice, an empty value or a part without '=' fails: -1
 * with the error set (naming uri), every values[i] freed and NULL.
 */
int store_parse_query(const char *uri, const char *query,
		      const char *const names[], char *values[]);
void store_free_values(const char *const names[], char *values[]);

#endif
