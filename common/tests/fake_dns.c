/*++
 * NAME
 *	fake_dns 3
 * SUMMARY
 *	a fake DNS server on 127.0.0.1 for unit tests (UDP and TCP)
 * DESCRIPTION
 *	See fake_dns.h. Test code: it trusts the queries of the code under
 *	test only as far as the bounds checks below.
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_dns.h"

#define FAKE_MAX 65535

struct fake_dns {
	int udp, tcp;
	struct sockaddr_in addr;
	char server[32];
	fake_dns_answer_fn *fn;
	void *ctx;
	int stop;		/* __atomic */
	unsigned queries;	/* __atomic */
	pthread_t thread;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, 2000) <= 0)
			return -1;
		n = recv(fd, buf + done, len - done, 0);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void serve_tcp(struct fake_dns *fake, uint8_t *q, uint8_t *r)
{
	int fd = accept(fake->tcp, NULL, NULL);
	uint8_t len2[2];
	size_t qlen, n;

	if (fd < 0)
		return;
	if (read_all(fd, len2, 2) == 0) {
		qlen = (size_t)len2[0] << 8 | len2[1];
		if (read_all(fd, q, qlen) == 0) {
			__atomic_add_fetch(&fake->queries, 1, __ATOMIC_RELAXED);
			/* the reply at r itself: answer functions may cast it
			   to HEADER, which must be aligned */
			n = fake->fn(fake->ctx, q, qlen, r, FAKE_MAX, true);
			if (n > 0) {
				put16(len2, (unsigned)n);
				if (send(fd, len2, 2, MSG_NOSIGNAL | MSG_MORE) == 2)
					(void)send(fd, r, n, MSG_NOSIGNAL);
			}
		}
	}
	close(fd);
}

static void *serve(void *arg)
{
	struct fake_dns *fake = arg;
	uint8_t *q = malloc(FAKE_MAX), *r = malloc(FAKE_MAX);

	while (q != NULL && r != NULL && !__atomic_load_n(&fake->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd[2] = { { fake->udp, POLLIN, 0 }, { fake->tcp, POLLIN, 0 } };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t len;
		size_t n;

		if (poll(pfd, 2, 50) <= 0)
			continue;
		if (pfd[1].revents & POLLIN)
			serve_tcp(fake, q, r);
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		len = recvfrom(fake->udp, q, FAKE_MAX, 0, (struct sockaddr *)&from, &flen);
		if (len < HFIXEDSZ)
			continue;
		__atomic_add_fetch(&fake->queries, 1, __ATOMIC_RELAXED);
		n = fake->fn(fake->ctx, q, (size_t)len, r, FAKE_MAX, false);
		if (n > 0)
			(void)sendto(fake->udp, r, n, 0, (struct sockaddr *)&from, flen);
	}
	free(q);
	free(r);
	return NULL;
}

struct fake_dns *fake_dns_start(fake_dns_answer_fn *fn, void *ctx)
{
	struct fake_dns *fake = calloc(1, sizeof(*fake));
	socklen_t len = sizeof(fake->addr);

	if (fake == NULL)
		return NULL;
	fake->fn = fn;
	fake->ctx = ctx;
	fake->addr.sin_family = AF_INET;
	fake->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fake->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fake->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fake->udp < 0 || fake->tcp < 0 ||
	    bind(fake->udp, (struct sockaddr *)&fake->addr, sizeof(fake->addr)) < 0 ||
	    getsockname(fake->udp, (struct sockaddr *)&fake->addr, &len) < 0 ||
	    bind(fake->tcp, (struct sockaddr *)&fake->addr, sizeof(fake->addr)) < 0 ||
	    listen(fake->tcp, 16) < 0 ||
	    pthread_create(&fake->thread, NULL, serve, fake) != 0) {
		if (fake->udp >= 0)
			close(fake->udp);
		if (fake->tcp >= 0)
			close(fake->tcp);
		free(fake);
		return NULL;
	}
	snprintf(fake->server, sizeof(fake->server), "127.0.0.1:%u", ntohs(fake->addr.sin_port));
	return fake;
}

void fake_dns_stop(struct fake_dns **fakep)
{
	struct fake_dns *fake = *fakep;

	if (fake == NULL)
		return;
	__atomic_store_n(&fake->stop, 1, __ATOMIC_RELEASE);
	pthread_join(fake->thread, NULL);
	close(fake->udp);
	close(fake->tcp);
	free(fake);
	*fakep = NULL;
}

const struct sockaddr_in *fake_dns_addr(const struct fake_dns *fake)
{
	return &fake->addr;
}

const char *fake_dns_server(const struct fake_dns *fake)
{
	return fake->server;
}

unsigned fake_dns_queries(const struct fake_dns *fake)
{
	return __atomic_load_n(&fake->queries, __ATOMIC_RELAXED);
}

/* End of the question (header + name + type + class), or 0. */
static size_t question_end(const uint8_t *q, size_t qlen)
{
	size_t pos = HFIXEDSZ;

	while (pos < qlen && q[pos] != 0) {
		if (q[pos] > 63)
			return 0;
		pos += 1 + q[pos];
	}
	return pos + 1 + QFIXEDSZ <= qlen ? pos + 1 + QFIXEDSZ : 0;
}

int fake_dns_question(const uint8_t *query, size_t qlen, char *name, size_t size,
		      int *type_r)
{
	size_t end = question_end(query, qlen), pos = HFIXEDSZ, out = 0;

	if (end == 0 || size == 0)
		return -1;
	while (query[pos] != 0) {
		size_t n = query[pos++];

		if (out + n + 2 > size)
			return -1;
		if (out > 0)
			name[out++] = '.';
		memcpy(name + out, query + pos, n);
		out += n;
		pos += n;
	}
	name[out] = '\0';
	*type_r = query[end - 4] << 8 | query[end - 3];
	return 0;
}

size_t fake_dns_begin(const uint8_t *query, size_t qlen, uint8_t *reply, size_t size,
		      int rcode)
{
	size_t end = question_end(query, qlen);

	if (end == 0 || end > size)
		return 0;
	memcpy(reply, query, end);
	reply[2] = (uint8_t)(0x84 | (query[2] & 0x01));	/* QR, AA, RD copied */
	reply[3] = (uint8_t)(0x80 | (rcode & 0x0f));		/* RA */
	put16(reply + 4, 1);
	put16(reply + 6, 0);
	put16(reply + 8, 0);
	put16(reply + 10, 0);
	return end;
}

size_t fake_dns_add_rr(uint8_t *reply, size_t len, size_t size, int type,
		       const void *rdata, size_t rdlen)
{
	unsigned an = (unsigned)(reply[6] << 8 | reply[7]);

	if (len == 0 || rdlen > 0xffff || size - len < 12 + rdlen)
		return 0;
	put16(reply + len, 0xc000 | HFIXEDSZ);	/* owner: the question name */
	put16(reply + len + 2, (unsigned)type);
	put16(reply + len + 4, ns_c_in);
	put16(reply + len + 6, 0);
	put16(reply + len + 8, 60);		/* TTL */
	put16(reply + len + 10, (unsigned)rdlen);
	memcpy(reply + len + 12, rdata, rdlen);
	put16(reply + 6, an + 1);
	return len + 12 + rdlen;
}

size_t fake_dns_wire_name(const char *name, uint8_t *out, size_t size)
{
	size_t n = 0;
	const char *p = name;

	while (*p != '\0') {
		size_t len = strcspn(p, ".");

		if (len == 0 || len > 63 || n + 1 + len + 1 > size)
			return 0;
		out[n++] = (uint8_t)len;
		memcpy(out + n, p, len);
		n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	if (n + 1 > size)
		return 0;
	out[n++] = 0;
	return n;
}

size_t fake_dns_add_rr_owner(uint8_t *reply, size_t len, size_t size, const char *owner,
			     int type, const void *rdata, size_t rdlen)
{
	uint8_t wire[256];
	size_t wlen = fake_dns_wire_name(owner, wire, sizeof(wire));
	unsigned an;

	if (len == 0 || wlen == 0 || rdlen > 0xffff || size - len < wlen + 10 + rdlen)
		return 0;
	an = (unsigned)(reply[6] << 8 | reply[7]);
	memcpy(reply + len, wire, wlen);
	len += wlen;
	put16(reply + len, (unsigned)type);
	put16(reply + len + 2, ns_c_in);
	put16(reply + len + 4, 0);
	put16(reply + len + 6, 60);		/* TTL */
	put16(reply + len + 8, (unsigned)rdlen);
	memcpy(reply + len + 10, rdata, rdlen);
	put16(reply + 6, an + 1);
	return len + 10 + rdlen;
}

size_t fake_dns_txt_rdata(const char *spec, uint8_t *rd, size_t size)
{
	size_t n = 0;
	const char *p = spec;

	for (;;) {
		size_t len = strcspn(p, "|");

		if (len > 255 || n + 1 + len > size)
			return 0;
		rd[n++] = (uint8_t)len;
		memcpy(rd + n, p, len);
		n += len;
		if (p[len] == '\0')
			return n;
		p += len + 1;
	}
}
