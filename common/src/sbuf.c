/*++
 * NAME
 *	sbuf 3
 * SUMMARY
 *	growable byte buffer with a hard cap
 * SYNOPSIS
 *	#include <messec/sbuf.h>
 * DESCRIPTION
 *	A buffer that grows on demand up to max_size bytes of content (the
 *	terminating NUL is not counted). An append that would go over the
 *	cap fails and leaves the buffer exactly as it was, so callers can
 *	answer "too long" on a clean state (OpenSSH's sshbuf max_size).
 *	The content is NUL-terminated at all times.
 * TRUST BOUNDARY
 *	Holds peer data (policy requests, HTTP requests); all sizes are
 *	checked against the cap before any arithmetic that could overflow.
 * DIAGNOSTICS
 *	Appends return -1 when the cap would be exceeded; allocation failure
 *	panics (xrealloc).
 *--*/
#include <messec/sbuf.h>
#include <messec/str.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	unsigned char *data;
	size_t len;		/* content bytes, data[len] == '\0' */
	size_t alloc;		/* allocated bytes, >= len + 1 */
	size_t max;		/* cap on len */
};

struct sbuf *sbuf_new(size_t max_size)
{
	struct sbuf *buf = xcalloc(1, sizeof(*buf));

	/* Keep len + 1 from overflowing. */
	if (max_size >= SIZE_MAX / 2)
		max_size = SIZE_MAX / 2;
	buf->max = max_size;
	buf->alloc = max_size < 64 ? max_size + 1 : 64;
	buf->data = xmalloc(buf->alloc);
	buf->data[0] = '\0';
	return buf;
}

void sbuf_free(struct sbuf **buf)
{
	if (*buf == NULL)
		return;
	free((*buf)->data);
	free(*buf);
	*buf = NULL;
}

void sbuf_reset(struct sbuf *buf)
{
	buf->len = 0;
	buf->data[0] = '\0';
}

/* Make room for len + extra + 1 bytes; -1 when over the cap. */
static int sbuf_reserve(struct sbuf *buf, size_t extra)
{
	size_t need, alloc;

	if (extra > buf->max - buf->len)
		return -1;
	need = buf->len + extra + 1;
	if (need <= buf->alloc)
		return 0;
	alloc = buf->alloc;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	if (alloc > buf->max + 1)
		alloc = buf->max + 1;
	buf->data = xrealloc(buf->data, alloc);
	buf->alloc = alloc;
	return 0;
}

int sbuf_append(struct sbuf *buf, const void *data, size_t len)
{
	if (sbuf_reserve(buf, len) < 0)
		return -1;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int sbuf_append_str(struct sbuf *buf, const char *s)
{
	return sbuf_append(buf, s, strlen(s));
}

int sbuf_printf(struct sbuf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* First pass measures, second pass writes into reserved room. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sbuf_reserve(buf, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf((char *)buf->data + buf->len, buf->alloc - buf->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->data[buf->len] = '\0';
		return -1;
	}
	buf->len += (size_t)n;
	return 0;
}

void sbuf_consume(struct sbuf *buf, size_t n)
{
	if (n > buf->len)
		log_panic("sbuf_consume: %zu > length %zu", n, buf->len);
	memmove(buf->data, buf->data + n, buf->len - n);
	buf->len -= n;
	buf->data[buf->len] = '\0';
}

const unsigned char *sbuf_data(const struct sbuf *buf)
{
	return buf->data;
}

const char *sbuf_str(const struct sbuf *buf)
{
	return (const char *)buf->data;
}

size_t sbuf_len(const struct sbuf *buf)
{
	return buf->len;
}

size_t sbuf_max(const struct sbuf *buf)
{
	return buf->max;
}
