/*++
 * NAME
 *	fuzz_dkim_sign 1
 * SUMMARY
 *	libFuzzer target: messec's DKIM signer (dkim_canon.c,
 *	dkim_sign_ossl.c) against libopendkim, signature for signature
 * DESCRIPTION
 *	Input: one flag byte (bit 0 relaxed header, bit 1 relaxed body, bit 2
 *	Ed25519), then a message: header lines up to an empty line ("Name:
 *	value", continuation lines start with SP or HTAB), then the body
 *	(each bare LF made CRLF and a CRLF added at the end when missing, as
 *	a milter gets it from Postfix). Fed as libmilter gives it to both engines
 *	(dkim_sign.h: the value's exact bytes after the colon) with
 *	the same keys (tests/lab/keys/, run from the repository root) and
 *	t=, one-line values: they must be identical byte for byte, except
 *	where libopendkim is known wrong (docs/dkim.md pitfalls 11 and 15:
 *	Ed25519 with simple header canonicalization; a lone CR in a relaxed
 *	body; CR, VT or FF in a relaxed header value) or refuses the header (then only the own signer
 *	runs). The own
 *	signer's folded output is made too (no crash, no leak).
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "messec/str.h"
#include "dkim_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* gcc says __SANITIZE_ADDRESS__, clang 14 __has_feature(address_sanitizer) */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
/*
 * LeakSanitizer: libopendkim (the reference engine here) leaks the
 * EVP_PKEY of every Ed25519 key it signs with (docs/dkim.md pitfall 13).
 * Exactly that leak is suppressed (slow unwinding for the whole stack);
 * a leak of the own signer still fails.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:dkim_privkey_load\n";
}
#endif

#define MAX_FIELDS 64
#define MAX_VALUE 4096

/* [engine: 0 own one-line, 1 libopendkim one-line, 2 own folded][ed][h][b] */
static struct ma_dkim_signer *signers[3][2][2][2];

static void copy_key(const char *src, const char *dst)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(src, "r"), *out;

	if (in == NULL) {
		perror(src);
		abort();
	}
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	if ((out = fopen(dst, "w")) == NULL || fwrite(buf, 1, n, out) != n || fclose(out) != 0 ||
	    chmod(dst, 0600) != 0) {
		perror(dst);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR"), *domains[2] = { "lab.example", NULL };
	char dir[4096], rsa[4200], ed[4200], entry[2][4300];
	int e, k, h, b;

	(void) argc;
	(void) argv;
	snprintf(dir, sizeof(dir), "%s/fuzz_dkim_sign.XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	snprintf(rsa, sizeof(rsa), "%s/rsa.key", dir);
	snprintf(ed, sizeof(ed), "%s/ed.key", dir);
	copy_key("tests/lab/keys/lab-test-dkim-rsa2048.key", rsa);
	copy_key("tests/lab/keys/lab-test-dkim-ed25519.key", ed);
	snprintf(entry[0], sizeof(entry[0]), "lab.example:rsa2048:%s", rsa);
	snprintf(entry[1], sizeof(entry[1]), "lab.example:ed25519:%s", ed);
	for (e = 0; e < 3; e++)
		for (k = 0; k < 2; k++)
			for (h = 0; h < 2; h++)
				for (b = 0; b < 2; b++) {
					const char *keys[2] = { entry[k], NULL };
					struct ma_dkim_sign_config c;

					if (e == 1 && k == 1 && h == 0)
						continue;	/* refused: pitfall 11 */
					memset(&c, 0, sizeof(c));
					c.keys = keys;
					c.domains = domains;
					c.relaxed_header = h;
					c.relaxed_body = b;
					c.engine = e == 1 ? MA_DKIM_ENGINE_OPENDKIM :
						MA_DKIM_ENGINE_MESSEC;
					c.key_owner = geteuid();
					c.fixed_time = 1764655200ULL;
					c.no_fold = e != 2;
					if ((signers[e][k][h][b] = ma_dkim_signer_new(&c, stderr)) == NULL)
						abort();
				}
	unlink(rsa);
	unlink(ed);
	rmdir(dir);
	return 0;
}

struct field {
	char name[256];
	char value[MAX_VALUE];
};

/* The values (joined by LF) made by signer s, or NULL if it refused. */
static char *sign(struct ma_dkim_signer *s, const struct field *f, size_t nf,
		  const unsigned char *body, size_t blen)
{
	struct ma_dkim_sign *g = ma_dkim_sign_new(s, "FUZZ", 1024 * 1024);
	const char *error = NULL;
	char *out = NULL;
	size_t i, off, len = 0;

	for (i = 0; i < nf; i++)
		if (ma_dkim_sign_header(g, f[i].name, f[i].value, &error) != 0)
			goto done;
	if (ma_dkim_sign_eoh(g, ma_dkim_signer_match(s, "lab.example"), &error) != 0)
		goto done;
	/* chunks of 1, 2, 3... bytes: a CRLF split anywhere */
	for (off = 0, i = 1; off < blen; off += i, i = i % 7 + 1)
		if (ma_dkim_sign_body(g, body + off, blen - off < i ? blen - off : i, &error) != 0)
			goto done;
	if (ma_dkim_sign_eom(g, &error) != 0)
		goto done;
	for (i = 0; i < ma_dkim_sign_count(g); i++)
		len += strlen(ma_dkim_sign_value(g, i)) + 1;
	out = xcalloc(1, len + 1);
	for (i = 0; i < ma_dkim_sign_count(g); i++) {
		strcat(out, ma_dkim_sign_value(g, i));
		strcat(out, "\n");
	}
done:
	ma_dkim_sign_free(&g);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct field f[MAX_FIELDS];
	const unsigned char *p, *end = data + size;
	unsigned char *body;
	size_t nf = 0, blen, i;
	int h, b, k, lone_cr = 0, hdr_cr = 0;
	char *own, *lib, *folded;

	if (size < 1 || memchr(data, '\0', size) != NULL)
		return 0;
	h = data[0] & 1;
	b = (data[0] >> 1) & 1;
	k = (data[0] >> 2) & 1;
	/* header lines */
	for (p = data + 1; p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n');) {
		const unsigned char *eol = memchr(p, '\n', (size_t) (end - p));
		const unsigned char *colon;
		size_t n;

		if (eol == NULL)
			eol = end;
		n = (size_t) (eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((*p == ' ' || *p == '\t') && nf > 0) {
			/* a continuation line */
			size_t vl = strlen(f[nf - 1].value);

			if (vl + n + 2 < MAX_VALUE) {
				f[nf - 1].value[vl] = '\n';
				memcpy(f[nf - 1].value + vl + 1, p, n);
				f[nf - 1].value[vl + 1 + n] = '\0';
			}
		} else if ((colon = memchr(p, ':', n)) != NULL && colon > p &&
			   (size_t) (colon - p) < sizeof(f[0].name) && nf < MAX_FIELDS) {
			const unsigned char *v = colon + 1;
			size_t vn = n - (size_t) (v - p);

			/* as libmilter gives it with SMFIP_HDR_LEADSPC: all of it */
			memcpy(f[nf].name, p, (size_t) (colon - p));
			f[nf].name[colon - p] = '\0';
			if (vn >= MAX_VALUE)
				vn = MAX_VALUE - 1;
			memcpy(f[nf].value, v, vn);
			f[nf].value[vn] = '\0';
			nf++;
		}
		p = eol < end ? eol + 1 : end;
	}
	if (p < end)
		p += *p == '\r' ? 2 : 1;	/* the empty line */
	if (p > end)
		p = end;
	/* the body as a milter gets it from Postfix: lines end in CRLF (a
	   bare LF ends a line in SMTP input), a CR alone stays */
	body = xmalloc(2 * (size_t) (end - p) + 2);
	for (blen = 0; p < end; p++) {
		if (*p == '\n' && (blen == 0 || body[blen - 1] != '\r'))
			body[blen++] = '\r';
		body[blen++] = *p;
	}
	if (blen < 2 || body[blen - 2] != '\r' || body[blen - 1] != '\n') {
		body[blen++] = '\r';
		body[blen++] = '\n';
	}
	for (i = 0; i < blen; i++)
		if (body[i] == '\r' && (i + 1 == blen || body[i + 1] != '\n'))
			lone_cr = 1;
	for (i = 0; i < nf; i++)
		if (strpbrk(f[i].value, "\r\v\f") != NULL)	/* isspace() but not WSP */
			hdr_cr = 1;
	own = sign(signers[0][k][h][b], f, nf, body, blen);
	folded = sign(signers[2][k][h][b], f, nf, body, blen);
	lib = signers[1][k][h][b] != NULL ? sign(signers[1][k][h][b], f, nf, body, blen) : NULL;
	if (own == NULL || folded == NULL) {
		fprintf(stderr, "fuzz_dkim_sign: the own signer failed\n");
		abort();
	}
	if (lib != NULL && !(b && lone_cr) && !(h && hdr_cr) && strcmp(own, lib) != 0) {
		fprintf(stderr, "fuzz_dkim_sign: signatures differ\nmessec:      %s\nlibopendkim: %s\n",
			own, lib);
		abort();
	}
	free(own);
	free(lib);
	free(folded);
	free(body);
	return 0;
}
