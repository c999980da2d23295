/*++
/* NAME
/*	mfa_store_int 3h
/* SUMMARY
/*	backends of mfa_store.h (LMDB, Redis): raw byte records by table
/* SYNOPSIS
/*	#include "mfa_store_int.h"
/* DESCRIPTION
/*	mfa_store.c encodes and decodes the records and calls a backend
/*	through struct mfa_store_ops; a backend only moves bytes.
/*	Tables and their keys:
/*	MFA_TABLE_USER: a = user;	MFA_TABLE_APP: a = user, b = app id;
/*	MFA_TABLE_IP: a = textual IP.
/*	get() copies the value into buf (at most size bytes; a longer value
/*	is an error). foreach() walks a table (MFA_TABLE_USER: every user;
/*	MFA_TABLE_APP: the apps of user a) and calls fn with the key part
/*	that varies (user or app id) and the value.
/*
/*	Results are enum mfa_store_result; commit() returns 0, -1 (error) or
/*	MFA_TXN_CONFLICT. Errors are reported with mfa_store_set_error().
/*--*/
#ifndef MFA_STORE_INT_H
#define MFA_STORE_INT_H

#include "mfa_store.h"

enum mfa_table {
	MFA_TABLE_USER = 'u',
	MFA_TABLE_APP = 'a',
	MFA_TABLE_IP = 'i',
};

typedef int mfa_raw_iter_fn(const char *name, size_t name_len,
			    const uint8_t *val, size_t len, void *ctx);

struct mfa_store_ops {
	const char *name;
	struct mfa_store *(*open)(const char *spec, int create,
				  unsigned int timeout_ms, const char **error_r);
	void (*close)(struct mfa_store *store);
	/* 0 ok, -1 error; see mfa_store_check_key() in mfa_store.h */
	int (*check_key)(struct mfa_store *store, const uint8_t *key_id,
			 size_t key_id_len, int create, int *created_r,
			 const char **error_r);
	/* record key_id as the store's key at commit (rekey) */
	int (*set_key_id)(struct mfa_txn *txn, const uint8_t *key_id,
			  size_t key_id_len);
	int (*exists)(const char *spec, unsigned int timeout_ms,
		      int *exists_r, const char **error_r);
	struct mfa_txn *(*txn_begin)(struct mfa_store *store, int write);
	int (*txn_commit)(struct mfa_txn *txn);
	void (*txn_abort)(struct mfa_txn *txn);
	enum mfa_store_result (*get)(struct mfa_txn *txn, enum mfa_table table,
				     const char *a, const char *b, uint8_t *buf,
				     size_t size, size_t *len_r);
	enum mfa_store_result (*put)(struct mfa_txn *txn, enum mfa_table table,
				     const char *a, const char *b,
				     const uint8_t *val, size_t len);
	enum mfa_store_result (*del)(struct mfa_txn *txn, enum mfa_table table,
				     const char *a, const char *b);
	enum mfa_store_result (*foreach)(struct mfa_txn *txn,
					 enum mfa_table table, const char *a,
					 mfa_raw_iter_fn *fn, void *ctx);
};

/* Every backend's struct mfa_store and struct mfa_txn start with these. */
struct mfa_store {
	const struct mfa_store_ops *ops;
};

struct mfa_txn {
	struct mfa_store *store;
};

extern const struct mfa_store_ops mfa_store_lmdb_ops;
extern const struct mfa_store_ops mfa_store_redis_ops;

/* Sets the text mfa_store_error() returns; always returns MFA_STORE_ERROR. */
enum mfa_store_result mfa_store_set_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Redis address of a "redis://..." spec (mfa_store_redis.c). */
struct mfa_redis_addr {
	char host[256];
	char path[108];		/* unix socket; "" for TCP */
	unsigned int port;
	unsigned int db;
};
int mfa_redis_parse(const char *spec, struct mfa_redis_addr *addr_r,
		    const char **error_r);

#endif
