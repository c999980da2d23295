/*++
/* NAME
/*	mfa_redis 3h
/* SUMMARY
/*	Redis connection of the MFA store (internal to mfa_store_redis.c)
/* SYNOPSIS
/*	#include "mfa_redis.h"
/* DESCRIPTION
/*	mfa_redis_conn_open(): take this thread's cached connection to spec
/*	or connect (and SELECT the db), with timeout_ms on connect and on
/*	every send/receive. 0, or -1 with *error_r. mfa_redis_conn_close():
/*	a healthy connection goes back to the cache, a broken one is closed.
/*
/*	mfa_redis_format(): a command in Redis protocol (free with
/*	redisFreeCommand); NULL on error. mfa_redis_exchange(): send n
/*	formatted commands in one write, read n replies (one round trip);
/*	0 with the replies (caller frees; error replies included), or -1
/*	with the connection dropped and the error set. mfa_redis_command():
/*	one command, its reply or NULL. mfa_redis_bad_reply(): report an
/*	unexpected reply (freed), drop the connection, MFA_STORE_ERROR.
/*	mfa_redis_drop(): close the connection (state unknown).
/*--*/
#ifndef MFA_REDIS_H
#define MFA_REDIS_H

#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "mfa_settings.h"
#include "mfa_store_int.h"

struct mfa_redis_conn {
	char spec[MFA_PATH_MAX];
	struct mfa_redis_addr addr;
	struct timeval tv;
	redisContext *c;	/* NULL: dropped */
};

int mfa_redis_conn_open(struct mfa_redis_conn *conn, const char *spec,
			unsigned int timeout_ms, const char **error_r);
void mfa_redis_conn_close(struct mfa_redis_conn *conn);
void mfa_redis_drop(struct mfa_redis_conn *conn);
char *mfa_redis_format(int argc, const char **argv, const size_t *lens,
		       size_t *len_r);
int mfa_redis_exchange(struct mfa_redis_conn *conn, size_t n, char *const *cmds,
		       const size_t *lens, redisReply **replies_r);
redisReply *mfa_redis_command(struct mfa_redis_conn *conn, int argc,
			      const char **argv, const size_t *lens);
enum mfa_store_result mfa_redis_bad_reply(struct mfa_redis_conn *conn,
					  const char *what, redisReply *reply);

#endif
