/*++
 * NAME
 *	store_int 3h
 * SUMMARY
 *	private: the store backend interface (store.c dispatches to it)
 * DESCRIPTION
 *	A backend fills a struct store_ops; store.c checks the arguments
 *	common to all backends (key/value sizes) before calling it, so a
 *	backend sees only valid sizes. Backends report failures through
 *	store_set_error() and STORE_ERROR.
 *--*/
#ifndef MESSEC_STORE_INT_H
#define MESSEC_STORE_INT_H

#include <messec/store.h>

struct store_ops {
	const char *scheme;	/* "lmdb", "redis" */
	/* rest: the URI after "scheme:" */
	struct store *(*open)(const char *uri, const char *rest);
	void (*close)(struct store *store);
	enum store_result (*get)(struct store *store, const void *key, size_t klen,
				 void **value_r, size_t *len_r);
	enum store_result (*put)(struct store *store, const void *key, size_t klen,
				 const void *value, size_t vlen, uint32_t ttl);
	enum store_result (*incr)(struct store *store, const void *key, size_t klen,
				  int64_t delta, uint32_t ttl, int64_t *value_r);
	enum store_result (*del)(struct store *store, const void *key, size_t klen);
	long (*expire)(struct store *store);
};

/* Every backend's handle starts with this. */
struct store {
	const struct store_ops *ops;
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

#endif
