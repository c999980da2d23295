/*++
/* NAME
/*	mfa_seal 3h
/* SUMMARY
/*	encryption of TOTP secrets at rest (AES-256-GCM), the key file
/* SYNOPSIS
/*	#include "mfa_seal.h"
/* DESCRIPTION
/*	mfa_seal() encrypts plain with key, binding it to the user name as
/*	associated data, so a record copied to another user does not open.
/*	Output: nonce (12) || ciphertext || tag (16); MFA_SEAL_OVERHEAD bytes
/*	longer than plain. mfa_unseal() reverses it; a wrong key, user or any
/*	changed byte fails. Both return 0, or -1 with *error_r.
/*
/*	mfa_key_load() reads a 32-byte key file (64 hex digits and a newline).
/*	It refuses a file that group or others may read or write.
/*	mfa_key_create() writes a new random key to a new file (O_EXCL, 0600).
/*	mfa_key_generate() only draws random bytes (for rekey).
/*	mfa_key_write() writes key to path atomically (temp file + rename).
/*	mfa_key_id() derives a public tag of the key (HMAC-SHA256 of a fixed
/*	text): the Redis store keeps it to refuse a host with another key.
/*--*/
#ifndef MFA_SEAL_H
#define MFA_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define MFA_KEY_LEN 32
#define MFA_NONCE_LEN 12
#define MFA_TAG_LEN 16
#define MFA_SEAL_OVERHEAD (MFA_NONCE_LEN + MFA_TAG_LEN)
#define MFA_KEY_ID_LEN 16

int mfa_seal(const uint8_t key[MFA_KEY_LEN], const char *user,
	     const uint8_t *plain, size_t plain_len,
	     uint8_t *out, size_t out_size, size_t *out_len_r,
	     const char **error_r);
int mfa_unseal(const uint8_t key[MFA_KEY_LEN], const char *user,
	       const uint8_t *in, size_t in_len,
	       uint8_t *plain_r, size_t plain_size, size_t *plain_len_r,
	       const char **error_r);

int mfa_key_load(const char *path, uint8_t key_r[MFA_KEY_LEN],
		 const char **error_r);
int mfa_key_create(const char *path, uint8_t key_r[MFA_KEY_LEN],
		   const char **error_r);
int mfa_key_generate(uint8_t key_r[MFA_KEY_LEN], const char **error_r);
int mfa_key_write(const char *path, const uint8_t key[MFA_KEY_LEN],
		  const char **error_r);
int mfa_key_id(const uint8_t key[MFA_KEY_LEN], uint8_t id_r[MFA_KEY_ID_LEN]);

#endif
