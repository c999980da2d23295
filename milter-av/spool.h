/*++
 * NAME
 *	spool 3h
 * SUMMARY
 *	one message's bytes: in memory (memfd) up to a limit, then in a
 *	private temp file, never more than a hard cap
 * DESCRIPTION
 *	av_spool_new() opens a memfd. av_spool_write() appends; when the
 *	total would pass mem_max the content moves to an anonymous file in
 *	dir (O_TMPFILE: it has no name, so no other process can open it and
 *	nothing is left behind by a crash; where the file system has no
 *	O_TMPFILE, mkstemp and an immediate unlink). Bytes past max are not
 *	stored: the spool is marked over and the caller does not scan it.
 *	av_spool_fd() gives a descriptor positioned at 0 for the scanner.
 *
 *	Trust boundary: the bytes are the sender's; only their count
 *	matters here, and it is capped (max).
 * DIAGNOSTICS
 *	-1 with errno set (and *error_r a static text) on a system error.
 *--*/
#ifndef AV_SPOOL_H
#define AV_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct av_spool;

/* NULL and *error_r on failure. dir is borrowed until av_spool_free(). */
struct av_spool *av_spool_new(const char *dir, uint64_t mem_max, uint64_t max,
			      const char **error_r);
void av_spool_free(struct av_spool **spool);
/* 0 stored (or dropped because over max: see av_spool_over), -1 error. */
int av_spool_write(struct av_spool *spool, const void *data, size_t len, const char **error_r);
int av_spool_over(const struct av_spool *spool);
int av_spool_in_file(const struct av_spool *spool);	/* moved to the temp file */
uint64_t av_spool_size(const struct av_spool *spool);	/* bytes stored */
/* The descriptor at offset 0 (owned by the spool), or -1. */
int av_spool_fd(struct av_spool *spool, const char **error_r);

#endif
