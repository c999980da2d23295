/*++
 * NAME
 *	dkim_keygen 3
 * SUMMARY
 *	DKIM key pairs: generation (OpenSSL), private key file, TXT record
 * SYNOPSIS
 *	#include "dkim_keygen.h"
 * DESCRIPTION
 *	No key material is ever logged or printed: only the public half
 *	goes into the TXT value. The file is created with O_EXCL and mode
 *	0600 whatever the umask, then written through one FILE.
 * STANDARDS
 *	RFC 6376 sections 3.6.1 and 3.6.2.2, RFC 8463 section 4.2, RFC 8301
 *	section 3.2 (RSA keys of at least 1024 bits; we make 2048 or more).
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "messec/str.h"
#include "dkim_keygen.h"

#define MIN_RSA_BITS 2048
#define MAX_RSA_BITS 8192

int ma_keygen_write(enum ma_keygen_type type, unsigned bits, const char *path,
		    const char **error_r)
{
	static __thread char errbuf[512];
	EVP_PKEY *pkey = NULL;
	FILE *fp;
	int fd, ok;

	if (type == MA_KEYGEN_RSA && (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)) {
		*error_r = "RSA key size must be 2048..8192 bits";
		return -1;
	}
	pkey = type == MA_KEYGEN_RSA ? EVP_RSA_gen(bits) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		*error_r = "key generation failed";
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(errbuf, sizeof(errbuf), "%s: %s", path, strerror(errno));
		*error_r = errbuf;
		if (fd >= 0)
			close(fd);
		EVP_PKEY_free(pkey);
		return -1;
	}
	ok = PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	ok = (fclose(fp) == 0) && ok;
	EVP_PKEY_free(pkey);
	if (!ok) {
		unlink(path);
		*error_r = "writing the key failed";
		return -1;
	}
	return 0;
}

static char *txt_value(const char *k, const char *p64)
{
	size_t n = strlen(k) + strlen(p64) + 32;
	char *out = xmalloc(n);

	snprintf(out, n, "v=DKIM1; k=%s; p=%s", k, p64);
	return out;
}

static char *b64(const unsigned char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *) out, data, (int) len);
	return out;
}

char *ma_keygen_txt(const char *path, const char **error_r)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *pkey;
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw);
	char *p64 = NULL, *txt = NULL;
	int len;

	if (fp == NULL) {
		*error_r = "cannot open the key file";
		return NULL;
	}
	pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pkey == NULL) {
		*error_r = "not a PEM private key";
		return NULL;
	}
	if (EVP_PKEY_base_id(pkey) == EVP_PKEY_ED25519) {
		/* RFC 8463 section 4.2: the raw public key, not SPKI */
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) == 1 && rawlen == 32)
			p64 = b64(raw, rawlen);
		if (p64 != NULL)
			txt = txt_value("ed25519", p64);
	} else if (EVP_PKEY_base_id(pkey) == EVP_PKEY_RSA) {
		if ((len = i2d_PUBKEY(pkey, &der)) > 0)
			p64 = b64(der, (size_t) len);
		if (p64 != NULL)
			txt = txt_value("rsa", p64);
		OPENSSL_free(der);
	}
	free(p64);
	EVP_PKEY_free(pkey);
	if (txt == NULL)
		*error_r = "neither an RSA nor an Ed25519 key";
	return txt;
}

char *ma_keygen_txt_strings(const char *txt)
{
	size_t len = strlen(txt), i, n = 0;
	char *out = xmalloc(len + 4 * (len / 255 + 1) + 1);

	for (i = 0; i < len; i += 255) {
		size_t chunk = len - i < 255 ? len - i : 255;

		if (i > 0)
			out[n++] = ' ';
		out[n++] = '"';
		memcpy(out + n, txt + i, chunk);	/* base64, ';', '=', ' ': no escaping */
		n += chunk;
		out[n++] = '"';
	}
	out[n] = '\0';
	return out;
}
