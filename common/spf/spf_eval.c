/*++
 * NAME
 *	spf_eval 3
 * SUMMARY
 *	check_host() (RFC 7208 sections 4 to 6) with the 4.6.4 limits
 * SYNOPSIS
 *	#include "spf_internal.h"
 *
 *	enum ma_spf_result spf_eval_check_host(dns, query, domain, verdict_r)
 * DESCRIPTION
 *	Fetches the SPF record of <domain> (TXT only, RFC 7208 3.1 / 4.4),
 *	selects it (4.5), validates it whole (4.6, spf_record.c), then
 *	evaluates the directives left to right (4.6.2), include (5.2) and
 *	redirect (6.1) recursively, and the explanation (6.2) on a final fail.
 *
 *	Why not libspf2's evaluator: libspf2 1.2.10 counts lookups per
 *	record rather than per check_host() across include/redirect, has no
 *	void-lookup limit, no 10-MX-name limit, and refuses "/0"; see
 *	docs/spf-conformance.md. The accounting below is shared by the whole
 *	evaluation tree:
 *	- RFC 7208 4.6.4: include, a, mx, ptr, exists and redirect count; the
 *	  11th such term is a permerror.
 *	- more than 10 MX names for one mx: permerror.
 *	- more than 2 void lookups (NXDOMAIN or no data) for a, mx, ptr,
 *	  exists: permerror.
 *	- ptr and %{p} try at most 10 PTR names.
 * TRUST BOUNDARY
 *	All record text, addresses and names come from DNS; the client IP,
 *	sender and HELO from the SMTP client. Nothing is trusted; every
 *	buffer is bounded.
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf_internal.h"

enum match {
	M_NOMATCH, M_MATCH, M_TEMPERROR, M_PERMERROR,
};

struct eval {
	struct spf_dns *dns;
	const struct spf_query *q;
	unsigned dns_terms;
	unsigned voids;
	unsigned in_include;
	unsigned depth;		/* include/redirect nesting */
	struct ma_spf_verdict *v;
};

/*
 * The term limit already bounds recursion (each include/redirect counts);
 * this cap holds whatever limit is configured, so the stack (about 3 KiB
 * per level) stays small on libmilter's threads.
 */
#define SPF_MAX_DEPTH	20

bool
spf_domain_valid(const char *d, size_t len)
{
	size_t label = 0, labels = 0;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_MAX_DOMAIN)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0 || label > SPF_MAX_LABEL)
				return false;
			labels++;
			label = 0;
			continue;
		}
		unsigned char c = (unsigned char)d[i];
		/* RFC 7208 4.3: ASCII only (A-labels); '_' for services */
		if (c <= 0x20 || c >= 0x7f)
			return false;
		label++;
	}
	/* 4.3: not a multi-label domain name -> none */
	return labels >= 2;
}

static void __attribute__((format(printf, 2, 3)))
reason(struct eval *ev, const char *fmt, ...)
{
	va_list ap;

	/* Only the first reason set on the way back up is kept. */
	if (ev->v->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(ev->v->reason, sizeof(ev->v->reason), fmt, ap);
	va_end(ap);
}

static enum ma_spf_result
qualifier_result(char q)
{
	switch (q) {
	case '-': return MA_SPF_FAIL;
	case '~': return MA_SPF_SOFTFAIL;
	case '?': return MA_SPF_NEUTRAL;
	default: return MA_SPF_PASS;
	}
}

/* RFC 7208 4.6.4: one more DNS-querying term. */
static bool
count_term(struct eval *ev)
{
	return ++ev->dns_terms <= ev->q->limits.dns_terms;
}

/* RFC 7208 4.6.4: one more void lookup. */
static bool
count_void(struct eval *ev, enum spf_dns_status st)
{
	if (st != SPF_DNS_NXDOMAIN && st != SPF_DNS_NODATA)
		return true;
	return ++ev->voids <= ev->q->limits.voids;
}

static void
macro_ctx(struct eval *ev, const char *domain, struct spf_macro_ctx *m)
{
	memset(m, 0, sizeof(*m));
	m->sender = ev->q->sender;
	m->local = ev->q->local;
	m->sender_domain = ev->q->sender_domain;
	m->domain = domain;
	m->helo = ev->q->helo ? ev->q->helo : "";
	m->receiver = ev->q->receiver;
	m->ip = ev->q->ip;
	m->dns = ev->dns;
}

/* Expand a term's domain-spec, or the current domain if none. */
static int
target_of(struct eval *ev, const char *domain, const char *spec,
	  size_t spec_len, char *out, size_t size)
{
	struct spf_macro_ctx m;
	const char *error;

	if (spec == NULL) {
		snprintf(out, size, "%s", domain);
		return 0;
	}
	macro_ctx(ev, domain, &m);
	if (spf_macro_expand(&m, spec, spec_len, false, out, size, &error) < 0) {
		reason(ev, "macro error: %.200s", error);
		return -1;
	}
	return 0;
}

static enum match
match_addrs(struct eval *ev, const char *name, const struct spf_term *t,
	    bool void_counts)
{
	struct spf_rrset set;
	enum spf_dns_status st;
	bool v4 = ev->q->ip->family == AF_INET;
	enum match m = M_NOMATCH;

	st = spf_dns_query(ev->dns, name, v4 ? ns_t_a : ns_t_aaaa, &set);
	if (st == SPF_DNS_TEMPERROR) {
		reason(ev, "DNS error or timeout looking up %.200s", name);
		return M_TEMPERROR;
	}
	if (void_counts && !count_void(ev, st)) {
		reason(ev, "more than 2 void lookups (RFC 7208 4.6.4) at %.200s",
		       name);
		return M_PERMERROR;
	}
	for (size_t i = 0; i < set.count && m == M_NOMATCH; i++) {
		unsigned prefix = v4 ? (t->cidr4 < 0 ? 32u : (unsigned)t->cidr4) :
		    (t->cidr6 < 0 ? 128u : (unsigned)t->cidr6);
		if (spf_ip_match(ev->q->ip, set.rr[i].addr, ev->q->ip->family,
				 prefix))
			m = M_MATCH;
	}
	spf_rrset_free(&set);
	return m;
}

static enum match
match_mx(struct eval *ev, const char *name, const struct spf_term *t)
{
	struct spf_rrset set;
	enum spf_dns_status st;
	enum match m = M_NOMATCH;

	st = spf_dns_query(ev->dns, name, ns_t_mx, &set);
	if (st == SPF_DNS_TEMPERROR) {
		reason(ev, "DNS error or timeout looking up MX %.200s", name);
		return M_TEMPERROR;
	}
	if (!count_void(ev, st)) {
		reason(ev, "more than 2 void lookups (RFC 7208 4.6.4) at MX %.200s",
		       name);
		return M_PERMERROR;
	}
	if (set.count > SPF_MAX_MX_NAMES) {
		spf_rrset_free(&set);
		reason(ev, "more than 10 MX names for %.200s (RFC 7208 4.6.4)",
		       name);
		return M_PERMERROR;
	}
	for (size_t i = 0; i < set.count && m == M_NOMATCH; i++)
		m = match_addrs(ev, set.rr[i].text, t, false);
	spf_rrset_free(&set);
	return m;
}

static enum match
match_ptr(struct eval *ev, const char *target)
{
	struct spf_macro_ctx mc;
	bool temperror;

	macro_ctx(ev, target, &mc);
	/* RFC 7208 5.5: DNS errors here make the mechanism not match */
	return spf_ptr_validated(&mc, target, &temperror) ? M_MATCH :
	    M_NOMATCH;
}

static enum ma_spf_result check_host(struct eval *ev, const char *domain);

static enum match
match_include(struct eval *ev, const char *target)
{
	enum ma_spf_result r;

	ev->in_include++;
	r = check_host(ev, target);
	ev->in_include--;
	/* RFC 7208 5.2 table */
	switch (r) {
	case MA_SPF_PASS:
		return M_MATCH;
	case MA_SPF_FAIL:
	case MA_SPF_SOFTFAIL:
	case MA_SPF_NEUTRAL:
		ev->v->reason[0] = '\0';	/* the inner match is no reason */
		ev->v->explanation[0] = '\0';
		return M_NOMATCH;
	case MA_SPF_TEMPERROR:
		return M_TEMPERROR;
	case MA_SPF_NONE:
		reason(ev, "include:%.200s has no SPF record", target);
		return M_PERMERROR;
	default:
		return M_PERMERROR;
	}
}

static enum match
match_term(struct eval *ev, const char *domain, const struct spf_term *t)
{
	char target[SPF_MAX_DOMAIN * 4];
	struct spf_rrset set;
	enum spf_dns_status st;

	switch (t->mech) {
	case SPF_M_ALL:
		return M_MATCH;
	case SPF_M_IP4:
		return spf_ip_match(ev->q->ip, t->net, AF_INET,
				    t->cidr4 < 0 ? 32u : (unsigned)t->cidr4) ?
		    M_MATCH : M_NOMATCH;
	case SPF_M_IP6:
		return spf_ip_match(ev->q->ip, t->net, AF_INET6,
				    t->cidr6 < 0 ? 128u : (unsigned)t->cidr6) ?
		    M_MATCH : M_NOMATCH;
	default:
		break;
	}
	if (!count_term(ev)) {
		reason(ev, "more than 10 DNS-querying terms (RFC 7208 4.6.4)");
		return M_PERMERROR;
	}
	if (target_of(ev, domain, t->spec, t->spec_len, target,
		      sizeof(target)) < 0)
		return M_PERMERROR;
	switch (t->mech) {
	case SPF_M_INCLUDE:
		return match_include(ev, target);
	case SPF_M_A:
		return match_addrs(ev, target, t, true);
	case SPF_M_MX:
		return match_mx(ev, target, t);
	case SPF_M_PTR:
		return match_ptr(ev, target);
	case SPF_M_EXISTS:
		/* RFC 7208 5.7: always an A query, whatever the client */
		st = spf_dns_query(ev->dns, target, ns_t_a, &set);
		spf_rrset_free(&set);
		if (st == SPF_DNS_TEMPERROR) {
			reason(ev, "DNS error or timeout looking up %.200s",
			       target);
			return M_TEMPERROR;
		}
		if (!count_void(ev, st)) {
			reason(ev, "more than 2 void lookups (RFC 7208 4.6.4) "
			       "at %.200s", target);
			return M_PERMERROR;
		}
		return st == SPF_DNS_OK ? M_MATCH : M_NOMATCH;
	default:
		return M_PERMERROR;
	}
}

/* RFC 7208 6.2: the explanation of a fail; any trouble -> default. */
static void
explain(struct eval *ev, const char *domain, const struct spf_record *rec)
{
	char target[SPF_MAX_DOMAIN * 4], text[sizeof(ev->v->explanation)];
	struct spf_macro_ctx m;
	struct spf_rrset set;
	const char *error;
	const char *def = ev->q->default_explanation;

	snprintf(ev->v->explanation, sizeof(ev->v->explanation), "%s",
		 def ? def : "");
	if (rec->exp == NULL)
		return;
	macro_ctx(ev, domain, &m);
	if (spf_macro_expand(&m, rec->exp, rec->exp_len, false, target,
			     sizeof(target), &error) < 0 ||
	    !spf_domain_valid(target, strlen(target)))
		return;
	if (spf_dns_query(ev->dns, target, ns_t_txt, &set) != SPF_DNS_OK ||
	    set.count != 1) {
		spf_rrset_free(&set);
		return;
	}
	if (spf_macro_expand(&m, set.rr[0].text, set.rr[0].text_len, true,
			     text, sizeof(text), &error) == 0)
		snprintf(ev->v->explanation, sizeof(ev->v->explanation), "%s",
			 text);
	spf_rrset_free(&set);
}

/* RFC 7208 4.4 / 4.5: fetch and select; returns NULL with *result_r. */
static char *
fetch_record(struct eval *ev, const char *domain, enum ma_spf_result *result_r)
{
	struct spf_rrset set;
	enum spf_dns_status st;
	char *text = NULL;
	size_t found = 0;

	st = spf_dns_query(ev->dns, domain, ns_t_txt, &set);
	if (st == SPF_DNS_TEMPERROR) {
		reason(ev, "DNS error or timeout looking up TXT %.200s", domain);
		*result_r = MA_SPF_TEMPERROR;
		return NULL;
	}
	for (size_t i = 0; i < set.count; i++) {
		if (!spf_record_is_spf(set.rr[i].text, set.rr[i].text_len))
			continue;
		/* a NUL inside the TXT string cannot be a valid record */
		if (strlen(set.rr[i].text) != set.rr[i].text_len) {
			found = 2;
			break;
		}
		if (found++ == 0)
			text = set.rr[i].text;
	}
	if (found == 1)
		text = strdup(text);
	spf_rrset_free(&set);
	if (found == 0) {
		reason(ev, "no SPF record at %.200s", domain);
		*result_r = MA_SPF_NONE;
		return NULL;
	}
	if (found > 1 || text == NULL) {
		reason(ev, "more than one SPF record at %.200s (RFC 7208 4.5)",
		       domain);
		*result_r = found > 1 ? MA_SPF_PERMERROR : MA_SPF_INTERNAL;
		return NULL;
	}
	return text;
}

static enum ma_spf_result
evaluate(struct eval *ev, const char *domain, const struct spf_record *rec)
{
	char target[SPF_MAX_DOMAIN * 4];

	for (size_t i = 0; i < rec->count; i++) {
		const struct spf_term *t = &rec->terms[i];
		enum ma_spf_result r;

		switch (match_term(ev, domain, t)) {
		case M_NOMATCH:
			continue;
		case M_TEMPERROR:
			return MA_SPF_TEMPERROR;
		case M_PERMERROR:
			return MA_SPF_PERMERROR;
		case M_MATCH:
			break;
		}
		r = qualifier_result(t->qualifier);
		if (r == MA_SPF_FAIL && ev->in_include == 0)
			explain(ev, domain, rec);
		ev->v->reason[0] = '\0';
		snprintf(ev->v->reason, sizeof(ev->v->reason),
			 "%s matched %.*s", domain,
			 (int)(t->text_len > 120 ? 120 : t->text_len), t->text);
		return r;
	}
	if (rec->redirect == NULL) {
		reason(ev, "no mechanism matched at %.200s, default neutral",
		       domain);
		return MA_SPF_NEUTRAL;
	}
	/* RFC 7208 6.1: redirect counts as a DNS-querying term */
	if (!count_term(ev)) {
		reason(ev, "more than 10 DNS-querying terms (RFC 7208 4.6.4)");
		return MA_SPF_PERMERROR;
	}
	if (target_of(ev, domain, rec->redirect, rec->redirect_len, target,
		      sizeof(target)) < 0)
		return MA_SPF_PERMERROR;
	enum ma_spf_result r = check_host(ev, target);
	if (r == MA_SPF_NONE) {
		ev->v->reason[0] = '\0';
		reason(ev, "redirect=%.200s has no SPF record", target);
		return MA_SPF_PERMERROR;
	}
	return r;
}

static enum ma_spf_result
check_host(struct eval *ev, const char *domain)
{
	struct spf_record rec;
	enum ma_spf_result r;
	const char *error;
	char *text;

	if (ev->depth >= SPF_MAX_DEPTH) {
		reason(ev, "include/redirect nested deeper than %d", SPF_MAX_DEPTH);
		return MA_SPF_PERMERROR;
	}
	/* RFC 7208 4.3: a malformed domain has no SPF record: none */
	if (!spf_domain_valid(domain, strlen(domain))) {
		reason(ev, "invalid domain %.200s", domain);
		return MA_SPF_NONE;
	}
	text = fetch_record(ev, domain, &r);
	if (text == NULL)
		return r;
	if (spf_record_parse(text, strlen(text), &rec, &error) < 0) {
		snprintf(ev->v->reason, sizeof(ev->v->reason),
			 "syntax error in SPF record of %.150s: %s", domain,
			 error);
		free(text);
		return MA_SPF_PERMERROR;
	}
	ev->depth++;
	r = evaluate(ev, domain, &rec);
	ev->depth--;
	spf_record_free(&rec);
	free(text);
	return r;
}

enum ma_spf_result
spf_eval_check_host(struct spf_dns *dns, const struct spf_query *q,
		    const char *domain, struct ma_spf_verdict *verdict_r)
{
	struct eval ev = { .dns = dns, .q = q, .v = verdict_r };

	verdict_r->reason[0] = '\0';
	verdict_r->explanation[0] = '\0';
	verdict_r->result = check_host(&ev, domain);
	return verdict_r->result;
}
