/*++
 * NAME
 *	fuzz_authres 1
 * SUMMARY
 *	libFuzzer target for milter-auth/authres.c
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_authres -max_total_time=300 tests/fuzz/corpus/authres
 * DESCRIPTION
 *	Each input is used twice:
 *	- as an existing header field value for ma_authres_authserv_id();
 *	- split at NUL bytes into the fields of a struct ma_authres (authserv-id,
 *	  spf, up to two DKIM signatures, dmarc) for ma_authres_build().
 *	The build output must then hold the injection-safety properties: no
 *	CR, every LF followed by TAB (a fold), no other control or 8-bit byte,
 *	and our own parser must read an authserv-id back. Then the output is
 *	read back as a receiver splits it (milter-auth/tests/ar_parse.h:
 *	units, quoted-strings, unquoted ";"): exactly the resinfos written
 *	(spf when it has a result, one dkim per signature or dkim=none,
 *	dmarc when it has a result), in that order, each result the one
 *	given or "permerror" when that is not a keyword, and every property
 *	value whole. A violation aborts.
 *	The seeds (tests/fuzz/seeds/authres/) hold the field values of
 *	the RFC 8601 Appendix B examples and of our own builder output.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "messec/sbuf.h"
#include "authres.h"
#include "../../milter-auth/tests/ar_parse.h"

#define FIELDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The result the builder must write: the given keyword, else permerror. */
static const char *want_result(const char *result)
{
	size_t i, len = strlen(result);

	if (len == 0 || len > 32)
		return "permerror";
	for (i = 0; i < len; i++) {
		char ch = result[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return "permerror";
	}
	return result;
}

/* Resinfos read back == resinfos written (method and result, in order). */
static void check_structure(const char *out, size_t len, const struct ma_authres *ar)
{
	const char *methods[AR_PARSE_MAX], *results[AR_PARSE_MAX];
	struct ar_parsed r;
	size_t n = 0, i;

	if (ar->spf_result != NULL)
		methods[n] = "spf", results[n++] = want_result(ar->spf_result);
	if (ar->n_dkim == 0)
		methods[n] = "dkim", results[n++] = "none";
	for (i = 0; i < ar->n_dkim; i++)
		methods[n] = "dkim", results[n++] = want_result(ar->dkim[i].result);
	if (ar->dmarc_result != NULL)
		methods[n] = "dmarc", results[n++] = want_result(ar->dmarc_result);
	if (ar_parse(out, len, &r) != (int)n)
		abort();
	for (i = 0; i < n; i++) {
		/* A-R results are case-insensitive (RFC 8601 2.2); ours are as given. */
		if (strcmp(r.method[i], methods[i]) != 0 || strcasecmp(r.result[i], results[i]) != 0)
			abort();
	}
}

static void check_output(const char *out, size_t len)
{
	char id[512];
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)out[i];

		if (ch == '\r' || ch >= 0x7f || ch == '\0')
			abort();
		if (ch == '\n' && (i + 1 >= len || out[i + 1] != '\t'))
			abort();
		if (ch < 0x20 && ch != '\n' && !(ch == '\t' && i > 0 && out[i - 1] == '\n'))
			abort();
	}
	if (ma_authres_authserv_id(out, len, id, sizeof(id)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[FIELDS];
	struct ma_authres_dkim dkim[2];
	struct ma_authres ar;
	struct sbuf *out;
	char *copy, id[256];
	size_t i, n = 0, start = 0;

	(void)ma_authres_authserv_id((const char *)data, size, id, sizeof(id));

	/* NUL-separated fields; missing ones are NULL (method or property absent). */
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i <= size && n < FIELDS; i++) {
		if (i == size || copy[i] == '\0') {
			f[n++] = copy + start;
			start = i + 1;
		}
	}
	while (n < FIELDS)
		f[n++] = NULL;
	dkim[0] = (struct ma_authres_dkim){ f[5], f[6], f[7], f[8], f[9], f[10] };
	dkim[1] = (struct ma_authres_dkim){ f[11], f[12], "s", "rsa-sha256", f[13], NULL };
	ar = (struct ma_authres){ f[0], f[1], f[2], f[3], f[4],
		f[5] == NULL ? 0 : (f[11] == NULL ? 1 : 2), dkim, f[14], f[15], f[3] };
	out = sbuf_new(size % 2 ? 65536 : 300);	/* sometimes a tight cap */
	if (ma_authres_build(&ar, out) == 0) {
		check_output(sbuf_str(out), sbuf_len(out));
		check_structure(sbuf_str(out), sbuf_len(out), &ar);
	}
	sbuf_free(&out);
	free(copy);
	return 0;
}
