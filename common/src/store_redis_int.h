/*++
 * NAME
 *	store_redis_int 3h
 * SUMMARY
 *	private: what the three files of the Redis backend share
 * DESCRIPTION
 *	store_redis_addr.c parses the address and reads the auth_file;
 *	store_redis.c owns the connections, the single-key calls and the
 *	prefix walk; store_redis_txn.c the transactions (WATCH, buffered
 *	writes, MULTI/EXEC). See store_redis.c for the whole design.
 *--*/
#ifndef MESSEC_STORE_REDIS_INT_H
#define MESSEC_STORE_REDIS_INT_H

#include "store_int.h"

#include <pthread.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#define REDIS_POOL_MAX 16

struct store_redis {
	struct store base;
	char *uri;
	char host[256];
	char path[108];		/* unix socket, or "" */
	int port;
	unsigned db;
	struct timeval timeout;
	char *user, *password;	/* AUTH, or NULL */
	pthread_mutex_t lock;
	redisContext *pool[REDIS_POOL_MAX];
	size_t npool;
};

/* store_redis_addr.c: fill r from the address (after "redis:"),
   reading auth_file; 0, or -1 with the error set. */
int store_redis_parse(struct store_redis *r, const char *uri, const char *rest);
/* Wipe and free r's credentials. */
void store_redis_free_auth(struct store_redis *r);

/* store_redis.c: a pooled (or new) connection; NULL with the error set. */
redisContext *store_redis_borrow(struct store_redis *r);
/* Back to the pool, or closed when it saw an error. */
void store_redis_give_back(struct store_redis *r, redisContext *c);
/* n commands in one round trip, replies (error replies included) into
   replies[]; 0, or -1 on I/O error (error set, c marked broken). */
int store_redis_exchange(struct store_redis *r, redisContext *c, size_t n,
			 const int *argcs, const char **const *argvs,
			 const size_t *const *lens, redisReply **replies);
/* One command; its reply (error replies included) or NULL. */
redisReply *store_redis_raw_command(struct store_redis *r, redisContext *c, int argc,
				    const char **argv, const size_t *lens);
/* Set "redis: what: ..." for rep (freed); STORE_ERROR. */
enum store_result store_redis_unexpected(struct store_redis *r, const char *what,
					 redisReply *rep);
/* A string or nil reply into value_r: OK/NOTFOUND/ERROR; frees rep. */
enum store_result store_redis_take_value(struct store_redis *r, redisReply *rep,
					 void **value_r, size_t *len_r);
/* SCAN the keys under prefix on c (WATCHing each batch when watch). */
enum store_result store_redis_walk(struct store_redis *r, redisContext *c,
				   const void *prefix, size_t plen, int watch,
				   store_foreach_fn *fn, void *ctx);

/* store_redis_txn.c */
struct store_txn *store_redis_txn_begin(struct store *store);
enum store_result store_redis_txn_get(struct store_txn *txn, const void *key,
				      size_t klen, void **value_r, size_t *len_r);
enum store_result store_redis_txn_put(struct store_txn *txn, const void *key,
				      size_t klen, const void *value, size_t vlen,
				      uint32_t ttl);
enum store_result store_redis_txn_del(struct store_txn *txn, const void *key,
				      size_t klen);
enum store_result store_redis_txn_foreach(struct store_txn *txn, const void *prefix,
					  size_t plen, store_foreach_fn *fn, void *ctx);
enum store_result store_redis_txn_hget(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen,
				       void **value_r, size_t *len_r);
enum store_result store_redis_txn_hput(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen,
				       const void *value, size_t vlen);
enum store_result store_redis_txn_hdel(struct store_txn *txn, const void *key,
				       size_t klen, const void *field, size_t flen);
enum store_result store_redis_txn_hforeach(struct store_txn *txn, const void *key,
					   size_t klen, store_foreach_fn *fn, void *ctx);
enum store_result store_redis_txn_commit(struct store_txn *txn);
void store_redis_txn_abort(struct store_txn *txn);

#endif
