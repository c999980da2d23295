/*++
 * NAME
 *	test_dmarc_dns 1
 * SUMMARY
 *	dmarc_dns.c against the shared fake DNS server (common/tests/fake_dns.c)
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
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <time.h>

#include "../../common/tests/fake_dns.h"

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
	{ "_dmarc.bank.example", A_TXT, { "v=DMARC1; p=reject" } },
};

static struct fake_dns *fake;
static struct sockaddr_in server_addr;
static atomic_int queries[sizeof(zone) / sizeof(zone[0])];

static size_t answer(void *ctx, const uint8_t *q, size_t qlen, uint8_t *r, size_t size, bool tcp)
{
	char name[256];
	uint8_t rd[600];
	size_t i, n, e, rdlen;
	int type;

	(void)ctx;
	(void)tcp;
	if (fake_dns_question(q, qlen, name, sizeof(name), &type) < 0)
		return 0;
	for (e = 0; e < sizeof(zone) / sizeof(zone[0]); e++) {
		if (strcasecmp(zone[e].qname, name) == 0)
			break;
	}
	if (e == sizeof(zone) / sizeof(zone[0]))
		return fake_dns_begin(q, qlen, r, size, ns_r_nxdomain);
	queries[e]++;
	switch (zone[e].kind) {
	case A_SILENT:
		return 0;
	case A_NX:
		return fake_dns_begin(q, qlen, r, size, ns_r_nxdomain);
	case A_SERVFAIL:
		return fake_dns_begin(q, qlen, r, size, ns_r_servfail);
	case A_REFUSED:
		return fake_dns_begin(q, qlen, r, size, ns_r_refused);
	default:
		break;
	}
	n = fake_dns_begin(q, qlen, r, size, ns_r_noerror);
	switch (zone[e].kind) {
	case A_TXT:
		for (i = 0; i < 4 && zone[e].strings[i] != NULL; i++) {
			rdlen = fake_dns_txt_rdata(zone[e].strings[i], rd, sizeof(rd));
			n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
		}
		break;
	case A_CNAME: {
		static const uint8_t target[] = "\x06target\x07" "example";
		uint8_t *p;

		n = fake_dns_add_rr(r, n, size, ns_t_cname, target, sizeof(target));
		/* the target's TXT, its owner written out in full */
		rdlen = fake_dns_txt_rdata(zone[e].strings[0], rd, sizeof(rd));
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
		p = r + n - rdlen - 12;
		memmove(p + sizeof(target), p + 2, 10 + rdlen);
		memcpy(p, target, sizeof(target));
		n += sizeof(target) - 2;
		break;
	}
	case A_BADRDATA:
		/* a character-string longer than the rdata */
		n = fake_dns_add_rr(r, n, size, ns_t_txt, "\xc8" "abc", 4);
		break;
	default:	/* A_NODATA */
		break;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	if ((fake = fake_dns_start(answer, NULL)) == NULL)
		return -1;
	server_addr = *fake_dns_addr(fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_dns_stop(&fake);
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
	{ "dns: bad escape in the name is not found (no record), not retry",
	  "_dmarc.a\\1.example", MA_DMARC_LOOKUP_NOTFOUND, 0, NULL, NULL },
	{ "dns: empty label is not found, not retry", "_dmarc..example", MA_DMARC_LOOKUP_NOTFOUND, 0,
	  NULL, NULL },
};

/* A From domain of n octets (n >= 20) under bank.example, labels of 60. */
static void long_domain(char *out, size_t n)
{
	static const char suffix[] = "bank.example";
	size_t pos = 0, left = n - (sizeof(suffix) - 1);

	while (left > 0) {
		size_t label = left - 1 > 60 ? 60 : left - 1;

		if (left - label - 1 == 1)
			label--;	/* never leave a lone "." (empty label) */
		memset(out + pos, 'a', label);
		out[pos + label] = '.';
		pos += label + 1;
		left -= label + 1;
	}
	memcpy(out + pos, suffix, sizeof(suffix));
}

static enum ma_dmarc_lookup lookup_via_fake(void *ctx, const char *name,
					    struct ma_dmarc_txt *txt_r)
{
	(void)ctx;
	return dmarc_dns_txt_at(name, 2000, &server_addr, txt_r);
}

/*
 * Issue 14, case 1: a From domain of 247..253 octets makes _dmarc.<domain>
 * longer than a DNS name can be. That name has no record: the policy of
 * the organizational domain applies (RFC 7489 6.6.3), never temperror.
 */
static void test_long_from_domain(void **state)
{
	struct ma_dmarc_config cfg = { 0 };
	struct ma_dmarc_verdict v;
	struct ma_dmarc_input in = { 0 };
	struct ma_dmarc *dmarc;
	const char *error = NULL;
	char domain[300];

	(void)state;
	cfg.test_lookup = lookup_via_fake;
	dmarc = ma_dmarc_new(&cfg, &error);
	assert_non_null(dmarc);
	for (size_t n = 240; n <= 253; n++) {
		long_domain(domain, n);
		assert_int_equal(strlen(domain), n);
		in.from_domain = domain;
		in.spf_domain = "attacker.example";
		if (ma_dmarc_evaluate(dmarc, &in, &v) != MA_DMARC_FAIL)
			fail_msg("From domain of %zu octets: %s (%s), want fail", n,
				 ma_dmarc_result_name(v.result), v.reason);
		assert_int_equal(v.policy, MA_DMARC_POLICY_REJECT);
		assert_string_equal(v.policy_domain, "bank.example");
	}
	ma_dmarc_free(&dmarc);
}

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
	tests_add(&l, "dmarc: From domain of 240..253 octets gets the org domain's p=reject",
		  test_long_from_domain, NULL);
	tests_add(&l, "dns: 8 threads at once", test_threads, NULL);
	return tests_run(&l, "dmarc dns", setup, teardown);
}
