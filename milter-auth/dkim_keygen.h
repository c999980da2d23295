/*++
 * NAME
 *	dkim_keygen 3h
 * SUMMARY
 *	DKIM key pairs for messec-dkim-keygen: private key file, DNS record
 * SYNOPSIS
 *	#include "dkim_keygen.h"
 * DESCRIPTION
 *	ma_keygen_write() makes an RSA (bits >= 2048) or Ed25519 key pair
 *	with OpenSSL and writes the private key (PKCS#8 PEM) to a new file
 *	created with mode 0600 (O_EXCL: an existing file is never
 *	overwritten). ma_keygen_txt() gives the DNS TXT value of its public
 *	key (RFC 6376 section 3.6.1: "v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo,
 *	base64>"; RFC 8463 section 4.2: k=ed25519, p = the raw 32-byte key)
 *	and ma_keygen_txt_strings() splits it into quoted strings of at
 *	most 255 bytes (RFC 6376 section 3.6.2.2) for a zone file.
 * DIAGNOSTICS
 *	-1 / NULL with *error_r (static text or errno text).
 *--*/
#ifndef MA_DKIM_KEYGEN_H
#define MA_DKIM_KEYGEN_H

#include <stddef.h>

enum ma_keygen_type { MA_KEYGEN_RSA, MA_KEYGEN_ED25519 };

/* Write a new private key to path. 0 ok, -1 with *error_r. */
int ma_keygen_write(enum ma_keygen_type type, unsigned bits, const char *path,
		    const char **error_r);
/* TXT value for the private key in path (malloc'ed), or NULL. */
char *ma_keygen_txt(const char *path, const char **error_r);
/* "\"...\" \"...\"" with strings of at most 255 bytes (malloc'ed). */
char *ma_keygen_txt_strings(const char *txt);

#endif
