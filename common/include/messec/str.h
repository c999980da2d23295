/*++
 * NAME
 *	str 3h
 * SUMMARY
 *	bounded string helpers
 * DESCRIPTION
 *	str_copy() is strlcpy (Debian 12's glibc has none): returns strlen(src);
 *	a result >= size means truncation, which the caller must check.
 *	ms_str_parse_uint() parses a decimal within [min, max], whole string only.
 *	(The ms_ prefix: libdovecot exports a str_parse_uint() of its own, and
 *	the MFA plugin links this library inside Dovecot's auth process.)
 *	xmalloc()/xcalloc()/xrealloc()/xstrdup()/xstrndup() abort on OOM.
 *--*/
#ifndef MESSEC_STR_H
#define MESSEC_STR_H

#include <stddef.h>
#include <stdint.h>

size_t str_copy(char *dst, const char *src, size_t size);
int ms_str_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *value_r);
/* Lower-case ASCII in place. */
void str_lower(char *s);
/* Trim ASCII white space at both ends, in place; returns s. */
char *str_trim(char *s);

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
