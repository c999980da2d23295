/*++
 * NAME
 *	fuzz_dmarc 1
 * SUMMARY
 *	libFuzzer target for the DMARC parsers of milter-auth (From, record)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_dmarc -max_total_time=300 tests/fuzz/corpus/dmarc
 * DESCRIPTION
 *	Feeds each input to ma_dmarc_record_parse() (counted bytes, NUL
 *	included) and, NUL-terminated, to ma_dmarc_from_domain(). Checks: a
 *	usable From domain is lower-case LDH text of at most 253 octets; a
 *	parsed record has p/sp set and pct within 0..100. A violation aborts.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_dmarc_record rec;
	const char *error;
	char domain[256], *text;
	int multi, n;
	size_t i;

	if (ma_dmarc_record_parse((const char *)data, size, &rec, &error) == 0) {
		if (rec.p == MA_DMARC_POLICY_UNSPECIFIED || rec.sp == MA_DMARC_POLICY_UNSPECIFIED ||
		    rec.pct < 0 || rec.pct > 100)
			abort();
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = ma_dmarc_from_domain(text, domain, sizeof(domain), &multi);
	if (n < 0 || (n > 0 && (domain[0] == '\0' || strlen(domain) > 253)))
		abort();
	for (i = 0; n > 0 && domain[i] != '\0'; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", domain[i]) == NULL)
			abort();
	}
	free(text);
	return 0;
}
