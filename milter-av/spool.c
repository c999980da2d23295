/*++
 * NAME
 *	spool 3
 * SUMMARY
 *	message spool: memfd, then an anonymous temp file (see spool.h)
 * DESCRIPTION
 *	Writes go through a small buffer: the milter spools each header as
 *	four pieces (name, ": ", value, CRLF), which were four write(2)s
 *	each, about 28 per message on the benchmark corpus (callgrind call
 *	counts, docs/milter-av.md). The buffer is flushed before the content
 *	moves to the file, when it is full, and by av_spool_fd(); size
 *	counts buffered bytes, so the limits are unchanged.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include "messec/str.h"
#include "spool.h"

#define SPOOL_BUF 8192

struct av_spool {
	int fd;
	int in_file;
	int over;
	uint64_t size, mem_max, max;	/* size: stored and buffered bytes */
	const char *dir;
	size_t blen;			/* bytes in buf, not yet written */
	unsigned char buf[SPOOL_BUF];
};

struct av_spool *av_spool_new(const char *dir, uint64_t mem_max, uint64_t max,
			      const char **error_r)
{
	struct av_spool *s;
	int fd = memfd_create("messec-av-spool", MFD_CLOEXEC);

	if (fd < 0) {
		*error_r = "memfd_create failed";
		return NULL;
	}
	/* Not xcalloc: zeroing the 8 KB buffer was most of a message's own
	   cost outside the scan (callgrind); only the fields need values. */
	s = xmalloc(sizeof(*s));
	s->in_file = s->over = 0;
	s->size = 0;
	s->blen = 0;
	s->fd = fd;
	s->mem_max = mem_max;
	s->max = max;
	s->dir = dir;
	return s;
}

void av_spool_free(struct av_spool **sp)
{
	if (*sp == NULL)
		return;
	if ((*sp)->fd >= 0)
		close((*sp)->fd);
	free(*sp);
	*sp = NULL;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

/* An anonymous file in dir, 0600; -1 on failure. */
static int open_private(const char *dir)
{
	char path[PATH_MAX];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC | O_EXCL, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if (snprintf(path, sizeof(path), "%s/messec-av.XXXXXX", dir) >= (int) sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

/* Write out the buffer. */
static int flush(struct av_spool *s, const char **error_r)
{
	if (s->blen > 0 && write_all(s->fd, s->buf, s->blen) != 0) {
		*error_r = s->in_file ? "cannot write the spool file" : "cannot write the memory spool";
		return -1;
	}
	s->blen = 0;
	return 0;
}

/* Move what the memfd holds into the temp file. */
static int move_to_file(struct av_spool *s, const char **error_r)
{
	int fd;
	off_t off = 0;

	if (flush(s, error_r) != 0)
		return -1;
	if ((fd = open_private(s->dir)) < 0) {
		*error_r = "cannot create the spool file";
		return -1;
	}
	while ((uint64_t) off < s->size) {
		ssize_t n = sendfile(fd, s->fd, &off, (size_t) (s->size - (uint64_t) off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			*error_r = "cannot copy to the spool file";
			if (n == 0)
				errno = EIO;
			return -1;
		}
	}
	close(s->fd);
	s->fd = fd;
	s->in_file = 1;
	return 0;
}

int av_spool_write(struct av_spool *s, const void *data, size_t len, const char **error_r)
{
	if (s->over || len == 0)
		return 0;
	if (len > s->max - s->size) {
		s->over = 1;	/* not scanned: the verdict says so */
		return 0;
	}
	if (!s->in_file && s->size + len > s->mem_max && move_to_file(s, error_r) != 0)
		return -1;
	if (len <= sizeof(s->buf) - s->blen) {
		memcpy(s->buf + s->blen, data, len);
		s->blen += len;
	} else if (flush(s, error_r) != 0) {
		return -1;
	} else if (len < sizeof(s->buf)) {
		memcpy(s->buf, data, len);
		s->blen = len;
	} else if (write_all(s->fd, data, len) != 0) {
		*error_r = s->in_file ? "cannot write the spool file" : "cannot write the memory spool";
		return -1;
	}
	s->size += len;
	return 0;
}

int av_spool_over(const struct av_spool *s)
{
	return s->over;
}

int av_spool_in_file(const struct av_spool *s)
{
	return s->in_file;
}

uint64_t av_spool_size(const struct av_spool *s)
{
	return s->size;
}

int av_spool_fd(struct av_spool *s, const char **error_r)
{
	if (flush(s, error_r) != 0)
		return -1;
	if (lseek(s->fd, 0, SEEK_SET) != 0) {
		*error_r = "cannot rewind the spool";
		return -1;
	}
	return s->fd;
}
