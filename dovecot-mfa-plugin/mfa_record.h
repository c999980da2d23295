/*++
/* NAME
/*	mfa_record 3h
/* SUMMARY
/*	the MFA store's records: their fields and their bytes
/* SYNOPSIS
/*	#include "mfa_record.h"
/*
/*	int mfa_user_rec_encode(const struct mfa_user_rec *rec, uint8_t *buf,
/*		size_t size, size_t *len_r, const char **error_r);
/*	int mfa_user_rec_decode(const uint8_t *p, size_t len,
/*		struct mfa_user_rec *rec, const char **error_r);
/*	int mfa_app_rec_encode(const struct mfa_app_rec *rec, uint8_t *buf,
/*		size_t size, size_t *len_r, const char **error_r);
/*	int mfa_app_rec_decode(const char *id, size_t idlen, const uint8_t *p,
/*		size_t len, struct mfa_app_rec *rec, const char **error_r);
/*	int mfa_ip_rec_encode(const struct mfa_ip_rec *rec, uint8_t *buf,
/*		size_t size, size_t *len_r, const char **error_r);
/*	int mfa_ip_rec_decode(const uint8_t *p, size_t len,
/*		struct mfa_ip_rec *rec, const char **error_r);
/* DESCRIPTION
/*	The value bytes of the three records mfa_store.c keeps (the same on
/*	LMDB and Redis, as the stores of tests/compat/ hold them; the keys
/*	are mfa_store.c's business). Versioned, little-endian, checked on
/*	read: a short, long or unknown record is an error, never a default.
/*
/*	User (version 1): version, algorithm, digits, 0, last_used (u64),
/*	failures (u32), locked_until (i64), created (i64), sealed length
/*	(u16), the sealed secret.
/*	App password, version 1 (before issue 19, always yescrypt): 1,
/*	created, last_used, name\0services\0hash\0; version 2 (written
/*	now): 2, scheme, created, last_used, name\0services\0hash\0. The
/*	scheme byte is never trusted alone: an HMAC record must hold
/*	exactly 64 lower-case hex digits.
/*	Per-IP failures (version 1): 1, failures (u32), since (i64).
/*
/*	Encoders write at most size bytes (MFA_REC_MAX always fits) and
/*	set *len_r; all return 0, or -1 with a static text in *error_r
/*	("malformed user record", ...). Decoders of app records take the
/*	record's id (its key) and check it too. No function logs.
/* SECURITY
/*	The user record's bytes hold the sealed secret (AES-GCM, never the
/*	plain one); callers wipe their buffers anyway.
/*--*/
#ifndef MFA_RECORD_H
#define MFA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "mfa_seal.h"
#include "mfa_totp.h"

#define MFA_USER_MAX 255
#define MFA_APP_ID_LEN 4
#define MFA_APP_NAME_MAX 63
#define MFA_APP_HASH_MAX 255
#define MFA_APP_SERVICES_MAX 255

struct mfa_user_rec {
	enum mfa_totp_alg algorithm;
	unsigned int digits;
	uint64_t last_used;	/* last accepted counter + 1; 0 = none */
	uint32_t failures;	/* consecutive failures */
	int64_t locked_until;	/* unix time; 0 = not locked */
	int64_t created;
	size_t sealed_len;
	uint8_t sealed[MFA_SECRET_MAX + MFA_SEAL_OVERHEAD];
};

/* How an app password record's hash is made (mfa_apppass.h). The value
   is stored as one byte; YESCRYPT is what records without the byte
   (version 1, before issue 19) hold. */
enum mfa_app_scheme {
	MFA_APP_SCHEME_YESCRYPT = 0,		/* crypt(3) "$y$..." */
	MFA_APP_SCHEME_HMAC_SHA256 = 1,		/* 64 hex digits */
};

struct mfa_app_rec {
	char id[MFA_APP_ID_LEN + 1];
	enum mfa_app_scheme scheme;
	char name[MFA_APP_NAME_MAX + 1];
	char services[MFA_APP_SERVICES_MAX + 1];	/* "" = all */
	char hash[MFA_APP_HASH_MAX + 1];
	int64_t created;
	int64_t last_used;	/* 0 = never */
};

struct mfa_ip_rec {
	uint32_t failures;
	int64_t since;		/* start of the counting window */
};

#define MFA_USER_REC_FIXED 34
#define MFA_APP_REC_FIXED_V1 17
#define MFA_APP_REC_FIXED 18
#define MFA_IP_REC_LEN 13
/* Room for any record's value. */
#define MFA_REC_MAX (MFA_APP_REC_FIXED + MFA_APP_NAME_MAX + MFA_APP_SERVICES_MAX + \
		     MFA_APP_HASH_MAX + 3)

int mfa_user_rec_encode(const struct mfa_user_rec *rec, uint8_t *buf, size_t size,
			size_t *len_r, const char **error_r);
int mfa_user_rec_decode(const uint8_t *p, size_t len, struct mfa_user_rec *rec,
			const char **error_r);
int mfa_app_rec_encode(const struct mfa_app_rec *rec, uint8_t *buf, size_t size,
		       size_t *len_r, const char **error_r);
int mfa_app_rec_decode(const char *id, size_t idlen, const uint8_t *p, size_t len,
		       struct mfa_app_rec *rec, const char **error_r);
int mfa_ip_rec_encode(const struct mfa_ip_rec *rec, uint8_t *buf, size_t size,
		      size_t *len_r, const char **error_r);
int mfa_ip_rec_decode(const uint8_t *p, size_t len, struct mfa_ip_rec *rec,
		      const char **error_r);

#endif
