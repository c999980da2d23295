/*++
 * NAME
 *	store_redis 3
 * SUMMARY
 *	Redis backend of store.h (not built yet)
 * SYNOPSIS
 *	"redis://host:port/db"
 * DESCRIPTION
 *	Placeholder for the shared-state backend (several MX/IMAP hosts).
 *	store_open() on a redis:// URI fails with a clear "not built" error,
 *	so a config that asks for Redis refuses to start instead of silently
 *	using local state.
 *
 *	Plan (keeps store.h's contract): hiredis with connect and command
 *	timeouts well below the milter/policy timeouts; GET/SET EX/INCRBY
 *	(+EXPIRE NX on first increment, in a MULTI or a Lua script so it is
 *	atomic)/DEL; store_expire() returns 0 (Redis expires itself); one
 *	connection per thread or a small locked pool; any I/O error or
 *	timeout is STORE_ERROR, never NOTFOUND.
 * DIAGNOSTICS
 *	Always NULL from open, with store_error() set.
 *--*/
#include "store_int.h"

static struct store *redis_open(const char *uri, const char *rest)
{
	(void)rest;
	store_set_error("%s: the redis store is not built in this version "
			"(expected lmdb:/path)", uri);
	return (struct store *)0;
}

const struct store_ops store_redis_ops = {
	.scheme = "redis",
	.open = redis_open,
};
