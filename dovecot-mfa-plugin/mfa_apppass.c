/*++
/* NAME
/*	mfa_apppass 3
/* SUMMARY
/*	app passwords for clients that cannot send a TOTP code
/* DESCRIPTION
/*	See mfa_apppass.h. Hashing is libxcrypt's yescrypt through crypt_r()
/*	and crypt_gensalt_rn("$y$", 0, ...) (default cost; libxcrypt draws
/*	the salt from the OS). One verification costs milliseconds; the
/*	plugin does at most one per login (found by id), see docs/mfa.md.
/* TRUST BOUNDARY
/*	mfa_apppass_parse() sees the client's password: fixed length, fixed
/*	alphabet, nothing else accepted.
/*--*/
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <messec/secret.h>
#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_apppass.h"

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

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
		out[o++] = alphabet[rnd[i] & 31];
	}
	out[o] = '\0';
	secret_wipe(rnd, sizeof(rnd));
	return 0;
}

int mfa_apppass_parse(const char *input, size_t len, char id_r[5])
{
	if (len != MFA_APPPASS_LEN)
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
	memcpy(id_r, input, 4);
	id_r[4] = '\0';
	return 1;
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
