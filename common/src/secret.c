/*++
 * NAME
 *	secret 3
 * SUMMARY
 *	secret hygiene: wipe, constant-time compare, randomness, file check
 * SYNOPSIS
 *	#include <messec/secret.h>
 * DESCRIPTION
 *	Thin wrappers so every component handles secrets the same way:
 *	OPENSSL_cleanse() (not optimised away), CRYPTO_memcmp() (constant
 *	time), getrandom(2) (kernel CSPRNG, blocks only before the pool is
 *	initialised at boot), and OpenSMTPD's check_file_secrecy() rule for
 *	key and secret files.
 * TRUST BOUNDARY
 *	secret_file_check() looks at files an admin configured; it refuses
 *	files another local user could have written or read.
 * DIAGNOSTICS
 *	secret_random() and secret_file_check() return -1 on failure;
 *	secret_file_check() sets *error_r to a thread-local message.
 *--*/
#include <messec/secret.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

static __thread char secret_errbuf[512];

void secret_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

int secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* The length is not secret (a TOTP code has 6 digits for everyone). */
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

int secret_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int secret_file_check(const char *path, uid_t owner_uid, int key,
		      const char **error_r)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(secret_errbuf, sizeof(secret_errbuf), "%s: %s",
			 path, strerror(errno));
		*error_r = secret_errbuf;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(secret_errbuf, sizeof(secret_errbuf),
			 "%s: not a regular file", path);
		*error_r = secret_errbuf;
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != owner_uid) {
		snprintf(secret_errbuf, sizeof(secret_errbuf),
			 "%s: owned by uid %lu (expected root or uid %lu)", path,
			 (unsigned long)st.st_uid, (unsigned long)owner_uid);
		*error_r = secret_errbuf;
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(secret_errbuf, sizeof(secret_errbuf),
			 "%s: group/world writable (mode %04o, expected no "
			 "group/world write)", path, (unsigned)(st.st_mode & 07777));
		*error_r = secret_errbuf;
		return -1;
	}
	if (key && (st.st_mode & (S_IRGRP | S_IROTH))) {
		snprintf(secret_errbuf, sizeof(secret_errbuf),
			 "%s: group/world readable key (mode %04o, expected "
			 "0600 or 0400)", path, (unsigned)(st.st_mode & 07777));
		*error_r = secret_errbuf;
		return -1;
	}
	return 0;
}
