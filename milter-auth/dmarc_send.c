/*++
 * NAME
 *	dmarc_send 3
 * SUMMARY
 *	DMARC aggregate report mail: gzip, message, local sendmail
 * SYNOPSIS
 *	#include "dmarc_send.h"
 * DESCRIPTION
 *	See dmarc_send.h. Compression is zlib's (gzip wrapper), base64 is
 *	OpenSSL's EVP_EncodeBlock; nothing homemade.
 *
 *	Every text put in a header field here comes from our own options
 *	or from dmarc_rua.c's checked address and the store's checked
 *	domains; ma_send_message() still refuses a CR or LF in any of them.
 * STANDARDS
 *	RFC 7489 section 7.2.1.1 (Subject, file name, media type
 *	application/gzip), RFC 2045/2046 (MIME), RFC 5322.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>
#include "messec/sbuf.h"
#include "messec/sock.h"
#include "dmarc_send.h"

int ma_send_gzip(const void *data, size_t len, unsigned char **out_r, size_t *out_len_r)
{
	z_stream z;
	uLong bound;
	unsigned char *out;
	int rc;

	if (len > 0x7fffffffu)
		return -1;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer (zlib manual). */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong) len) + 32;	/* + the gzip header */
	if ((out = malloc(bound)) == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *) (uintptr_t) data;
	z.avail_in = (uInt) len;
	z.next_out = out;
	z.avail_out = (uInt) bound;
	rc = deflate(&z, Z_FINISH);
	if (rc != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return -1;
	}
	*out_len_r = z.total_out;
	deflateEnd(&z);
	*out_r = out;
	return 0;
}

static int one_line(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

int ma_send_message(struct sbuf *out, const struct ma_send_mail *m)
{
	char date[64], boundary[40], b64[80];
	unsigned char rnd[12];
	struct tm tm;
	size_t i;
	int rc = 0;

	if (!one_line(m->from) || !one_line(m->to) || !one_line(m->org_name) ||
	    !one_line(m->submitter) || !one_line(m->policy_domain) ||
	    !one_line(m->report_id) || !one_line(m->filename))
		return -1;
	gmtime_r(&m->now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	snprintf(boundary, sizeof(boundary), "=_messec_");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(boundary + 9 + 2 * i, 3, "%02x", rnd[i]);
	/* RFC 7489 section 7.2.1.1: the Subject names the policy domain,
	   the submitter and the report ID. */
	rc |= sbuf_printf(out, "From: %s\nTo: %s\nDate: %s\n"
			  "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\n"
			  "Message-ID: <%s.%s@%s>\nMIME-Version: 1.0\n"
			  "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
			  "This is a DMARC aggregate report (RFC 7489) in MIME format.\n\n"
			  "--%s\nContent-Type: text/plain; charset=us-ascii\n\n"
			  "DMARC aggregate report for %s from %s (report id %s).\n\n"
			  "--%s\nContent-Type: application/gzip; name=\"%s\"\n"
			  "Content-Transfer-Encoding: base64\n"
			  "Content-Disposition: attachment; filename=\"%s\"\n\n",
			  m->from, m->to, date, m->policy_domain, m->submitter, m->report_id,
			  m->report_id, boundary + 9, m->submitter, boundary, boundary,
			  m->policy_domain, m->org_name, m->report_id, boundary, m->filename,
			  m->filename);
	/* base64 lines of 76 characters: 57 input bytes each (RFC 2045 6.8) */
	for (i = 0; i < m->gz_len && rc == 0; i += 57) {
		size_t n = m->gz_len - i < 57 ? m->gz_len - i : 57;

		EVP_EncodeBlock((unsigned char *) b64, m->gz + i, (int) n);
		rc |= sbuf_printf(out, "%s\n", b64);
	}
	rc |= sbuf_printf(out, "\n--%s--\n", boundary);
	return rc == 0 ? 0 : -1;
}

/* Write all of buf to fd, giving up at deadline; 0 ok, -1 error/timeout. */
static int write_all(int fd, const char *buf, size_t len, time_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	while (len > 0) {
		ssize_t n;

		if (time(NULL) >= deadline || poll(&p, 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!(p.revents & POLLOUT)) {
			if (p.revents & (POLLERR | POLLHUP))
				return -1;
			continue;
		}
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t) n;
	}
	return 0;
}

/*
 * write_all() with SIGPIPE blocked: a sendmail that exits without reading
 * everything (refused arguments, a full disk) makes the write fail with
 * EPIPE, which is an error to report, not a reason to kill the caller.
 * The SIGPIPE the write raised is taken back before the old mask returns
 * (unless one was already pending, which stays). pipe(7), signal(7).
 */
static int write_nopipe(int fd, const char *buf, size_t len, time_t deadline)
{
	struct sock_sigpipe saved;
	int rc;

	sock_sigpipe_block(&saved);
	rc = write_all(fd, buf, len, deadline);
	sock_sigpipe_restore(&saved);
	return rc;
}

int ma_send_sendmail(const char *path, const char *from, const char *to, const void *msg,
		     size_t len, unsigned timeout_s, char *err, size_t err_size)
{
	int fds[2], status = 0, wrote;
	time_t deadline = time(NULL) + (time_t) timeout_s;
	pid_t pid, w;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, err_size, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, err_size, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* -i: a line with a single dot is no end; -f: envelope sender;
		   "--": the address is never read as an option. */
		if (dup2(fds[0], 0) < 0)
			_exit(127);
		execl(path, path, "-i", "-f", from, "--", to, (char *) NULL);
		_exit(127);
	}
	close(fds[0]);
	(void) fcntl(fds[1], F_SETFL, O_NONBLOCK);
	wrote = write_nopipe(fds[1], msg, len, deadline);
	close(fds[1]);
	/* Wait for the exit status: only 0 means the MTA took the message. */
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && time(NULL) < deadline)
		usleep(50 * 1000);
	if (w == 0) {
		kill(pid, SIGKILL);
		(void) waitpid(pid, &status, 0);
		snprintf(err, err_size, "%s: no answer within %u s", path, timeout_s);
		return -1;
	}
	if (w < 0) {
		snprintf(err, err_size, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, err_size, "%s %s (status %d)", path,
			 WIFEXITED(status) ? "failed" : "was killed",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	if (wrote != 0) {
		snprintf(err, err_size, "%s: could not write the whole message", path);
		return -1;
	}
	return 0;
}
