/*++
 * NAME
 *	secret 3h
 * SUMMARY
 *	secret hygiene: wipe, constant-time compare, file secrecy check
 * DESCRIPTION
 *	secret_wipe() is OPENSSL_cleanse. secret_equal() compares equal-length
 *	buffers in constant time (CRYPTO_memcmp); different lengths are unequal
 *	(length is not secret). secret_random() fills from getrandom(2).
 *	secret_file_check(): owner must be root or owner_uid, no group/world
 *	write; when key is set, no group/world read either (OpenSMTPD's
 *	check_file_secrecy). 0 ok, -1 with *error_r (static or thread-local).
 *--*/
#ifndef MESSEC_SECRET_H
#define MESSEC_SECRET_H

#include <stddef.h>
#include <sys/types.h>

void secret_wipe(void *p, size_t len);
int secret_equal(const void *a, size_t alen, const void *b, size_t blen);
int secret_random(void *buf, size_t len);
int secret_file_check(const char *path, uid_t owner_uid, int key, const char **error_r);

#endif
