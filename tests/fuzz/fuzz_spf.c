/*++
 * NAME
 *	fuzz_spf 1
 * SUMMARY
 *	libFuzzer target for the SPF record validator and macro expansion
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_spf -max_len=4096 tests/fuzz/corpus/spf
 * DESCRIPTION
 *	The whole input is an SPF record (TXT text from DNS: RFC 7208 section
 *	12) for ma_spf_record_validate(), spf_record_parse() and
 *	spf_record_is_spf(), in a buffer of exactly its size (no NUL after it,
 *	so ASan sees a read past len).
 *
 *	Split at NUL bytes, the fields are: macro-string, sender local-part,
 *	sender domain, HELO, client IP, receiver. The first is checked
 *	(spf_macro_check, spf_domain_spec_check) and expanded both as a
 *	domain-spec and as explain text (spf_macro_expand, RFC 7208 section 7)
 *	into an output buffer whose size the last input byte picks (tight
 *	sizes reach the overflow path); the context has no resolver, so %{p}
 *	is "unknown" and no DNS is ever asked. Checks:
 *	- validate and parse agree;
 *	- every parsed term points inside the record, cidr lengths in range;
 *	- an expansion result is NUL-terminated inside the buffer, and a
 *	  domain expansion is at most 253 octets (RFC 7208 7.3).
 *	A violation aborts.
 *--*/
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <messec/spf.h>
#include "spf_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 6

static int inside(const char *base, size_t len, const char *p, size_t plen)
{
	return p >= base && p <= base + len && plen <= (size_t)(base + len - p);
}

static void check_record(const char *text, size_t len)
{
	struct spf_record rec;
	const char *error = NULL, *error2 = NULL;
	int valid, parsed;
	size_t i;

	(void)spf_record_is_spf(text, len);
	valid = ma_spf_record_validate(text, len, &error);
	parsed = spf_record_parse(text, len, &rec, &error2);
	if ((valid == 0) != (parsed == 0))
		abort();
	if ((valid != 0 && error == NULL) || (parsed != 0 && error2 == NULL))
		abort();
	if (parsed != 0)
		return;
	for (i = 0; i < rec.count; i++) {
		const struct spf_term *t = &rec.terms[i];

		if (!inside(text, len, t->text, t->text_len) ||
		    (t->spec != NULL && !inside(text, len, t->spec, t->spec_len)))
			abort();
		if (t->cidr4 < -1 || t->cidr4 > 32 || t->cidr6 < -1 || t->cidr6 > 128)
			abort();
	}
	if ((rec.redirect != NULL && !inside(text, len, rec.redirect, rec.redirect_len)) ||
	    (rec.exp != NULL && !inside(text, len, rec.exp, rec.exp_len)))
		abort();
	spf_record_free(&rec);
}

static void expand(struct spf_macro_ctx *ctx, const char *s, size_t len,
		   bool explain, size_t out_size)
{
	char *out = malloc(out_size);
	const char *error = NULL;

	if (out == NULL)
		return;
	if (spf_macro_expand(ctx, s, len, explain, out, out_size, &error) == 0) {
		size_t n = strnlen(out, out_size);

		if (n == out_size || (!explain && n > SPF_MAX_DOMAIN))
			abort();
	} else if (error == NULL) {
		abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t out_sizes[4] = { 1, 16, 300, 8192 };
	const char *field[FIELDS] = { "", "user", "example.com", "mx.example.com",
				      "192.0.2.3", NULL };
	struct spf_macro_ctx ctx;
	struct spf_ip ip;
	char *record, *copy, sender[1024], *macro;
	const char *error;
	size_t n = 0, start = 0, i, mlen;

	/* The record, exactly len bytes. */
	if ((record = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(record, data, size);
	check_record(record, size);
	free(record);

	/* NUL-separated fields for the macro context. */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i <= size && n < FIELDS; i++) {
		if (i == size || copy[i] == '\0') {
			field[n++] = copy + start;
			start = i + 1;
		}
	}
	if (spf_ip_parse(field[4], &ip) != 0 && spf_ip_parse("192.0.2.3", &ip) != 0)
		abort();
	if (ip.family != AF_INET && ip.family != AF_INET6)
		abort();
	snprintf(sender, sizeof(sender), "%s@%s", field[1], field[2]);

	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = sender;
	ctx.local = field[1];
	ctx.sender_domain = field[2];
	ctx.domain = field[2];
	ctx.helo = field[3];
	ctx.receiver = field[5];
	ctx.ip = &ip;
	ctx.dns = NULL;

	/* The macro-string, exactly mlen bytes. */
	mlen = strlen(field[0]);
	if ((macro = malloc(mlen ? mlen : 1)) != NULL) {
		memcpy(macro, field[0], mlen);
		(void)spf_macro_check(macro, mlen, false, &error);
		(void)spf_macro_check(macro, mlen, true, &error);
		(void)spf_domain_spec_check(macro, mlen, &error);
		expand(&ctx, macro, mlen, false, out_sizes[size ? data[size - 1] % 4 : 3]);
		expand(&ctx, macro, mlen, true, out_sizes[size ? data[size - 1] % 4 : 3]);
		free(macro);
	}
	free(copy);
	return 0;
}
