/*++
 * NAME
 *	spf 3h
 * SUMMARY
 *	SPF (RFC 7208) check, shared by messec-milter-auth, messec-spf and
 *	messec-policyd (libmessec-spf.a, common/spf/)
 * SYNOPSIS
 *	#include <messec/spf.h>
 * DESCRIPTION
 *	ma_spf_check() evaluates one identity for one client IP. The milter
 *	calls it for MAIL FROM (and for HELO when MAIL FROM is empty, or when
 *	configured); messec-spf calls the exact same function.
 *
 *	The context holds configuration only (DNS timeout, lookup limits); it
 *	is read-only after ma_spf_new() and may be shared by threads: each call
 *	makes its own resolver (res_ninit) and evaluation state, no lock.
 *
 *	Engine: messec's own check_host() (spf_eval.c: strict record
 *	validation, RFC 7208 4.6.4 limits across include/redirect, bounded
 *	DNS), 202/203 on the RFC 7208 suite. Raw libspf2 1.2.10 stays
 *	available as MA_SPF_ENGINE_LIBSPF2 for comparison (132/203, no DNS
 *	timeout control); docs/spf-conformance.md has the measurements. That
 *	engine's code stays with its only user (milter-auth/spf_libspf2.c,
 *	messec-spf -L), which passes it in the config as libspf2_check, so
 *	common/ never links libspf2.
 *
 *	Results are RFC 7208 section 2.6 results. Library trouble
 *	(out of memory, a libspf2 invariant) is MA_SPF_INTERNAL: the caller
 *	answers tempfail, never pass.
 *--*/
#ifndef MA_SPF_H
#define MA_SPF_H

#include <stddef.h>

enum ma_spf_result {
	MA_SPF_INTERNAL = -1,	/* our/library failure: caller tempfails */
	MA_SPF_NONE = 0,
	MA_SPF_NEUTRAL,
	MA_SPF_PASS,
	MA_SPF_FAIL,
	MA_SPF_SOFTFAIL,
	MA_SPF_TEMPERROR,
	MA_SPF_PERMERROR,
};

enum ma_spf_identity {
	MA_SPF_ID_MAILFROM,
	MA_SPF_ID_HELO,
};

struct ma_spf_verdict {
	enum ma_spf_result result;
	enum ma_spf_identity identity;	/* as asked (null sender: still MAILFROM) */
	char domain[256];	/* the domain checked (MAIL FROM domain or HELO;
				   the HELO for the null sender) */
	char reason[256];	/* short why, for logs and messec-spf line 2 */
	char explanation[512];	/* exp= text on fail, else "" */
};

enum ma_spf_engine {
	MA_SPF_ENGINE_MESSEC = 0,	/* spf_eval.c: RFC 7208 suite 202/203 */
	MA_SPF_ENGINE_LIBSPF2,		/* raw libspf2 1.2.10, for comparison */
};

struct spf_ip;
/* The comparison engine's entry point (milter-auth/spf_libspf2.c). */
typedef enum ma_spf_result ma_spf_engine_fn(const struct spf_ip *ip, const char *helo,
					    const char *sender,
					    const char *default_explanation,
					    struct ma_spf_verdict *v);

struct ma_spf_config {
	unsigned dns_timeout_ms;	/* per query, default 3000 */
	unsigned total_timeout_ms;	/* whole evaluation, default 10000 */
	/* Added after the contract (zero/NULL = default, so older
	   initialisers keep working): */
	const char *default_explanation; /* fail without exp=: NULL = "" */
	const char *receiver;		/* %{r} in exp text: NULL = "unknown" */
	unsigned dns_term_limit;	/* RFC 7208 4.6.4, 0 = 10, max 100 */
	unsigned void_limit;		/* RFC 7208 4.6.4, 0 = 2, max 100 */
	enum ma_spf_engine engine;	/* default MA_SPF_ENGINE_MESSEC */
	ma_spf_engine_fn *libspf2_check; /* required by MA_SPF_ENGINE_LIBSPF2 */
};

struct ma_spf;

/* NULL cfg: defaults. Returns NULL with *error_r on failure. Caller frees. */
struct ma_spf *ma_spf_new(const struct ma_spf_config *cfg, const char **error_r);
void ma_spf_free(struct ma_spf **spf);

/*
 * client_ip: "192.0.2.1" or "2001:db8::1" (IPv4-mapped IPv6 is treated as
 * IPv4). helo: the HELO/EHLO name (may be "" or NULL). mail_from: the
 * envelope sender without <> ("" or NULL for the null sender: then the
 * identity checked is postmaster@helo, RFC 7208 section 2.4).
 * identity: which identity to check. Always fills *verdict_r; returns
 * verdict_r->result. Bad input never crashes: an unparsable client_ip is
 * MA_SPF_PERMERROR, an unusable sender or domain (over 256 octets, non-
 * ASCII, literal, single label) MA_SPF_NONE, both without any DNS query.
 * Blocks for at most about total_timeout_ms (DNS).
 */
enum ma_spf_result ma_spf_check(struct ma_spf *spf, const char *client_ip,
				const char *helo, const char *mail_from,
				enum ma_spf_identity identity,
				struct ma_spf_verdict *verdict_r);

/* "pass", "fail", ... ("temperror" for MA_SPF_INTERNAL is NOT used:
   returns "internal"). */
const char *ma_spf_result_name(enum ma_spf_result result);

/*
 * Strict RFC 7208 section 12 syntax check of one SPF record text
 * ("v=spf1 ..."), whole, as done before any evaluation. Takes a length
 * (no NUL needed; an embedded NUL is an error): the libFuzzer entry point.
 * Returns 0 if valid, -1 with *error_r (static text) otherwise.
 */
int ma_spf_record_validate(const char *text, size_t len, const char **error_r);

/* Parse "pass", "fail", ... back (for tests and tools); -2 if unknown. */
int ma_spf_result_parse(const char *name);

#endif
