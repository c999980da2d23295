/*++
 * NAME
 *	str 3
 * SUMMARY
 *	bounded string helpers and allocators that abort on OOM
 * SYNOPSIS
 *	#include <messec/str.h>
 *
 *	size_t str_copy(char *dst, const char *src, size_t size);
 *	int ms_str_parse_uint(const char *s, uint64_t min, uint64_t max,
 *			uint64_t *value_r);
 *	void str_lower(char *s);
 *	char *str_trim(char *s);
 *	void *xmalloc(size_t size); (and xcalloc, xrealloc, xstrdup, xstrndup)
 * DESCRIPTION
 *	str_copy() has strlcpy(3) semantics: it always NUL-terminates when
 *	size > 0 and returns strlen(src), so "result >= size" is the one
 *	truncation test (Debian 12's glibc has no strlcpy).
 *
 *	ms_str_parse_uint() accepts only ASCII digits (no sign, no white space,
 *	no "0x"), the whole string, and a value within [min, max]; it is the
 *	replacement for atoi/strtoul with their silent failures.
 *
 *	The x*() allocators never return NULL: out of memory is a broken
 *	invariant for a mail filter (Postfix's milter_default_action covers
 *	the crash), so they log_panic().
 * TRUST BOUNDARY
 *	Used on peer input (policy attributes, config text); every function
 *	is bounded by its arguments.
 * DIAGNOSTICS
 *	ms_str_parse_uint() returns -1 on any syntax or range problem.
 *--*/
#include <messec/str.h>
#include <messec/log.h>

#include <stdlib.h>
#include <string.h>

size_t str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int ms_str_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *value_r)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		/* Overflow check before the multiply-add. */
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*value_r = v;
	return 0;
}

void str_lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static int is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

char *str_trim(char *s)
{
	size_t start = 0, len = strlen(s);

	while (len > 0 && is_ascii_space(s[len - 1]))
		len--;
	while (start < len && is_ascii_space(s[start]))
		start++;
	if (start > 0)
		memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return s;
}

void *xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);

	if (p == NULL)
		log_panic("xmalloc: out of memory (%zu bytes)", size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p;

	/* calloc checks nmemb * size for overflow itself. */
	p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);
	if (p == NULL)
		log_panic("xcalloc: out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size == 0 ? 1 : size);

	if (p == NULL)
		log_panic("xrealloc: out of memory (%zu bytes)", size);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p;

	if (len == SIZE_MAX)
		log_panic("xstrndup: length overflow");
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
