/*++
 * NAME
 *	dkim_verify 3h
 * SUMMARY
 *	DKIM verification (RFC 6376, RFC 8463, RFC 8301): messec's own
 *	verifier (dkim_vossl.c, the default) or libopendkim
 * DESCRIPTION
 *	One ma_dkim_verify per message: feed it the header fields in order as
 *	received (name and value exactly as libmilter gives them), then body
 *	chunks, then finish. Every DKIM-Signature is evaluated (up to
 *	max_signatures; the rest get "policy" with reason "too many
 *	signatures"), each giving a per-signature result with d=, s=, a= and
 *	the first bytes of b=.
 *
 *	libopendkim pitfalls handled here (each has a regression test; the
 *	full list is in docs/dkim.md):
 *	- it can report a signature as passed when its body hash does not
 *	  match: we check the body-hash result ourselves (dkim_sig_getbh());
 *	- it verifies a=rsa-sha1 as pass: RFC 8301 section 3.1 says
 *	  verifiers must not consider rsa-sha1 valid: result "policy"
 *	  unless allow_rsa_sha1 is set;
 *	- it ignores the key's k= and the syntax of d=: checked here.
 *	DNS key lookups use the system resolver (per-query state, bounded
 *	timeout, dkim_dns.c). They happen in ma_dkim_verify_eoh() (and
 *	eom), so both may wait up to about dns_timeout_ms per signature.
 *
 *	The library context (ma_dkim_lib) is created once and shared by all
 *	milter threads; an ma_dkim_verify belongs to one thread.
 *--*/
#ifndef MA_DKIM_VERIFY_H
#define MA_DKIM_VERIFY_H

#include <stddef.h>

/* RFC 8601 section 2.7.1 dkim results */
enum ma_dkim_result {
	MA_DKIM_NONE = 0,	/* no signature (message level) */
	MA_DKIM_PASS,
	MA_DKIM_FAIL,		/* signature or body hash does not verify */
	MA_DKIM_POLICY,		/* valid but unacceptable (rsa-sha1, short key, too many) */
	MA_DKIM_NEUTRAL,	/* syntax error in the signature */
	MA_DKIM_TEMPERROR,	/* key lookup temporary failure */
	MA_DKIM_PERMERROR,	/* key missing/revoked/unusable, bad signature syntax */
};

struct ma_dkim_sig {
	enum ma_dkim_result result;
	char domain[256];	/* d= (lower-case) */
	char selector[256];	/* s= */
	char algorithm[32];	/* a=, e.g. "rsa-sha256", "ed25519-sha256" */
	char b_prefix[16];	/* first 8+ chars of b= (RFC 6008 header.b) */
	char reason[128];	/* short why, for logs and the A-R comment */
	unsigned key_bits;	/* RSA key size, 0 if unknown/ed25519 */
};

/* dkim_verify_engine: which code checks the signatures */
enum ma_dkim_verify_engine {
	MA_DKIM_VERIFY_OPENDKIM = 0,	/* libopendkim (dkim_result.c around it) */
	MA_DKIM_VERIFY_MESSEC,		/* dkim_vossl.c on dkim_canon.c and OpenSSL */
};

struct ma_dkim_config {
	enum ma_dkim_verify_engine engine;	/* default MA_DKIM_VERIFY_MESSEC */
	unsigned max_signatures;	/* default 8 */
	int allow_rsa_sha1;		/* default 0 (RFC 8301) */
	unsigned min_rsa_bits;		/* default 1024 (RFC 8301 section 3.2) */
	unsigned dns_timeout_ms;	/* default 5000 */
	/* Header fields longer than this (name + value) are not hashed; a
	   signature covering one then fails. Default 131072 (above Postfix's
	   header_size_limit of 102400, so it only bites without Postfix). */
	size_t max_header_bytes;
	/* 1 if the milter negotiated SMFIP_HDR_LEADSPC (values keep their
	   leading white space): fields are joined as "name:value", else as
	   "name: value". Default 0. */
	int header_leadspc;
	/* TESTING ONLY: answer key queries from this file instead of DNS
	   ("selector._domainkey.domain record" lines, see dkim_dns.h).
	   NULL (default) = DNS. Borrowed during ma_dkim_lib_new() only. */
	const char *key_file;
	/* TESTING ONLY: ask this one server ("127.0.0.1:port") instead of
	   resolv.conf's. NULL (default) = resolv.conf. */
	const char *test_dns_server;
};

/* Fill cfg with the defaults above. */
void ma_dkim_config_defaults(struct ma_dkim_config *cfg);

struct ma_dkim_lib;
struct ma_dkim_verify;

/* Caller frees with ma_dkim_lib_free() after the last verify is freed.
   NULL with *error_r (static text, or per-thread buffer for key_file
   errors) on bad config. Thread-safe to share once created. */
struct ma_dkim_lib *ma_dkim_lib_new(const struct ma_dkim_config *cfg, const char **error_r);
void ma_dkim_lib_free(struct ma_dkim_lib **lib);

/* id: queue id for logs (copied). NULL on internal error (caller tempfails). */
struct ma_dkim_verify *ma_dkim_verify_new(struct ma_dkim_lib *lib, const char *id,
					  const char **error_r);
void ma_dkim_verify_free(struct ma_dkim_verify **v);

/* 0 ok, -1 internal error (with *error_r). Input that is merely broken
   (bad signature syntax, NUL bytes, overlong) is NOT an error here: it
   ends up as a per-signature result. */
int ma_dkim_verify_header(struct ma_dkim_verify *v, const char *name, const char *value,
			  const char **error_r);
/* Same, with one raw header field "Name: value" as it appears in the
   message (folding CRLFs included, final CRLF excluded), len bytes, which
   may contain NUL bytes (such a field is not hashed; a DKIM-Signature
   holding one gets permerror). For offline tools and tests. */
int ma_dkim_verify_header_raw(struct ma_dkim_verify *v, const char *field, size_t len,
			      const char **error_r);
/* Key lookups happen here. */
int ma_dkim_verify_eoh(struct ma_dkim_verify *v, const char **error_r);
/* Body chunks as libmilter gives them (CRLF lines); calls eoh if needed. */
int ma_dkim_verify_body(struct ma_dkim_verify *v, const unsigned char *data, size_t len,
			const char **error_r);
/* Computes and logs (log_verdict) one result per signature. */
int ma_dkim_verify_eom(struct ma_dkim_verify *v, const char **error_r);

/* After eom: number of signatures and each one (borrowed, valid until
   free). Order: the signatures libopendkim checked, in header order, then
   those judged without it (NUL byte, too long, bad d=/s=, over
   max_signatures), in header order. 0 before eom. */
size_t ma_dkim_verify_count(const struct ma_dkim_verify *v);
const struct ma_dkim_sig *ma_dkim_verify_sig(const struct ma_dkim_verify *v, size_t i);

const char *ma_dkim_result_name(enum ma_dkim_result result);

#endif
