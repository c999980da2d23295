/*++
 * NAME
 *	store 3
 * SUMMARY
 *	key-value state store front end: URI dispatch, checks, errors
 * SYNOPSIS
 *	#include <messec/store.h>
 * DESCRIPTION
 *	store_open() picks a backend by the URI scheme ("lmdb:", "redis:")
 *	from a small table of struct store_ops; every other call checks the
 *	arguments common to all backends and forwards. A URI with an unknown
 *	scheme fails to open: a typo must not silently fall back to another
 *	store.
 *
 *	Counters (store_incr) are stored as decimal text, as Redis INCR
 *	does, so a value reads the same through store_get() on either
 *	backend.
 * TRUST BOUNDARY
 *	Keys are built by the daemons from peer data (sender, client IP,
 *	user name); only their length is checked here.
 * DIAGNOSTICS
 *	STORE_ERROR with store_error() text (thread-local).
 *--*/
#include "store_int.h"

#include <messec/str.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static __thread char store_errbuf[512];
static time_t (*_Atomic store_clock)(void);

static const struct store_ops *const backends[] = {
	&store_lmdb_ops,
	&store_redis_ops,
};

enum store_result store_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store_errbuf, sizeof(store_errbuf), fmt, ap);
	va_end(ap);
	return STORE_ERROR;
}

const char *store_error(void)
{
	return store_errbuf;
}

void store_set_clock(time_t (*now_fn)(void))
{
	atomic_store(&store_clock, now_fn);
}

time_t store_now(void)
{
	time_t (*fn)(void) = atomic_load(&store_clock);

	return fn != NULL ? fn() : time(NULL);
}

int store_parse_int(const void *data, size_t len, int64_t *value_r)
{
	char buf[32];
	uint64_t v;
	int neg;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, data, len);
	buf[len] = '\0';
	neg = buf[0] == '-';
	if (str_parse_uint(buf + neg, 0, neg ? (uint64_t)INT64_MAX + 1 :
			   (uint64_t)INT64_MAX, &v) < 0)
		return -1;
	*value_r = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

struct store *store_open(const char *uri, const char **error_r)
{
	size_t i, n;
	struct store *store;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		n = strlen(backends[i]->scheme);
		if (strncmp(uri, backends[i]->scheme, n) != 0 || uri[n] != ':')
			continue;
		store = backends[i]->open(uri, uri + n + 1);
		if (store == NULL)
			*error_r = store_errbuf;
		return store;
	}
	store_set_error("%s: unknown store (expected lmdb:/path or redis://host:port/db)", uri);
	*error_r = store_errbuf;
	return NULL;
}

void store_close(struct store **store)
{
	if (*store == NULL)
		return;
	(*store)->ops->close(*store);
	*store = NULL;
}

static enum store_result check_key(size_t klen)
{
	if (klen == 0 || klen > STORE_KEY_MAX)
		return store_set_error("key length %zu (expected 1..%d bytes)",
				       klen, STORE_KEY_MAX);
	return STORE_OK;
}

enum store_result store_get(struct store *store, const void *key, size_t klen,
			    void **value_r, size_t *len_r)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->get(store, key, klen, value_r, len_r);
}

enum store_result store_put(struct store *store, const void *key, size_t klen,
			    const void *value, size_t vlen, uint32_t ttl)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	if (vlen > STORE_VALUE_MAX)
		return store_set_error("value length %zu (expected at most %d bytes)",
				       vlen, STORE_VALUE_MAX);
	return store->ops->put(store, key, klen, value, vlen, ttl);
}

enum store_result store_incr(struct store *store, const void *key, size_t klen,
			     int64_t delta, uint32_t ttl, int64_t *value_r)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->incr(store, key, klen, delta, ttl, value_r);
}

enum store_result store_del(struct store *store, const void *key, size_t klen)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->del(store, key, klen);
}

long store_expire(struct store *store)
{
	return store->ops->expire(store);
}
