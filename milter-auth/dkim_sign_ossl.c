/*++
 * NAME
 *	dkim_sign_ossl 3
 * SUMMARY
 *	one DKIM-Signature on OpenSSL EVP (RFC 6376 section 3.7, RFC 8463)
 * DESCRIPTION
 *	The header hash (RFC 6376 section 3.7): the signed fields in h=
 *	order, each name taking the next instance from the bottom (section
 *	5.4.2), canonicalized with their CRLF, then the DKIM-Signature being
 *	made, as it will be inserted (folding included), up to "b=" and
 *	without CRLF. rsa-sha256 signs that SHA-256 hash with PKCS#1 v1.5
 *	(section 3.3.1); ed25519-sha256 signs the 32-byte hash itself with
 *	pure Ed25519 (RFC 8463 section 3). No homemade crypto: SHA-256,
 *	signatures and base64 are OpenSSL's.
 *
 *	Folding (fold = 1): a new line (CRLF TAB) before a tag that would
 *	pass 78 columns, inside h= after a colon, and inside b= (whose value
 *	is not hashed, section 3.7). The text hashed is the folded text, so
 *	simple header canonicalization works too.
 *--*/
#include <string.h>
#include <strings.h>
#include <openssl/rsa.h>
#include "messec/str.h"
#include "dkim_canon.h"
#include "dkim_sign_ossl.h"

#define WIDTH 78
#define HEADER_NAME "DKIM-Signature"

struct text {
	char *s;
	size_t len, size, col;		/* col: length of the current line */
};

static void grow(struct text *t, size_t more)
{
	if (t->len + more + 1 > t->size) {
		while (t->len + more + 1 > t->size)
			t->size = t->size == 0 ? 1024 : t->size * 2;
		t->s = xrealloc(t->s, t->size);
	}
}

static void add(struct text *t, const char *s, size_t n)
{
	size_t i;

	grow(t, n);
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
	for (i = 0; i < n; i++)
		t->col = s[i] == '\n' ? 0 : t->col + 1;
}

/* " item", or CRLF TAB item when it would pass WIDTH (fold), or item. */
static void item(struct text *t, const char *sep, const char *s, int fold)
{
	size_t n = strlen(s);

	if (fold && t->col + strlen(sep) + n > WIDTH && t->col > 1) {
		add(t, "\r\n\t", 3);
		add(t, s, n);
	} else {
		add(t, sep, strlen(sep));
		add(t, s, n);
	}
}

/* name of a "Name: value" field, without trailing WSP: length */
static size_t name_len(const char *f)
{
	size_t n = strcspn(f, ":");

	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
		n--;
	return n;
}

static int in_list(const char *const *list, const char *name, size_t n)
{
	for (; list != NULL && *list != NULL; list++)
		if (strlen(*list) == n && strncasecmp(*list, name, n) == 0)
			return 1;
	return 0;
}

static char *b64(const unsigned char *in, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *) out, in, (int) n);
	return out;
}

static int sign_hash(EVP_PKEY *key, const unsigned char *hash, unsigned char *sig,
		     size_t *siglen)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	int ok = 0;

	if (EVP_PKEY_base_id(key) == EVP_PKEY_ED25519) {
		/* RFC 8463 section 3: Ed25519 (pure) over the SHA-256 hash */
		ok = (mc = EVP_MD_CTX_new()) != NULL &&
			EVP_DigestSignInit(mc, NULL, NULL, NULL, key) == 1 &&
			EVP_DigestSign(mc, sig, siglen, hash, 32) == 1;
	} else {
		/* RFC 6376 section 3.3.1: RSASSA-PKCS1-v1_5 with SHA-256 */
		ok = (pc = EVP_PKEY_CTX_new(key, NULL)) != NULL &&
			EVP_PKEY_sign_init(pc) == 1 &&
			EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
			EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
			EVP_PKEY_sign(pc, sig, siglen, hash, 32) == 1;
	}
	EVP_MD_CTX_free(mc);
	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : -1;
}

/* Hash the next unused instance of name from the bottom (RFC 6376
   section 5.4.2); none left: nothing (oversigning). */
static int hash_next(EVP_MD_CTX *md, int relaxed, const char **field, unsigned char *used,
		     size_t nf, const char *name, size_t n)
{
	size_t j;

	for (j = nf; j-- > 0;) {
		if (used[j] || name_len(field[j]) != n || strncasecmp(field[j], name, n) != 0)
			continue;
		used[j] = 1;
		return ma_canon_header(md, relaxed, field[j], strlen(field[j]), 1);
	}
	return 0;
}

char *ma_dkim_ossl_sign(const struct ma_dkim_ossl_args *a, const char **error_r)
{
	int ed = EVP_PKEY_base_id(a->key) == EVP_PKEY_ED25519;
	const char **field = NULL;
	unsigned char *used = NULL, hash[32], sig[1024];
	size_t nf = 0, off, i, j, siglen = sizeof(sig);
	struct text t = { 0 }, h = { 0 };
	char buf[512], *bh = NULL, *b = NULL, *ret = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned int hl = 0;
	const char *const *o;

	if ((size_t) EVP_PKEY_get_size(a->key) > sizeof(sig)) {
		*error_r = "signing key too large";
		return NULL;
	}
	for (off = 0; off < a->fields_len; off += strlen(a->fields + off) + 1)
		nf++;
	field = xcalloc(nf + 1, sizeof(*field));
	used = xcalloc(nf + 1, 1);
	for (off = 0, i = 0; off < a->fields_len; off += strlen(a->fields + off) + 1)
		field[i++] = a->fields + off;

	/* h=: every present field of the list, in message order, then the
	   oversigned names once each (RFC 6376 section 8.15) */
	for (i = 0; i < nf; i++) {
		size_t n = name_len(field[i]);

		if (!in_list(a->headers, field[i], n))
			continue;
		if (h.len > 0)
			add(&h, ":", 1);
		add(&h, field[i], n);
	}
	for (o = a->oversign; o != NULL && *o != NULL; o++) {
		if (h.len > 0)
			add(&h, ":", 1);
		add(&h, *o, strlen(*o));
	}

	/* the field without b='s value: "v=1; a=...; ...; b=" */
	bh = b64(a->bh, 32);
	add(&t, HEADER_NAME ": ", strlen(HEADER_NAME) + 2);
	add(&t, "v=1;", 4);
	snprintf(buf, sizeof(buf), "a=%s;", ed ? "ed25519-sha256" : "rsa-sha256");
	item(&t, " ", buf, a->fold);
	snprintf(buf, sizeof(buf), "c=%s/%s;", a->relaxed_header ? "relaxed" : "simple",
		 a->relaxed_body ? "relaxed" : "simple");
	item(&t, " ", buf, a->fold);
	snprintf(buf, sizeof(buf), "d=%s;", a->domain);
	item(&t, " ", buf, a->fold);
	snprintf(buf, sizeof(buf), "s=%s;", a->selector);
	item(&t, " ", buf, a->fold);
	snprintf(buf, sizeof(buf), "t=%llu;", a->t);
	item(&t, " ", buf, a->fold);
	snprintf(buf, sizeof(buf), "bh=%s;", bh);
	item(&t, " ", buf, a->fold);
	if (!a->fold) {
		add(&t, " h=", 3);
		add(&t, h.s, h.len);
		add(&t, ";", 1);
	} else {
		/* h= names, a fold after a colon where needed (FWS, 3.5) */
		char *p = h.s, *q, *name;
		int first = 1;

		for (; p != NULL; p = q) {
			q = strchr(p, ':');
			if (q != NULL)
				*q++ = '\0';
			name = xmalloc(strlen(p) + 4);
			sprintf(name, "%s%s%s", first ? "h=" : "", p, q != NULL ? ":" : ";");
			item(&t, first ? " " : "", name, 1);
			free(name);
			first = 0;
		}
	}
	item(&t, " ", "b=", a->fold);

	/* the header hash (RFC 6376 section 3.7) */
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto openssl;
	/* the names of h= in order: present fields, then oversigned */
	for (i = 0; i < nf; i++) {
		size_t n = name_len(field[i]);

		if (in_list(a->headers, field[i], n) &&
		    hash_next(md, a->relaxed_header, field, used, nf, field[i], n) != 0)
			goto openssl;
	}
	for (o = a->oversign; o != NULL && *o != NULL; o++)
		if (hash_next(md, a->relaxed_header, field, used, nf, *o, strlen(*o)) != 0)
			goto openssl;
	if (ma_canon_header(md, a->relaxed_header, t.s, t.len, 0) != 0 ||
	    EVP_DigestFinal_ex(md, hash, &hl) != 1 || hl != 32 ||
	    sign_hash(a->key, hash, sig, &siglen) != 0)
		goto openssl;
	b = b64(sig, siglen);
	if (!a->fold) {
		add(&t, b, strlen(b));
	} else {
		for (i = 0; b[i] != '\0'; i += j) {
			j = t.col < WIDTH ? WIDTH - t.col : 0;
			if (j == 0) {
				add(&t, "\r\n\t", 3);
				continue;
			}
			if (j > strlen(b + i))
				j = strlen(b + i);
			add(&t, b + i, j);
		}
	}
	/* value only, LF folding (libmilter) */
	ret = xmalloc(t.len + 1);
	for (i = strlen(HEADER_NAME) + 2, j = 0; i < t.len; i++)
		if (t.s[i] != '\r')
			ret[j++] = t.s[i];
	ret[j] = '\0';
	goto done;
openssl:
	*error_r = "OpenSSL failed to hash or sign";
done:
	EVP_MD_CTX_free(md);
	OPENSSL_cleanse(sig, sizeof(sig));
	free(field);
	free(used);
	free(t.s);
	free(h.s);
	free(bh);
	free(b);
	return ret;
}
