/*++
 * NAME
 *	fuzz_spf_eval 1
 * SUMMARY
 *	libFuzzer target for SPF check_host() over a zone from the input
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_spf_eval -max_len=4096 tests/fuzz/corpus/spf_eval
 * DESCRIPTION
 *	Runs spf_eval_check_host() (RFC 7208 sections 4 to 6: include,
 *	redirect, exp, macros, the 4.6.4 limits) with DNS answered through
 *	the spf_dns fake hook from a zone written in the input, so the
 *	fuzzer builds include loops, redirect chains, many MX names, void
 *	lookups and exp texts without any network. Input (cut at the first
 *	NUL), one item per line:
 *	line 1: "<client-ip> <domain> [<local-part> [<helo>]]"
 *	others: "<name> <TYPE> <value>" with TYPE TXT (value: rest of line),
 *	A, AAAA (address), MX, PTR (target name), or "<name> SERVFAIL"
 *	(every query for the name is a temperror).
 *	Checks: the result is an RFC 7208 result (never MA_SPF_INTERNAL:
 *	nothing here runs out of memory), the verdict strings are
 *	NUL-terminated, and the number of DNS queries stays bounded (the
 *	4.6.4 limits: an include/redirect loop must not run on). A violation
 *	aborts.
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <messec/spf.h>
#include "spf_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * RFC 7208 4.6.4: 10 DNS-querying terms, each MX or PTR expanding to at
 * most 10 names, plus the record lookups, exp and %{p}: a few hundred
 * queries at the very most. Far above that means a loop.
 */
#define MAX_QUERIES 1000
#define MAX_RRS 32
#define MAX_LINES 256

struct zone_rr {
	char *name;
	int type;		/* ns_t_*, or -1 for SERVFAIL */
	char *value;
};

struct zone {
	struct zone_rr rr[MAX_LINES];
	size_t count;
	unsigned queries;
};

static enum spf_dns_status fake_lookup(void *ctx, const char *name, int type,
				       struct spf_rrset *set_r)
{
	struct zone *z = ctx;
	int exists = 0;
	size_t i, n = 0;

	if (++z->queries > MAX_QUERIES) {
		fprintf(stderr, "fuzz_spf_eval: more than %d DNS queries\n", MAX_QUERIES);
		abort();
	}
	set_r->rr = calloc(MAX_RRS, sizeof(*set_r->rr));
	if (set_r->rr == NULL)
		abort();
	for (i = 0; i < z->count; i++) {
		struct zone_rr *zr = &z->rr[i];
		struct spf_rr *rr = &set_r->rr[n];

		if (strcasecmp(zr->name, name) != 0)
			continue;
		if (zr->type == -1) {
			set_r->count = n;	/* free what was filled in */
			spf_rrset_free(set_r);
			return SPF_DNS_TEMPERROR;
		}
		exists = 1;
		if (zr->type != type || n == MAX_RRS)
			continue;
		rr->type = (uint16_t)type;
		if ((type == ns_t_a && inet_pton(AF_INET, zr->value, rr->addr) != 1) ||
		    (type == ns_t_aaaa && inet_pton(AF_INET6, zr->value, rr->addr) != 1))
			continue;	/* not an address: no record */
		if (type != ns_t_a && type != ns_t_aaaa) {
			if ((rr->text = strdup(zr->value)) == NULL)
				abort();
			rr->text_len = strlen(zr->value);
		}
		n++;
	}
	set_r->count = n;
	if (n > 0)
		return SPF_DNS_OK;
	free(set_r->rr);	/* like the resolver: no answer, nothing to free */
	set_r->rr = NULL;
	return exists ? SPF_DNS_NODATA : SPF_DNS_NXDOMAIN;
}

static int type_of(const char *t)
{
	static const struct { const char *name; int type; } types[] = {
		{ "TXT", ns_t_txt }, { "A", ns_t_a }, { "AAAA", ns_t_aaaa },
		{ "MX", ns_t_mx }, { "PTR", ns_t_ptr }, { "SERVFAIL", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(t, types[i].name) == 0)
			return types[i].type;
	}
	return 0;
}

/* "<name> <TYPE> <value>"; the line is modified in place. */
static void zone_add(struct zone *z, char *line)
{
	char *save = NULL, *name, *type, *value;
	int t;

	name = strtok_r(line, " \t", &save);
	type = name != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	if (name == NULL || type == NULL || (t = type_of(type)) == 0 || z->count == MAX_LINES)
		return;
	value = strtok_r(NULL, "", &save);
	z->rr[z->count].name = name;
	z->rr[z->count].type = t;
	z->rr[z->count].value = value != NULL ? value : (char *)"";
	z->count++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct zone zone;
	struct spf_dns dns;
	struct spf_ip ip;
	struct ma_spf_verdict v;
	struct spf_query q;
	const char *ip_text, *domain, *local, *helo;
	char *text, *first, *line, *save = NULL, sender[600];
	enum ma_spf_result r;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&zone, 0, sizeof(zone));

	first = strtok_r(text, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL)
		zone_add(&zone, line);
	save = NULL;
	ip_text = first != NULL ? strtok_r(first, " \t", &save) : NULL;
	domain = first != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	local = first != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	helo = first != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	if (ip_text == NULL || spf_ip_parse(ip_text, &ip) != 0)
		(void)spf_ip_parse("192.0.2.1", &ip);
	if (domain == NULL || strlen(domain) > SPF_MAX_DOMAIN)
		domain = "example.com";
	if (local == NULL || strlen(local) > 64)
		local = "postmaster";
	if (helo == NULL)
		helo = domain;
	snprintf(sender, sizeof(sender), "%s@%s", local, domain);

	memset(&dns, 0, sizeof(dns));
	dns.fake = fake_lookup;
	dns.fake_ctx = &zone;
	memset(&q, 0, sizeof(q));
	q.ip = &ip;
	q.sender = sender;
	q.local = local;
	q.sender_domain = domain;
	q.helo = helo;
	q.receiver = "mx.example.org";
	q.limits.dns_terms = SPF_MAX_DNS_TERMS;
	q.limits.voids = SPF_MAX_VOID;
	memset(&v, 0, sizeof(v));
	r = spf_eval_check_host(&dns, &q, domain, &v);
	if (r < MA_SPF_NONE || r > MA_SPF_PERMERROR ||
	    memchr(v.domain, '\0', sizeof(v.domain)) == NULL ||
	    memchr(v.reason, '\0', sizeof(v.reason)) == NULL ||
	    memchr(v.explanation, '\0', sizeof(v.explanation)) == NULL)
		abort();
	free(text);
	return 0;
}
