/*++
 * NAME
 *	spf_internal 3h
 * SUMMARY
 *	private interfaces between the SPF module's files
 * SYNOPSIS
 *	#include "spf_internal.h"
 * DESCRIPTION
 *	spf_dns.c: bounded, thread-safe DNS lookups (res_n* API) returning
 *	NOERROR / NODATA / NXDOMAIN / TEMPERROR.
 *	spf_record.c: the strict RFC 7208 section 12 record parser and the
 *	macro syntax checks.
 *	spf_macro.c: macro expansion (RFC 7208 section 7).
 *	spf_eval.c: check_host() (RFC 7208 sections 4 to 6) with the lookup
 *	limits of section 4.6.4.
 *	Nothing here is for callers outside common/spf/, milter-auth/spf_libspf2.c
 *	and the tests.
 *--*/
#ifndef MA_SPF_INTERNAL_H
#define MA_SPF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <resolv.h>

#include <messec/spf.h>

/* RFC 7208 4.6.4 */
#define SPF_MAX_DNS_TERMS	10
#define SPF_MAX_VOID		2
#define SPF_MAX_MX_NAMES	10
#define SPF_MAX_PTR_NAMES	10
/* RFC 7208 4.3 / RFC 1035 2.3.4 */
#define SPF_MAX_DOMAIN		253
#define SPF_MAX_LABEL		63
/* A DNS message never exceeds 64 KiB, nor does a TXT record set's text. */
#define SPF_MAX_RECORD		65535

/* ---- spf_dns.c ---- */

enum spf_dns_status {
	SPF_DNS_OK = 0,		/* NOERROR with answers of the type asked */
	SPF_DNS_NODATA,		/* NOERROR, no answer of that type */
	SPF_DNS_NXDOMAIN,	/* RCODE 3 */
	SPF_DNS_TEMPERROR,	/* timeout, SERVFAIL, other RCODE, bad reply */
};

struct spf_rr {
	uint16_t type;		/* ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_ptr, ns_t_txt */
	uint8_t addr[16];	/* A (4 bytes) / AAAA (16 bytes) */
	char *text;		/* TXT strings joined / MX, PTR target name */
	size_t text_len;
};

struct spf_rrset {
	struct spf_rr *rr;
	size_t count;
};

/* Unit tests answer from a table instead of the network (never set in
 * the milter or messec-spf). */
typedef enum spf_dns_status spf_dns_fake_fn(void *ctx, const char *name,
					     int type, struct spf_rrset *set_r);

struct spf_dns {
	spf_dns_fake_fn *fake;
	void *fake_ctx;
	bool ready;
	unsigned timeout_ms;		/* per query */
	struct timespec deadline;	/* whole evaluation (CLOCK_MONOTONIC) */
	unsigned queries;		/* for the logs */
};

int spf_dns_open(struct spf_dns *dns, unsigned timeout_ms,
		 unsigned total_timeout_ms, const char **error_r);
void spf_dns_close(struct spf_dns *dns);
/* Caller frees *set_r with spf_rrset_free() (also on failure: it is empty). */
enum spf_dns_status spf_dns_query(struct spf_dns *dns, const char *name,
				  int type, struct spf_rrset *set_r);
void spf_rrset_free(struct spf_rrset *set);
const char *spf_dns_status_name(enum spf_dns_status st);

/* ---- client address ---- */

struct spf_ip {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* 4 or 16 bytes used */
};

/* IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4 (RFC 7208 5: the
 * address is compared as the family it really is). 0 or -1. */
int spf_ip_parse(const char *text, struct spf_ip *ip_r);
bool spf_ip_match(const struct spf_ip *ip, const uint8_t *net, int family,
		  unsigned prefix);

/* ---- spf_record.c ---- */

enum spf_mech {
	SPF_M_ALL, SPF_M_INCLUDE, SPF_M_A, SPF_M_MX, SPF_M_PTR,
	SPF_M_IP4, SPF_M_IP6, SPF_M_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qualifier;		/* '+', '-', '~', '?' */
	const char *spec;	/* domain-spec text (NULL: current domain) */
	size_t spec_len;
	int cidr4;		/* -1: default (32) */
	int cidr6;		/* -1: default (128) */
	uint8_t net[16];	/* ip4 / ip6 network */
	const char *text;	/* the whole term, for reasons */
	size_t text_len;
};

struct spf_record {
	struct spf_term *terms;
	size_t count;
	const char *redirect;	/* domain-spec or NULL */
	size_t redirect_len;
	const char *exp;	/* domain-spec or NULL */
	size_t exp_len;
};

/* Pointers in *rec_r borrow from text, which must outlive it. On error
 * *error_r is a static string; rec_r is left empty. */
int spf_record_parse(const char *text, size_t len, struct spf_record *rec_r,
		     const char **error_r);
void spf_record_free(struct spf_record *rec);
/* Is this TXT string an SPF record ("v=spf1" then SP or end, RFC 7208 4.5)? */
bool spf_record_is_spf(const char *text, size_t len);
/* Syntax of a macro-string (domain-spec: explain false) or an
 * explain-string (explain true). */
int spf_macro_check(const char *s, size_t len, bool explain,
		    const char **error_r);
/* domain-spec = macro-string domain-end (RFC 7208 7.1). */
int spf_domain_spec_check(const char *s, size_t len, const char **error_r);

/* ---- spf_macro.c ---- */

struct spf_macro_ctx {
	const char *sender;		/* local@domain */
	const char *local;		/* local-part */
	const char *sender_domain;	/* domain of sender */
	const char *domain;		/* current <domain> */
	const char *helo;
	const char *receiver;		/* %{r} */
	const struct spf_ip *ip;
	/* %{p}: validated client name, computed on demand */
	struct spf_dns *dns;
	char ptr_name[SPF_MAX_DOMAIN + 1];
	bool ptr_done;
};

/* Expands into out (NUL-terminated). explain: exp text (allows c, r, t and
 * spaces). A domain (explain false) longer than 253 characters loses
 * left-hand labels (RFC 7208 7.3). Returns 0, or -1 on a syntax error or
 * overflow with *error_r. */
int spf_macro_expand(struct spf_macro_ctx *ctx, const char *s, size_t len,
		     bool explain, char *out, size_t out_size,
		     const char **error_r);
/* RFC 7208 5.5 / 7.3 %{p}: the validated name of the client, or NULL.
 * Fills ctx->ptr_name; target: prefer that domain or a subdomain. */
const char *spf_ptr_validated(struct spf_macro_ctx *ctx, const char *target,
			      bool *temperror_r);

/* ---- spf_eval.c ---- */

struct spf_limits {
	unsigned dns_terms;	/* RFC 7208 4.6.4: 10 */
	unsigned voids;		/* 2 */
};

/* One check_host() (RFC 7208 4) with everything the caller knows. */
struct spf_query {
	const struct spf_ip *ip;
	const char *sender;	/* local@domain, already built */
	const char *local;
	const char *sender_domain;
	const char *helo;
	const char *receiver;
	const char *default_explanation;
	struct spf_limits limits;
};

enum ma_spf_result spf_eval_check_host(struct spf_dns *dns,
				       const struct spf_query *q,
				       const char *domain,
				       struct ma_spf_verdict *verdict_r);
/* RFC 7208 4.3: a usable <domain> (FQDN, labels 1..63, total <= 253, LDH
 * plus '_' ASCII). */
bool spf_domain_valid(const char *d, size_t len);

/* ---- milter-auth/spf_libspf2.c (the comparison engine, not in common/) ---- */

ma_spf_engine_fn spf_libspf2_check;
/* SPF_result_t + SPF_errcode_t -> ours (INVALID -> temperror/permerror) */
enum ma_spf_result spf_libspf2_map(int result, int errcode);

#endif
