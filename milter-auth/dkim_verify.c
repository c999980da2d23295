/*++
 * NAME
 *	dkim_verify 3
 * SUMMARY
 *	DKIM verification (RFC 6376, RFC 8463, RFC 8301): messec's own
 *	verifier (dkim_vossl.c) or libopendkim
 * SYNOPSIS
 *	#include "dkim_verify.h"
 * DESCRIPTION
 *	dkim_verify_engine (cfg->engine) picks what checks the signatures:
 *	MA_DKIM_VERIFY_MESSEC (dkim_vossl.c, no libopendkim call at all) or
 *	MA_DKIM_VERIFY_OPENDKIM. Everything in this file (joining, drops,
 *	limits, d=/s= syntax, repeated tags, result order) is shared, and so
 *	is the verdict (dkim_result.c). What follows describes the
 *	libopendkim engine; dkim_vossl.c reproduces it (docs/dkim.md).
 *
 *	The milter (milter-auth/main.c and friends) creates one ma_dkim_lib
 *	at startup (one DKIM_LIB, shared read-only by every milter thread:
 *	libopendkim documents a DKIM_LIB as usable from several threads and
 *	a DKIM handle as belonging to one) and one ma_dkim_verify per
 *	message, fed from its header/eoh/body/eom callbacks.
 *
 *	What we do around the library, and why:
 * .IP \(bu
 *	Header fields are joined and line endings made CRLF here, not with
 *	DKIM_LIBFLAGS_FIXCRLF: dkim_header() with that flag records the
 *	ORIGINAL length for the rewritten text (libopendkim/dkim.c), so a
 *	field it shortens (NUL byte, 64 KiB cap) is over-read later, and a
 *	field it lengthens (LF -> CRLF) is hashed truncated.
 * .IP \(bu
 *	Fields holding a NUL byte (RFC 5322 section 2.2 forbids them) or
 *	longer than max_header_bytes are not given to the library. A
 *	DKIM-Signature among them gets permerror; other fields are simply
 *	not hashed, so a signature covering them fails.
 * .IP \(bu
 *	Only the first max_signatures DKIM-Signature fields are given to the
 *	library; each further one gets "policy" ("too many signatures")
 *	without any DNS query or hashing. (Ignoring them later, in the
 *	prescreen callback, would be too late: libopendkim sets up one
 *	body-hash context per distinct c=/a=/l= at end of header.)
 * .IP \(bu
 *	Every signature's result is computed here from the flags, the error
 *	and the body-hash state: libopendkim can flag a signature PASSED
 *	whose body hash does not match (RFC 6376 section 6.1.3 says that is
 *	a failure), and it passes a=rsa-sha1, which RFC 8301 section 3.1
 *	forbids (result "policy" unless allow_rsa_sha1). RSA keys under
 *	min_rsa_bits give "policy" (RFC 8301 section 3.2).
 * .IP \(bu
 *	Key lookups use dkim_dns.c (bounded, per-query resolver state).
 * .PP
 *	Result mapping (RFC 8601 section 2.7.1 names): signature syntax
 *	errors -> neutral; key missing, revoked, undecodable, k=/h=/s=
 *	unsuitable (RFC 6376 section 6.1.2), From not signed, expired ->
 *	permerror; DNS failure or timeout -> temperror; bad signature or
 *	body hash -> fail.
 * TRUST BOUNDARY
 *	Everything in the message is hostile: field names and values, the
 *	DKIM-Signature tags, and the key records from DNS. Text we copy
 *	out (d=, s=, a=, b=) is cut and cleaned for logs and A-R headers.
 * SEE ALSO
 *	dkim_dns(3), docs/dkim.md
 *--*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include <messec/log.h>
#include <messec/str.h>

#include "dkim_dns.h"
#define MA_DKIM_RESULT_OPENDKIM
#include "dkim_result.h"
#include "dkim_verify.h"
#include "dkim_vossl.h"

#define SIG_HEADER "DKIM-Signature"

struct ma_dkim_lib {
	DKIM_LIB *dkim;
	struct ma_vossl_keys *keys;	/* engine messec: parsed keys */
	struct ma_dkim_dns *dns;
	struct ma_dkim_config cfg;	/* key_file cleared: borrowed at new() */
};

enum verify_state {
	VERIFY_HEADERS,
	VERIFY_BODY,		/* at least one signature given to the library */
	VERIFY_NOSIG,		/* nothing to verify: body is not hashed */
	VERIFY_DONE,
};

struct ma_dkim_verify {
	struct ma_dkim_lib *lib;
	DKIM *dkim;			/* engine opendkim */
	struct ma_vossl *own;		/* engine messec */
	char id[64];
	enum verify_state state;
	unsigned fed_sigs;		/* DKIM-Signature fields given to the library */
	unsigned dropped_fields;	/* other fields not hashed (NUL, too long) */
	struct ma_dkim_sig *fed;	/* tags of those, in order (fed_sigs) */
	struct ma_dkim_sig *extra;	/* signatures judged without the library */
	size_t extra_count;
	struct ma_dkim_keyset keys;	/* key records fetched during eom */
	struct ma_dkim_sig *sigs;	/* results, after eom */
	size_t count;
	char *field;			/* join buffer for one header field */
	size_t field_size;
};

void ma_dkim_config_defaults(struct ma_dkim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->engine = MA_DKIM_VERIFY_MESSEC;
	cfg->max_signatures = 8;
	cfg->allow_rsa_sha1 = 0;
	cfg->min_rsa_bits = 1024;
	cfg->dns_timeout_ms = 5000;
	cfg->max_header_bytes = 131072;
	cfg->header_leadspc = 0;
	cfg->key_file = NULL;
	cfg->test_dns_server = NULL;
}

const char *ma_dkim_result_name(enum ma_dkim_result result)
{
	switch (result) {
	case MA_DKIM_NONE:
		return "none";
	case MA_DKIM_PASS:
		return "pass";
	case MA_DKIM_FAIL:
		return "fail";
	case MA_DKIM_POLICY:
		return "policy";
	case MA_DKIM_NEUTRAL:
		return "neutral";
	case MA_DKIM_TEMPERROR:
		return "temperror";
	case MA_DKIM_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

static int check_config(const struct ma_dkim_config *cfg, const char **error_r)
{
	if (cfg->max_signatures < 1 || cfg->max_signatures > 100)
		*error_r = "max_signatures: expected 1..100";
	else if (cfg->min_rsa_bits < 512 || cfg->min_rsa_bits > 16384)
		*error_r = "min_rsa_bits: expected 512..16384";
	else if (cfg->dns_timeout_ms < 100 || cfg->dns_timeout_ms > 60000)
		*error_r = "dns_timeout_ms: expected 100..60000";
	else if (cfg->max_header_bytes < 1024 || cfg->max_header_bytes > 16777216)
		*error_r = "max_header_bytes: expected 1024..16777216";
	else
		return 0;
	return -1;
}

static int set_uint_option(DKIM_LIB *dkim, int opt, unsigned value)
{
	return dkim_options(dkim, DKIM_OP_SETOPT, opt, &value, sizeof(value)) ==
		DKIM_STAT_OK ? 0 : -1;
}

struct ma_dkim_lib *ma_dkim_lib_new(const struct ma_dkim_config *cfg, const char **error_r)
{
	struct ma_dkim_lib *lib;
	unsigned timeout_s;

	if (check_config(cfg, error_r) < 0)
		return NULL;
	lib = xcalloc(1, sizeof(*lib));
	lib->cfg = *cfg;
	lib->cfg.key_file = NULL;
	lib->cfg.test_dns_server = NULL;

	if (cfg->key_file != NULL)
		lib->dns = ma_dkim_dns_new_file(cfg->key_file, error_r);
	else
		lib->dns = ma_dkim_dns_new_resolver(cfg->dns_timeout_ms, cfg->test_dns_server,
						    error_r);
	if (lib->dns == NULL) {
		free(lib);
		return NULL;
	}
	log_info("dkim verification engine: %s",
		 cfg->engine == MA_DKIM_VERIFY_MESSEC ? "messec" : "opendkim");
	if (cfg->engine == MA_DKIM_VERIFY_MESSEC) {
		lib->keys = ma_vossl_keys_new();
		return lib;		/* no libopendkim at all */
	}
	if ((lib->dkim = dkim_init(NULL, NULL)) == NULL) {
		*error_r = "dkim_init() failed";
		ma_dkim_lib_free(&lib);
		return NULL;
	}

	/*
	 * BADSIGHANDLES: a DKIM_SIGINFO even for a signature that does not
	 * parse, so every field gets its verdict, in order. Not FIXCRLF
	 * (see the top of this file). Key size is checked
	 * by us, so that a short key gives "policy", not a library error.
	 * The timeout only matters to an asynchronous resolver; ours is
	 * bounded by itself (dkim_dns.c).
	 */
	timeout_s = (cfg->dns_timeout_ms + 999) / 1000;
	if (set_uint_option(lib->dkim, DKIM_OPTS_FLAGS, DKIM_LIBFLAGS_BADSIGHANDLES) < 0 ||
	    set_uint_option(lib->dkim, DKIM_OPTS_MINKEYBITS, 1) < 0 ||
	    set_uint_option(lib->dkim, DKIM_OPTS_TIMEOUT, timeout_s) < 0) {
		*error_r = "dkim_options() failed";
		ma_dkim_lib_free(&lib);
		return NULL;
	}
	ma_dkim_dns_attach(lib->dns, lib->dkim);
	return lib;
}

void ma_dkim_lib_free(struct ma_dkim_lib **libp)
{
	struct ma_dkim_lib *lib = *libp;

	if (lib == NULL)
		return;
	if (lib->dkim != NULL)
		dkim_close(lib->dkim);
	ma_dkim_dns_free(&lib->dns);
	ma_vossl_keys_free(&lib->keys);
	free(lib);
	*libp = NULL;
}

struct ma_dkim_verify *ma_dkim_verify_new(struct ma_dkim_lib *lib, const char *id,
					  const char **error_r)
{
	struct ma_dkim_verify *v = xcalloc(1, sizeof(*v));
	DKIM_STAT status;

	v->lib = lib;
	ms_str_sanitize(v->id, sizeof(v->id), id != NULL ? id : "NOQUEUE", sizeof(v->id) - 4);
	v->state = VERIFY_HEADERS;
	if (lib->cfg.engine == MA_DKIM_VERIFY_MESSEC) {
		v->own = ma_vossl_new(lib->dns, lib->keys, &lib->cfg);
		return v;
	}
	v->dkim = dkim_verify(lib->dkim, (const unsigned char *)v->id, NULL, &status);
	if (v->dkim == NULL) {
		*error_r = dkim_getresultstr(status);
		free(v);
		return NULL;
	}
	v->state = VERIFY_HEADERS;
	return v;
}

void ma_dkim_verify_free(struct ma_dkim_verify **vp)
{
	struct ma_dkim_verify *v = *vp;

	if (v == NULL)
		return;
	if (v->dkim != NULL)
		dkim_free(v->dkim);
	ma_vossl_free(&v->own);
	ma_dkim_keyset_clear(&v->keys);
	free(v->fed);
	free(v->extra);
	free(v->sigs);
	free(v->field);
	free(v);
	*vp = NULL;
}

/*
 * Tag values out of a DKIM-Signature we judge ourselves: tag-list syntax
 * of RFC 6376 section 3.2, white space removed from the value, cut to
 * size. Raw: reports go through clean_token().
 */
static void clean_token(char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || strchr(";()\"\\", c) != NULL)
			*s = '_';
	}
}

static void raw_tag(const char *field, size_t len, const char *tag, char *out, size_t size)
{
	const char *p = memchr(field, ':', len);
	const char *end = field + len;
	size_t taglen = strlen(tag), n;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p++; p < end; p++) {
		const char *name = p, *value;

		while (name < end && isspace((unsigned char)*name))
			name++;
		value = name;
		while (value < end && *value != '=' && *value != ';')
			value++;
		/* tag names are case-sensitive (RFC 6376 section 3.2) */
		if (value < end && *value == '=' && (size_t)(value - name) >= taglen &&
		    strncmp(name, tag, taglen) == 0) {
			const char *q = name + taglen;

			while (q < value && isspace((unsigned char)*q))
				q++;
			if (q == value) {
				for (n = 0, value++; value < end && *value != ';'; value++)
					if (!isspace((unsigned char)*value) && *value != '\0' &&
					    n + 1 < size)
						out[n++] = *value;
				out[n] = '\0';
				return;
			}
		}
		p = memchr(value, ';', (size_t)(end - value));
		if (p == NULL)
			return;
	}
}

static void raw_sig(struct ma_dkim_sig *sig, const char *field, size_t len,
		    enum ma_dkim_result result, const char *reason)
{
	memset(sig, 0, sizeof(*sig));
	sig->result = result;
	raw_tag(field, len, "d", sig->domain, sizeof(sig->domain));
	str_lower(sig->domain);
	clean_token(sig->domain);
	raw_tag(field, len, "s", sig->selector, sizeof(sig->selector));
	clean_token(sig->selector);
	raw_tag(field, len, "a", sig->algorithm, sizeof(sig->algorithm));
	str_lower(sig->algorithm);
	clean_token(sig->algorithm);
	raw_tag(field, len, "b", sig->b_prefix, sizeof(sig->b_prefix));
	clean_token(sig->b_prefix);
	str_copy(sig->reason, reason, sizeof(sig->reason));
}

static void add_extra(struct ma_dkim_verify *v, const char *field, size_t len,
		      enum ma_dkim_result result, const char *reason)
{
	v->extra = xrealloc(v->extra, (v->extra_count + 1) * sizeof(*v->extra));
	raw_sig(&v->extra[v->extra_count++], field, len, result, reason);
}

static int is_signature(const char *field, size_t len)
{
	size_t n = strlen(SIG_HEADER);

	if (len <= n || strncasecmp(field, SIG_HEADER, n) != 0)
		return 0;
	/* RFC 5322 obsolete syntax allows WSP before the colon */
	while (n < len && (field[n] == ' ' || field[n] == '\t'))
		n++;
	return n < len && field[n] == ':';
}

/*
 * d= and s= must be domain names, and s._domainkey.d a DNS name (RFC 6376
 * section 3.5, 3.6.2.1; RFC 1035 section 2.3.4). Checked before the
 * library sees the field: with a key name over its 256-byte buffer,
 * dkim_eoh() gives up with DKIM_STAT_NORESOURCE, which would look like
 * an internal error and leave the other signatures unchecked. A missing
 * tag is left to the library (it reports it).
 * Returns KEY_NAME_OK, KEY_NAME_SYNTAX (d= or s= not a name: neutral,
 * RFC 8601 2.7.1) or KEY_NAME_TOO_LONG (two good names whose key name
 * cannot be queried: no such name, no key, permerror as RFC 6376 6.1.2
 * step 3 says for a missing key; docs/milter-auth.md "DNS results").
 */
enum key_name { KEY_NAME_OK, KEY_NAME_SYNTAX, KEY_NAME_TOO_LONG };

static enum key_name key_name_check(const char *field, size_t len)
{
	char domain[300], selector[300];

	raw_tag(field, len, "d", domain, sizeof(domain));
	raw_tag(field, len, "s", selector, sizeof(selector));
	if (domain[0] == '\0' || selector[0] == '\0')
		return KEY_NAME_OK;
	if (!ma_dkim_result_valid_name((unsigned char *)domain) ||
	    !ma_dkim_result_valid_name((unsigned char *)selector))
		return KEY_NAME_SYNTAX;
	if (strlen(domain) + strlen(selector) + strlen("._domainkey.") > 253)
		return KEY_NAME_TOO_LONG;
	return KEY_NAME_OK;
}

/*
 * A field we do not give to the library (RFC 5322 section 2.2: no NUL;
 * and our size cap). A signature among them is reported as permerror.
 */
static void drop_field(struct ma_dkim_verify *v, const char *field, size_t len, int sig,
		       const char *why)
{
	char safe[64];

	if (sig) {
		add_extra(v, field, len, MA_DKIM_PERMERROR, why);
		return;
	}
	v->dropped_fields++;
	ms_str_sanitize(safe, sizeof(safe), field, 30);
	log_info("%s: dkim: not hashing header field \"%s\": %s", v->id, safe, why);
}

/*
 * One complete header field, already CRLF-clean: drop it, report it, or
 * give it to the library.
 */
static int feed_field(struct ma_dkim_verify *v, const char *field, size_t len,
		      const char **error_r)
{
	int sig = is_signature(field, len);
	DKIM_STAT status;

	if (v->state != VERIFY_HEADERS) {
		*error_r = "header field after end of header";
		return -1;
	}
	if (len == 0)
		return 0;
	if (memchr(field, '\0', len) != NULL) {
		drop_field(v, field, len, sig, "NUL byte in header field");
		return 0;
	}
	if (len > v->lib->cfg.max_header_bytes) {
		drop_field(v, field, len, sig, "header field too long");
		return 0;
	}
	if (sig) {
		enum key_name kn = v->fed_sigs < v->lib->cfg.max_signatures ?
		    key_name_check(field, len) : KEY_NAME_OK;

		if (kn == KEY_NAME_SYNTAX) {
			add_extra(v, field, len, MA_DKIM_NEUTRAL, "d= or s= is not a domain name");
			return 0;
		}
		if (kn == KEY_NAME_TOO_LONG) {
			add_extra(v, field, len, MA_DKIM_PERMERROR,
				  "no key: key name too long to query (RFC 6376 6.1.2)");
			return 0;
		}
		/*
		 * RFC 6376 3.2: a repeated tag makes the tag-list invalid.
		 * libopendkim keeps the last value; both engines report it
		 * here instead (compared without case, the conservative side).
		 */
		if (v->fed_sigs < v->lib->cfg.max_signatures && ma_dkim_tags_duplicate(field, len)) {
			add_extra(v, field, len, MA_DKIM_PERMERROR,
				  "duplicate tag in signature (RFC 6376 3.2)");
			return 0;
		}
		if (v->fed_sigs >= v->lib->cfg.max_signatures) {
			add_extra(v, field, len, MA_DKIM_POLICY, "too many signatures");
			return 0;
		}
		if (v->fed == NULL)
			v->fed = xcalloc(v->lib->cfg.max_signatures, sizeof(*v->fed));
		raw_sig(&v->fed[v->fed_sigs++], field, len, MA_DKIM_PERMERROR,
			"message header unusable");
	}
	if (v->own != NULL)
		return ma_vossl_header(v->own, field, len, error_r);
	status = dkim_header(v->dkim, (unsigned char *)field, len);
	switch (status) {
	case DKIM_STAT_INTERNAL:
	case DKIM_STAT_NORESOURCE:
	case DKIM_STAT_INVALID:
		*error_r = dkim_getresultstr(status);
		return -1;
	default:
		/* SYNTAX (bad field or signature): judged per signature at eom */
		return 0;
	}
}

/*
 * Copy src into the join buffer, making every line ending CRLF (RFC 5322
 * section 2.2: folded fields as given by libmilter may use bare LF).
 */
static int join_append(struct ma_dkim_verify *v, size_t *pos, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = src[i];

		/* worst case 2 bytes per input byte plus NUL */
		if (*pos + 3 > v->field_size) {
			if (v->field_size > v->lib->cfg.max_header_bytes + 4)
				return -1;
			v->field_size = v->field_size == 0 ? 1024 : v->field_size * 2;
			v->field = xrealloc(v->field, v->field_size);
		}
		if (c == '\n' && (i == 0 || src[i - 1] != '\r')) {
			v->field[(*pos)++] = '\r';
			v->field[(*pos)++] = '\n';
		} else if (c == '\r' && (i + 1 == len || src[i + 1] != '\n')) {
			v->field[(*pos)++] = '\r';
			v->field[(*pos)++] = '\n';
		} else {
			v->field[(*pos)++] = c;
		}
	}
	return 0;
}

int ma_dkim_verify_header(struct ma_dkim_verify *v, const char *name, const char *value,
			  const char **error_r)
{
	const char *sep = v->lib->cfg.header_leadspc ? ":" : ": ";
	size_t pos = 0;

	if (v->state != VERIFY_HEADERS) {
		*error_r = "header field after end of header";
		return -1;
	}
	if (join_append(v, &pos, name, strlen(name)) < 0 ||
	    join_append(v, &pos, sep, strlen(sep)) < 0 ||
	    join_append(v, &pos, value, strlen(value)) < 0) {
		/* the first pos bytes are there, enough to name and report it */
		drop_field(v, v->field, pos, is_signature(v->field, pos),
			   "header field too long");
		return 0;
	}
	return feed_field(v, v->field, pos, error_r);
}

int ma_dkim_verify_header_raw(struct ma_dkim_verify *v, const char *field, size_t len,
			      const char **error_r)
{
	size_t pos = 0;

	if (len > v->lib->cfg.max_header_bytes || memchr(field, '\0', len) != NULL)
		return feed_field(v, field, len, error_r);
	if (v->state != VERIFY_HEADERS) {
		*error_r = "header field after end of header";
		return -1;
	}
	if (join_append(v, &pos, field, len) < 0) {
		drop_field(v, field, len, is_signature(field, len), "header field too long");
		return 0;
	}
	return feed_field(v, v->field, pos, error_r);
}

int ma_dkim_verify_eoh(struct ma_dkim_verify *v, const char **error_r)
{
	DKIM_STAT status;

	if (v->state != VERIFY_HEADERS) {
		*error_r = "end of header twice";
		return -1;
	}
	if (v->fed_sigs == 0) {
		/* nothing for the library: do not hash the body at all */
		v->state = VERIFY_NOSIG;
		return 0;
	}
	if (v->own != NULL) {
		switch (ma_vossl_eoh(v->own, error_r)) {
		case -1:
			return -1;
		case 0:
			v->state = VERIFY_NOSIG;
			return 0;
		default:
			v->state = VERIFY_BODY;
			return 0;
		}
	}
	/* libopendkim fetches the keys here (unless DELAYSIGPROC) */
	ma_dkim_dns_capture(&v->keys);
	status = dkim_eoh(v->dkim);
	ma_dkim_dns_capture(NULL);
	switch (status) {
	case DKIM_STAT_INTERNAL:
	case DKIM_STAT_NORESOURCE:
	case DKIM_STAT_INVALID:
		*error_r = dkim_getresultstr(status);
		return -1;
	case DKIM_STAT_OK:
		v->state = VERIFY_BODY;
		return 0;
	default:
		/*
		 * NOSIG/SYNTAX: every signature was unusable (its error is
		 * recorded in its DKIM_SIGINFO); nothing left to hash.
		 */
		v->state = VERIFY_NOSIG;
		return 0;
	}
}

int ma_dkim_verify_body(struct ma_dkim_verify *v, const unsigned char *data, size_t len,
			const char **error_r)
{
	DKIM_STAT status;

	if (v->state == VERIFY_HEADERS && ma_dkim_verify_eoh(v, error_r) < 0)
		return -1;
	if (v->state == VERIFY_DONE) {
		*error_r = "body after end of message";
		return -1;
	}
	if (v->state != VERIFY_BODY || len == 0)
		return 0;
	if (v->own != NULL)
		return ma_vossl_body(v->own, data, len, error_r);
	status = dkim_body(v->dkim, (unsigned char *)data, len);
	switch (status) {
	case DKIM_STAT_INTERNAL:
	case DKIM_STAT_NORESOURCE:
	case DKIM_STAT_INVALID:
		*error_r = dkim_getresultstr(status);
		return -1;
	default:
		return 0;
	}
}

/*
 * Results: the library's signatures in header order, then the ones we
 * judged ourselves (dropped or over the limit).
 */
static void collect(struct ma_dkim_verify *v, DKIM_STAT eom_status)
{
	DKIM_SIGINFO **list = NULL;
	int nlist = 0, i;
	size_t n = 0;

	if (v->own != NULL)
		nlist = (int)ma_vossl_count(v->own);
	else if (v->fed_sigs > 0 && dkim_getsiglist(v->dkim, &list, &nlist) != DKIM_STAT_OK)
		nlist = 0;
	v->sigs = xcalloc(v->fed_sigs + v->extra_count + 1, sizeof(*v->sigs));
	if (v->own != NULL && (unsigned)nlist == v->fed_sigs) {
		for (i = 0; i < nlist; i++) {
			struct ma_dkim_sigstate st;
			const char *keyrec;

			ma_vossl_state(v->own, (size_t)i, &st, &keyrec);
			ma_dkim_result_from_state(&st, &v->lib->cfg, keyrec, &v->sigs[n++]);
		}
	} else if ((unsigned)nlist == v->fed_sigs) {
		/* with BADSIGHANDLES, one DKIM_SIGINFO per field, in order */
		for (i = 0; i < nlist; i++) {
			const char *keyrec = ma_dkim_keyset_find(
				&v->keys, (const char *)dkim_sig_getselector(list[i]),
				(const char *)dkim_sig_getdomain(list[i]));

			ma_dkim_result_from_sig(list[i], &v->lib->cfg, eom_status, keyrec,
						&v->sigs[n++]);
		}
	} else {
		/*
		 * The library refused the whole header (dkim_eoh(): no or
		 * several From fields, a repeated singleton field): no
		 * signature could be checked (RFC 6376 section 6.1.1 lets a
		 * verifier require From; RFC 5322 section 3.6 counts).
		 */
		char safe[96];
		const char *why = v->dkim != NULL ? dkim_geterror(v->dkim) : NULL;

		ms_str_sanitize(safe, sizeof(safe), why != NULL ? why : "", 60);
		for (i = 0; i < (int)v->fed_sigs; i++) {
			v->sigs[n] = v->fed[i];
			if (safe[0] != '\0')
				snprintf(v->sigs[n].reason, sizeof(v->sigs[n].reason),
					 "message header unusable: %s", safe);
			n++;
		}
	}
	if (v->extra_count > 0)
		memcpy(&v->sigs[n], v->extra, v->extra_count * sizeof(*v->extra));
	n += v->extra_count;
	v->count = n;
	ma_dkim_result_prefixes(v->sigs, v->count);
}

static void log_results(const struct ma_dkim_verify *v)
{
	size_t i, too_many = 0;

	for (i = 0; i < v->count; i++) {
		const struct ma_dkim_sig *sig = &v->sigs[i];

		if (sig->result == MA_DKIM_POLICY && strcmp(sig->reason, "too many signatures") == 0) {
			too_many++;
			continue;
		}
		log_verdict(v->id, "dkim=%s header.d=%s header.s=%s a=%s header.b=%s (%s)",
			    ma_dkim_result_name(sig->result), sig->domain, sig->selector,
			    sig->algorithm, sig->b_prefix, sig->reason);
	}
	if (too_many > 0)
		log_verdict(v->id, "dkim=policy: %zu more signatures not checked (limit %u)",
			    too_many, v->lib->cfg.max_signatures);
	if (v->count == 0)
		log_verdict(v->id, "dkim=none");
}

int ma_dkim_verify_eom(struct ma_dkim_verify *v, const char **error_r)
{
	DKIM_STAT status = DKIM_STAT_OK;

	if (v->state == VERIFY_HEADERS && ma_dkim_verify_eoh(v, error_r) < 0)
		return -1;
	if (v->state == VERIFY_DONE) {
		*error_r = "end of message twice";
		return -1;
	}
	if (v->state == VERIFY_BODY && v->own != NULL) {
		if (ma_vossl_eom(v->own, error_r) < 0)
			return -1;
	} else if (v->state == VERIFY_BODY) {
		/*
		 * Signature checks (and any key lookup eoh left) happen here. Whatever the
		 * status, each signature carries its own flags and error;
		 * an internal failure becomes temperror on the signatures it
		 * left unprocessed (see dkim_result.c), not a crash.
		 */
		ma_dkim_dns_capture(&v->keys);
		status = dkim_eom(v->dkim, NULL);
		ma_dkim_dns_capture(NULL);
		if (status != DKIM_STAT_OK && status != DKIM_STAT_BADSIG &&
		    status != DKIM_STAT_NOSIG) {
			char safe[128];

			ms_str_sanitize(safe, sizeof(safe), dkim_geterror(v->dkim) != NULL ?
				     dkim_geterror(v->dkim) : "", 100);
			log_debug("%s: dkim: dkim_eom: %s: %s", v->id,
				  dkim_getresultstr(status), safe);
		}
	}
	v->state = VERIFY_DONE;
	collect(v, status);
	log_results(v);
	return 0;
}

size_t ma_dkim_verify_count(const struct ma_dkim_verify *v)
{
	return v->state == VERIFY_DONE ? v->count : 0;
}

const struct ma_dkim_sig *ma_dkim_verify_sig(const struct ma_dkim_verify *v, size_t i)
{
	if (v->state != VERIFY_DONE || i >= v->count)
		return NULL;
	return &v->sigs[i];
}
