/*++
 * NAME
 *	dmarc 3h
 * SUMMARY
 *	DMARC (RFC 7489) evaluation: record fetch/parse, alignment, policy
 * DESCRIPTION
 *	libopendmarc 1.4.2 was measured (docs/dmarc.md) and gets the parts we
 *	need wrong, so this module does them itself, each with a regression
 *	test in tests/test_dmarc.c that also pins the library's defect:
 *	- alignment (relaxed and strict, RFC 7489 section 3.1): the library
 *	  counts d=mail.example.com as strictly aligned with From example.com;
 *	- domains are lower-cased first: the library returns nothing for
 *	  upper-case domains;
 *	- records are validated here (RFC 7489 section 6.3/6.4): "v=DMARC1" must
 *	  be the first tag, exactly; otherwise the record is ignored (as if
 *	  absent) -- the library accepts "v=dmarc1" and v= not first; and an
 *	  invalid p with a valid rua acts as p=none (section 6.6.3), which the
 *	  library refuses;
 *	- DNS: res_n* with a bounded timeout (dmarc_dns.c), three-way result.
 *	Organizational domain from the public suffix list (Debian's publicsuffix
 *	package: /usr/share/publicsuffix/public_suffix_list.dat; path configurable).
 *
 *	The context is shared read-only by all threads; ma_dmarc_evaluate() is
 *	reentrant. Testing hooks in the config replace DNS and pct sampling.
 *--*/
#ifndef MA_DMARC_H
#define MA_DMARC_H

#include <stddef.h>
#include "messec/psl.h"

enum ma_dmarc_result {		/* RFC 7489 section 11.2: the A-R "dmarc" results */
	MA_DMARC_NONE = 0,	/* no policy record */
	MA_DMARC_PASS,
	MA_DMARC_FAIL,
	MA_DMARC_TEMPERROR,	/* DNS temporary failure fetching the record */
	MA_DMARC_PERMERROR,	/* e.g. no/multiple From domains, unusable From */
};

enum ma_dmarc_policy {		/* the policy to apply (after pct and sp) */
	MA_DMARC_POLICY_UNSPECIFIED = 0,
	MA_DMARC_POLICY_NONE,
	MA_DMARC_POLICY_QUARANTINE,
	MA_DMARC_POLICY_REJECT,
};

/*
 * TXT answer for one name: each entry is one TXT resource record with its
 * character-strings already concatenated (RFC 7489 section 6.6.3, RFC 7208
 * section 3.3). Entries are malloc'ed; ma_dmarc_txt_clear() frees them.
 */
#define MA_DMARC_TXT_MAX 16		/* more RRs than this: the rest is dropped */
#define MA_DMARC_TXT_LEN_MAX 4096	/* longer RRs are dropped (never a usable record) */
struct ma_dmarc_txt {
	size_t count;
	char *records[MA_DMARC_TXT_MAX];
};
/* Append one record (copied, NUL-terminated). 0 ok, -1 table full or too long. */
int ma_dmarc_txt_add(struct ma_dmarc_txt *txt, const char *data, size_t len);
void ma_dmarc_txt_clear(struct ma_dmarc_txt *txt);

/* Three-way DNS outcome: a DNS error never becomes "no record". */
enum ma_dmarc_lookup {
	MA_DMARC_LOOKUP_FOUND = 1,	/* txt_r filled (may hold non-DMARC TXT) */
	MA_DMARC_LOOKUP_NOTFOUND = 0,	/* NXDOMAIN or no TXT data */
	MA_DMARC_LOOKUP_RETRY = -1,	/* SERVFAIL, timeout, other DNS error */
};
typedef enum ma_dmarc_lookup ma_dmarc_lookup_fn(void *ctx, const char *name,
						struct ma_dmarc_txt *txt_r);

struct ma_dmarc_config {
	const char *psl_path;		/* public suffix list; NULL: MA_DMARC_PSL_DEFAULT */
	unsigned dns_timeout_ms;	/* default 5000; 0 means default */
	/* Testing only: replaces DNS (name is "_dmarc.<domain>"). NULL: res_n*. */
	ma_dmarc_lookup_fn *test_lookup;
	void *test_lookup_ctx;		/* passed to both test hooks */
	/* Testing only: pct sampling draw in 0..99. NULL: getrandom(2). */
	unsigned (*test_pct_draw)(void *ctx);
};
#define MA_DMARC_PSL_DEFAULT MS_PSL_PATH_DEFAULT
#define MA_DMARC_DNS_TIMEOUT_DEFAULT 5000

/* A parsed DMARC record (RFC 7489 section 6.3). */
struct ma_dmarc_record {
	enum ma_dmarc_policy p;		/* requested policy */
	enum ma_dmarc_policy sp;	/* subdomain policy; = p when absent */
	int sp_present;
	int adkim_strict, aspf_strict;	/* default relaxed */
	int pct;			/* default 100 */
	int p_assumed_none;		/* p/sp invalid or absent but rua valid:
					   acting as p=none (RFC 7489 section 6.6.3) */
};

/* Inputs: the authenticated identifiers of this message. */
struct ma_dmarc_input {
	const char *from_domain;	/* RFC5322.From domain */
	const char *spf_domain;		/* domain SPF checked (MAIL FROM, or HELO for bounces) */
	int spf_pass;			/* SPF result was pass for spf_domain */
	size_t n_dkim_pass;		/* d= of every DKIM signature with result pass */
	const char *const *dkim_pass_domains;
};

struct ma_dmarc_verdict {
	enum ma_dmarc_result result;
	enum ma_dmarc_policy policy;	/* p (or sp for a subdomain) published */
	enum ma_dmarc_policy applied;	/* after pct sampling: what to enforce */
	int spf_aligned, dkim_aligned;
	int pct;			/* 0..100 */
	int is_subdomain_policy;	/* sp applied */
	char from_domain[256];		/* lower-cased */
	char org_domain[256];
	char policy_domain[256];	/* where the record was found */
	/* The record as published (aggregate reports, RFC 7489 appendix C
	   policy_published); set when a record was found. */
	enum ma_dmarc_policy rec_p, rec_sp;
	int rec_adkim_strict, rec_aspf_strict;
	char reason[256];
};

struct ma_dmarc;

struct ma_dmarc *ma_dmarc_new(const struct ma_dmarc_config *cfg, const char **error_r);
void ma_dmarc_free(struct ma_dmarc **dmarc);

/* Organizational domain of a (lower-cased) domain; 0 ok, -1 bad input. */
int ma_dmarc_org_domain(const struct ma_dmarc *dmarc, const char *domain,
			char *org_r, size_t org_size);
/* 1 aligned, 0 not. strict: adkim=s / aspf=s. */
int ma_dmarc_aligned(const struct ma_dmarc *dmarc, const char *from_domain,
		     const char *auth_domain, int strict);
/* Validate a record text per RFC 7489 section 6.3/6.4; 0 usable, -1 ignore. */
int ma_dmarc_record_valid(const char *record, size_t len);
/* Same, with the parsed tags in *rec_r; on -1 *error_r says why (static). */
int ma_dmarc_record_parse(const char *record, size_t len, struct ma_dmarc_record *rec_r,
			  const char **error_r);

/* The raw value of tag name (e.g. "rua") of a usable record: 1 copied
   into out, 0 absent, -1 record ignored or value too long for out. */
int ma_dmarc_record_tag(const char *record, size_t len, const char *name, char *out,
			size_t size);

/* Full evaluation: fetches _dmarc.<from>, falls back to the org domain
   (RFC 7489 section 6.6.3). Always fills *verdict_r; returns its result.
   pct sampling draws from a random source unless pct is 0 or 100. */
enum ma_dmarc_result ma_dmarc_evaluate(struct ma_dmarc *dmarc, const struct ma_dmarc_input *in,
				       struct ma_dmarc_verdict *verdict_r);

const char *ma_dmarc_result_name(enum ma_dmarc_result result);
const char *ma_dmarc_policy_name(enum ma_dmarc_policy policy);

/* RFC5322.From handling (RFC 7489 section 6.6.1): extract the domain(s) of
   one From header value. Returns the number of addresses found (0 = none
   or unparsable, including a first address without a usable domain: no
   "@", domain literal, non-LDH or 8-bit), domain of the first in *domain_r
   (lower-cased, "" when 0), and sets *multi_domain_r when several
   addresses with different domains (or an unusable one) appear. Several
   From fields are the caller's to count (one call per field). */
int ma_dmarc_from_domain(const char *from_value, char *domain_r, size_t size,
			 int *multi_domain_r);

#endif
