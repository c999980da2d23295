/*++
 * NAME
 *	test_dmarc_dns 1
 * SUMMARY
 *	dmarc_dns.c against a fake DNS server on 127.0.0.1 (UDP, this process)
 * DESCRIPTION
 *	A thread answers TXT queries from a table: several character-strings
 *	in one record, several records, CNAME chains, NXDOMAIN, NODATA,
 *	SERVFAIL, REFUSED, silence, and malformed rdata. Checks the
 *	three-way outcome (a DNS error is never "not found") and that a
 *	silent server is asked at most twice (the retry bound set in
 *	dmarc_dns.c); elapsed time is printed, not asserted.
 *--*/
#include "../../common/tests/test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "../dmarc.h"
#include "../dmarc_int.h"

enum answer_kind { A_TXT, A_NX, A_NODATA, A_SERVFAIL, A_REFUSED, A_SILENT, A_BADRDATA, A_CNAME };

struct zone_entry {
	const char *qname;
	enum answer_kind kind;
	const char *strings[4];	/* TXT: one RR per entry, "|" splits character-strings */
};

static const struct zone_entry zone[] = {
	{ "_dmarc.one.example", A_TXT, { "v=DMARC1; p=reject" } },
	{ "_dmarc.split.example", A_TXT, { "v=DMARC1; |p=quar|antine" } },
	{ "_dmarc.two.example", A_TXT, { "v=DMARC1; p=reject", "v=DMARC1; p=none" } },
	{ "_dmarc.nx.example", A_NX, { NULL } },
	{ "_dmarc.nodata.example", A_NODATA, { NULL } },
	{ "_dmarc.servfail.example", A_SERVFAIL, { NULL } },
	{ "_dmarc.refused.example", A_REFUSED, { NULL } },
	{ "_dmarc.silent.example", A_SILENT, { NULL } },
	{ "_dmarc.bad.example", A_BADRDATA, { NULL } },
	{ "_dmarc.cname.example", A_CNAME, { "v=DMARC1; p=none" } },
};

static int server_fd = -1;
static struct sockaddr_in server_addr;
static atomic_int server_stop;
static pthread_t server_thread;
static atomic_int queries[sizeof(zone) / sizeof(zone[0])];

/* Read the question name at msg+12 as "a.b.c"; returns bytes used or -1. */
static int read_qname(const unsigned char *msg, size_t len, char *name, size_t size)
{
	size_t pos = 12, out = 0;

	while (pos < len && msg[pos] != 0) {
		size_t n = msg[pos++];

		if (n > 63 || pos + n > len || out + n + 2 > size)
			return -1;
		if (out > 0)
			name[out++] = '.';
		memcpy(name + out, msg + pos, n);
		out += n;
		pos += n;
	}
	name[out] = '\0';
	return pos < len ? (int)(pos + 1 - 12) : -1;
}

static size_t put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return 2;
}

/* Append an RR with a compressed owner name (pointer to the question). */
static size_t put_rr(unsigned char *p, unsigned type, const unsigned char *rdata, size_t rdlen)
{
	size_t n = 0;

	n += put16(p + n, 0xc00c);	/* owner: the question name */
	n += put16(p + n, type);
	n += put16(p + n, 1);		/* IN */
	n += put16(p + n, 0);
	n += put16(p + n, 60);		/* TTL */
	n += put16(p + n, (unsigned)rdlen);
	memcpy(p + n, rdata, rdlen);
	return n + rdlen;
}

static size_t txt_rdata(const char *spec, unsigned char *rd)
{
	size_t n = 0;
	const char *p = spec;

	for (;;) {
		size_t len = strcspn(p, "|");

		rd[n++] = (unsigned char)len;
		memcpy(rd + n, p, len);
		n += len;
		if (p[len] == '\0')
			return n;
		p += len + 1;
	}
}

static size_t answer(const unsigned char *q, size_t qlen, unsigned char *r)
{
	char name[256];
	int qn = read_qname(q, qlen, name, sizeof(name));
	size_t i, n, e, ancount = 0;
	unsigned char rd[600];
	unsigned rcode = 0;

	if (qn < 0)
		return 0;
	for (e = 0; e < sizeof(zone) / sizeof(zone[0]); e++) {
		if (strcasecmp(zone[e].qname, name) == 0)
			break;
	}
	if (e == sizeof(zone) / sizeof(zone[0]))
		rcode = 3;
	else
		queries[e]++;
	if (e < sizeof(zone) / sizeof(zone[0]) && zone[e].kind == A_SILENT)
		return 0;
	n = 12 + (size_t)qn + 4;	/* header + question */
	memcpy(r, q, n);
	if (e < sizeof(zone) / sizeof(zone[0])) {
		switch (zone[e].kind) {
		case A_TXT:
			for (i = 0; i < 4 && zone[e].strings[i] != NULL; i++, ancount++)
				n += put_rr(r + n, 16, rd, txt_rdata(zone[e].strings[i], rd));
			break;
		case A_CNAME: {
			static const unsigned char target[] = "\x06target\x07" "example";

			n += put_rr(r + n, 5, target, sizeof(target));
			/* the target's TXT, owner written out in full */
			memcpy(r + n, target, sizeof(target));
			n += sizeof(target);
			n += put16(r + n, 16) + put16(r + n + 2, 1) + put16(r + n + 4, 0) + put16(r + n + 6, 60);
			i = txt_rdata(zone[e].strings[0], rd);
			n += put16(r + n, (unsigned)i);
			memcpy(r + n, rd, i);
			n += i;
			ancount = 2;
			break;
		}
		case A_BADRDATA:
			rd[0] = 200;	/* a character-string longer than the rdata */
			memcpy(rd + 1, "abc", 3);
			n += put_rr(r + n, 16, rd, 4);
			ancount = 1;
			break;
		case A_NX: rcode = 3; break;
		case A_SERVFAIL: rcode = 2; break;
		case A_REFUSED: rcode = 5; break;
		default: break;
		}
	}
	r[2] = 0x84 | (q[2] & 0x01);	/* QR, AA, RD copied */
	r[3] = (unsigned char)(0x80 | rcode);	/* RA */
	put16(r + 6, (unsigned)ancount);
	put16(r + 8, 0);
	put16(r + 10, 0);
	return n;
}

static void *serve(void *arg)
{
	unsigned char q[512], r[4096];

	(void)arg;
	while (!server_stop) {
		struct pollfd pfd = { server_fd, POLLIN, 0 };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t len;
		size_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = recvfrom(server_fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		if (len < 12)
			continue;
		if ((n = answer(q, (size_t)len, r)) > 0)
			(void)sendto(server_fd, r, n, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static int setup(void **state)
{
	socklen_t len = sizeof(server_addr);

	(void)state;
	server_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&server_addr, 0, sizeof(server_addr));
	server_addr.sin_family = AF_INET;
	server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (server_fd < 0 || bind(server_fd, (struct sockaddr *)&server_addr, sizeof(server_addr)) < 0 ||
	    getsockname(server_fd, (struct sockaddr *)&server_addr, &len) < 0)
		return -1;
	return pthread_create(&server_thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	server_stop = 1;
	pthread_join(server_thread, NULL);
	close(server_fd);
	return 0;
}

struct dns_case {
	const char *name, *qname;
	enum ma_dmarc_lookup want;
	size_t want_count;
	const char *want_first, *want_second;
};

static const struct dns_case dns_cases[] = {
	{ "dns: one record", "_dmarc.one.example", MA_DMARC_LOOKUP_FOUND, 1, "v=DMARC1; p=reject", NULL },
	{ "dns: character-strings concatenated", "_dmarc.split.example", MA_DMARC_LOOKUP_FOUND, 1,
	  "v=DMARC1; p=quarantine", NULL },
	{ "dns: two records kept apart", "_dmarc.two.example", MA_DMARC_LOOKUP_FOUND, 2,
	  "v=DMARC1; p=reject", "v=DMARC1; p=none" },
	{ "dns: NXDOMAIN is not found", "_dmarc.nx.example", MA_DMARC_LOOKUP_NOTFOUND, 0, NULL, NULL },
	{ "dns: NODATA is not found", "_dmarc.nodata.example", MA_DMARC_LOOKUP_NOTFOUND, 0, NULL, NULL },
	{ "dns: SERVFAIL is retry", "_dmarc.servfail.example", MA_DMARC_LOOKUP_RETRY, 0, NULL, NULL },
	{ "dns: REFUSED is retry", "_dmarc.refused.example", MA_DMARC_LOOKUP_RETRY, 0, NULL, NULL },
	{ "dns: malformed rdata dropped", "_dmarc.bad.example", MA_DMARC_LOOKUP_NOTFOUND, 0, NULL, NULL },
	{ "dns: CNAME chain followed", "_dmarc.cname.example", MA_DMARC_LOOKUP_FOUND, 1, "v=DMARC1; p=none", NULL },
};

static void test_dns(void **state)
{
	const struct dns_case *c = *state;
	struct ma_dmarc_txt txt = { 0 };

	assert_int_equal(dmarc_dns_txt_at(c->qname, 2000, &server_addr, &txt), c->want);
	assert_int_equal(txt.count, c->want_count);
	if (c->want_first != NULL)
		assert_string_equal(txt.records[0], c->want_first);
	if (c->want_second != NULL)
		assert_string_equal(txt.records[1], c->want_second);
	ma_dmarc_txt_clear(&txt);
}

static void test_silent(void **state)
{
	struct ma_dmarc_txt txt = { 0 };
	struct timespec t0, t1;
	size_t e;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dmarc_dns_txt_at("_dmarc.silent.example", 2000, &server_addr, &txt),
			 MA_DMARC_LOOKUP_RETRY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (e = 0; strcmp(zone[e].qname, "_dmarc.silent.example") != 0; e++)
		;
	printf("# silent server: %d queries, %.1f s (timeout 2 s)\n", atomic_load(&queries[e]),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_in_range(atomic_load(&queries[e]), 1, 2);
	assert_int_equal(txt.count, 0);
}

/* Several threads at once, each with its own resolver state (as milter threads). */
#define THREADS 8
#define ROUNDS 25

static void *lookup_worker(void *arg)
{
	long *bad = arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		struct ma_dmarc_txt txt = { 0 };
		const struct dns_case *c = &dns_cases[i % 3];

		if (dmarc_dns_txt_at(c->qname, 2000, &server_addr, &txt) != c->want ||
		    txt.count != c->want_count || strcmp(txt.records[0], c->want_first) != 0)
			(*bad)++;
		ma_dmarc_txt_clear(&txt);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t tid[THREADS];
	long bad[THREADS] = { 0 };
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, lookup_worker, &bad[i]), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, dns_cases, test_dns);
	tests_add(&l, "dns: silent server is retry, asked at most twice", test_silent, NULL);
	tests_add(&l, "dns: 8 threads at once", test_threads, NULL);
	return tests_run(&l, "dmarc dns", setup, teardown);
}
