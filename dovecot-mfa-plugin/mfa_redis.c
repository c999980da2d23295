/*++
/* NAME
/*	mfa_redis 3
/* SUMMARY
/*	Redis connection of the MFA store: spec, timeouts, round trips
/* DESCRIPTION
/*	See mfa_redis.h; used by mfa_store_redis.c (the records and the
/*	transactions). hiredis in blocking mode with a timeout on connect
/*	and on every send/receive (SO_SNDTIMEO/SO_RCVTIMEO); any I/O error
/*	or timeout drops the connection, so the next call reconnects.
/*
/*	One idle connection per thread is cached between logins (the auth
/*	process has one thread); it is not used in a child after fork().
/* TRUST BOUNDARY
/*	The spec is the administrator's; Redis replies are checked by the
/*	callers for type and length.
/*--*/
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_redis.h"

/* The calling thread's idle connection (see DESCRIPTION). */
static __thread struct {
	char spec[MFA_PATH_MAX];
	redisContext *c;
	pid_t pid;
} cached;

void mfa_store_release_cached(void)
{
	if (cached.c != NULL && cached.pid == getpid())
		redisFree(cached.c);
	cached.c = NULL;
}

/* --- spec parsing */

static int parse_uint(const char *s, size_t len, unsigned int max,
		      unsigned int *value_r)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*value_r = (unsigned int)v;
	return 0;
}

/* "[v6]:port", "host:port", "host" into addr. */
static int parse_authority(const char *p, size_t len, struct mfa_redis_addr *addr)
{
	const char *host = p, *port = NULL;
	size_t hlen = len;

	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);

		if (close == NULL)
			return -1;
		host = p + 1;
		hlen = (size_t)(close - p - 1);
		if ((size_t)(close - p) + 1 < len) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(p, ':', len);

		if (colon != NULL) {
			hlen = (size_t)(colon - p);
			port = colon + 1;
		}
	}
	if (hlen == 0 || hlen >= sizeof(addr->host) || memchr(host, '@', hlen) != NULL)
		return -1;
	memcpy(addr->host, host, hlen);
	addr->host[hlen] = '\0';
	if (port != NULL &&
	    (parse_uint(port, (size_t)(p + len - port), 65535, &addr->port) < 0 ||
	     addr->port == 0))
		return -1;
	return 0;
}

int mfa_redis_parse(const char *spec, struct mfa_redis_addr *addr_r,
		    const char **error_r)
{
	const char *rest, *slash, *query;
	size_t len;

	memset(addr_r, 0, sizeof(*addr_r));
	addr_r->port = 6379;
	if (strncmp(spec, "redis://", 8) != 0)
		goto bad;
	rest = spec + 8;
	query = strchr(rest, '?');
	len = query != NULL ? (size_t)(query - rest) : strlen(rest);
	if (rest[0] == '/') {
		/* redis:///path.sock[?db=N] */
		if (len >= sizeof(addr_r->path) || len < 2)
			goto bad;
		memcpy(addr_r->path, rest, len);
		addr_r->path[len] = '\0';
		if (query != NULL &&
		    (strncmp(query, "?db=", 4) != 0 ||
		     parse_uint(query + 4, strlen(query + 4), 15, &addr_r->db) < 0))
			goto bad;
		return 0;
	}
	if (query != NULL)
		goto bad;
	slash = memchr(rest, '/', len);
	if (parse_authority(rest, slash != NULL ? (size_t)(slash - rest) : len,
			    addr_r) < 0)
		goto bad;
	if (slash != NULL &&
	    parse_uint(slash + 1, strlen(slash + 1), 15, &addr_r->db) < 0)
		goto bad;
	return 0;
bad:
	*error_r = "bad redis store (expected redis://host[:port][/db] or "
		   "redis:///path/to/redis.sock[?db=N], db 0..15, no password)";
	return -1;
}

/* --- connection and round trips */

void mfa_redis_drop(struct mfa_redis_conn *rs)
{
	if (rs->c != NULL)
		redisFree(rs->c);
	rs->c = NULL;
}

static int fail_io(struct mfa_redis_conn *rs, const char *what)
{
	(void)mfa_store_set_error("redis %s: %s: %s", rs->spec, what,
				  rs->c != NULL && rs->c->errstr[0] != '\0' ?
				  rs->c->errstr : "no reply");
	mfa_redis_drop(rs);
	return -1;
}

/*
 * hiredis writes with write(2): a server that went away raises SIGPIPE,
 * whose default action kills the process (Dovecot ignores it; the CLI and
 * the tests might not). Block it around the exchange and swallow one
 * raised meanwhile; the error itself arrives as EPIPE.
 */
static void sigpipe_block(sigset_t *old_r, int *was_pending_r)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	*was_pending_r = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old_r);
}

static void sigpipe_restore(const sigset_t *old, int was_pending)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/*
 * Send n formatted commands in one write, read n replies (pipelining: one
 * round trip). 0 with replies_r filled (caller frees), or -1 with the
 * connection dropped. Error replies are returned as replies.
 */
int mfa_redis_exchange(struct mfa_redis_conn *rs, size_t n, char *const *cmds,
		    const size_t *lens, redisReply **replies_r)
{
	sigset_t old;
	int was_pending, ret = 0;
	size_t got = 0;

	if (rs->c == NULL) {
		(void)mfa_store_set_error("redis %s: not connected", rs->spec);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (redisAppendFormattedCommand(rs->c, cmds[i], lens[i]) != REDIS_OK)
			return fail_io(rs, "append");
	}
	sigpipe_block(&old, &was_pending);
	for (; got < n; got++) {
		void *reply;

		if (redisGetReply(rs->c, &reply) != REDIS_OK || reply == NULL) {
			ret = -1;
			break;
		}
		replies_r[got] = reply;
	}
	sigpipe_restore(&old, was_pending);
	if (ret < 0) {
		while (got > 0)
			freeReplyObject(replies_r[--got]);
		return fail_io(rs, "timeout or I/O error");
	}
	return 0;
}

char *mfa_redis_format(int argc, const char **argv, const size_t *lens,
		    size_t *len_r)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);

	if (len < 0 || cmd == NULL) {
		(void)mfa_store_set_error("redis: out of memory");
		return NULL;
	}
	*len_r = (size_t)len;
	return cmd;
}

/* One command, one reply (NULL on I/O error: connection dropped). */
redisReply *mfa_redis_command(struct mfa_redis_conn *rs, int argc, const char **argv,
			   const size_t *lens)
{
	redisReply *reply;
	size_t len;
	char *cmd = mfa_redis_format(argc, argv, lens, &len);
	int ret;

	if (cmd == NULL)
		return NULL;
	ret = mfa_redis_exchange(rs, 1, &cmd, &len, &reply);
	redisFreeCommand(cmd);
	return ret < 0 ? NULL : reply;
}

/* An unexpected reply: error text, connection dropped (state unknown). */
enum mfa_store_result mfa_redis_bad_reply(struct mfa_redis_conn *rs, const char *what,
				       redisReply *reply)
{
	/* No reply: mfa_redis_exchange() has set the I/O error already. */
	if (reply == NULL && rs->c == NULL)
		return MFA_STORE_ERROR;
	(void)mfa_store_set_error("redis %s: %s: %s", rs->spec, what,
				  reply != NULL && reply->type == REDIS_REPLY_ERROR ?
				  reply->str : "unexpected reply");
	if (reply != NULL)
		freeReplyObject(reply);
	mfa_redis_drop(rs);
	return MFA_STORE_ERROR;
}

static redisContext *connect_redis(struct mfa_redis_conn *rs)
{
	redisContext *c;

	c = rs->addr.path[0] != '\0' ?
		redisConnectUnixWithTimeout(rs->addr.path, rs->tv) :
		redisConnectWithTimeout(rs->addr.host, (int)rs->addr.port, rs->tv);
	if (c == NULL || c->err != 0) {
		(void)mfa_store_set_error("redis %s: connect: %s", rs->spec,
					  c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, rs->tv) != REDIS_OK) {
		(void)mfa_store_set_error("redis %s: set timeout: %s", rs->spec, c->errstr);
		redisFree(c);
		return NULL;
	}
	return c;
}

/* Take the thread's cached connection to spec, or connect (and SELECT). */
int mfa_redis_conn_open(struct mfa_redis_conn *rs, const char *spec,
			unsigned int timeout_ms, const char **error_r)
{
	memset(rs, 0, sizeof(*rs));
	if (str_copy(rs->spec, spec, sizeof(rs->spec)) >= sizeof(rs->spec)) {
		*error_r = "redis: store spec too long";
		return -1;
	}
	if (mfa_redis_parse(spec, &rs->addr, error_r) < 0)
		return -1;
	rs->tv.tv_sec = (time_t)(timeout_ms / 1000);
	rs->tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	if (cached.c != NULL && cached.pid == getpid() &&
	    strcmp(cached.spec, spec) == 0) {
		rs->c = cached.c;
		cached.c = NULL;
		/* The timeout may differ (CLI vs plugin): set it again. */
		if (redisSetTimeout(rs->c, rs->tv) != REDIS_OK)
			mfa_redis_drop(rs);
	}
	if (rs->c == NULL) {
		mfa_store_release_cached();
		rs->c = connect_redis(rs);
		if (rs->c != NULL && rs->addr.db != 0) {
			char db[8];
			const char *argv[] = { "SELECT", db };
			size_t lens[] = { 6, 0 };
			redisReply *reply;

			lens[1] = (size_t)snprintf(db, sizeof(db), "%u", rs->addr.db);
			reply = mfa_redis_command(rs, 2, argv, lens);
			if (reply == NULL || reply->type != REDIS_REPLY_STATUS)
				(void)mfa_redis_bad_reply(rs, "SELECT", reply);
			else
				freeReplyObject(reply);
		}
	}
	if (rs->c == NULL) {
		*error_r = mfa_store_error();
		return -1;
	}
	return 0;
}

/* Keep a healthy connection for the next login of this thread. */
void mfa_redis_conn_close(struct mfa_redis_conn *rs)
{
	if (rs->c != NULL && rs->c->err == 0) {
		mfa_store_release_cached();
		(void)str_copy(cached.spec, rs->spec, sizeof(cached.spec));
		cached.c = rs->c;
		cached.pid = getpid();
		rs->c = NULL;
	}
	mfa_redis_drop(rs);
}
