/*++
/* NAME
/*	mfa_store 3h
/* SUMMARY
/*	the MFA state: users, app passwords, per-IP failures in one LMDB file
/* SYNOPSIS
/*	#include "mfa_store.h"
/* DESCRIPTION
/*	Typed records (users, app passwords, per-IP failures) in common/'s
/*	store (messec/store.h): the passdb's read-check-write of a whole
/*	user record (last accepted counter, failure count, lockout) is one
/*	store transaction, shared with the CLI in another process and, with
/*	Redis, with other hosts: on LMDB one write transaction per login, on
/*	Redis WATCH/MULTI/EXEC. The record encoding and the key layout are
/*	those of the plugin's own store code before the move (mfa_store.c),
/*	so existing stores keep working.
/*
/*	mfa_store_open(): spec is an absolute path (LMDB file, lock file
/*	"<path>-lock") or "redis://host[:port][/db]" /
/*	"redis:///path.sock[?db=N]". timeout_ms bounds each Redis connect and
/*	round trip (common/'s timeout_ms). A missing LMDB file is created (0600) only when create is
/*	set; otherwise it is an error, so a deleted store never looks like
/*	"nobody enrolled". mfa_store_spec_check() validates a spec without
/*	opening it. mfa_store_exists(): does the store hold messec-mfa data
/*	(LMDB: the file exists; Redis: the mfa:meta key exists)?
/*	mfa_store_check_key(): ties the store to the key: Redis keeps an HMAC
/*	of the key (mfa_key_id()) in mfa:meta and refuses another key; with
/*	create, a store without it gets it. LMDB: nothing to do. 0 or -1.
/*	mfa_txn_set_key_id(): in a write transaction, make key_id the
/*	store's key at commit (the CLI's rekey); LMDB: nothing to do. 0/-1.
/*	mfa_store_release_cached(): close the kept Redis handle (its
/*	connections stay open between logins); call it at deinit and in tests.
/*
/*	LMDB environment kept open (the plugin; not the CLI, which keeps the
/*	defaults: a fresh environment per open, two syncs per commit):
/*	mfa_store_set_caching(keep_open, sync) is process-wide: call it
/*	before any store use (the plugin: in preinit, before its worker
/*	thread exists). The store is not thread-safe: one thread at a time
/*	(in the plugin, only the worker thread, mfa_worker.h). With keep_open,
/*	mfa_store_close() of an LMDB store leaves its environment open and
/*	the next mfa_store_open() of the same path reuses it after a stat()
/*	of the file and its lock file (same st_dev/st_ino) and a
/*	faccessat(R_OK|W_OK, AT_EACCESS) for the current user: a store that
/*	was removed, replaced or made unreadable is closed and opened anew
/*	(which fails as before, or works again once restored). The open
/*	descriptor keeps the inode alive, so a new file cannot reuse its
/*	number. After fork() the child drops the parent's environment
/*	without closing it (LMDB: not usable across fork; closing would clear
/*	the parent's reader slots) and opens its own.
/*	sync MFA_STORE_SYNC_PERIODIC opens it with MDB_NOSYNC|MDB_NOMETASYNC:
/*	a commit writes to the page cache only; mfa_store_sync_cached()
/*	flushes (mdb_env_sync) when commits are pending and force is set or
/*	MFA_STORE_SYNC_INTERVAL_MS passed since the last flush (also tried
/*	after each commit). mfa_store_sync_pending(): commits not yet
/*	flushed? mfa_store_close_cached(): flush and close the kept
/*	environment (deinit, tests). MFA_STORE_SYNC_ALWAYS: LMDB's default,
/*	every commit synced (two disk writes). MFA_STORE_SYNC_DATA:
/*	MDB_NOMETASYNC, one fdatasync per commit (the meta page of a commit
/*	is flushed with the next one). docs/mfa.md "Durability" gives the reasoning.
/*
/*	mfa_txn_begin()/mfa_txn_commit()/mfa_txn_abort(): one transaction;
/*	commit and abort free it and set the pointer to NULL. Commit returns
/*	0, -1 (error), or MFA_TXN_CONFLICT (Redis only: another writer
/*	changed a record this transaction read; nothing was written; decide
/*	again in a new transaction). A transaction sees its own writes
/*	(common/'s read-your-writes rule); mfa_user_foreach() and
/*	mfa_app_foreach() must come before its first write.
/*
/*	App password records: version 2 (written since issue 19) carries
/*	the scheme of its hash; version 1 (older) is read as yescrypt. A
/*	record of an unknown scheme, or an HMAC one whose hash is not 64 hex
/*	digits, is malformed (an error, on read and on write).
/*
/*	Record calls answer MFA_STORE_OK, MFA_STORE_NOTFOUND or
/*	MFA_STORE_ERROR; an error is never "not found". mfa_store_error() is
/*	the last error text of this thread.
/*--*/
#ifndef MFA_STORE_H
#define MFA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mfa_record.h"

enum mfa_store_result {
	MFA_STORE_ERROR = -1,
	MFA_STORE_NOTFOUND = 0,
	MFA_STORE_OK = 1,
};

struct mfa_store;
struct mfa_txn;

#define MFA_TXN_CONFLICT (-2)

enum mfa_store_sync {
	MFA_STORE_SYNC_ALWAYS = 0,	/* a sync per commit */
	MFA_STORE_SYNC_PERIODIC = 1,	/* at most every interval */
	MFA_STORE_SYNC_DATA = 2,	/* one sync per commit (MDB_NOMETASYNC) */
};
#define MFA_STORE_SYNC_INTERVAL_MS 1000

int mfa_store_spec_check(const char *spec, const char **error_r);
int mfa_store_is_redis(const char *spec);
struct mfa_store *mfa_store_open(const char *spec, int create,
				 unsigned int timeout_ms, const char **error_r);
void mfa_store_close(struct mfa_store **store);
int mfa_store_exists(const char *spec, unsigned int timeout_ms,
		     int *exists_r, const char **error_r);
int mfa_store_check_key(struct mfa_store *store, const uint8_t *key_id,
			size_t key_id_len, int create, const char **error_r);
void mfa_store_release_cached(void);
void mfa_store_set_caching(int keep_open, enum mfa_store_sync sync);
int mfa_store_sync_pending(void);
int mfa_store_sync_cached(int force, const char **error_r);
void mfa_store_close_cached(void);
/* LMDB environments opened by this process so far (tests, debugging). */
unsigned long mfa_store_lmdb_env_opens(void);
int mfa_txn_set_key_id(struct mfa_txn *txn, const uint8_t *key_id,
		       size_t key_id_len);

struct mfa_txn *mfa_txn_begin(struct mfa_store *store, int write);
int mfa_txn_commit(struct mfa_txn **txn);
void mfa_txn_abort(struct mfa_txn **txn);
const char *mfa_store_error(void);

enum mfa_store_result mfa_user_get(struct mfa_txn *txn, const char *user,
				   struct mfa_user_rec *rec_r);
enum mfa_store_result mfa_user_put(struct mfa_txn *txn, const char *user,
				   const struct mfa_user_rec *rec);
enum mfa_store_result mfa_user_del(struct mfa_txn *txn, const char *user);
/* Calls fn for every user; fn returns 0 to go on, -1 to stop (error). */
enum mfa_store_result
mfa_user_foreach(struct mfa_txn *txn,
		 int (*fn)(const char *user, struct mfa_user_rec *rec, void *ctx),
		 void *ctx);

enum mfa_store_result mfa_app_get(struct mfa_txn *txn, const char *user,
				  const char *id, struct mfa_app_rec *rec_r);
enum mfa_store_result mfa_app_put(struct mfa_txn *txn, const char *user,
				  const struct mfa_app_rec *rec);
enum mfa_store_result mfa_app_del(struct mfa_txn *txn, const char *user,
				  const char *id);
enum mfa_store_result
mfa_app_foreach(struct mfa_txn *txn, const char *user,
		int (*fn)(const struct mfa_app_rec *rec, void *ctx), void *ctx);

enum mfa_store_result mfa_ip_get(struct mfa_txn *txn, const char *ip,
				 struct mfa_ip_rec *rec_r);
enum mfa_store_result mfa_ip_put(struct mfa_txn *txn, const char *ip,
				 const struct mfa_ip_rec *rec);

#endif
