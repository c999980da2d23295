/*++
 * NAME
 *	fuzz_dmarc_ingest 1
 * SUMMARY
 *	libFuzzer target for the DMARC aggregate report reader
 *	(messec-dmarc-report ingest: unpack, parse, summary)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_dmarc_ingest -max_total_time=300 tests/fuzz/corpus/dmarc_ingest
 * DESCRIPTION
 *	Each input goes through ma_ingest_unpack() (XML, gzip, zip, mail),
 *	ma_ingest_parse() (libxml2, no network, no entities) and the
 *	summary. Checks: the unpacked XML is within MA_INGEST_XML_MAX and
 *	NUL-terminated; a parsed report has a policy domain, at most
 *	MA_INGEST_RECORDS_MAX records, no control character in any text
 *	kept. A violation aborts.
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_ingest_summary *sum;
	struct ma_ingest_report rep;
	const char *error = NULL;
	char *xml = NULL;
	size_t len = 0, i;
	FILE *devnull;

	if (ma_ingest_unpack(data, size, &xml, &len, &error) != 0) {
		if (error == NULL || xml != NULL)
			abort();
		return 0;
	}
	if (len > MA_INGEST_XML_MAX || xml[len] != '\0')
		abort();
	if (ma_ingest_parse(xml, len, &rep, &error) == 0) {
		if (rep.domain[0] == '\0' || rep.n_records > MA_INGEST_RECORDS_MAX)
			abort();
		clean(rep.org_name);
		clean(rep.report_id);
		clean(rep.domain);
		for (i = 0; i < rep.n_records; i++) {
			clean(rep.records[i].source_ip);
			clean(rep.records[i].header_from);
			if (rep.records[i].n_dkim > MA_INGEST_DKIM_MAX)
				abort();
		}
		sum = ma_ingest_summary_new();
		ma_ingest_summary_add(sum, &rep);
		ma_ingest_report_clear(&rep);
		if ((devnull = fopen("/dev/null", "w")) != NULL) {
			ma_ingest_summary_print(sum, devnull);
			fclose(devnull);
		}
		ma_ingest_summary_free(&sum);
	} else if (error == NULL) {
		abort();
	}
	free(xml);
	return 0;
}
