/*++
 * NAME
 *	fuzz_dkim_verify 1
 * SUMMARY
 *	libFuzzer target: DKIM verification, dkim_verify_engine = messec
 *	(dkim_vossl.c) against = opendkim, verdict for verdict
 * DESCRIPTION
 *	Input: a message (header fields up to an empty line, continuation
 *	lines starting with SP or HTAB, CRLF or LF; then the body, bare LFs
 *	made CRLF and a final CRLF added when missing, as Postfix gives it to
 *	a milter). Each raw field goes to
 *	ma_dkim_verify_header_raw() of both engines (same key records:
 *	dkim_keys.h and the lab keys, tests/lab/keys/, run from the
 *	repository root), then eoh, the body in 61-byte chunks, eom. Both
 *	must give the same number of signatures and, for each, the same
 *	result, d=, s=, a=, header.b, reason and key size; any difference
 *	aborts.
 *
 *	Compared only where libopendkim is not known wrong (docs/dkim.md
 *	pitfall 15): no CR, VT or FF in a header value other than in CRLF,
 *	no lone CR in the body. The reason after "message header unusable"
 *	(libopendkim's last error text) is compared up to that prefix.
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "messec/str.h"
#include "dkim_verify.h"
#include "dkim_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FIELDS_MAX 200
#define INPUT_MAX (256 * 1024)

static struct ma_dkim_lib *libs[2];	/* [0] opendkim, [1] messec */

static char *read_line(const char *path)
{
	char buf[4096];
	FILE *fp = fopen(path, "r");

	if (fp == NULL || fgets(buf, sizeof(buf), fp) == NULL) {
		perror(path);
		abort();
	}
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ma_dkim_config cfg;
	const char *error = NULL, *tmp = getenv("TMPDIR");
	char path[4096];
	char *rsa = read_line("tests/lab/keys/lab-test-dkim-rsa2048.txt");
	char *ed = read_line("tests/lab/keys/lab-test-dkim-ed25519.txt");
	FILE *fp;
	int fd, i;

	snprintf(path, sizeof(path), "%s/fuzz_dkim_verify.XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		perror(path);
		abort();
	}
	fprintf(fp, "%srsa2048._domainkey.lab.example %s\ned25519._domainkey.lab.example %s\n"
		"revoked._domainkey.lab.example v=DKIM1; p=\n"
		"servfail._domainkey.lab.example ~~SERVFAIL~~\n", fuzz_dkim_keys, rsa, ed);
	if (fclose(fp) != 0)
		abort();
	free(rsa);
	free(ed);
	for (i = 0; i < 2; i++) {
		ma_dkim_config_defaults(&cfg);
		cfg.key_file = path;
		cfg.engine = i == 0 ? MA_DKIM_VERIFY_OPENDKIM : MA_DKIM_VERIFY_MESSEC;
		cfg.allow_rsa_sha1 = 1;		/* reach the crypto of old corpora */
		cfg.min_rsa_bits = 512;
		cfg.max_header_bytes = 16384;	/* reach the overlong path */
		if ((libs[i] = ma_dkim_lib_new(&cfg, &error)) == NULL) {
			fprintf(stderr, "fuzz_dkim_verify: %s\n", error);
			abort();
		}
	}
	unlink(path);
	return 0;
}

struct field {
	const char *raw;
	size_t len;
};

/* Fields and body start; *comparable cleared on pitfall-15 bytes. */
static size_t split(const char *msg, size_t len, struct field *f, size_t *count_r,
		    int *comparable)
{
	size_t pos = 0, n = 0;

	*count_r = 0;
	while (pos < len && n < FIELDS_MAX) {
		size_t start = pos, end;

		*count_r = n;
		if (msg[pos] == '\n')
			return pos + 1;
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')
			return pos + 2;
		for (;;) {
			const char *nl = memchr(msg + pos, '\n', len - pos);

			if (nl == NULL) {
				pos = end = len;
				break;
			}
			pos = (size_t)(nl - msg) + 1;
			end = pos - 1;
			if (end > start && msg[end - 1] == '\r')
				end--;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t'))
				break;
		}
		for (size_t i = start; i < end; i++)
			if (msg[i] == '\v' || msg[i] == '\f' ||
			    (msg[i] == '\r' && (i + 1 >= end || msg[i + 1] != '\n')))
				*comparable = 0;
		f[n].raw = msg + start;
		f[n].len = end - start;
		n++;
	}
	*count_r = n;
	return pos;
}

static struct ma_dkim_verify *run(struct ma_dkim_lib *lib, const struct field *f, size_t n,
				  const char *body, size_t blen)
{
	const char *error = NULL;
	struct ma_dkim_verify *v = ma_dkim_verify_new(lib, "FUZZ01", &error);
	size_t i;

	if (v == NULL)
		abort();
	for (i = 0; i < n; i++)
		if (ma_dkim_verify_header_raw(v, f[i].raw, f[i].len, &error) != 0)
			goto internal;
	if (ma_dkim_verify_eoh(v, &error) != 0)
		goto internal;
	for (i = 0; i < blen; i += 61)
		if (ma_dkim_verify_body(v, (const unsigned char *)body + i,
					blen - i < 61 ? blen - i : 61, &error) != 0)
			goto internal;
	if (ma_dkim_verify_eom(v, &error) != 0)
		goto internal;
	return v;
internal:
	/* hostile input is never an internal error (dkim_verify.h) */
	fprintf(stderr, "internal error: %s\n", error);
	abort();
}

static int same_reason(const char *a, const char *b)
{
	static const char unusable[] = "message header unusable";

	if (strncmp(a, unusable, sizeof(unusable) - 1) == 0 &&
	    strncmp(b, unusable, sizeof(unusable) - 1) == 0)
		return 1;
	return strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct field f[FIELDS_MAX] = {{NULL, 0}};
	struct ma_dkim_verify *a, *b;
	size_t n = 0, off, i, blen = 0;
	char *msg, *body;
	int comparable = 1;

	if (size > INPUT_MAX)
		return 0;
	msg = xmalloc(size + 1);
	memcpy(msg, data, size);
	msg[size] = '\0';
	off = split(msg, size, f, &n, &comparable);
	body = xmalloc(2 * (size - off) + 3);
	for (i = off; i < size; i++) {
		if (msg[i] == '\n' && (i == off || msg[i - 1] != '\r'))
			body[blen++] = '\r';
		if (msg[i] == '\r' && (i + 1 >= size || msg[i + 1] != '\n'))
			comparable = 0;		/* lone CR: pitfall 15 */
		body[blen++] = msg[i];
	}
	/* Postfix ends every body with CRLF (RFC 5321 4.1.1.4); libopendkim
	   fails every signature without it (docs/dkim.md pitfall 17) */
	if (blen > 0 && (blen < 2 || body[blen - 2] != '\r' || body[blen - 1] != '\n')) {
		if (body[blen - 1] == '\r')
			blen--;
		body[blen++] = '\r';
		body[blen++] = '\n';
	}
	a = run(libs[0], f, n, body, blen);
	b = run(libs[1], f, n, body, blen);
	if (comparable) {
		if (ma_dkim_verify_count(a) != ma_dkim_verify_count(b)) {
			fprintf(stderr, "count %zu / %zu\n", ma_dkim_verify_count(a),
				ma_dkim_verify_count(b));
			abort();
		}
		for (i = 0; i < ma_dkim_verify_count(a); i++) {
			const struct ma_dkim_sig *x = ma_dkim_verify_sig(a, i);
			const struct ma_dkim_sig *y = ma_dkim_verify_sig(b, i);

			if (x->result != y->result || strcmp(x->domain, y->domain) != 0 ||
			    strcmp(x->selector, y->selector) != 0 ||
			    strcmp(x->algorithm, y->algorithm) != 0 ||
			    strcmp(x->b_prefix, y->b_prefix) != 0 ||
			    !same_reason(x->reason, y->reason) || x->key_bits != y->key_bits) {
				fprintf(stderr, "sig %zu: opendkim %s d=%s s=%s a=%s b=%s %u (%s) / "
					"messec %s d=%s s=%s a=%s b=%s %u (%s)\n", i,
					ma_dkim_result_name(x->result), x->domain, x->selector,
					x->algorithm, x->b_prefix, x->key_bits, x->reason,
					ma_dkim_result_name(y->result), y->domain, y->selector,
					y->algorithm, y->b_prefix, y->key_bits, y->reason);
				abort();
			}
		}
	}
	ma_dkim_verify_free(&a);
	ma_dkim_verify_free(&b);
	free(body);
	free(msg);
	return 0;
}
