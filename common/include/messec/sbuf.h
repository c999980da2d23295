/*++
 * NAME
 *	sbuf 3h
 * SUMMARY
 *	growable byte buffer with a hard cap
 * DESCRIPTION
 *	Like OpenSSH's sshbuf: appends fail (return -1, buffer unchanged) once
 *	the cap would be exceeded. The data is always NUL-terminated after
 *	len bytes, so text users can read sbuf_str(). The caller owns the
 *	sbuf: sbuf_free(&b) releases it and sets b to NULL.
 *--*/
#ifndef MESSEC_SBUF_H
#define MESSEC_SBUF_H

#include <stddef.h>
#include <stdarg.h>
#include "log.h"

struct sbuf;

struct sbuf *sbuf_new(size_t max_size);
void sbuf_free(struct sbuf **buf);
void sbuf_reset(struct sbuf *buf);
/* 0 ok, -1 would exceed the cap. */
int sbuf_append(struct sbuf *buf, const void *data, size_t len);
int sbuf_append_str(struct sbuf *buf, const char *s);
int sbuf_printf(struct sbuf *buf, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Drop the first n bytes (n <= len). */
void sbuf_consume(struct sbuf *buf, size_t n);
const unsigned char *sbuf_data(const struct sbuf *buf);
const char *sbuf_str(const struct sbuf *buf);
size_t sbuf_len(const struct sbuf *buf);
size_t sbuf_max(const struct sbuf *buf);

#endif
