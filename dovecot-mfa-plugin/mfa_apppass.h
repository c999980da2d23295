/*++
/* NAME
/*	mfa_apppass 3h
/* SUMMARY
/*	app passwords: generation, shape, keyed hashing (and the old yescrypt)
/* SYNOPSIS
/*	#include "mfa_apppass.h"
/* DESCRIPTION
/*	An app password is groups of 4 characters joined by '-'. The first
/*	group is its id (stored in clear, so a login checks one record, not
/*	all of them); the other groups are the secret. Because of the dashes
/*	it never ends in a 6-digit code. Two shapes exist:
/*
/*	v2 (made since issue 19): 8 groups, 39 characters, alphabet of 31
/*	  lower-case letters and digits without the ambiguous 0/o, 1/l/i;
/*	  7 secret groups = 28 characters = 138 bits from getrandom().
/*	  Stored as MFA_APP_SCHEME_HMAC_SHA256 (below).
/*	v1 (older): 7 groups, 34 characters, RFC 4648 base32 lower case;
/*	  120 bits. Stored as yescrypt until its next successful login
/*	  re-stores it as HMAC (mfa_policy.c); the password itself stays.
/*
/*	mfa_apppass_new(): a new v2 password (caller shows it once and wipes
/*	it). mfa_apppass_parse(): the shape of input (MFA_APPPASS_V1,
/*	MFA_APPPASS_V2, or 0 = not an app password); copies the id to id_r.
/*
/*	mfa_apppass_tag(): the stored form of the HMAC scheme: lower-case hex
/*	of HMAC-SHA-256(K, user NUL password), K = HKDF-SHA-256 (RFC 5869) of
/*	the store's sealing key with the info "messec-mfa app-password
/*	hmac-sha256 v1". The user name binds a record to its user (a record
/*	copied to another user does not match). Without the key file a stolen
/*	store cannot even confirm a guess. hash_size >= MFA_APPPASS_TAG_HEX + 1.
/*	mfa_apppass_check(): does password (len bytes) match a record's
/*	stored hash of the given scheme? 1 match, 0 no match, -1 error
/*	(*error_r). Compares in constant time (CRYPTO_memcmp).
/*
/*	The v1 functions, kept to read old records and for tests that write
/*	stores as the old code did: mfa_apppass_generate() (v1 shape),
/*	mfa_apppass_hash() (crypt(3) yescrypt "$y$", fresh salt, ~70 ms),
/*	mfa_apppass_verify() (1, 0, -1; constant-time compare).
/*--*/
#ifndef MFA_APPPASS_H
#define MFA_APPPASS_H

#include <stddef.h>
#include <stdint.h>

#include "mfa_seal.h"
#include "mfa_store.h"

/* v1 shape (name kept: tests and the compat fixtures use it) */
#define MFA_APPPASS_GROUPS 7
#define MFA_APPPASS_LEN (MFA_APPPASS_GROUPS * 5 - 1)
/* v2 shape */
#define MFA_APPPASS2_GROUPS 8
#define MFA_APPPASS2_LEN (MFA_APPPASS2_GROUPS * 5 - 1)
#define MFA_APPPASS_MAX MFA_APPPASS2_LEN
#define MFA_APPPASS_TAG_HEX 64

enum mfa_apppass_shape {
	MFA_APPPASS_NONE = 0,
	MFA_APPPASS_V1 = 1,
	MFA_APPPASS_V2 = 2,
};

int mfa_apppass_new(char out[MFA_APPPASS2_LEN + 1], const char **error_r);
int mfa_apppass_parse(const char *input, size_t len, char id_r[5]);
int mfa_apppass_tag(const uint8_t key[MFA_KEY_LEN], const char *user,
		    const char *password, size_t len, char *hash_r,
		    size_t hash_size, const char **error_r);
int mfa_apppass_check(const uint8_t key[MFA_KEY_LEN], const char *user,
		      const char *password, size_t len,
		      enum mfa_app_scheme scheme, const char *hash,
		      const char **error_r);

int mfa_apppass_generate(char out[MFA_APPPASS_LEN + 1], const char **error_r);
int mfa_apppass_hash(const char *password, char *hash_r, size_t hash_size,
		     const char **error_r);
int mfa_apppass_verify(const char *password, const char *hash,
		       const char **error_r);

#endif
