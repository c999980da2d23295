/*++
 * NAME
 *	test_dkim_diff 3
 * SUMMARY
 *	differential test: dkim_verify_engine = opendkim vs messec
 * DESCRIPTION
 *	A corpus of messages is verified by both engines with the same key
 *	records; every per-signature result must be identical: result,
 *	d=, s=, a=, header.b prefix, reason (the A-R reason= text) and RSA
 *	key size, hence the same A-R header and DMARC inputs.
 *
 *	Base messages: signed by messec's own signer (dkim_sign_ossl.c),
 *	by libopendkim (td_sign()), and by dkimpy (python3-dkim, fixtures
 *	in milter-auth/tests/dkim-diff/, gen.py there), RSA and Ed25519,
 *	relaxed and simple, with l=, i=, two signatures; several bodies
 *	(empty, blank lines at the end, 8-bit, long lines).
 *
 *	Each base message is checked as is, with every mutation of a fixed
 *	list (body or header altered, wrong bh=, expired x=, future t=,
 *	revoked / mismatched / unusable keys, missing, empty, unknown and
 *	repeated tags, l= short and too long, c= flipped, h= without From,
 *	i= outside d=, a second signature, ...) and with random edits of
 *	the DKIM-Signature value (seeded, repeatable).
 *
 *	Left out of the comparison (docs/dkim.md "Own verifier",
 *	differences): none are generated -- no CR, VT or FF is ever
 *	inserted into a header (libopendkim's relaxed header
 *	canonicalization treats them as white space, pitfall 15), and the
 *	reason suffix after "message header unusable" (libopendkim's last
 *	error text) is compared up to that prefix only.
 *--*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <opendkim/dkim.h>

#include <messec/str.h>

#include "dkim_canon.h"
#include "dkim_sign_ossl.h"
#include "dkim_verify.h"
#include "test_dkim_util.h"

#define KEYS "tests/lab/keys/"
#define DIFF_DIR "milter-auth/tests/dkim-diff/"
#define RANDOM_ROUNDS 1500

static char *keys, *rsa_pem, *ed_pem;
static struct ma_dkim_lib *lib_odk, *lib_own;
static size_t compared_msgs, compared_sigs;
static size_t by_result[MA_DKIM_PERMERROR + 1];	/* messec's results */

static char *line_of(const char *path)
{
	char *s = td_read(path, NULL);

	assert_non_null(s);
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* Key records: the lab keys, and variants of them under other selectors. */
static char *build_keys(void)
{
	char *rsa = line_of(KEYS "lab-test-dkim-rsa2048.txt");
	char *ed = line_of(KEYS "lab-test-dkim-ed25519.txt");
	const char *rp = strstr(rsa, "p="), *ep = strstr(ed, "p=");
	char *rfc = td_conf_read("dkim/rfc8463/keys.txt", NULL);
	char *out;

	assert_non_null(rp);
	assert_non_null(ep);
	out = td_cat("rsa2048._domainkey.lab.example ", rsa, "\n",
		     "ed25519._domainkey.lab.example ", ed, "\n",
		     "revoked._domainkey.lab.example v=DKIM1; k=rsa; p=\n",
		     "kmismatch._domainkey.lab.example v=DKIM1; k=ed25519; ", rp, "\n",
		     "ktype._domainkey.lab.example v=DKIM1; k=dsa; ", rp, "\n",
		     "hsha1._domainkey.lab.example v=DKIM1; h=sha1; ", rp, "\n",
		     "hbad._domainkey.lab.example v=DKIM1; h=md5; ", rp, "\n",
		     "sother._domainkey.lab.example v=DKIM1; s=tlsrpt; ", rp, "\n",
		     "tstrict._domainkey.lab.example v=DKIM1; t=s; ", rp, "\n",
		     "ttest._domainkey.lab.example v=DKIM1; t=y:s; ", rp, "\n",
		     "v2._domainkey.lab.example v=DKIM2; ", rp, "\n",
		     "badp._domainkey.lab.example v=DKIM1; p=!!!!\n",
		     "nop._domainkey.lab.example v=DKIM1; k=rsa\n",
		     "syntax._domainkey.lab.example v=DKIM1; p\n",
		     "dupkey._domainkey.lab.example v=DKIM1; k=rsa; k=rsa; ", rp, "\n",
		     "dupkey2._domainkey.lab.example v=DKIM1; K=ed25519; k=rsa; ", rp, "\n",
		     "dupkey3._domainkey.lab.example v=DKIM1; k=ed25519; k=rsa; ", rp, "\n",
		     "dupkey4._domainkey.lab.example v=DKIM1; k=rsa; S=x; s=email; Ss=y; ", rp, "\n",
		     "dupkey5._domainkey.lab.example v=DKIM1; s=email; S=tlsrpt; ", rp, "\n",
		     "edasrsa._domainkey.lab.example v=DKIM1; k=rsa; ", ep, "\n",
		     "servfail._domainkey.lab.example ~~SERVFAIL~~\n",
		     "timeout._domainkey.lab.example ~~Query timed out~~\n",
		     rfc != NULL ? rfc : "", "\n", NULL);
	free(rsa);
	free(ed);
	free(rfc);
	return out;
}

static EVP_PKEY *load_key(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	assert_non_null(k);
	return k;
}

/* Split an LF message into NUL-ended CRLF fields and a CRLF body. */
static size_t split(const char *msg, char **fields_r, size_t *flen_r, char **body_r,
		    size_t *blen_r)
{
	size_t len = strlen(msg), i = 0, n = 0, b = 0;
	char *f = xmalloc(2 * len + 2), *body = xmalloc(2 * len + 2);

	while (i < len && msg[i] != '\n') {
		for (;;) {
			if (msg[i] == '\n') {
				if (i + 1 < len && (msg[i + 1] == ' ' || msg[i + 1] == '\t')) {
					f[n++] = '\r';
					f[n++] = '\n';
					i++;
					continue;
				}
				i++;
				break;
			}
			f[n++] = msg[i++];
		}
		f[n++] = '\0';
	}
	if (i < len)
		i++;
	for (; i < len; i++) {
		if (msg[i] == '\n')
			body[b++] = '\r';
		body[b++] = msg[i];
	}
	*fields_r = f;
	*flen_r = n;
	*body_r = body;
	*blen_r = b;
	return n;
}

/* Sign an LF message with messec's own signer; returns a CRLF message. */
static char *own_sign(const char *msg, const char *pem, const char *selector, int hrel,
		      int brel)
{
	static const char *const headers[] = {"From", "To", "Subject", "Date", "Message-ID",
					      "Content-Type", NULL};
	static const char *const oversign[] = {"From", "Subject", NULL};
	struct ma_dkim_ossl_args a;
	struct ma_canon_body cb;
	unsigned char bh[32];
	char *fields, *body, *sig, *out, *crlf;
	size_t flen, blen, i, n = 0;
	const char *error = NULL;

	split(msg, &fields, &flen, &body, &blen);
	assert_int_equal(ma_canon_body_init(&cb, brel), 0);
	assert_int_equal(ma_canon_body_update(&cb, (unsigned char *)body, blen), 0);
	assert_int_equal(ma_canon_body_final(&cb, bh), 0);
	memset(&a, 0, sizeof(a));
	a.key = load_key(pem);
	a.domain = "lab.example";
	a.selector = selector;
	a.relaxed_header = hrel;
	a.relaxed_body = brel;
	a.bh = bh;
	a.fields = fields;
	a.fields_len = flen;
	a.headers = headers;
	a.oversign = oversign;
	a.t = 1796200000ULL;
	a.fold = 1;
	sig = ma_dkim_ossl_sign(&a, &error);
	if (sig == NULL)
		fail_msg("own signer: %s", error);
	EVP_PKEY_free(a.key);
	crlf = xmalloc(2 * strlen(sig) + 1);
	for (i = 0; sig[i] != '\0'; i++) {
		if (sig[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = sig[i];
	}
	crlf[n] = '\0';
	out = td_cat("DKIM-Signature: ", crlf, "\r\n", msg, NULL);
	free(crlf);
	free(sig);
	free(fields);
	free(body);
	return out;
}

static const char *const bodies[] = {
	"Hello  world \n\tindented\n\n\n",
	"",
	"\n\n\n",
	"8-bit: caf\xc3\xa9 \xe2\x82\xac\nline two\n",
	"a very long line: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
};

static char *plain_message(const char *body)
{
	return td_cat("From: Alice <alice@lab.example>\n"
		      "To: bob@example.net\n"
		      "Subject:  folded\n\tsubject   line\n"
		      "Date: Wed, 02 Dec 2026 12:00:00 +0000\n"
		      "Message-ID: <diff@lab.example>\n"
		      "Content-Type: text/plain; charset=utf-8\n"
		      "\n", body, NULL);
}

struct diff {
	char *first;		/* first difference, for the failure message */
	size_t count;
};

static void sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f)
			s[i] = '.';
}

static int same_reason(const char *a, const char *b)
{
	static const char unusable[] = "message header unusable";

	if (strncmp(a, unusable, strlen(unusable)) == 0 &&
	    strncmp(b, unusable, strlen(unusable)) == 0)
		return 1;
	return strcmp(a, b) == 0;
}

/* Verify msg (CRLF or LF) with both engines; record any difference. */
static void compare(const char *msg, const char *label, struct diff *d)
{
	const char *e1 = NULL, *e2 = NULL;
	struct ma_dkim_verify *a = td_run_quiet(lib_odk, msg, strlen(msg), &e1);
	struct ma_dkim_verify *b = td_run_quiet(lib_own, msg, strlen(msg), &e2);
	char why[2048] = "";
	size_t i;

	compared_msgs++;
	if ((a == NULL) != (b == NULL)) {
		snprintf(why, sizeof(why), "internal error in one engine: %s / %s",
			 e1 != NULL ? e1 : "-", e2 != NULL ? e2 : "-");
	} else if (a != NULL && ma_dkim_verify_count(a) != ma_dkim_verify_count(b)) {
		snprintf(why, sizeof(why), "count %zu / %zu", ma_dkim_verify_count(a),
			 ma_dkim_verify_count(b));
	} else if (a != NULL) {
		for (i = 0; i < ma_dkim_verify_count(a) && why[0] == '\0'; i++) {
			const struct ma_dkim_sig *x = ma_dkim_verify_sig(a, i);
			const struct ma_dkim_sig *y = ma_dkim_verify_sig(b, i);

			compared_sigs++;
			if ((unsigned)y->result <= MA_DKIM_PERMERROR)
				by_result[y->result]++;
			if (x->result != y->result || strcmp(x->domain, y->domain) != 0 ||
			    strcmp(x->selector, y->selector) != 0 ||
			    strcmp(x->algorithm, y->algorithm) != 0 ||
			    strcmp(x->b_prefix, y->b_prefix) != 0 ||
			    !same_reason(x->reason, y->reason) || x->key_bits != y->key_bits)
				snprintf(why, sizeof(why),
					 "sig %zu: opendkim %s d=%s s=%s a=%s b=%s bits=%u (%s) / "
					 "messec %s d=%s s=%s a=%s b=%s bits=%u (%s)", i,
					 ma_dkim_result_name(x->result), x->domain, x->selector,
					 x->algorithm, x->b_prefix, x->key_bits, x->reason,
					 ma_dkim_result_name(y->result), y->domain, y->selector,
					 y->algorithm, y->b_prefix, y->key_bits, y->reason);
		}
	}
	if (why[0] != '\0') {
		d->count++;
		if (d->first == NULL) {
			char head[400];

			str_copy(head, msg, sizeof(head));
			sanitize(head, sizeof(head));
			d->first = td_cat(label, ": ", why, "\n  message: ", head, NULL);
		}
	}
	ma_dkim_verify_free(&a);
	ma_dkim_verify_free(&b);
}

/* The message with the first occurrence of from replaced by to (or NULL). */
static char *replace(const char *msg, const char *from, const char *to)
{
	const char *p = strstr(msg, from);
	char *head, *out;

	if (p == NULL)
		return NULL;
	head = xstrndup(msg, (size_t)(p - msg));
	out = td_cat(head, to, p + strlen(from), NULL);
	free(head);
	return out;
}

/* Replace the value of tag in the first DKIM-Signature ("" = remove). */
static char *set_tag(const char *msg, const char *tag, const char *value)
{
	char pat[16];
	const char *p, *end;
	char *head, *out;

	snprintf(pat, sizeof(pat), " %s=", tag);
	if ((p = strstr(msg, pat)) == NULL) {
		snprintf(pat, sizeof(pat), ";%s=", tag);
		if ((p = strstr(msg, pat)) == NULL)
			return NULL;
	}
	p++;
	end = p + strcspn(p, ";");
	head = xstrndup(msg, (size_t)(p - msg));
	if (value == NULL)
		out = td_cat(head, *end == ';' ? end + 1 : end, NULL);
	else
		out = td_cat(head, tag, "=", value, end, NULL);
	free(head);
	return out;
}

struct mutation {
	const char *name;
	const char *from, *to;		/* plain replacement */
	const char *tag, *value;	/* or: set tag (value NULL: remove) */
};

static const struct mutation mutations[] = {
	{"body altered", "\r\n\r\n", "\r\n\r\nX", NULL, NULL},
	{"header altered", "Date: Wed", "Date: Thu", NULL, NULL},
	{"From altered", "alice@", "alicE@", NULL, NULL},
	{"field added above", "From:", "To: eve@example.org\r\nFrom:", NULL, NULL},
	{"wrong bh", NULL, NULL, "bh", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
	{"bh not base64", NULL, NULL, "bh", "!!!"},
	{"expired x=", "v=1;", "v=1; x=1000000000;", NULL, NULL},
	{"x= before t=", "v=1;", "v=1; x=1796100000;", NULL, NULL},
	{"future t=", NULL, NULL, "t", "9999999999"},
	{"t= tiny (libopendkim wraps)", NULL, NULL, "t", "5"},
	{"t= junk", NULL, NULL, "t", "12abc"},
	{"revoked key", NULL, NULL, "s", "revoked"},
	{"k= mismatch", NULL, NULL, "s", "kmismatch"},
	{"k= unknown", NULL, NULL, "s", "ktype"},
	{"key h=sha1", NULL, NULL, "s", "hsha1"},
	{"key h=md5", NULL, NULL, "s", "hbad"},
	{"key s=tlsrpt", NULL, NULL, "s", "sother"},
	{"key t=s", NULL, NULL, "s", "tstrict"},
	{"key t=y:s", NULL, NULL, "s", "ttest"},
	{"key v=DKIM2", NULL, NULL, "s", "v2"},
	{"key p= not base64", NULL, NULL, "s", "badp"},
	{"key without p=", NULL, NULL, "s", "nop"},
	{"key syntax error", NULL, NULL, "s", "syntax"},
	{"key repeats a tag", NULL, NULL, "s", "dupkey"},
	{"key K= and k=", NULL, NULL, "s", "dupkey2"},
	{"key k= twice, last wins", NULL, NULL, "s", "dupkey3"},
	{"key S=, s=, Ss=", NULL, NULL, "s", "dupkey4"},
	{"key s=email then S=tlsrpt", NULL, NULL, "s", "dupkey5"},
	{"Ed25519 key for RSA", NULL, NULL, "s", "edasrsa"},
	{"no key (NXDOMAIN)", NULL, NULL, "s", "nosuchkey"},
	{"SERVFAIL", NULL, NULL, "s", "servfail"},
	{"timeout", NULL, NULL, "s", "timeout"},
	{"missing v=", NULL, NULL, "v", NULL},
	{"v=2", NULL, NULL, "v", "2"},
	{"missing a=", NULL, NULL, "a", NULL},
	{"a=rsa-sha1", NULL, NULL, "a", "rsa-sha1"},
	{"a=bogus", NULL, NULL, "a", "bogus"},
	{"A=RSA-SHA256 (case)", NULL, NULL, "a", "RSA-SHA256"},
	{"missing d=", NULL, NULL, "d", NULL},
	{"empty d=", NULL, NULL, "d", ""},
	{"d= other domain", NULL, NULL, "d", "example.net"},
	{"d= not a name", NULL, NULL, "d", "lab.example(.evil"},
	{"missing s=", NULL, NULL, "s", NULL},
	{"missing h=", NULL, NULL, "h", NULL},
	{"h= without From", NULL, NULL, "h", "to:subject"},
	{"h= empty", NULL, NULL, "h", ""},
	{"h= with absent names", NULL, NULL, "h", "from:x-none:to:x-none:reply-to"},
	{"missing bh=", NULL, NULL, "bh", NULL},
	{"missing b=", NULL, NULL, "b", NULL},
	{"empty b=", NULL, NULL, "b", ""},
	{"b= two chars", NULL, NULL, "b", "AB"},
	{"b= truncated", NULL, NULL, "b", "dGVzdA"},
	{"c= flipped", NULL, NULL, "c", "simple/relaxed"},
	{"c= relaxed only", NULL, NULL, "c", "relaxed"},
	{"c= bogus", NULL, NULL, "c", "fancy/simple"},
	{"c= bad body", NULL, NULL, "c", "relaxed/"},
	{"l=0", "v=1;", "v=1; l=0;", NULL, NULL},
	{"l=5", "v=1;", "v=1; l=5;", NULL, NULL},
	{"l= too large", "v=1;", "v=1; l=999999;", NULL, NULL},
	{"l= negative", "v=1;", "v=1; l=-1;", NULL, NULL},
	{"l= junk", "v=1;", "v=1; l=12x;", NULL, NULL},
	{"q=dns", "v=1;", "v=1; q=dns;", NULL, NULL},
	{"q=http", "v=1;", "v=1; q=http/get;", NULL, NULL},
	{"q=dns/txt:x", "v=1;", "v=1; q=dns/txt:x;", NULL, NULL},
	{"i= inside d=", "v=1;", "v=1; i=bob@sub.lab.example;", NULL, NULL},
	{"i= outside d=", "v=1;", "v=1; i=bob@example.net;", NULL, NULL},
	{"i= no @", "v=1;", "v=1; i=lab.example;", NULL, NULL},
	{"i= quoted-printable", "v=1;", "v=1; i=b=3Db@lab.example;", NULL, NULL},
	{"i= bad escape", "v=1;", "v=1; i=b=zzb@lab.example;", NULL, NULL},
	{"unknown tag", "v=1;", "v=1; zz=whatever;", NULL, NULL},
	{"repeated tag", "v=1;", "v=1; d=lab.example;", NULL, NULL},
	{"repeated tag, other case", "v=1;", "v=1; D=lab.example;", NULL, NULL},
	{"tag without =", "v=1;", "v=1; novalue;", NULL, NULL},
	{"space inside a tag name", "v=1;", "v=1; z z=1;", NULL, NULL},
	{"8-bit in the signature", "v=1;", "v=1; z=\xc3\xa9;", NULL, NULL},
	{"tag name starting with -", "v=1;", "v=1; -z=1;", NULL, NULL},
	{"trailing ; and spaces", "DKIM-Signature: ", "DKIM-Signature:  ; ", NULL, NULL},
	{"tab before the colon", "DKIM-Signature:", "DKIM-Signature\t:", NULL, NULL},
	{"space before the colon", "DKIM-Signature:", "DKIM-Signature :", NULL, NULL},
	{"lower-case field name", "DKIM-Signature:", "dkim-signature:", NULL, NULL},
	{"second From", "From:", "From: mallory@evil.example\r\nFrom:", NULL, NULL},
	{"no From", "From:", "X-From:", NULL, NULL},
	{"xb= strips like b=", "v=1;", "v=1; xb=abc;", NULL, NULL},
};

static char *mutate(const char *msg, const struct mutation *m)
{
	if (m->from != NULL)
		return replace(msg, m->from, m->to);
	return set_tag(msg, m->tag, m->value);
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random edit of the first DKIM-Signature value (no CR, LF, VT, FF). */
static char *random_edit(const char *msg)
{
	static const char alphabet[] = "abcdhilqstvxzABK019=;:/+-.@ \t";
	const char *start = strstr(msg, "DKIM-Signature:");
	size_t off, end, len = strlen(msg);
	char *out;

	if (start == NULL)
		return NULL;
	off = (size_t)(start - msg) + 15;
	end = off;
	while (end < len && !(msg[end] == '\r' && end + 2 < len && msg[end + 2] != ' ' &&
			      msg[end + 2] != '\t'))
		end++;
	if (end <= off + 1)
		return NULL;
	out = xmalloc(len + 8);
	memcpy(out, msg, len + 1);
	switch (rnd(4)) {
	case 0: {			/* replace a byte (not inside a CRLF) */
		size_t p = off + rnd((unsigned)(end - off));

		if (out[p] != '\r' && out[p] != '\n')
			out[p] = alphabet[rnd(sizeof(alphabet) - 1)];
		break;
	}
	case 1: {			/* delete a byte */
		size_t p = off + rnd((unsigned)(end - off));

		if (out[p] != '\r' && out[p] != '\n')
			memmove(out + p, out + p + 1, len - p);
		break;
	}
	case 2: {			/* insert a byte */
		size_t p = off + rnd((unsigned)(end - off));

		if (out[p] != '\n') {
			memmove(out + p + 1, out + p, len - p + 1);
			out[p] = alphabet[rnd(sizeof(alphabet) - 1)];
		}
		break;
	}
	default: {			/* swap two bytes */
		size_t p = off + rnd((unsigned)(end - off)), q = off + rnd((unsigned)(end - off));
		char c = out[p];

		if (c != '\r' && c != '\n' && out[q] != '\r' && out[q] != '\n') {
			out[p] = out[q];
			out[q] = c;
		}
		break;
	}
	}
	return out;
}

static int setup(void **state)
{
	struct ma_dkim_config c;

	(void)state;
	keys = build_keys();
	rsa_pem = td_read(KEYS "lab-test-dkim-rsa2048.key", NULL);
	ed_pem = td_read(KEYS "lab-test-dkim-ed25519.key", NULL);
	if (rsa_pem == NULL || ed_pem == NULL)
		return -1;
	/* td_lib() takes the engine from td_engine */
	ma_dkim_config_defaults(&c);
	td_engine = MA_DKIM_VERIFY_OPENDKIM;
	lib_odk = td_lib(keys, &c);
	td_engine = MA_DKIM_VERIFY_MESSEC;
	lib_own = td_lib(keys, &c);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ma_dkim_lib_free(&lib_odk);
	ma_dkim_lib_free(&lib_own);
	free(keys);
	free(rsa_pem);
	free(ed_pem);
	return 0;
}

/* The base corpus (CRLF messages), count in *n_r; caller frees. */
static char **base_corpus(size_t *n_r)
{
	static const char *const fixtures[] = {
		"dkimpy-rsa-relaxed", "dkimpy-rsa-simple", "dkimpy-rsa-l", "dkimpy-rsa-identity",
		"dkimpy-ed25519-relaxed", "dkimpy-ed25519-simple", "dkimpy-two-signatures",
	};
	char **out = xcalloc(64, sizeof(*out));
	size_t n = 0, i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *m = plain_message(bodies[i]);

		out[n++] = own_sign(m, rsa_pem, "rsa2048", 1, 1);
		out[n++] = own_sign(m, rsa_pem, "rsa2048", 0, 0);
		out[n++] = own_sign(m, ed_pem, "ed25519", 1, 1);
		out[n++] = own_sign(m, ed_pem, "ed25519", 0, 1);
		out[n++] = td_sign(m, rsa_pem, "rsa2048", "lab.example", DKIM_SIGN_RSASHA256, 1);
		out[n++] = td_sign(m, rsa_pem, "rsa2048", "lab.example", DKIM_SIGN_RSASHA256, 0);
		out[n++] = td_sign(m, ed_pem, "ed25519", "lab.example", DKIM_SIGN_ED25519SHA256, 1);
		if (i == 0)	/* verifies, then policy (RFC 8301 3.1) */
			out[n++] = td_sign(m, rsa_pem, "rsa2048", "lab.example",
					   DKIM_SIGN_RSASHA1, 1);
		free(m);
	}
	/* two signatures of different signers on one message */
	{
		char *m = plain_message(bodies[0]);
		char *one = own_sign(m, ed_pem, "ed25519", 1, 1);
		char *two = td_sign(m, rsa_pem, "rsa2048", "lab.example", DKIM_SIGN_RSASHA256, 1);

		two[strlen(two) - strlen(m)] = '\0';	/* its DKIM-Signature field */
		out[n++] = td_cat(two, one, NULL);
		free(one);
		free(two);
		free(m);
	}
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char *path = td_cat(DIFF_DIR, fixtures[i], ".eml", NULL);

		out[n] = td_read(path, NULL);
		if (out[n] == NULL)
			fail_msg("%s missing", path);
		n++;
		free(path);
	}
	{
		char *rfc = td_conf_read("dkim/rfc8463/message-signed.eml", NULL);

		if (rfc != NULL)
			out[n++] = rfc;
	}
	*n_r = n;
	return out;
}

static void test_differential(void **state)
{
	struct diff d = {NULL, 0};
	size_t n, i, j, mutated = 0;
	char **corpus = base_corpus(&n);

	(void)state;
	for (i = 0; i < n; i++) {
		compare(corpus[i], "base", &d);
		for (j = 0; j < sizeof(mutations) / sizeof(mutations[0]); j++) {
			char *m = mutate(corpus[i], &mutations[j]);

			if (m == NULL)
				continue;
			mutated++;
			compare(m, mutations[j].name, &d);
			free(m);
		}
	}
	for (j = 0; j < RANDOM_ROUNDS; j++) {
		char *m = random_edit(corpus[rnd((unsigned)n)]);
		unsigned extra = rnd(3);

		while (m != NULL && extra-- > 0) {
			char *m2 = random_edit(m);

			free(m);
			m = m2;
		}
		if (m == NULL)
			continue;
		compare(m, "random edit", &d);
		free(m);
	}
	print_message("# differential: %zu base messages, %zu mutated, %u random; "
		      "%zu messages, %zu signatures compared; %zu differ\n",
		      n, mutated, RANDOM_ROUNDS, compared_msgs, compared_sigs, d.count);
	print_message("# results: pass %zu, fail %zu, policy %zu, neutral %zu, temperror %zu, "
		      "permerror %zu\n", by_result[MA_DKIM_PASS], by_result[MA_DKIM_FAIL],
		      by_result[MA_DKIM_POLICY], by_result[MA_DKIM_NEUTRAL],
		      by_result[MA_DKIM_TEMPERROR], by_result[MA_DKIM_PERMERROR]);
	/* the corpus must exercise every kind of verdict */
	for (i = MA_DKIM_PASS; i <= MA_DKIM_PERMERROR; i++)
		assert_true(by_result[i] > 0);
	for (i = 0; i < n; i++)
		free(corpus[i]);
	free(corpus);
	if (d.count > 0) {
		print_error("%s\n", d.first);
		free(d.first);
		fail_msg("%zu messages verified differently by the two engines", d.count);
	}
	assert_true(compared_sigs > 1000);
}

int td_diff_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests_name("dkim_engines_differential", tests, setup, teardown);
}
