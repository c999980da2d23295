/*++
 * NAME
 *	store 3h
 * SUMMARY
 *	key-value state store: LMDB by default, Redis later
 * DESCRIPTION
 *	One interface for the small shared state of every layer (greylist
 *	triplets, rate-limit counters, TOTP replay counters, lockouts).
 *	URI forms: "lmdb:/var/lib/messec/x.lmdb" (a file, created 0600; the
 *	lock file beside it; "?map_size=256M" to grow it past 64 MiB),
 *	"redis://host[:port][/db][?timeout_ms=N]" and
 *	"redis:///run/redis/redis.sock[?db=N&timeout_ms=N]" (hiredis, 1 s
 *	default timeout, no AUTH yet). Any other scheme fails to open.
 *
 *	Every call answers STORE_OK, STORE_NOTFOUND or STORE_ERROR: an error is
 *	never "not found" (Postfix's three-way lookup result); the caller turns
 *	STORE_ERROR into its configured failure action (tempfail).
 *
 *	TTLs are in seconds, 0 = no expiry; an expired key reads as NOTFOUND
 *	(expiry is checked on read; store_expire() purges; Redis expires by
 *	itself and store_expire() returns 0 there). Counters are decimal
 *	text, so store_get() of a store_incr() key reads e.g. "42". Keys and values are
 *	bytes, keys at most 511 bytes, values at most 64 KiB.
 *	A store handle may be shared by threads (LMDB env per process; each
 *	call opens its own transaction). After fork(), reopen.
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
};

#define STORE_KEY_MAX 511
#define STORE_VALUE_MAX 65536

struct store;

struct store *store_open(const char *uri, const char **error_r);
void store_close(struct store **store);

/* *value_r is malloc'ed (NUL-terminated after *len_r bytes); caller frees. */
enum store_result store_get(struct store *store, const void *key, size_t klen,
			    void **value_r, size_t *len_r);
enum store_result store_put(struct store *store, const void *key, size_t klen,
			    const void *value, size_t vlen, uint32_t ttl);
/* Atomic add: a missing/expired key starts at 0 and gets ttl; an existing
   key keeps its expiry. New value in *value_r. */
enum store_result store_incr(struct store *store, const void *key, size_t klen,
			     int64_t delta, uint32_t ttl, int64_t *value_r);
/* Delete; NOTFOUND when absent. */
enum store_result store_del(struct store *store, const void *key, size_t klen);
/* Remove expired entries; returns how many, or -1. */
long store_expire(struct store *store);
/* Last error text for this thread (for logs). */
const char *store_error(void);

/* Test hook: override the clock (NULL = real time); LMDB only. */
void store_set_clock(time_t (*now_fn)(void));

#endif
