/*++
/* NAME
/*	mfa_seal 3
/* SUMMARY
/*	AES-256-GCM sealing of TOTP secrets, key file handling
/* DESCRIPTION
/*	See mfa_seal.h. Callers: mfa_policy.c (plugin), mfa_cli.c.
/* TRUST BOUNDARY
/*	The store file may be read by someone who must not learn the secrets
/*	(backups): it holds only sealed secrets. The key file is the secret;
/*	it is checked for group/world access before use (as OpenSMTPD's
/*	check_file_secrecy does).
/* STANDARDS
/*	NIST SP 800-38D (GCM): 96-bit random nonce per sealing, 128-bit tag.
/*--*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <messec/codec.h>
#include <messec/secret.h>

#include "mfa_util.h"
#include "mfa_seal.h"

#define AD_PREFIX "messec-mfa-v1:"

static int gcm_run(int encrypt, const uint8_t key[MFA_KEY_LEN],
		   const uint8_t nonce[MFA_NONCE_LEN], const char *user,
		   const uint8_t *in, size_t in_len, uint8_t *out,
		   uint8_t tag[MFA_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len, ok = 0;

	if (ctx == NULL || in_len > (size_t)INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
			      encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MFA_NONCE_LEN,
				NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) != 1)
		goto out;
	/* Associated data: a version label and the user name. */
	if (EVP_CipherUpdate(ctx, NULL, &len, (const uint8_t *)AD_PREFIX,
			     (int)strlen(AD_PREFIX)) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &len, (const uint8_t *)user,
			     (int)strlen(user)) != 1)
		goto out;
	if (in_len > 0 &&
	    EVP_CipherUpdate(ctx, out, &len, in, (int)in_len) != 1)
		goto out;
	if (!encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MFA_TAG_LEN,
				tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + in_len, &len) != 1)
		goto out;
	if (encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MFA_TAG_LEN,
				tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int mfa_seal(const uint8_t key[MFA_KEY_LEN], const char *user,
	     const uint8_t *plain, size_t plain_len,
	     uint8_t *out, size_t out_size, size_t *out_len_r,
	     const char **error_r)
{
	if (plain_len > SIZE_MAX - MFA_SEAL_OVERHEAD ||
	    out_size < plain_len + MFA_SEAL_OVERHEAD) {
		*error_r = "seal: output buffer too small";
		return -1;
	}
	if (secret_random(out, MFA_NONCE_LEN) < 0) {
		*error_r = mfa_error("seal: getrandom: %s", strerror(errno));
		return -1;
	}
	if (gcm_run(1, key, out, user, plain, plain_len, out + MFA_NONCE_LEN,
		    out + MFA_NONCE_LEN + plain_len) < 0) {
		*error_r = "seal: AES-256-GCM encryption failed";
		return -1;
	}
	*out_len_r = plain_len + MFA_SEAL_OVERHEAD;
	return 0;
}

int mfa_unseal(const uint8_t key[MFA_KEY_LEN], const char *user,
	       const uint8_t *in, size_t in_len,
	       uint8_t *plain_r, size_t plain_size, size_t *plain_len_r,
	       const char **error_r)
{
	uint8_t tag[MFA_TAG_LEN];
	size_t len;

	if (in_len < MFA_SEAL_OVERHEAD ||
	    in_len - MFA_SEAL_OVERHEAD > plain_size) {
		*error_r = "unseal: sealed secret has a bad length";
		return -1;
	}
	len = in_len - MFA_SEAL_OVERHEAD;
	memcpy(tag, in + MFA_NONCE_LEN + len, MFA_TAG_LEN);
	if (gcm_run(0, key, in, user, in + MFA_NONCE_LEN, len, plain_r,
		    tag) < 0) {
		secret_wipe(plain_r, plain_size);
		*error_r = "unseal: authentication failed (wrong key_file for this store, or the record was altered)";
		return -1;
	}
	*plain_len_r = len;
	return 0;
}

int mfa_key_load(const char *path, uint8_t key_r[MFA_KEY_LEN],
		 const char **error_r)
{
	char text[MFA_KEY_LEN * 2 + 2];
	struct stat st;
	ssize_t n;
	int fd, ok = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*error_r = mfa_error("key_file %s: open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = mfa_error("key_file %s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*error_r = mfa_error("key_file %s: group/world accessible (mode %04o), chmod 600",
				     path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, text, sizeof(text));
	if (n < MFA_KEY_LEN * 2) {
		*error_r = mfa_error("key_file %s: too short", path);
		goto out;
	}
	if (codec_hex_decode(text, MFA_KEY_LEN * 2, key_r, MFA_KEY_LEN) != MFA_KEY_LEN) {
		*error_r = mfa_error("key_file %s: not 64 hex digits", path);
		goto out;
	}
	ok = 1;
out:
	secret_wipe(text, sizeof(text));
	(void)close(fd);
	if (!ok)
		secret_wipe(key_r, MFA_KEY_LEN);
	return ok ? 0 : -1;
}

static int key_write_fd(int fd, const char *path, const uint8_t key[MFA_KEY_LEN],
			const char **error_r)
{
	char text[MFA_KEY_LEN * 2 + 1];
	int ret = 0;

	/* The NUL codec_hex_encode() writes becomes the newline. */
	if (codec_hex_encode(key, MFA_KEY_LEN, text, sizeof(text)) < 0) {
		*error_r = "key_file: hex buffer too small";	/* sized for it */
		return -1;
	}
	text[MFA_KEY_LEN * 2] = '\n';
	if (write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
	    fsync(fd) < 0) {
		*error_r = mfa_error("key_file %s: write: %s", path, strerror(errno));
		ret = -1;
	}
	secret_wipe(text, sizeof(text));
	return ret;
}

int mfa_key_generate(uint8_t key_r[MFA_KEY_LEN], const char **error_r)
{
	if (secret_random(key_r, MFA_KEY_LEN) < 0) {
		*error_r = mfa_error("getrandom: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int mfa_key_create(const char *path, uint8_t key_r[MFA_KEY_LEN],
		   const char **error_r)
{
	int fd;

	if (mfa_key_generate(key_r, error_r) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*error_r = mfa_error("key_file %s: create: %s", path, strerror(errno));
		return -1;
	}
	if (key_write_fd(fd, path, key_r, error_r) < 0) {
		(void)close(fd);
		(void)unlink(path);
		return -1;
	}
	return close(fd);
}

int mfa_key_write(const char *path, const uint8_t key[MFA_KEY_LEN],
		  const char **error_r)
{
	char tmp[4096];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		*error_r = "key_file path too long";
		return -1;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*error_r = mfa_error("key_file %s: create: %s", tmp, strerror(errno));
		return -1;
	}
	if (key_write_fd(fd, tmp, key, error_r) < 0 || close(fd) < 0) {
		(void)unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		*error_r = mfa_error("key_file %s: rename: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int mfa_key_id(const uint8_t key[MFA_KEY_LEN], uint8_t id_r[MFA_KEY_ID_LEN])
{
	/* A one-way tag of the key, never the key: HMAC-SHA256 of a fixed
	   text, cut to 128 bits (enough to tell keys apart). */
	static const char label[] = "messec-mfa key id v1";
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (HMAC(EVP_sha256(), key, MFA_KEY_LEN, (const uint8_t *)label,
		 sizeof(label) - 1, mac, &mac_len) == NULL ||
	    mac_len < MFA_KEY_ID_LEN)
		return -1;
	memcpy(id_r, mac, MFA_KEY_ID_LEN);
	return 0;
}
