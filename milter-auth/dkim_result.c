/*++
 * NAME
 *	dkim_result 3
 * SUMMARY
 *	per-signature DKIM result from libopendkim's signature state
 * SYNOPSIS
 *	#include "dkim_result.h"
 * DESCRIPTION
 *	A signature passes only when all of these hold: libopendkim flagged
 *	it PASSED, recorded no error, and its body hash MATCHES (measured:
 *	Debian 12's libopendkim can flag PASSED with a mismatching body
 *	hash; RFC 6376 section 6.1.3 makes that a failure); it is not
 *	rsa-sha1 (RFC 8301 section 3.1) unless allowed; an RSA key has at
 *	least min_rsa_bits (RFC 8301 section 3.2).
 *
 *	Errors map to RFC 8601 section 2.7.1 results: see error_result().
 * TRUST BOUNDARY
 *	d=, s=, a=, b= come from the message: copied bounded, with anything
 *	but printable ASCII and the characters that end an A-R token (";",
 *	"(", ")", quote, backslash) replaced by "_".
 *--*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <messec/str.h>

#define MA_DKIM_RESULT_OPENDKIM
#include "dkim_result.h"

static void copy_token(char *dst, size_t size, const unsigned char *src, int lower)
{
	size_t n = 0;

	if (src != NULL) {
		for (; *src != '\0' && n + 1 < size; src++) {
			unsigned char c = *src;

			if (isspace(c))
				continue;	/* FWS inside b= and friends */
			if (c < ' ' || c >= 0x7f || strchr(";()\"\\", c) != NULL)
				c = '_';
			dst[n++] = (char)(lower ? tolower(c) : c);
		}
	}
	dst[n] = '\0';
}

/*
 * RFC 6376 section 6.1.1 (signature), 6.1.2 (key) and 3.5 (tags) errors.
 * Signature syntax -> neutral ("syntax errors", RFC 8601 section 2.7.1);
 * key unusable, required field unsigned, expired -> permerror; DNS
 * failure -> temperror; cryptographic mismatch -> fail.
 */
static enum ma_dkim_result error_result(int err)
{
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		return MA_DKIM_TEMPERROR;
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE:
	case DKIM_SIGERROR_SUBDOMAIN:
	case DKIM_SIGERROR_INVALID_H:
	case DKIM_SIGERROR_EXPIRED:
	case DKIM_SIGERROR_FUTURE:
	case DKIM_SIGERROR_TIMESTAMPS:
		return MA_DKIM_PERMERROR;
	case DKIM_SIGERROR_KEYTOOSMALL:
		return MA_DKIM_POLICY;
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_TOOLARGE_L:	/* RFC 6376 section 6.1.3: "did not verify" */
		return MA_DKIM_FAIL;
	default:
		return MA_DKIM_NEUTRAL;
	}
}

static void set_reason(struct ma_dkim_sig *out, const char *reason)
{
	str_copy(out->reason, reason != NULL ? reason : "unknown", sizeof(out->reason));
}

static int is_rsa(enum ma_dkim_alg alg)
{
	return alg == MA_ALG_RSA_SHA1 || alg == MA_ALG_RSA_SHA256;
}

/*
 * RFC 6376 section 3.5: d= and s= are domain names (RFC 5321 sub-domain:
 * letters, digits, inner hyphens; we also accept "_"). libopendkim takes
 * anything, e.g. "d=legitimate.com(.attacker.com".
 */
int ma_dkim_result_valid_name(const unsigned char *name)
{
	size_t label = 0;
	const unsigned char *p;

	if (name == NULL || *name == '\0')
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
		} else if (isalnum(*p) || *p == '_' || (*p == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && p[-1] != '-' && p - name <= 253;
}

/*
 * The key type (k=, RFC 6376 section 3.6.1, default "rsa"; RFC 8463
 * section 4 "ed25519") must suit a= (section 6.1.2: "inappropriate key
 * algorithm" is PERMFAIL). libopendkim does not look at k=: measured, it
 * passes an a=rsa-sha256 signature whose key record says k=ed25519.
 * Returns the k= value if it does not suit, else NULL.
 */
static const char *key_type_mismatch(const char *keyrec, enum ma_dkim_alg alg, char *buf,
				     size_t size)
{
	const char *p = keyrec;
	size_t n;

	str_copy(buf, "rsa", size);
	while (p != NULL && *p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == 'k' && (p[1] == '=' || isspace((unsigned char)p[1]))) {
			p = strchr(p, '=');
			if (p == NULL)
				break;
			for (p++; isspace((unsigned char)*p); p++)
				;
			for (n = 0; p[n] != '\0' && p[n] != ';' && !isspace((unsigned char)p[n]) &&
			     n + 1 < size; n++)
				buf[n] = p[n];
			buf[n] = '\0';
			break;
		}
		p = strchr(p, ';');
		if (p != NULL)
			p++;
	}
	if (alg == MA_ALG_ED25519_SHA256)
		return strcasecmp(buf, "ed25519") == 0 ? NULL : buf;
	return strcasecmp(buf, "rsa") == 0 ? NULL : buf;
}

/* A signature that verified: apply RFC 6376 section 6.1.2 (k=) and RFC 8301. */
static void check_policy(struct ma_dkim_sig *out, enum ma_dkim_alg alg,
			 const struct ma_dkim_config *cfg, const char *keyrec)
{
	char why[128], ktype[32];
	const char *bad;

	if (keyrec != NULL && (bad = key_type_mismatch(keyrec, alg, ktype, sizeof(ktype))) != NULL) {
		snprintf(why, sizeof(why), "key type k=%.20s does not suit a= (RFC 6376 6.1.2)",
			 bad);
		for (char *c = why; *c != '\0'; c++)
			if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
				*c = '?';
		out->result = MA_DKIM_PERMERROR;
		set_reason(out, why);
	} else if (keyrec == NULL) {
		/* cannot happen after a verified signature; never pass blind */
		out->result = MA_DKIM_TEMPERROR;
		set_reason(out, "key record not seen");
	} else if (alg == MA_ALG_RSA_SHA1 && !cfg->allow_rsa_sha1) {
		out->result = MA_DKIM_POLICY;
		set_reason(out, "rsa-sha1 not accepted (RFC 8301)");
	} else if (is_rsa(alg) && out->key_bits < cfg->min_rsa_bits) {
		snprintf(why, sizeof(why), "RSA key too short (%u bits, RFC 8301)",
			 out->key_bits);
		out->result = MA_DKIM_POLICY;
		set_reason(out, why);
	} else {
		out->result = MA_DKIM_PASS;
		set_reason(out, "signature verified");
	}
}

static int internal_status(DKIM_STAT status)
{
	return status == DKIM_STAT_INTERNAL || status == DKIM_STAT_NORESOURCE ||
		status == DKIM_STAT_INVALID || status == DKIM_STAT_CBERROR ||
		status == DKIM_STAT_CBTRYAGAIN || status == DKIM_STAT_KEYFAIL;
}

/*
 * The verdict from an engine's signature state: shared by the opendkim
 * engine (below, from a DKIM_SIGINFO) and messec's own (dkim_vossl.c),
 * so the two can only differ in the state they report.
 */
void ma_dkim_result_from_state(const struct ma_dkim_sigstate *st,
			       const struct ma_dkim_config *cfg, const char *keyrec,
			       struct ma_dkim_sig *out)
{
	memset(out, 0, sizeof(*out));
	copy_token(out->domain, sizeof(out->domain), st->domain, 1);
	copy_token(out->selector, sizeof(out->selector), st->selector, 0);
	copy_token(out->algorithm, sizeof(out->algorithm), st->a, 1);
	copy_token(out->b_prefix, sizeof(out->b_prefix), st->b, 0);
	if (is_rsa(st->alg) && st->have_bits)
		out->key_bits = st->bits;

	if ((st->flags & MA_SIGST_IGNORE) != 0) {
		out->result = MA_DKIM_POLICY;
		set_reason(out, "too many signatures");
	} else if (st->domain != NULL && !ma_dkim_result_valid_name(st->domain)) {
		out->result = MA_DKIM_NEUTRAL;
		set_reason(out, "d= is not a domain name");
	} else if (st->selector != NULL && !ma_dkim_result_valid_name(st->selector)) {
		out->result = MA_DKIM_NEUTRAL;
		set_reason(out, "s= is not a selector name");
	} else if (st->error) {
		out->result = st->err_result;
		if (out->result == MA_DKIM_FAIL && st->bh == MA_BH_MISMATCH)
			set_reason(out, "body hash mismatch");
		else
			set_reason(out, st->err_reason);
	} else if ((st->flags & MA_SIGST_PROCESSED) == 0) {
		/* the engine stopped before this one */
		out->result = st->internal ? MA_DKIM_TEMPERROR : MA_DKIM_NEUTRAL;
		set_reason(out, "not verified");
	} else if (st->bh != MA_BH_MATCH) {
		/* includes PASSED with a mismatching body hash: libopendkim defect */
		out->result = MA_DKIM_FAIL;
		set_reason(out, st->bh == MA_BH_MISMATCH ? "body hash mismatch" :
			   "body hash not computed");
	} else if ((st->flags & MA_SIGST_PASSED) == 0) {
		out->result = MA_DKIM_FAIL;
		set_reason(out, "signature did not verify");
	} else {
		check_policy(out, st->alg, cfg, keyrec);
	}
}

void ma_dkim_result_from_sig(DKIM_SIGINFO *sig, const struct ma_dkim_config *cfg,
			     DKIM_STAT eom_status, const char *keyrec, struct ma_dkim_sig *out)
{
	struct ma_dkim_sigstate st;
	unsigned flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);
	int bh = dkim_sig_getbh(sig);
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	unsigned bits = 0;

	memset(&st, 0, sizeof(st));
	st.domain = dkim_sig_getdomain(sig);
	st.selector = dkim_sig_getselector(sig);
	st.a = dkim_sig_gettagvalue(sig, 0, (unsigned char *)"a");
	st.b = dkim_sig_gettagvalue(sig, 0, (unsigned char *)"b");
	if (dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK)
		alg = DKIM_SIGN_UNKNOWN;
	st.alg = alg == DKIM_SIGN_RSASHA1 ? MA_ALG_RSA_SHA1 :
		alg == DKIM_SIGN_RSASHA256 ? MA_ALG_RSA_SHA256 :
		alg == DKIM_SIGN_ED25519SHA256 ? MA_ALG_ED25519_SHA256 : MA_ALG_UNKNOWN;
	if (is_rsa(st.alg) && dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK) {
		st.have_bits = 1;
		st.bits = bits;
	}
	st.flags = ((flags & DKIM_SIGFLAG_IGNORE) ? MA_SIGST_IGNORE : 0) |
		((flags & DKIM_SIGFLAG_PROCESSED) ? MA_SIGST_PROCESSED : 0) |
		((flags & DKIM_SIGFLAG_PASSED) ? MA_SIGST_PASSED : 0);
	if (err != DKIM_SIGERROR_OK && err != DKIM_SIGERROR_UNKNOWN) {
		st.error = 1;
		st.err_result = error_result(err);
		st.err_reason = dkim_sig_geterrorstr(err);
	}
	st.bh = bh == DKIM_SIGBH_MATCH ? MA_BH_MATCH :
		bh == DKIM_SIGBH_MISMATCH ? MA_BH_MISMATCH : MA_BH_UNTESTED;
	st.internal = internal_status(eom_status);
	ma_dkim_result_from_state(&st, cfg, keyrec, out);
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] != '\0' && a[n] == b[n])
		n++;
	return n;
}

void ma_dkim_result_prefixes(struct ma_dkim_sig *sigs, size_t count)
{
	size_t i, j, len, need, *cut;

	/* compute every length first, so the comparisons see full values */
	cut = xcalloc(count + 1, sizeof(*cut));
	for (i = 0; i < count; i++) {
		len = strlen(sigs[i].b_prefix);
		need = 8;
		for (j = 0; j < count; j++)
			if (j != i && common_prefix(sigs[i].b_prefix, sigs[j].b_prefix) + 1 > need)
				need = common_prefix(sigs[i].b_prefix, sigs[j].b_prefix) + 1;
		cut[i] = need < len ? need : len;
	}
	for (i = 0; i < count; i++)
		sigs[i].b_prefix[cut[i]] = '\0';
	free(cut);
}
