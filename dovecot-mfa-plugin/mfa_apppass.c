/*++
/* NAME
/*	mfa_apppass 3
/* SUMMARY
/*	app passwords for clients that cannot send a TOTP code
/* DESCRIPTION
/*	See mfa_apppass.h and docs/mfa.md "App passwords". New passwords
/*	carry 138 random bits, so no offline guessing is possible whatever
/*	the hash: they are stored as a keyed HMAC-SHA-256 (microseconds), the
/*	way services that issue tokens store them. The key is derived with
/*	HKDF (RFC 5869) from the sealing key, under its own label, so it is
/*	never the key that seals TOTP secrets. All of it is OpenSSL's.
/*	Old records (yescrypt through libxcrypt's crypt_r(), milliseconds)
/*	are still verified here until the login re-stores them.
/* TRUST BOUNDARY
/*	mfa_apppass_parse() sees the client's password: fixed lengths, fixed
/*	alphabets, nothing else accepted. mfa_apppass_check() only gets
/*	input that passed it (length capped at MFA_APPPASS_MAX).
/*--*/
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <messec/codec.h>
#include <messec/secret.h>
#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_apppass.h"

/* v1: RFC 4648 base32, lower case. */
static const char alphabet_v1[] = "abcdefghijklmnopqrstuvwxyz234567";
/* v2: lower-case letters and digits without 0/o and 1/l/i (31). */
static const char alphabet_v2[] = "23456789abcdefghjkmnpqrstuvwxyz";
#define ALPHABET_V2_LEN (sizeof(alphabet_v2) - 1)

/* RFC 5869 2.3 "info": names what the derived key is for. */
static const char hkdf_info[] = "messec-mfa app-password hmac-sha256 v1";

int mfa_apppass_new(char out[MFA_APPPASS2_LEN + 1], const char **error_r)
{
	const size_t chars = MFA_APPPASS2_GROUPS * 4;
	uint8_t rnd[64];
	size_t o = 0, n = 0, used = sizeof(rnd);

	/* Uniform over 31 symbols: bytes >= 248 (8 * 31) are drawn again,
	   so b % 31 has no bias. 32 chars need ~33 bytes on average. */
	while (n < chars) {
		uint8_t b;

		if (used == sizeof(rnd)) {
			if (secret_random(rnd, sizeof(rnd)) < 0) {
				*error_r = mfa_error("getrandom: %s", strerror(errno));
				secret_wipe(rnd, sizeof(rnd));
				return -1;
			}
			used = 0;
		}
		b = rnd[used++];
		if (b >= 8 * ALPHABET_V2_LEN)
			continue;
		if (n > 0 && n % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet_v2[b % ALPHABET_V2_LEN];
		n++;
	}
	out[o] = '\0';
	secret_wipe(rnd, sizeof(rnd));
	return 0;
}

static int shape_is(const char *input, size_t len, size_t want_len,
		    const char *alphabet)
{
	if (len != want_len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (i % 5 == 4) {
			if (input[i] != '-')
				return 0;
		} else if (input[i] == '\0' ||
			   strchr(alphabet, input[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

int mfa_apppass_parse(const char *input, size_t len, char id_r[5])
{
	int shape;

	if (shape_is(input, len, MFA_APPPASS2_LEN, alphabet_v2))
		shape = MFA_APPPASS_V2;
	else if (shape_is(input, len, MFA_APPPASS_LEN, alphabet_v1))
		shape = MFA_APPPASS_V1;
	else
		return MFA_APPPASS_NONE;
	memcpy(id_r, input, 4);
	id_r[4] = '\0';
	return shape;
}

/* K = HKDF-SHA-256(IKM = sealing key, salt = none, info = hkdf_info).
   RFC 5869 2.2: no salt means HashLen zero bytes; the IKM is already a
   uniformly random key, so extract needs no salt. */
static int derive_key(const uint8_t key[MFA_KEY_LEN], uint8_t out[32])
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t out_len = 32;
	int ok;

	if (pctx == NULL)
		return -1;
	ok = EVP_PKEY_derive_init(pctx) > 0 &&
		EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) > 0 &&
		EVP_PKEY_CTX_set1_hkdf_key(pctx, key, MFA_KEY_LEN) > 0 &&
		EVP_PKEY_CTX_add1_hkdf_info(pctx, (const unsigned char *)hkdf_info,
					    sizeof(hkdf_info) - 1) > 0 &&
		EVP_PKEY_derive(pctx, out, &out_len) > 0 && out_len == 32;
	EVP_PKEY_CTX_free(pctx);
	return ok ? 0 : -1;
}

/* HMAC-SHA-256(K, user NUL password) into mac (32 bytes). */
static int compute_tag(const uint8_t key[MFA_KEY_LEN], const char *user,
		       const char *password, size_t len, uint8_t mac[32],
		       const char **error_r)
{
	uint8_t k[32], msg[MFA_USER_MAX + 1 + MFA_APPPASS_MAX];
	size_t ulen = strlen(user);
	unsigned int mac_len = 0;
	int ret = -1;

	if (ulen == 0 || ulen > MFA_USER_MAX || len == 0 || len > MFA_APPPASS_MAX) {
		*error_r = "app password tag: bad user or password length";
		return -1;
	}
	/* UNSAFE: ulen <= MFA_USER_MAX and len <= MFA_APPPASS_MAX, checked
	   above, so ulen + 1 + len fits msg. */
	memcpy(msg, user, ulen);
	msg[ulen] = '\0';
	memcpy(msg + ulen + 1, password, len);
	if (derive_key(key, k) < 0)
		*error_r = "app password tag: HKDF failed";
	else if (HMAC(EVP_sha256(), k, sizeof(k), msg, ulen + 1 + len, mac,
		      &mac_len) == NULL || mac_len != 32)
		*error_r = "app password tag: HMAC failed";
	else
		ret = 0;
	secret_wipe(k, sizeof(k));
	secret_wipe(msg, sizeof(msg));
	return ret;
}

int mfa_apppass_tag(const uint8_t key[MFA_KEY_LEN], const char *user,
		    const char *password, size_t len, char *hash_r,
		    size_t hash_size, const char **error_r)
{
	uint8_t mac[32];

	if (compute_tag(key, user, password, len, mac, error_r) < 0)
		return -1;
	if (codec_hex_encode(mac, sizeof(mac), hash_r, hash_size) < 0) {
		*error_r = "app password tag: output buffer too small";
		return -1;
	}
	return 0;
}

int mfa_apppass_check(const uint8_t key[MFA_KEY_LEN], const char *user,
		      const char *password, size_t len,
		      enum mfa_app_scheme scheme, const char *hash,
		      const char **error_r)
{
	char copy[MFA_APPPASS_MAX + 1];
	uint8_t mac[32], stored[32];
	int ret;

	switch (scheme) {
	case MFA_APP_SCHEME_HMAC_SHA256:
		if (strlen(hash) != MFA_APPPASS_TAG_HEX ||
		    codec_hex_decode(hash, MFA_APPPASS_TAG_HEX, stored,
				     sizeof(stored)) != (long)sizeof(stored)) {
			*error_r = "stored app password tag is malformed";
			return -1;
		}
		if (compute_tag(key, user, password, len, mac, error_r) < 0)
			return -1;
		ret = secret_equal(mac, sizeof(mac), stored, sizeof(stored));
		secret_wipe(mac, sizeof(mac));
		return ret;
	case MFA_APP_SCHEME_YESCRYPT:
		if (len > MFA_APPPASS_MAX) {
			*error_r = "app password too long";
			return -1;
		}
		memcpy(copy, password, len);
		copy[len] = '\0';
		ret = mfa_apppass_verify(copy, hash, error_r);
		secret_wipe(copy, sizeof(copy));
		return ret;
	}
	*error_r = "unknown app password scheme";
	return -1;
}

/* --- v1 (yescrypt era) */

int mfa_apppass_generate(char out[MFA_APPPASS_LEN + 1], const char **error_r)
{
	uint8_t rnd[MFA_APPPASS_GROUPS * 4];
	size_t o = 0;

	if (secret_random(rnd, sizeof(rnd)) < 0) {
		*error_r = mfa_error("getrandom: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(rnd); i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet_v1[rnd[i] & 31];
	}
	out[o] = '\0';
	secret_wipe(rnd, sizeof(rnd));
	return 0;
}

int mfa_apppass_hash(const char *password, char *hash_r, size_t hash_size,
		     const char **error_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data;
	const char *hash;
	int ret = -1;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL) {
		*error_r = mfa_error("crypt_gensalt_rn($y$): %s", strerror(errno));
		return -1;
	}
	data = calloc(1, sizeof(*data));
	if (data == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	hash = crypt_r(password, setting, data);
	if (hash == NULL || hash[0] == '*') {
		*error_r = "crypt_r(yescrypt) failed";
	} else if (str_copy(hash_r, hash, hash_size) >= hash_size) {
		*error_r = "yescrypt hash too long";
	} else {
		ret = 0;
	}
	secret_wipe(data, sizeof(*data));
	free(data);
	return ret;
}

int mfa_apppass_verify(const char *password, const char *hash,
		       const char **error_r)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *computed;
	int ret;

	if (data == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	computed = crypt_r(password, hash, data);
	if (computed == NULL || computed[0] == '*') {
		*error_r = "crypt_r: stored app password hash is not usable";
		ret = -1;
	} else {
		ret = secret_equal(computed, strlen(computed), hash,
				   strlen(hash));
	}
	secret_wipe(data, sizeof(*data));
	free(data);
	return ret;
}
