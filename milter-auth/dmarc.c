/*++
 * NAME
 *	dmarc 3
 * SUMMARY
 *	DMARC (RFC 7489): record fetch and parse, alignment, policy, pct
 * SYNOPSIS
 *	#include "dmarc.h"
 *
 *	struct ma_dmarc *ma_dmarc_new(const struct ma_dmarc_config *cfg,
 *				      const char **error_r);
 *	enum ma_dmarc_result ma_dmarc_evaluate(struct ma_dmarc *dmarc,
 *				const struct ma_dmarc_input *in,
 *				struct ma_dmarc_verdict *verdict_r);
 * DESCRIPTION
 *	Called by the milter (milter-auth/milter.c) at end of message with the
 *	RFC5322.From domain (ma_dmarc_from_domain, dmarc_from.c) and the SPF
 *	and DKIM results already computed by spf.c and dkim_verify.c.
 *
 *	Steps (RFC 7489 section 6.6): normalise the From domain; fetch
 *	_dmarc.<from>, else _dmarc.<organizational domain> (section 6.6.3);
 *	keep only records whose first tag is exactly v=DMARC1, none if there
 *	are several; parse the tag list (section 6.3/6.4); compute SPF and
 *	DKIM alignment (section 3.1); pass when one aligned identifier passed
 *	(section 4.2); otherwise the policy is p, or sp for a subdomain whose
 *	record came from the organizational domain, then pct sampling
 *	(section 6.6.4) may soften it by one step.
 *
 *	What libopendmarc 1.4.2 does here, and why we do not use it, is
 *	measured in docs/dmarc.md: its strict alignment counts a subdomain as
 *	aligned, it finds nothing for upper-case domains, it accepts records
 *	RFC 7489 says to ignore ("v=dmarc1", v= not first) and rejects one it
 *	says to use as p=none. So the record parse (a short tag list), the
 *	alignment and the organizational domain are ours; the regression
 *	tests in tests/test_dmarc.c pin both our behaviour and the library's.
 * DIAGNOSTICS
 *	ma_dmarc_new(): NULL with *error_r. ma_dmarc_evaluate() always fills
 *	the verdict, with a reason for logs; DNS trouble is TEMPERROR, never
 *	NONE (the daemon applies its configured action).
 * TRUST BOUNDARY
 *	From domain (peer), DNS answers (anyone's zone): both untrusted,
 *	length-capped and validated before use.
 *--*/
#include <sys/random.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messec/str.h"
#include "dmarc_int.h"

struct ma_dmarc {
	struct ms_psl *psl;
	unsigned timeout_ms;
	ma_dmarc_lookup_fn *lookup;
	void *lookup_ctx;
	unsigned (*pct_draw)(void *ctx);
	void *pct_ctx;
};

struct ma_dmarc *ma_dmarc_new(const struct ma_dmarc_config *cfg, const char **error_r)
{
	struct ma_dmarc *dmarc;
	struct ms_psl *psl;

	psl = ms_psl_load(cfg->psl_path ? cfg->psl_path : MA_DMARC_PSL_DEFAULT, error_r);
	if (psl == NULL)
		return NULL;
	dmarc = xcalloc(1, sizeof(*dmarc));
	dmarc->psl = psl;
	dmarc->timeout_ms = cfg->dns_timeout_ms ? cfg->dns_timeout_ms : MA_DMARC_DNS_TIMEOUT_DEFAULT;
	dmarc->lookup = cfg->test_lookup;
	dmarc->lookup_ctx = cfg->test_lookup_ctx;
	dmarc->pct_draw = cfg->test_pct_draw;
	dmarc->pct_ctx = cfg->test_lookup_ctx;
	return dmarc;
}

void ma_dmarc_free(struct ma_dmarc **dmarc_p)
{
	if (*dmarc_p == NULL)
		return;
	ms_psl_free(&(*dmarc_p)->psl);
	free(*dmarc_p);
	*dmarc_p = NULL;
}

int ma_dmarc_txt_add(struct ma_dmarc_txt *txt, const char *data, size_t len)
{
	if (txt->count >= MA_DMARC_TXT_MAX || len > MA_DMARC_TXT_LEN_MAX)
		return -1;
	txt->records[txt->count++] = xstrndup(data, len);
	return 0;
}

void ma_dmarc_txt_clear(struct ma_dmarc_txt *txt)
{
	size_t i;

	for (i = 0; i < txt->count; i++) {
		free(txt->records[i]);
		txt->records[i] = NULL;
	}
	txt->count = 0;
}

int ma_dmarc_org_domain(const struct ma_dmarc *dmarc, const char *domain,
			char *org_r, size_t org_size)
{
	return ms_psl_registered_domain(dmarc->psl, domain, org_r, org_size);
}

int ma_dmarc_aligned(const struct ma_dmarc *dmarc, const char *from_domain,
		     const char *auth_domain, int strict)
{
	char from[DMARC_DOMAIN_MAX + 1], auth[DMARC_DOMAIN_MAX + 1];
	char from_org[DMARC_DOMAIN_MAX + 1], auth_org[DMARC_DOMAIN_MAX + 1];

	/* Domain names compare case-insensitively: normalise both first. */
	if (from_domain == NULL || auth_domain == NULL ||
	    ms_psl_domain_normalise(from_domain, strlen(from_domain), from, sizeof(from)) < 0 ||
	    ms_psl_domain_normalise(auth_domain, strlen(auth_domain), auth, sizeof(auth)) < 0)
		return 0;
	/* RFC 7489 section 3.1.1/3.1.2: strict mode wants an exact match. */
	if (strict)
		return strcmp(from, auth) == 0;
	/* Relaxed mode: the same organizational domain. */
	if (ms_psl_registered_domain(dmarc->psl, from, from_org, sizeof(from_org)) < 0 ||
	    ms_psl_registered_domain(dmarc->psl, auth, auth_org, sizeof(auth_org)) < 0)
		return 0;
	return strcmp(from_org, auth_org) == 0;
}

const char *ma_dmarc_result_name(enum ma_dmarc_result result)
{
	switch (result) {
	case MA_DMARC_NONE: return "none";
	case MA_DMARC_PASS: return "pass";
	case MA_DMARC_FAIL: return "fail";
	case MA_DMARC_TEMPERROR: return "temperror";
	case MA_DMARC_PERMERROR: return "permerror";
	}
	return "permerror";
}

const char *ma_dmarc_policy_name(enum ma_dmarc_policy policy)
{
	switch (policy) {
	case MA_DMARC_POLICY_NONE: return "none";
	case MA_DMARC_POLICY_QUARANTINE: return "quarantine";
	case MA_DMARC_POLICY_REJECT: return "reject";
	case MA_DMARC_POLICY_UNSPECIFIED: break;
	}
	return "unspecified";
}

/* Reasons are for logs only: a cut reason is acceptable, so truncation is ignored. */
static void set_reason(struct ma_dmarc_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(struct ma_dmarc_verdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/*
 * Fetch the DMARC record for domain (RFC 7489 section 6.6.3 steps 1-5).
 * Returns FOUND with *rec_r, NOTFOUND when there is no DMARC record (go
 * on to the organizational domain), RETRY on DNS trouble. Several DMARC
 * records, or one we must ignore, stop the search: *stop_r is set, with
 * the reason in the verdict.
 */
static enum ma_dmarc_lookup fetch_record(struct ma_dmarc *dmarc, const char *domain,
					 struct ma_dmarc_record *rec_r, int *stop_r,
					 struct ma_dmarc_verdict *v)
{
	char name[DMARC_DOMAIN_MAX + 16];
	struct ma_dmarc_txt txt;
	enum ma_dmarc_lookup rc;
	const char *found = NULL, *error;
	size_t i, n = 0;
	int len;

	*stop_r = 0;
	len = snprintf(name, sizeof(name), "_dmarc.%s", domain);
	if (len < 0 || (size_t)len >= sizeof(name))
		return MA_DMARC_LOOKUP_NOTFOUND;	/* over 253: no such name */
	memset(&txt, 0, sizeof(txt));
	rc = dmarc->lookup ? dmarc->lookup(dmarc->lookup_ctx, name, &txt) :
	    dmarc_dns_txt(name, dmarc->timeout_ms, &txt);
	if (rc == MA_DMARC_LOOKUP_RETRY) {
		set_reason(v, "DNS temporary failure looking up %s", name);
		goto out;
	}
	/* Step 3: discard records that do not start with v=DMARC1. */
	for (i = 0; i < txt.count; i++) {
		if (dmarc_record_is_dmarc(txt.records[i])) {
			found = txt.records[i];
			n++;
		}
	}
	rc = MA_DMARC_LOOKUP_NOTFOUND;
	if (n == 0) {
		/* nothing here: the caller tries the organizational domain */
	} else if (n > 1) {
		/* Step 4: several records, no DMARC processing. */
		*stop_r = 1;
		set_reason(v, "%zu DMARC records at %s", n, name);
	} else if (ma_dmarc_record_parse(found, strlen(found), rec_r, &error) < 0) {
		*stop_r = 1;
		set_reason(v, "record at %s ignored: %s", name, error);
	} else {
		rc = MA_DMARC_LOOKUP_FOUND;
		if (str_copy(v->policy_domain, domain, sizeof(v->policy_domain)) >=
		    sizeof(v->policy_domain))
			rc = MA_DMARC_LOOKUP_NOTFOUND;	/* cannot happen: domain <= 253 */
	}
out:
	ma_dmarc_txt_clear(&txt);
	return rc;
}

/* RFC 7489 section 6.6.4 / 6.3 "pct": messages not sampled get the next less strict policy. */
static enum ma_dmarc_policy apply_pct(struct ma_dmarc *dmarc, enum ma_dmarc_policy policy, int pct)
{
	unsigned draw;

	if (pct >= 100)
		return policy;
	if (pct > 0) {
		if (dmarc->pct_draw != NULL) {
			draw = dmarc->pct_draw(dmarc->pct_ctx) % 100;
		} else {
			/* Rejection sampling: uniform in 0..99 without modulo bias. */
			unsigned r;

			do {
				if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
					return policy;	/* no randomness: enforce (fail safe) */
			} while (r >= 4294967200U);
			draw = r % 100;
		}
		if (draw < (unsigned)pct)
			return policy;
	}
	switch (policy) {
	case MA_DMARC_POLICY_REJECT: return MA_DMARC_POLICY_QUARANTINE;
	case MA_DMARC_POLICY_QUARANTINE: return MA_DMARC_POLICY_NONE;
	default: return policy;
	}
}

/* Any aligned, passing identifier (RFC 7489 section 4.2)? */
static void check_alignment(const struct ma_dmarc *dmarc, const struct ma_dmarc_input *in,
			    const struct ma_dmarc_record *rec, struct ma_dmarc_verdict *v)
{
	size_t i;

	v->spf_aligned = in->spf_pass && in->spf_domain != NULL &&
	    ma_dmarc_aligned(dmarc, v->from_domain, in->spf_domain, rec->aspf_strict);
	for (i = 0; i < in->n_dkim_pass && !v->dkim_aligned; i++) {
		v->dkim_aligned = in->dkim_pass_domains[i] != NULL &&
		    ma_dmarc_aligned(dmarc, v->from_domain, in->dkim_pass_domains[i],
				     rec->adkim_strict);
	}
}

enum ma_dmarc_result ma_dmarc_evaluate(struct ma_dmarc *dmarc, const struct ma_dmarc_input *in,
				       struct ma_dmarc_verdict *v)
{
	struct ma_dmarc_record rec;
	enum ma_dmarc_lookup rc;
	int stop, subdomain;

	memset(v, 0, sizeof(*v));
	v->pct = 100;

	/* Section 6.6.1: a usable RFC5322.From domain, lower-cased. */
	if (in->from_domain == NULL ||
	    ms_psl_domain_normalise(in->from_domain, strlen(in->from_domain),
				    v->from_domain, sizeof(v->from_domain)) < 0) {
		set_reason(v, "no usable RFC5322.From domain");
		return v->result = MA_DMARC_PERMERROR;
	}
	if (ms_psl_registered_domain(dmarc->psl, v->from_domain, v->org_domain,
				     sizeof(v->org_domain)) < 0) {
		set_reason(v, "no organizational domain");
		return v->result = MA_DMARC_PERMERROR;
	}

	/* Section 6.6.3: the From domain first, then its organizational domain. */
	rc = fetch_record(dmarc, v->from_domain, &rec, &stop, v);
	if (rc == MA_DMARC_LOOKUP_NOTFOUND && !stop &&
	    strcmp(v->org_domain, v->from_domain) != 0)
		rc = fetch_record(dmarc, v->org_domain, &rec, &stop, v);
	if (rc == MA_DMARC_LOOKUP_RETRY)
		return v->result = MA_DMARC_TEMPERROR;
	if (rc == MA_DMARC_LOOKUP_NOTFOUND) {
		if (!stop)
			set_reason(v, "no DMARC record for %s", v->from_domain);
		return v->result = MA_DMARC_NONE;
	}

	/* Section 6.3 "sp": for a subdomain whose record is the org domain's. */
	subdomain = strcmp(v->policy_domain, v->from_domain) != 0;
	v->policy = subdomain ? rec.sp : rec.p;
	v->is_subdomain_policy = subdomain && rec.sp_present;
	v->pct = rec.pct;
	v->rec_p = rec.p;
	v->rec_sp = rec.sp;
	v->rec_adkim_strict = rec.adkim_strict;
	v->rec_aspf_strict = rec.aspf_strict;

	check_alignment(dmarc, in, &rec, v);
	if (v->spf_aligned || v->dkim_aligned) {
		v->applied = MA_DMARC_POLICY_NONE;
		set_reason(v, "aligned %s pass", v->dkim_aligned ? "DKIM" : "SPF");
		return v->result = MA_DMARC_PASS;
	}
	v->applied = apply_pct(dmarc, v->policy, v->pct);
	set_reason(v, "no aligned pass (adkim=%c aspf=%c), policy %s%s from %s, pct %d",
		   rec.adkim_strict ? 's' : 'r', rec.aspf_strict ? 's' : 'r',
		   ma_dmarc_policy_name(v->policy), rec.p_assumed_none ? " (assumed)" : "",
		   v->policy_domain, v->pct);
	return v->result = MA_DMARC_FAIL;
}
