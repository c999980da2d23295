/*++
 * NAME
 *	dkim_vossl 3
 * SUMMARY
 *	messec's own DKIM verifier on dkim_canon.c and OpenSSL EVP
 * SYNOPSIS
 *	#include "dkim_vossl.h"
 * DESCRIPTION
 *	Verification per RFC 6376 section 6 (6.1.1 signature checks, 6.1.2
 *	key, 6.1.3 hashes), RFC 8463 (Ed25519-SHA256) and the tag-list
 *	syntax of section 3.2, with the canonicalization the signer uses
 *	(dkim_canon.c, RFC 6376 3.4) and OpenSSL EVP for the signatures.
 *
 *	The order of the checks, and what counts as which error, follow
 *	Debian 12's libopendkim (the `opendkim` engine), so that the two
 *	engines give the same verdicts (test_dkim_diff.c, fuzz_dkim_verify.c
 *	compare them); where libopendkim's behaviour is odd but harmless it is
 *	reproduced and said so here. Result mapping and the checks
 *	libopendkim lacks (body hash, rsa-sha1, key size, k=) are in
 *	dkim_result.c, shared by both engines.
 * BOUNDS
 *	Each field is at most max_header_bytes (dkim_verify.c); all kept
 *	fields together at most MAX_HEADER_TOTAL (else internal error:
 *	tempfail); at most max_signatures signatures reach this file; key
 *	records at most KEYREC_MAX bytes; h= is read up to 4095 bytes
 *	(libopendkim's DKIM_MAXHEADER buffer). Header selection costs
 *	names in h= times fields, per signature, as libopendkim's does (at
 *	most 2048 names; the field count is bounded by Postfix's
 *	header_size_limit and MAX_HEADER_TOTAL).
 * TRUST BOUNDARY
 *	Every field, every tag and the key records are hostile.
 *--*/
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <messec/codec.h>
#include <messec/str.h>

#include "dkim_canon.h"
#include "dkim_vossl.h"

#define MAX_HEADER_TOTAL (16u * 1024 * 1024)
#define KEYREC_MAX 8192
#define HLIST_MAX 4095		/* libopendkim: strlcpy into DKIM_MAXHEADER */
#define BUFRSZ 1024		/* libopendkim: c=, q=, key h=/s=/t= copies */
#define CLOCK_DRIFT 300		/* libopendkim's default (seconds) */
#define ADDR_MAX 256		/* i= decoded (libopendkim MAXADDRESS) */

/* libopendkim's DKIM_SIGERROR_* that this engine can give, with its text */
enum sigerr {
	E_UNKNOWN = -1, E_OK = 0,
	E_VERSION, E_DOMAIN, E_EXPIRED, E_FUTURE, E_TIMESTAMPS, E_INVALID_HC,
	E_INVALID_BC, E_MISSING_A, E_INVALID_A, E_MISSING_H, E_INVALID_L,
	E_INVALID_Q, E_INVALID_QO, E_MISSING_D, E_EMPTY_D, E_MISSING_S, E_EMPTY_S,
	E_MISSING_B, E_EMPTY_B, E_CORRUPT_B, E_NOKEY, E_DNSSYNTAX, E_KEYFAIL,
	E_MISSING_BH, E_EMPTY_BH, E_BADSIG, E_SUBDOMAIN, E_MULTIREPLY, E_EMPTY_H,
	E_INVALID_H, E_TOOLARGE_L, E_KEYVERSION, E_KEYUNKNOWNHASH,
	E_KEYHASHMISMATCH, E_NOTEMAILKEY, E_KEYTYPEMISSING, E_KEYTYPEUNKNOWN,
	E_KEYREVOKED, E_KEYDECODE, E_MISSING_V, E_EMPTY_V,
};

static const struct {
	const char *text;
	enum ma_dkim_result result;
} errors[] = {
	[E_OK] = {"no signature error", MA_DKIM_NEUTRAL},
	[E_VERSION] = {"unsupported signature version", MA_DKIM_NEUTRAL},
	[E_DOMAIN] = {"invalid domain coverage", MA_DKIM_NEUTRAL},
	[E_EXPIRED] = {"signature expired", MA_DKIM_PERMERROR},
	[E_FUTURE] = {"signature timestamp in the future", MA_DKIM_PERMERROR},
	[E_TIMESTAMPS] = {"signature timestamp order error", MA_DKIM_PERMERROR},
	[E_INVALID_HC] = {"invalid header canonicalization", MA_DKIM_NEUTRAL},
	[E_INVALID_BC] = {"invalid body canonicalization", MA_DKIM_NEUTRAL},
	[E_MISSING_A] = {"signature algorithm missing", MA_DKIM_NEUTRAL},
	[E_INVALID_A] = {"signature algorithm invalid", MA_DKIM_NEUTRAL},
	[E_MISSING_H] = {"header list missing", MA_DKIM_NEUTRAL},
	[E_INVALID_L] = {"body length value invalid", MA_DKIM_NEUTRAL},
	[E_INVALID_Q] = {"query method invalid", MA_DKIM_NEUTRAL},
	[E_INVALID_QO] = {"query option invalid", MA_DKIM_NEUTRAL},
	[E_MISSING_D] = {"domain tag missing", MA_DKIM_NEUTRAL},
	[E_EMPTY_D] = {"domain tag empty", MA_DKIM_NEUTRAL},
	[E_MISSING_S] = {"selector tag missing", MA_DKIM_NEUTRAL},
	[E_EMPTY_S] = {"selector tag empty", MA_DKIM_NEUTRAL},
	[E_MISSING_B] = {"signature data missing", MA_DKIM_NEUTRAL},
	[E_EMPTY_B] = {"signature data empty", MA_DKIM_NEUTRAL},
	[E_CORRUPT_B] = {"signature data corrupt", MA_DKIM_NEUTRAL},
	[E_NOKEY] = {"key not found in DNS", MA_DKIM_PERMERROR},
	[E_DNSSYNTAX] = {"key DNS reply corrupt", MA_DKIM_PERMERROR},
	[E_KEYFAIL] = {"key DNS query failed", MA_DKIM_TEMPERROR},
	[E_MISSING_BH] = {"body hash missing", MA_DKIM_NEUTRAL},
	[E_EMPTY_BH] = {"body hash empty", MA_DKIM_NEUTRAL},
	[E_BADSIG] = {"signature verification failed", MA_DKIM_FAIL},
	[E_SUBDOMAIN] = {"unauthorized subdomain", MA_DKIM_PERMERROR},
	[E_MULTIREPLY] = {"multiple keys found", MA_DKIM_PERMERROR},
	[E_EMPTY_H] = {"header list tag empty", MA_DKIM_NEUTRAL},
	[E_INVALID_H] = {"header list missing required entries", MA_DKIM_PERMERROR},
	[E_TOOLARGE_L] = {"length tag value exceeds body size", MA_DKIM_FAIL},
	[E_KEYVERSION] = {"unknown key version", MA_DKIM_PERMERROR},
	[E_KEYUNKNOWNHASH] = {"unknown key hash", MA_DKIM_PERMERROR},
	[E_KEYHASHMISMATCH] = {"signature-key hash mismatch", MA_DKIM_PERMERROR},
	[E_NOTEMAILKEY] = {"not an e-mail key", MA_DKIM_PERMERROR},
	[E_KEYTYPEMISSING] = {"key type missing", MA_DKIM_PERMERROR},
	[E_KEYTYPEUNKNOWN] = {"unknown key type", MA_DKIM_PERMERROR},
	[E_KEYREVOKED] = {"key revoked", MA_DKIM_PERMERROR},
	[E_KEYDECODE] = {"unable to apply public key", MA_DKIM_PERMERROR},
	[E_MISSING_V] = {"version missing", MA_DKIM_NEUTRAL},
	[E_EMPTY_V] = {"version empty", MA_DKIM_NEUTRAL},
};

/* A tag-list (RFC 6376 3.2) as libopendkim's dkim_process_set() keeps it. */
struct tag {
	char *name, *value;
};

struct tagset {
	char *data;		/* copy, cut into names and values */
	struct tag *tags;
	size_t count;
	int bad;		/* syntax error: tags before it are kept */
};

struct field {
	char *text;		/* CRLF folding, NUL added */
	size_t len, namelen;
	size_t colon;
	int used;		/* selection of the current signature */
};

struct vsig {
	size_t field;		/* index in fields */
	struct tagset tags;
	enum sigerr err;
	unsigned flags;		/* MA_SIGST_* */
	int testkey, nosubdomain;
	enum ma_dkim_bh bh;
	enum ma_dkim_alg alg;
	const char *domain, *selector;
	int setup_done;		/* libopendkim set up its hashes */
	int hrelaxed, brelaxed;
	int has_l;
	unsigned long long l;
	const EVP_MD *md;
	unsigned char *sig;
	size_t siglen;
	unsigned char hh[EVP_MAX_MD_SIZE];
	unsigned hhlen;
	char *keyrec;		/* key record text (NULL: none) */
	unsigned bits;
	int body_on;
	struct ma_canon_body body;
};

/*
 * Parsed public keys, shared by all messages of one ma_dkim_lib (all
 * threads): OpenSSL 3's d2i_PUBKEY() goes through its decoder framework
 * and costs about 1.2 million instructions per RSA-2048 key (callgrind),
 * three times the RSA verification itself. Keyed by the decoded p=
 * bytes and the key kind, so a hit gives exactly what parsing would.
 * Bounded (KEYCACHE_MAX, round-robin replacement); an EVP_PKEY is
 * reference counted, so one replaced while another thread verifies with
 * it stays valid until that thread frees its reference.
 */
#define KEYCACHE_MAX 64
#define KEYCACHE_KEYLEN 2048	/* DER bytes; longer keys are not cached */

struct ma_vossl_keys {
	pthread_mutex_t mu;
	struct {
		unsigned char *der;
		size_t len;
		int ed;
		EVP_PKEY *pkey;
	} e[KEYCACHE_MAX];
	size_t count, next;
};

struct ma_vossl {
	struct ma_dkim_dns *dns;
	struct ma_vossl_keys *keys;
	struct ma_dkim_config cfg;
	struct field *fields;
	size_t nfields, fields_cap, total;
	struct vsig *sigs;
	size_t nsigs;
};

/*
 * Tag-list parsing, state for state as libopendkim's dkim_process_set():
 * white space anywhere in a name or value is removed afterwards; a
 * character outside printable ASCII and white space, a name not starting
 * with a letter or digit, white space inside a name, or a name without
 * "=" stops the parse (set->bad); the tags read so far are kept. A
 * repeated name replaces the value when its first byte is the same and
 * the rest equal without case ("k=a; k=b" is k=b, "kX=; kx=" one tag
 * named "kX", "K=; k=" two tags), as libopendkim keeps them. No
 * signature field gets here with a repeat: dkim_verify.c reports it first
 * (permerror, ma_dkim_tags_duplicate()). Key records can repeat tags.
 */
static void collapse(char *s)
{
	char *r = s;

	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			*r++ = *s;
	*r = '\0';
}

static void tag_add_ex(struct tagset *set, char *name, char *value, int collapse_name)
{
	size_t i;

	if (collapse_name)
		collapse(name);
	collapse(value);
	/* libopendkim hashes on the exact first byte, then compares the
	   name without case; the name first written stays */
	for (i = 0; i < set->count; i++)
		if (set->tags[i].name[0] == name[0] && strcasecmp(set->tags[i].name, name) == 0) {
			set->tags[i].value = value;
			return;
		}
	set->tags = xrealloc(set->tags, (set->count + 1) * sizeof(*set->tags));
	set->tags[set->count].name = name;
	set->tags[set->count].value = value;
	set->count++;
}

static void tag_add(struct tagset *set, char *name, char *value)
{
	tag_add_ex(set, name, value, 1);
}

static void parse_tags(struct tagset *set, const char *str, size_t len)
{
	char *p, *param = NULL, *value = NULL;
	int state = 0, spaced = 0;
	size_t n = strnlen(str, len);

	memset(set, 0, sizeof(*set));
	set->data = xmalloc(n + 1);
	memcpy(set->data, str, n);
	set->data[n] = '\0';
	for (p = set->data; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (!isascii(c) || (!isprint(c) && !isspace(c))) {
			set->bad = 1;
			return;
		}
		switch (state) {
		case 0:
			if (isspace(c))
				continue;
			if (!isalnum(c)) {
				set->bad = 1;
				return;
			}
			param = p;
			state = 1;
			break;
		case 1:
			if (isspace(c)) {
				spaced = 1;
			} else if (c == '=') {
				*p = '\0';
				state = 2;
				spaced = 0;
			} else if (c == ';' || spaced) {
				set->bad = 1;
				return;
			}
			break;
		case 2:
			if (isspace(c))
				continue;
			if (c == ';') {
				*p = '\0';
				tag_add(set, param, p);
				param = value = NULL;
				state = 0;
			} else {
				value = p;
				state = 3;
			}
			break;
		default:
			if (c == ';') {
				*p = '\0';
				tag_add(set, param, value);
				param = value = NULL;
				state = 0;
			}
			break;
		}
	}
	if (state == 3 && value != NULL)
		tag_add(set, param, value);
	else if (state == 2)
		/* empty value at the end: libopendkim keeps the name as
		   written ("d =" is a tag "d ", so d= is missing) */
		tag_add_ex(set, param, p, 0);
	else if (state == 1)
		set->bad = 1;
}

static const char *tag_get(const struct tagset *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (strcmp(set->tags[i].name, name) == 0)
			return set->tags[i].value;
	return NULL;
}

static void tags_free(struct tagset *set)
{
	free(set->data);
	free(set->tags);
	memset(set, 0, sizeof(*set));
}

int ma_dkim_tags_duplicate(const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);
	struct tagset set;
	size_t i, j;
	int dup = 0;

	if (colon == NULL)
		return 0;
	colon++;
	parse_tags(&set, colon, len - (size_t)(colon - field));
	/* tag_add() merged repeats: count the names in the text instead */
	for (i = 0; i < set.count && !dup; i++) {
		const char *p = colon, *end = field + len;
		size_t seen = 0, nlen = strlen(set.tags[i].name);

		/* a name is at the start or after ';', then optional WSP, then = */
		while (p < end) {
			const char *q = p;

			while (q < end && isspace((unsigned char)*q))
				q++;
			j = 0;
			while (q + j < end && q[j] != '=' && q[j] != ';')
				j++;
			if (q + j < end && q[j] == '=') {
				size_t k = j;

				while (k > 0 && isspace((unsigned char)q[k - 1]))
					k--;
				if (k == nlen && strncasecmp(q, set.tags[i].name, nlen) == 0)
					seen++;
			}
			p = memchr(q, ';', (size_t)(end - q));
			if (p == NULL)
				break;
			p++;
		}
		dup = seen > 1;
	}
	tags_free(&set);
	return dup;
}

/* libopendkim's dkim_base64_decode(): skips non-alphabet bytes, stops at
   '='; -1 for a lone 6-bit group, -2 when out of room (buflen is the
   input length, so a 1- or 2-character input is refused). */
static int b64_decode(const char *s, unsigned char *out, size_t buflen)
{
	unsigned bits = 0, count = 0;
	size_t n = 0;

	for (; *s != '=' && *s != '\0'; s++) {
		int v = codec_base64_value((unsigned char)*s);

		if (v < 0)
			continue;
		bits += (unsigned)v;
		count++;
		if (n + 3 > buflen)
			return -2;
		if (count == 4) {
			out[n++] = (unsigned char)(bits >> 16);
			out[n++] = (unsigned char)(bits >> 8);
			out[n++] = (unsigned char)bits;
			bits = 0;
			count = 0;
		} else {
			bits <<= 6;
		}
	}
	switch (count) {
	case 1:
		return -1;
	case 2:
		if (n + 1 > buflen)
			return -2;
		out[n++] = (unsigned char)(bits >> 10);
		break;
	case 3:
		if (n + 2 > buflen)
			return -2;
		out[n++] = (unsigned char)(bits >> 16);
		out[n++] = (unsigned char)(bits >> 8);
		break;
	}
	return (int)n;
}

static unsigned long long to_ull(const char *s)
{
	return strtoull(s, NULL, 10);
}

/*
 * i= as libopendkim's dkim_qp_decode() leaves it in its buffer: text is
 * copied when an escape or the end follows; "=" not followed by two
 * upper-case hex digits stops (what was copied before stays).
 */
static void qp_decode(const char *in, char *out, size_t size)
{
	const char *hex = "0123456789ABCDEF", *start = NULL, *p, *x;
	size_t n = 0;

	for (p = in; *p != '\0'; p++) {
		if (*p == '=') {
			const char *h1 = p[1] != '\0' ? strchr(hex, p[1]) : NULL;
			const char *h2 = h1 != NULL && p[2] != '\0' ? strchr(hex, p[2]) : NULL;

			if (h1 == NULL || h2 == NULL)
				break;
			for (x = start; x != NULL && x < p; x++)
				if (n + 1 < size)
					out[n++] = *x;
			if (n + 1 < size)
				out[n++] = (char)((h1 - hex) * 16 + (h2 - hex));
			start = NULL;
			p += 2;
			continue;
		}
		if (start == NULL)
			start = p;
	}
	if (*p == '\0')
		for (x = start; x != NULL && x < p; x++)
			if (n + 1 < size)
				out[n++] = *x;
	out[n] = '\0';
}

/* RFC 6376 3.5 i=: its domain is d= or a subdomain of it. */
static int domain_ok(const struct tagset *t, const char *d)
{
	const char *i = tag_get(t, "i");
	char addr[ADDR_MAX + 1];
	const char *at, *dot;

	if (i == NULL)
		return 1;
	qp_decode(i, addr, sizeof(addr));
	if ((at = strchr(addr, '@')) == NULL)
		return 0;
	if (strcasecmp(at + 1, d) == 0)
		return 1;
	for (dot = strchr(at, '.'); dot != NULL; dot = strchr(dot + 1, '.'))
		if (strcasecmp(dot + 1, d) == 0)
			return 1;
	return 0;
}

/* h= must name From (RFC 6376 5.4, 6.1.1); read as libopendkim does. */
static int hlist_has_from(const char *h)
{
	char tmp[HLIST_MAX + 2];
	char *p, *save = NULL;

	str_copy(tmp, h, HLIST_MAX + 2);
	for (p = strtok_r(tmp, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save))
		if (strcasecmp(p, "from") == 0)
			return 1;
	return 0;
}

static int canon_code(const char *name)
{
	if (strcasecmp(name, "simple") == 0)
		return 0;
	if (strcasecmp(name, "relaxed") == 0)
		return 1;
	return -1;
}

/* q=: libopendkim's loop over "method/option" items (only dns/txt known). */
static enum sigerr query_check(const char *q)
{
	char buf[BUFRSZ + 1], *p, *save = NULL, *opts;
	int known = -1, bad_qo = 0;

	str_copy(buf, q, sizeof(buf));
	for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
		opts = strchr(p, '/');
		if (opts != NULL)
			*opts++ = '\0';
		known = strcasecmp(p, "dns") == 0 ? 1 : -1;
		if (known < 0)
			continue;
		if (opts == NULL || strcmp(opts, "txt") != 0) {
			bad_qo = 1;
			continue;
		}
		break;
	}
	if (known < 0)
		return E_INVALID_Q;
	return bad_qo ? E_INVALID_QO : E_UNKNOWN;
}

/*
 * RFC 6376 6.1.1: the checks on one signature, in libopendkim's
 * dkim_siglist_setup() order. Leaves err E_UNKNOWN when the signature
 * is to be verified.
 */
static void sig_setup(struct vsig *s, time_t now)
{
	const struct tagset *t = &s->tags;
	const char *v, *c, *a, *h, *l, *q, *bh, *b;
	uint64_t drift = CLOCK_DRIFT, nowl = (uint64_t)now;
	int n;

	s->err = E_UNKNOWN;
	s->bh = MA_BH_UNTESTED;
	s->alg = MA_ALG_RSA_SHA1;	/* libopendkim's zeroed sig_signalg */
	if ((v = tag_get(t, "d")) == NULL || *v == '\0') {
		s->err = v == NULL ? E_MISSING_D : E_EMPTY_D;
		return;
	}
	s->domain = v;
	if ((v = tag_get(t, "s")) == NULL || *v == '\0') {
		s->err = v == NULL ? E_MISSING_S : E_EMPTY_S;
		return;
	}
	s->selector = v;
	v = tag_get(t, "v");
	if (v == NULL || *v == '\0' || strcmp(v, "1") != 0) {
		s->err = v == NULL ? E_MISSING_V : *v == '\0' ? E_EMPTY_V : E_VERSION;
		return;
	}
	if (!domain_ok(t, s->domain)) {
		s->err = E_DOMAIN;
		return;
	}
	/* x= and t= (RFC 6376 3.5), with libopendkim's unsigned arithmetic */
	if ((v = tag_get(t, "x")) != NULL && nowl >= to_ull(v) + drift) {
		s->err = E_EXPIRED;
		return;
	}
	if ((v = tag_get(t, "t")) != NULL && nowl < to_ull(v) - drift) {
		s->err = E_FUTURE;
		return;
	}
	if ((v = tag_get(t, "t")) != NULL && tag_get(t, "x") != NULL &&
	    !(to_ull(v) < to_ull(tag_get(t, "x")))) {
		s->err = E_TIMESTAMPS;
		return;
	}
	if ((c = tag_get(t, "c")) != NULL) {
		char buf[BUFRSZ + 1], *slash;

		str_copy(buf, c, sizeof(buf));
		if ((slash = strchr(buf, '/')) != NULL)
			*slash++ = '\0';
		if ((s->hrelaxed = canon_code(buf)) < 0) {
			s->err = E_INVALID_HC;
			return;
		}
		if (slash != NULL && (s->brelaxed = canon_code(slash)) < 0) {
			s->err = E_INVALID_BC;
			return;
		}
	}
	if ((a = tag_get(t, "a")) == NULL) {
		s->err = E_MISSING_A;
		return;
	}
	if (strcasecmp(a, "rsa-sha1") == 0) {
		s->alg = MA_ALG_RSA_SHA1;
		s->md = EVP_sha1();
	} else if (strcasecmp(a, "rsa-sha256") == 0) {
		s->alg = MA_ALG_RSA_SHA256;
		s->md = EVP_sha256();
	} else if (strcasecmp(a, "ed25519-sha256") == 0) {
		s->alg = MA_ALG_ED25519_SHA256;
		s->md = EVP_sha256();
	} else {
		s->err = E_INVALID_A;
		return;
	}
	if ((h = tag_get(t, "h")) == NULL || *h == '\0') {
		s->err = h == NULL ? E_MISSING_H : E_EMPTY_H;
		return;
	}
	if (!hlist_has_from(h)) {
		s->err = E_INVALID_H;
		return;
	}
	if ((l = tag_get(t, "l")) != NULL) {
		char *end;
		unsigned long val;

		errno = 0;
		val = l[0] == '-' ? ULONG_MAX : strtoul(l, &end, 10);
		if (val == ULONG_MAX || errno != 0 || *end != '\0') {
			s->err = E_INVALID_L;
			return;
		}
		s->has_l = 1;
		s->l = val;
	}
	if ((q = tag_get(t, "q")) != NULL && (s->err = query_check(q)) != E_UNKNOWN)
		return;
	if ((bh = tag_get(t, "bh")) == NULL || *bh == '\0') {
		s->err = bh == NULL ? E_MISSING_BH : E_EMPTY_BH;
		return;
	}
	if ((b = tag_get(t, "b")) == NULL || *b == '\0') {
		s->err = b == NULL ? E_MISSING_B : E_EMPTY_B;
		return;
	}
	s->sig = xmalloc(strlen(b) + 1);
	if ((n = b64_decode(b, s->sig, strlen(b))) < 0) {
		s->err = E_CORRUPT_B;
		return;
	}
	s->siglen = (size_t)n;
	s->setup_done = 1;
}

struct ma_vossl_keys *ma_vossl_keys_new(void)
{
	struct ma_vossl_keys *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void ma_vossl_keys_free(struct ma_vossl_keys **cp)
{
	struct ma_vossl_keys *c = *cp;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->count; i++) {
		free(c->e[i].der);
		EVP_PKEY_free(c->e[i].pkey);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
	*cp = NULL;
}

/* A new reference to the key parsed from der (NULL if it does not parse). */
static EVP_PKEY *key_parse(struct ma_vossl_keys *c, const unsigned char *der, size_t len,
			   int ed)
{
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = der;
	size_t i;

	if (c != NULL && len <= KEYCACHE_KEYLEN) {
		pthread_mutex_lock(&c->mu);
		for (i = 0; i < c->count; i++)
			if (c->e[i].ed == ed && c->e[i].len == len &&
			    memcmp(c->e[i].der, der, len) == 0) {
				pkey = c->e[i].pkey;
				EVP_PKEY_up_ref(pkey);
				break;
			}
		pthread_mutex_unlock(&c->mu);
		if (pkey != NULL)
			return pkey;
	}
	if (ed)
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, len);
	else
		pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey == NULL || c == NULL || len > KEYCACHE_KEYLEN)
		return pkey;
	pthread_mutex_lock(&c->mu);
	i = c->count < KEYCACHE_MAX ? c->count++ : c->next++ % KEYCACHE_MAX;
	if (c->e[i].pkey != NULL) {
		free(c->e[i].der);
		EVP_PKEY_free(c->e[i].pkey);
	}
	c->e[i].der = xmalloc(len > 0 ? len : 1);
	memcpy(c->e[i].der, der, len);
	c->e[i].len = len;
	c->e[i].ed = ed;
	c->e[i].pkey = pkey;
	EVP_PKEY_up_ref(pkey);
	pthread_mutex_unlock(&c->mu);
	return pkey;
}

struct ma_vossl *ma_vossl_new(struct ma_dkim_dns *dns, struct ma_vossl_keys *keys,
			      const struct ma_dkim_config *cfg)
{
	struct ma_vossl *o = xcalloc(1, sizeof(*o));

	o->dns = dns;
	o->keys = keys;
	o->cfg = *cfg;
	return o;
}

void ma_vossl_free(struct ma_vossl **op)
{
	struct ma_vossl *o = *op;
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nfields; i++)
		free(o->fields[i].text);
	for (i = 0; i < o->nsigs; i++) {
		tags_free(&o->sigs[i].tags);
		free(o->sigs[i].sig);
		free(o->sigs[i].keyrec);
		if (o->sigs[i].body_on)
			ma_canon_body_free(&o->sigs[i].body);
	}
	free(o->fields);
	free(o->sigs);
	free(o);
	*op = NULL;
}

/*
 * One field. Kept unless libopendkim's dkim_header() refuses it: a byte
 * outside printable ASCII in the name, no colon, or ';' before the colon
 * (RFC 5322 2.2 field names).
 */
int ma_vossl_header(struct ma_vossl *o, const char *text, size_t len, const char **error_r)
{
	struct field *f;
	size_t i, colon = len, end;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 32 || c > 126)
			return 0;
		if (c == ':') {
			colon = i;
			break;
		}
	}
	if (colon == len || memchr(text, ';', colon) != NULL)
		return 0;
	if (o->total + len > MAX_HEADER_TOTAL) {
		*error_r = "header too large";
		return -1;
	}
	o->total += len;
	for (end = colon; end > 0 && isspace((unsigned char)text[end - 1]); end--)
		;
	if (o->nfields == o->fields_cap) {
		o->fields_cap = o->fields_cap == 0 ? 32 : 2 * o->fields_cap;
		o->fields = xrealloc(o->fields, o->fields_cap * sizeof(*o->fields));
	}
	f = &o->fields[o->nfields++];
	f->text = xmalloc(len + 1);
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	f->colon = colon;
	f->namelen = end;
	f->used = 0;
	if (end == strlen("DKIM-Signature") && strncasecmp(text, "DKIM-Signature", end) == 0) {
		struct vsig *s;

		o->sigs = xrealloc(o->sigs, (o->nsigs + 1) * sizeof(*o->sigs));
		s = &o->sigs[o->nsigs++];
		memset(s, 0, sizeof(*s));
		s->field = o->nfields - 1;
		parse_tags(&s->tags, f->text + colon + 1, len - colon - 1);
	}
	return 0;
}

/*
 * RFC 6376 5.4.2: for each name of h=, the last field of that name not
 * yet used (bottom-up); a name with no field left adds nothing. Then the
 * DKIM-Signature itself with b='s value removed and no final CRLF (3.7).
 * The b= value is found as libopendkim finds it: after "=" whose
 * preceding byte is "b", up to the next ";".
 */
static int header_hash(struct ma_vossl *o, struct vsig *s)
{
	char hl[HLIST_MAX + 1], *p, *save = NULL, *stripped;
	const struct field *sf = &o->fields[s->field];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t i, n = 0;
	char in = '\0', last = '\0';
	int ret = -1;

	if (md == NULL || EVP_DigestInit_ex(md, s->md, NULL) != 1)
		goto done;
	for (i = 0; i < o->nfields; i++)
		o->fields[i].used = 0;
	str_copy(hl, tag_get(&s->tags, "h"), sizeof(hl));
	for (p = strtok_r(hl, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
		size_t len = strlen(p);
		struct field *pick = NULL;

		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		for (i = 0; i < o->nfields; i++)
			if (!o->fields[i].used && o->fields[i].namelen == len &&
			    strncasecmp(o->fields[i].text, p, len) == 0)
				pick = &o->fields[i];
		if (pick == NULL)
			continue;
		pick->used = 1;
		if (ma_canon_header(md, s->hrelaxed, pick->text, pick->len, 1) != 0)
			goto done;
	}
	stripped = xmalloc(sf->len + 1);
	for (i = 0; i < sf->len; i++) {
		char c = sf->text[i];

		if (c == ';')
			in = '\0';
		if (in == 'b') {
			last = c;
			continue;
		}
		if (in == '\0' && c == '=')
			in = last;
		stripped[n++] = c;
		last = c;
	}
	if (ma_canon_header(md, s->hrelaxed, stripped, n, 0) != 0 ||
	    EVP_DigestFinal_ex(md, s->hh, &s->hhlen) != 1) {
		free(stripped);
		goto done;
	}
	free(stripped);
	ret = 0;
done:
	EVP_MD_CTX_free(md);
	return ret;
}

/* Key record tokens (":"-separated), the way libopendkim reads h=, s=, t=. */
static int list_has(const char *list, const char *a, const char *b)
{
	char buf[BUFRSZ + 1], *p, *save = NULL;

	str_copy(buf, list, sizeof(buf));
	for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save))
		if (strcasecmp(p, a) == 0 || (b != NULL && strcasecmp(p, b) == 0))
			return 1;
	return 0;
}

/*
 * RFC 6376 3.6.1 key record checks, libopendkim's dkim_get_key() order:
 * v= (if present) DKIM1; h= names a known hash, and the signature's;
 * s= email or *; k= rsa or ed25519 (default rsa; whether it suits a= is
 * checked in dkim_result.c for both engines); p= empty = revoked.
 * Returns E_UNKNOWN with the decoded key in *key_r (caller frees).
 */
static enum sigerr key_check(struct vsig *s, const char *rec, unsigned char **key_r,
			     size_t *keylen_r)
{
	struct tagset k;
	const char *v, *kt;
	enum sigerr err = E_UNKNOWN;
	int n;

	*key_r = NULL;
	if (*rec == '\0')
		return E_DNSSYNTAX;
	parse_tags(&k, rec, strlen(rec));
	if (k.bad) {
		err = E_DNSSYNTAX;
		goto done;
	}
	if ((kt = tag_get(&k, "k")) == NULL)
		kt = "rsa";			/* 3.6.1 default */
	if ((v = tag_get(&k, "v")) != NULL && strcmp(v, "DKIM1") != 0)
		err = E_KEYVERSION;
	else if ((v = tag_get(&k, "h")) != NULL && !list_has(v, "sha1", "sha256"))
		err = E_KEYUNKNOWNHASH;
	else if (v != NULL && !list_has(v, s->alg == MA_ALG_RSA_SHA1 ? "sha1" : "sha256", NULL))
		err = E_KEYHASHMISMATCH;
	else if ((v = tag_get(&k, "s")) != NULL && !list_has(v, "*", "email"))
		err = E_NOTEMAILKEY;
	else if (strcasecmp(kt, "rsa") != 0 && strcasecmp(kt, "ed25519") != 0)
		err = E_KEYTYPEUNKNOWN;
	else if ((v = tag_get(&k, "p")) == NULL)
		err = E_DNSSYNTAX;		/* "key missing" */
	else if (*v == '\0')
		err = E_KEYREVOKED;
	if (err != E_UNKNOWN)
		goto done;
	*key_r = xmalloc(strlen(v) + 1);
	if ((n = b64_decode(v, *key_r, strlen(v))) < 0) {
		free(*key_r);
		*key_r = NULL;
		err = E_DNSSYNTAX;
		goto done;
	}
	*keylen_r = (size_t)n;
	if ((v = tag_get(&k, "t")) != NULL) {
		s->testkey = list_has(v, "y", NULL);
		s->nosubdomain = list_has(v, "s", NULL);
	}
done:
	tags_free(&k);
	return err;
}

/* 1 verified, 0 not, -1 key unusable (KEYDECODE). */
static int crypto_verify(struct ma_vossl *o, struct vsig *s, const unsigned char *key,
			 size_t keylen)
{
	EVP_PKEY *pkey = NULL;
	int ret = -1;

	if (s->alg == MA_ALG_ED25519_SHA256) {
		/* RFC 8463 3: pure Ed25519 over the SHA-256 of the header hash input */
		EVP_MD_CTX *md;

		pkey = key_parse(o->keys, key, keylen, 1);
		if (pkey == NULL || (md = EVP_MD_CTX_new()) == NULL)
			goto done;
		if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
			EVP_MD_CTX_free(md);
			goto done;
		}
		ret = EVP_DigestVerify(md, s->sig, s->siglen, s->hh, s->hhlen) == 1;
		EVP_MD_CTX_free(md);
	} else {
		/* RFC 6376 3.3.1: RSASSA-PKCS1-v1_5, key as SubjectPublicKeyInfo */
		EVP_PKEY_CTX *ctx;

		pkey = key_parse(o->keys, key, keylen, 0);
		if (pkey == NULL || (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA &&
				     EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA_PSS))
			goto done;
		s->bits = 8u * (unsigned)EVP_PKEY_get_size(pkey);
		if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL)
			goto done;
		if (EVP_PKEY_verify_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(ctx, s->md) != 1)
			ret = 0;
		else
			ret = EVP_PKEY_verify(ctx, s->sig, s->siglen, s->hh, s->hhlen) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
done:
	EVP_PKEY_free(pkey);
	return ret;
}

/* t=s in the key: i='s domain must be d= itself (RFC 6376 3.6.1). */
static void subdomain_check(struct vsig *s)
{
	const char *i = tag_get(&s->tags, "i"), *at;

	if (!s->nosubdomain || i == NULL)
		return;
	at = strchr(i, '@');
	at = at == NULL ? i : at + 1;
	if (strcasecmp(at, s->domain) != 0)
		s->err = E_SUBDOMAIN;
}

static const char *cached_key(const struct ma_vossl *o, const struct vsig *s)
{
	size_t i;

	for (i = 0; i < o->nsigs && &o->sigs[i] != s; i++)
		if (o->sigs[i].keyrec != NULL && strcmp(o->sigs[i].domain, s->domain) == 0 &&
		    strcmp(o->sigs[i].selector, s->selector) == 0)
			return o->sigs[i].keyrec;
	return NULL;
}

/* RFC 6376 6.1.2 and the header part of 6.1.3, at end of header. */
static int sig_process(struct ma_vossl *o, struct vsig *s)
{
	char name[600];
	const char *cached;
	unsigned char *key = NULL;
	size_t keylen = 0;
	int v;

	if (header_hash(o, s) != 0)
		return -1;
	if ((cached = cached_key(o, s)) != NULL) {
		s->keyrec = xstrdup(cached);
	} else {
		char *rec = xmalloc(KEYREC_MAX);

		if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", s->selector,
				     s->domain) >= sizeof(name)) {
			free(rec);
			s->flags |= MA_SIGST_PROCESSED;
			s->err = E_NOKEY;
			return 0;
		}
		switch (ma_dkim_dns_lookup(o->dns, name, rec, KEYREC_MAX)) {
		case MA_KEY_OK:
			s->keyrec = rec;
			break;
		case MA_KEY_NONE:
			s->err = E_NOKEY;
			break;
		case MA_KEY_MULTI:
			s->err = E_MULTIREPLY;
			break;
		default:
			s->err = E_KEYFAIL;	/* temperror, never sender-caused */
			break;
		}
		if (s->keyrec == NULL) {
			free(rec);
			s->flags |= MA_SIGST_PROCESSED;
			return 0;
		}
	}
	s->flags |= MA_SIGST_PROCESSED;
	if ((s->err = key_check(s, s->keyrec, &key, &keylen)) != E_UNKNOWN)
		return 0;
	v = crypto_verify(o, s, key, keylen);
	free(key);
	if (v < 0) {
		s->err = E_KEYDECODE;
		return 0;
	}
	if (v == 1)
		s->flags |= MA_SIGST_PASSED;
	else
		s->err = E_BADSIG;
	subdomain_check(s);
	return 0;
}

int ma_vossl_eoh(struct ma_vossl *o, const char **error_r)
{
	time_t now = time(NULL);
	size_t i;
	int any = 0;

	if (o->nsigs == 0)
		return 0;
	for (i = 0; i < o->nsigs; i++)
		sig_setup(&o->sigs[i], now);
	for (i = 0; i < o->nsigs; i++) {
		struct vsig *s = &o->sigs[i];

		if (!s->setup_done)
			continue;
		any = 1;
		if (ma_canon_body_init_ex(&s->body, s->brelaxed, s->md, s->has_l, s->l) != 0) {
			*error_r = "out of memory";
			return -1;
		}
		s->body_on = 1;
		if (s->err == E_UNKNOWN && sig_process(o, s) != 0) {
			*error_r = "header hash failed";
			return -1;
		}
	}
	return any;
}

int ma_vossl_body(struct ma_vossl *o, const unsigned char *data, size_t len,
		  const char **error_r)
{
	size_t i;

	for (i = 0; i < o->nsigs; i++)
		if (o->sigs[i].body_on && ma_canon_body_update(&o->sigs[i].body, data, len) != 0) {
			*error_r = "body hash failed";
			return -1;
		}
	return 0;
}

/* RFC 6376 6.1.3: bh= against the body (l= bytes of it), then l= itself. */
int ma_vossl_eom(struct ma_vossl *o, const char **error_r)
{
	size_t i;

	for (i = 0; i < o->nsigs; i++) {
		struct vsig *s = &o->sigs[i];
		unsigned char md[EVP_MAX_MD_SIZE];
		char b64[2 * EVP_MAX_MD_SIZE + 4];
		unsigned mdlen = 0;
		unsigned long long total = 0;

		if (!s->body_on)
			continue;
		s->body_on = 0;
		if (ma_canon_body_final_ex(&s->body, md, &mdlen, &total) != 0) {
			*error_r = "body hash failed";
			return -1;
		}
		/* l= larger than the body: "did not verify" (6.1.3) */
		if (s->has_l && total < s->l) {
			s->err = E_TOOLARGE_L;
			continue;
		}
		if (s->err != E_UNKNOWN || (s->flags & MA_SIGST_PASSED) == 0)
			continue;
		EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
		if (strcmp(tag_get(&s->tags, "bh"), b64) == 0) {
			s->bh = MA_BH_MATCH;
		} else {
			s->bh = MA_BH_MISMATCH;
			s->err = E_BADSIG;
		}
		subdomain_check(s);
		if (s->err == E_UNKNOWN)
			s->err = E_OK;
	}
	return 0;
}

size_t ma_vossl_count(const struct ma_vossl *o)
{
	return o->nsigs;
}

void ma_vossl_state(const struct ma_vossl *o, size_t i, struct ma_dkim_sigstate *st,
		    const char **keyrec_r)
{
	const struct vsig *s = &o->sigs[i];

	memset(st, 0, sizeof(*st));
	st->domain = (const unsigned char *)s->domain;
	st->selector = (const unsigned char *)s->selector;
	st->a = (const unsigned char *)tag_get(&s->tags, "a");
	st->b = (const unsigned char *)tag_get(&s->tags, "b");
	st->flags = s->flags;
	if (s->err != E_UNKNOWN && s->err != E_OK) {
		st->error = 1;
		st->err_result = errors[s->err].result;
		st->err_reason = errors[s->err].text;
	}
	st->bh = s->bh;
	st->alg = s->alg;
	st->have_bits = s->bits != 0;
	st->bits = s->bits;
	*keyrec_r = s->keyrec;
}
