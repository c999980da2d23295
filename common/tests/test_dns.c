/*++
 * NAME
 *	test_dns 1
 * SUMMARY
 *	common/src/dns.c against the fake DNS server on 127.0.0.1
 * DESCRIPTION
 *	The fake server (fake_dns.c) answers by the first label of the name:
 *	ok, nx, nodata, servfail, refused, tc (truncated over UDP, whole
 *	over TCP), tcdead (truncated, nothing over TCP), malformed (an RR
 *	past the end), badtxt (a character-string overrunning its rdata),
 *	silent, spoof (a reply with the wrong ID), cname, split, two, mx.
 *	Checks the five-way result, the helpers, that silence is bounded by
 *	the caller's timeout whatever the number of servers, failover from
 *	a SERVFAIL server (a correctness bound, generous: not a
 *	performance number), and 8 threads sharing one resolver.
 *--*/
#include "test_util.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "messec/dns.h"
#include "fake_dns.h"

static struct fake_dns *fake;
static struct dns_resolver *resolver;
static unsigned last_id;	/* __atomic: ID of the last query the fake saw */

/*
 * The test binary is linked with -Wl,--wrap=getrandom (common/module.mk),
 * so a test can choose what getrandom() gives dns.c: FIXED gives 0xbeef,
 * FAIL fails. Proves the query ID comes from getrandom() (RFC 5452 9.2).
 */
enum { RANDOM_REAL, RANDOM_FIXED, RANDOM_FAIL };
static int random_mode;		/* __atomic */
ssize_t __real_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
	switch (__atomic_load_n(&random_mode, __ATOMIC_ACQUIRE)) {
	case RANDOM_FIXED:
		memset(buf, 0, len);
		if (len >= 2)
			memcpy(buf, "\xbe\xef", 2);
		return (ssize_t)len;
	case RANDOM_FAIL:
		errno = EIO;
		return -1;
	}
	return __real_getrandom(buf, len, flags);
}

static size_t answer(void *ctx, const uint8_t *q, size_t qlen, uint8_t *r, size_t size,
		     bool tcp)
{
	char name[NS_MAXDNAME], first[64];
	uint8_t rd[1024];
	size_t n, rdlen;
	int type;

	if (fake_dns_question(q, qlen, name, sizeof(name), &type) < 0)
		return 0;
	__atomic_store_n(&last_id, (unsigned)(q[0] << 8 | q[1]), __ATOMIC_RELEASE);
	if (ctx != NULL)	/* a broken server: SERVFAIL for everything */
		return fake_dns_begin(q, qlen, r, size, ns_r_servfail);
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(name, "."), name);
	if (strcmp(first, "silent") == 0)
		return 0;
	if (strcmp(first, "nx") == 0)
		return fake_dns_begin(q, qlen, r, size, ns_r_nxdomain);
	if (strcmp(first, "servfail") == 0)
		return fake_dns_begin(q, qlen, r, size, ns_r_servfail);
	if (strcmp(first, "refused") == 0)
		return fake_dns_begin(q, qlen, r, size, ns_r_refused);
	n = fake_dns_begin(q, qlen, r, size, ns_r_noerror);
	if (strcmp(first, "ok") == 0) {
		n = fake_dns_add_rr(r, n, size, ns_t_a, "\xc0\x00\x02\x01", 4);
	} else if (strcmp(first, "tc") == 0 || strcmp(first, "tcdead") == 0) {
		if (!tcp) {
			r[2] |= 0x02;	/* TC, no answer */
			return n;
		}
		if (strcmp(first, "tcdead") == 0)
			return 0;
		rdlen = fake_dns_txt_rdata("v=spf1 |-all", rd, sizeof(rd));
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
	} else if (strcmp(first, "malformed") == 0) {
		n = fake_dns_add_rr(r, n, size, ns_t_a, "\xc0\x00\x02\x01", 4);
		n -= 3;		/* the RR's rdata ends past the message */
	} else if (strcmp(first, "badtxt") == 0) {
		n = fake_dns_add_rr(r, n, size, ns_t_txt, "\xc8" "abc", 4);
	} else if (strcmp(first, "spoof") == 0) {
		n = fake_dns_add_rr(r, n, size, ns_t_a, "\xc0\x00\x02\x66", 4);
		r[0] ^= 0x5a;	/* someone else's ID */
	} else if (strcmp(first, "cname") == 0) {
		static const uint8_t target[] = "\x06target\x07" "example";
		uint8_t *p;

		n = fake_dns_add_rr(r, n, size, ns_t_cname, target, sizeof(target));
		rdlen = fake_dns_txt_rdata("v=DMARC1; p=none", rd, sizeof(rd));
		/* the target's TXT, then its owner rewritten in full */
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
		p = r + n - rdlen - 12;
		memmove(p + sizeof(target), p + 2, 10 + rdlen);
		memcpy(p, target, sizeof(target));
		n += sizeof(target) - 2;
	} else if (strcmp(first, "split") == 0) {
		rdlen = fake_dns_txt_rdata("v=spf1 |include:x|.example -all", rd, sizeof(rd));
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
	} else if (strcmp(first, "two") == 0) {
		rdlen = fake_dns_txt_rdata("first", rd, sizeof(rd));
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
		rdlen = fake_dns_txt_rdata("sec|ond", rd, sizeof(rd));
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
	} else if (strcmp(first, "stray") == 0) {
		/* someone else's A first, then ours (RFC 1034 4.3.2: not ours) */
		n = fake_dns_add_rr_owner(r, n, size, "evil.example", ns_t_a,
					  "\xc0\x00\x02\x42", 4);
		n = fake_dns_add_rr(r, n, size, ns_t_a, "\xc0\x00\x02\x01", 4);
	} else if (strcmp(first, "strayonly") == 0) {
		n = fake_dns_add_rr_owner(r, n, size, "evil.example", ns_t_a,
					  "\xc0\x00\x02\x42", 4);
	} else if (strcmp(first, "chain") == 0) {
		/* out of order: the end's TXT, a stray TXT, then the two links */
		uint8_t wire[64];
		size_t wl;

		rdlen = fake_dns_txt_rdata("v=spf1 chain", rd, sizeof(rd));
		n = fake_dns_add_rr_owner(r, n, size, "b.example", ns_t_txt, rd, rdlen);
		rdlen = fake_dns_txt_rdata("v=spf1 +all", rd, sizeof(rd));
		n = fake_dns_add_rr_owner(r, n, size, "c.example", ns_t_txt, rd, rdlen);
		wl = fake_dns_wire_name("B.Example", wire, sizeof(wire));
		n = fake_dns_add_rr_owner(r, n, size, "a.example", ns_t_cname, wire, wl);
		wl = fake_dns_wire_name("a.example", wire, sizeof(wire));
		n = fake_dns_add_rr(r, n, size, ns_t_cname, wire, wl);
	} else if (strcmp(first, "cnamestray") == 0) {
		uint8_t wire[64];
		size_t wl = fake_dns_wire_name("t.example", wire, sizeof(wire));

		n = fake_dns_add_rr(r, n, size, ns_t_cname, wire, wl);
		rdlen = fake_dns_txt_rdata("v=spf1 +all", rd, sizeof(rd));
		n = fake_dns_add_rr_owner(r, n, size, "u.example", ns_t_txt, rd, rdlen);
	} else if (strcmp(first, "cnameloop") == 0) {
		uint8_t wire[64];
		size_t wl = fake_dns_wire_name("loop.example", wire, sizeof(wire));

		n = fake_dns_add_rr(r, n, size, ns_t_cname, wire, wl);
		wl = fake_dns_wire_name(name, wire, sizeof(wire));
		n = fake_dns_add_rr_owner(r, n, size, "loop.example", ns_t_cname, wire, wl);
		rdlen = fake_dns_txt_rdata("v=spf1 +all", rd, sizeof(rd));
		n = fake_dns_add_rr_owner(r, n, size, "x.example", ns_t_txt, rd, rdlen);
	} else if (strcmp(first, "mx") == 0) {
		static const uint8_t mx[] = "\x00\x0a\x04mail\xc0\x0f";	/* -> "mail." + "example" */

		memcpy(rd, mx, sizeof(mx) - 1);
		n = fake_dns_add_rr(r, n, size, ns_t_mx, rd, sizeof(mx) - 1);
	}
	return n;
}

static int setup(void **state)
{
	const char *error = NULL;

	(void)state;
	if ((fake = fake_dns_start(answer, NULL)) == NULL)
		return -1;
	resolver = dns_resolver_new(fake_dns_server(fake), &error);
	return resolver != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	dns_resolver_free(&resolver);
	fake_dns_stop(&fake);
	return 0;
}

struct query_case {
	const char *name, *qname;
	int type;
	enum dns_result want;
	const char *want_text;	/* first RR: TXT joined, MX/CNAME name, A dotted */
	size_t want_rrs;
};

static const struct query_case query_cases[] = {
	{ "A answer is ok", "ok.example", ns_t_a, DNS_OK, "192.0.2.1", 1 },
	{ "NXDOMAIN", "nx.example", ns_t_a, DNS_NXDOMAIN, NULL, 0 },
	{ "NOERROR without answer is NODATA", "nodata.example", ns_t_txt, DNS_NODATA, NULL, 0 },
	{ "answer of another type is NODATA", "ok.example", ns_t_txt, DNS_NODATA, NULL, 0 },
	{ "SERVFAIL is tempfail", "servfail.example", ns_t_txt, DNS_TEMPFAIL, NULL, 0 },
	{ "REFUSED is tempfail", "refused.example", ns_t_txt, DNS_TEMPFAIL, NULL, 0 },
	{ "truncated over UDP: asked again over TCP", "tc.example", ns_t_txt, DNS_OK,
	  "v=spf1 -all", 1 },
	{ "truncated, TCP gives nothing: tempfail", "tcdead.example", ns_t_txt, DNS_TEMPFAIL,
	  NULL, 0 },
	{ "malformed reply is tempfail", "malformed.example", ns_t_a, DNS_TEMPFAIL, NULL, 0 },
	{ "reply with another ID ignored (tempfail)", "spoof.example", ns_t_a, DNS_TEMPFAIL,
	  NULL, 0 },
	{ "CNAME chain: CNAME skipped, target's TXT", "cname.example", ns_t_txt, DNS_OK,
	  "v=DMARC1; p=none", 1 },
	{ "TXT character-strings joined", "split.example", ns_t_txt, DNS_OK,
	  "v=spf1 include:x.example -all", 1 },
	{ "two TXT RRs kept apart", "two.example", ns_t_txt, DNS_OK, "first", 2 },
	{ "MX exchange name decompressed", "mx.example", ns_t_mx, DNS_OK, "mail.example", 1 },
	{ "RR of another owner ignored, ours kept", "stray.example", ns_t_a, DNS_OK, "192.0.2.1", 1 },
	{ "only an RR of another owner: NODATA", "strayonly.example", ns_t_a, DNS_NODATA, NULL, 0 },
	{ "CNAME chain of two, out of order: the end's TXT only", "chain.example", ns_t_txt,
	  DNS_OK, "v=spf1 chain", 1 },
	{ "CNAME target has no TXT, another name has: NODATA", "cnamestray.example", ns_t_txt,
	  DNS_NODATA, NULL, 0 },
	{ "CNAME loop, stray TXT: NODATA", "cnameloop.example", ns_t_txt, DNS_NODATA, NULL, 0 },
	{ "empty label: bad name, no query", "a..example", ns_t_a, DNS_BADNAME, NULL, 0 },
	{ "64-octet label: bad name", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	  ns_t_a, DNS_BADNAME, NULL, 0 },
	{ "bad escape (\\1): bad name, not a local error", "a\\1.u.example", ns_t_a, DNS_BADNAME,
	  NULL, 0 },
	{ "escape past 255 (\\999): bad name", "\\999.example", ns_t_a, DNS_BADNAME, NULL, 0 },
	{ "trailing backslash: bad name", "a.example\\", ns_t_a, DNS_BADNAME, NULL, 0 },
};

static void rr_text(const struct dns_answer *a, const ns_rr *rr, char *out, size_t size)
{
	size_t len;

	switch (ns_rr_type(*rr)) {
	case ns_t_a:
		assert_non_null(inet_ntop(AF_INET, ns_rr_rdata(*rr), out, (socklen_t)size));
		break;
	case ns_t_txt:
		assert_int_equal(dns_txt_join(rr, out, size, &len), 0);
		assert_int_equal(len, strlen(out));
		break;
	case ns_t_mx:
		assert_int_equal(dns_rdata_name(a, ns_rr_rdata(*rr) + 2, out, size), 0);
		break;
	default:
		fail_msg("unexpected type %d", ns_rr_type(*rr));
	}
}

static void test_query(void **state)
{
	const struct query_case *c = *state;
	struct dns_answer a;
	enum dns_result got = dns_query(resolver, c->qname, c->type, 1000, &a);
	size_t index = 0, count = 0;
	char text[512];
	ns_rr rr;

	if (got != c->want)
		fail_msg("got %s, want %s", dns_result_name(got), dns_result_name(c->want));
	while (dns_answer_next(&a, &index, &rr) == 1) {
		assert_int_equal(ns_rr_type(rr), c->type);
		if (count++ == 0 && c->want_text != NULL) {
			rr_text(&a, &rr, text, sizeof(text));
			assert_string_equal(text, c->want_text);
		}
	}
	assert_int_equal(count, c->want_rrs);
	dns_answer_free(&a);
}

static void test_badtxt(void **state)
{
	struct dns_answer a;
	size_t index = 0;
	char text[64];
	ns_rr rr;

	(void)state;
	assert_int_equal(dns_query(resolver, "badtxt.example", ns_t_txt, 1000, &a), DNS_OK);
	assert_int_equal(dns_answer_next(&a, &index, &rr), 1);
	assert_int_equal(dns_txt_join(&rr, text, sizeof(text), NULL), -1);
	dns_answer_free(&a);
}

static void test_txt_too_long(void **state)
{
	struct dns_answer a;
	size_t index = 0;
	char text[8];
	ns_rr rr;

	(void)state;
	assert_int_equal(dns_query(resolver, "split.example", ns_t_txt, 1000, &a), DNS_OK);
	assert_int_equal(dns_answer_next(&a, &index, &rr), 1);
	assert_int_equal(dns_txt_join(&rr, text, sizeof(text), NULL), -1);
	dns_answer_free(&a);
}

static void test_no_tcp(void **state)
{
	struct dns_resolver *udp_only = dns_resolver_new_at(fake_dns_addr(fake));
	struct dns_answer a;

	(void)state;
	dns_resolver_set_tcp(udp_only, false);
	assert_int_equal(dns_query(udp_only, "tc.example", ns_t_txt, 1000, &a), DNS_TEMPFAIL);
	dns_answer_free(&a);
	dns_resolver_free(&udp_only);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_silent(void **state)
{
	unsigned before = fake_dns_queries(fake);
	struct dns_answer a;
	struct timespec t0;
	double took;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dns_query(resolver, "silent.example", ns_t_txt, 1200, &a), DNS_TEMPFAIL);
	took = seconds_since(&t0);
	dns_answer_free(&a);
	printf("# silent server: %u queries, %.2f s (timeout 1.2 s)\n",
	       fake_dns_queries(fake) - before, took);
	/* two rounds over the one server */
	assert_int_equal(fake_dns_queries(fake) - before, 2);
	/* the budget bounds the call; 2 s slack for a loaded machine */
	assert_true(took < 1.2 + 2.0);
}

static void test_query_id(void **state)
{
	struct dns_answer a;
	unsigned before = fake_dns_queries(fake), ids[64], distinct = 0;

	(void)state;
	__atomic_store_n(&random_mode, RANDOM_FIXED, __ATOMIC_RELEASE);
	assert_int_equal(dns_query(resolver, "ok.example", ns_t_a, 1000, &a), DNS_OK);
	dns_answer_free(&a);
	assert_int_equal(__atomic_load_n(&last_id, __ATOMIC_ACQUIRE), 0xbeef);

	/* no randomness: a local error, nothing sent (never a guessable ID) */
	__atomic_store_n(&random_mode, RANDOM_FAIL, __ATOMIC_RELEASE);
	before = fake_dns_queries(fake);
	assert_int_equal(dns_query(resolver, "ok.example", ns_t_a, 1000, &a), DNS_ERROR);
	dns_answer_free(&a);
	assert_int_equal(fake_dns_queries(fake), before);

	/* the real source: 64 queries, (almost) all IDs different */
	__atomic_store_n(&random_mode, RANDOM_REAL, __ATOMIC_RELEASE);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(dns_query(resolver, "ok.example", ns_t_a, 1000, &a), DNS_OK);
		dns_answer_free(&a);
		ids[i] = __atomic_load_n(&last_id, __ATOMIC_ACQUIRE);
		distinct++;
		for (int j = 0; j < i; j++)
			if (ids[j] == ids[i]) {
				distinct--;
				break;
			}
	}
	assert_true(distinct >= 60);	/* birthday bound: P(< 60) is negligible */
}

/* "a,b,c" server list of fakes. */
static struct dns_resolver *resolver_of(struct fake_dns **fakes, int n)
{
	char list[128] = "";
	size_t len = 0;
	const char *error = NULL;
	struct dns_resolver *res;

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? "," : "",
					fake_dns_server(fakes[i]));
	assert_true(len < sizeof(list));
	res = dns_resolver_new(list, &error);
	assert_non_null(res);
	return res;
}

static void test_three_silent(void **state)
{
	struct fake_dns *fakes[3];
	struct dns_resolver *res;
	struct dns_answer a;
	struct timespec t0;
	unsigned asked = 0;
	double took;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_non_null(fakes[i] = fake_dns_start(answer, NULL));
	res = resolver_of(fakes, 3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dns_query(res, "silent.example", ns_t_a, 1200, &a), DNS_TEMPFAIL);
	took = seconds_since(&t0);
	for (int i = 0; i < 3; i++) {
		asked += fake_dns_queries(fakes[i]);
		fake_dns_stop(&fakes[i]);
	}
	printf("# 3 silent servers: %u queries, %.2f s (timeout 1.2 s)\n", asked, took);
	assert_int_equal(asked, 6);	/* two rounds over three servers */
	assert_true(took < 1.2 + 2.0);	/* not 3 x the budget */
	dns_answer_free(&a);
	dns_resolver_free(&res);
}

static void test_failover(void **state)
{
	static int broken = 1;
	struct fake_dns *fakes[2];
	struct dns_resolver *res;
	struct dns_answer a;

	(void)state;
	assert_non_null(fakes[0] = fake_dns_start(answer, &broken));
	assert_non_null(fakes[1] = fake_dns_start(answer, NULL));
	res = resolver_of(fakes, 2);
	assert_int_equal(dns_query(res, "ok.example", ns_t_a, 2000, &a), DNS_OK);
	assert_int_equal(fake_dns_queries(fakes[0]), 1);
	assert_int_equal(fake_dns_queries(fakes[1]), 1);
	dns_answer_free(&a);
	dns_resolver_free(&res);
	fake_dns_stop(&fakes[1]);

	/* every server broken: tempfail, each asked once (not again) */
	assert_non_null(fakes[1] = fake_dns_start(answer, &broken));
	res = resolver_of(fakes, 2);
	assert_int_equal(dns_query(res, "ok.example", ns_t_a, 2000, &a), DNS_TEMPFAIL);
	assert_int_equal(fake_dns_queries(fakes[0]), 2);
	assert_int_equal(fake_dns_queries(fakes[1]), 1);
	dns_answer_free(&a);
	dns_resolver_free(&res);
	fake_dns_stop(&fakes[0]);
	fake_dns_stop(&fakes[1]);
}

static const struct name_case {
	const char *name, *domain;
	bool want;
} name_cases[] = {
	{ "name: plain", "mail.example.org", true },
	{ "name: trailing dot", "example.org.", true },
	{ "name: empty", "", false },
	{ "name: only a dot", ".", false },
	{ "name: empty label", "a..b", false },
	{ "name: leading dot", ".a.b", false },
	{ "name: 63-octet label", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", true },
	{ "name: 64-octet label", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", false },
	{ "name: bad escape \\1", "a\\1.b", false },
	{ "name: escape \\256", "\\256.b", false },
	{ "name: trailing backslash", "a.b\\", false },
	{ "name: good escape \\065", "\\065.b", true },
};

/* A name that cannot be queried sends nothing and is never a temporary failure. */
static void test_badname_no_query(void **state)
{
	static const char *const names[] = {
		"a\\1.u.example", "a..example", "x.\\999.example", "example\\",
	};
	char longname[300];
	struct dns_answer a;
	unsigned before = fake_dns_queries(fake);

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(dns_query(resolver, names[i], ns_t_txt, 1000, &a), DNS_BADNAME);
		dns_answer_free(&a);
	}
	/* _dmarc. + a 250-octet domain: 257 octets */
	memcpy(longname, "_dmarc.", 7);
	for (int i = 0; i < 5; i++) {
		memset(longname + 7 + 50 * i, 'a', 49);
		longname[7 + 50 * i + 49] = '.';
	}
	memcpy(longname + 7 + 250 - 7, "example", 8);
	assert_true(strlen(longname) > DNS_NAME_MAX);
	assert_int_equal(dns_query(resolver, longname, ns_t_txt, 1000, &a), DNS_BADNAME);
	dns_answer_free(&a);
	assert_int_equal(fake_dns_queries(fake), before);
	assert_string_equal(dns_result_name(DNS_BADNAME), "name cannot be queried");
}

static void test_name(void **state)
{
	const struct name_case *c = *state;

	assert_int_equal(dns_name_valid(c->domain), c->want);
}

static void test_name_length(void **state)
{
	char name[300];

	(void)state;
	/* 63 x "abc." = 252 characters, + "d" = 253: the longest name */
	for (int i = 0; i < 63; i++)
		memcpy(name + 4 * i, "abc.", 4);
	name[252] = 'd';
	name[253] = '\0';
	assert_true(dns_name_valid(name));
	name[253] = 'e';
	name[254] = '\0';
	assert_false(dns_name_valid(name));
}

/* One resolver, 8 threads asking at once (as libmilter's threads do). */
#define THREADS 8
#define ROUNDS 25

static void *worker(void *arg)
{
	long *bad = arg;

	for (int i = 0; i < ROUNDS; i++) {
		const struct query_case *c = &query_cases[i % 3];
		struct dns_answer a;

		if (dns_query(resolver, c->qname, c->type, 2000, &a) != c->want)
			(*bad)++;
		dns_answer_free(&a);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t tid[THREADS];
	long bad[THREADS] = { 0 };

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, worker, &bad[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

static void test_bad_server(void **state)
{
	const char *error = NULL;

	(void)state;
	assert_null(dns_resolver_new("localhost", &error));
	assert_non_null(error);
	assert_null(dns_resolver_new("127.0.0.1:0", &error));
	assert_null(dns_resolver_new("127.0.0.1:99999", &error));
	assert_null(dns_resolver_new("127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4", &error));
	assert_null(dns_resolver_new("127.0.0.1:1,", &error));
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, query_cases, test_query);
	tests_add(&l, "TXT string overrunning its rdata: join fails", test_badtxt, NULL);
	tests_add(&l, "TXT join over the caller's size fails", test_txt_too_long, NULL);
	tests_add(&l, "truncated with TCP off: tempfail", test_no_tcp, NULL);
	tests_add(&l, "query ID from getrandom(); no randomness: local error, no query",
		  test_query_id, NULL);
	tests_add(&l, "silent server: tempfail within the budget, 2 attempts", test_silent, NULL);
	tests_add(&l, "3 silent servers: one budget, 6 attempts", test_three_silent, NULL);
	tests_add(&l, "SERVFAIL server skipped for the next; all broken: tempfail", test_failover,
		  NULL);
	tests_add_table(&l, name_cases, test_name);
	tests_add(&l, "name: 253 characters ok, 254 not", test_name_length, NULL);
	tests_add(&l, "bad names: DNS_BADNAME, no query sent", test_badname_no_query, NULL);
	tests_add(&l, "8 threads share one resolver", test_threads, NULL);
	tests_add(&l, "test server syntax checked", test_bad_server, NULL);
	return tests_run(&l, "dns", setup, teardown);
}
