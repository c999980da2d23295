/*++
 * NAME
 *	dmarc_ingest 3h
 * SUMMARY
 *	DMARC aggregate reports received: unpack (gzip, zip, mail),
 *	parse (RFC 7489 appendix C), summarise per domain and source
 * SYNOPSIS
 *	#include "dmarc_ingest.h"
 * DESCRIPTION
 *	ma_ingest_unpack() turns one input (a report as XML, .xml.gz or
 *	.zip, or a mail carrying one as an attachment) into XML text;
 *	ma_ingest_parse() reads the XML into a report; the summary adds
 *	reports up per (policy domain, source IP) for the admin's table.
 *
 *	Trust boundary: every byte comes from whoever sent the report
 *	(anyone can mail a report to a rua address). Bounds: input
 *	MA_INGEST_INPUT_MAX, unpacked XML MA_INGEST_XML_MAX (a zip or gzip
 *	bomb stops there with an error), MA_INGEST_RECORDS_MAX records,
 *	fields cut to their buffers, at most 3 MIME levels. The XML parser
 *	is libxml2 with no network, no DTD loading and no entity
 *	substitution; a document with a DOCTYPE is refused before parsing
 *	(no report needs one: no entity tricks, no XXE).
 *--*/
#ifndef MA_DMARC_INGEST_H
#define MA_DMARC_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MA_INGEST_INPUT_MAX (16u * 1024 * 1024)
#define MA_INGEST_XML_MAX (32u * 1024 * 1024)
#define MA_INGEST_RECORDS_MAX 100000
#define MA_INGEST_DKIM_MAX 4

struct ma_ingest_record {
	char source_ip[64];
	uint64_t count;
	char disposition[16];		/* policy_evaluated */
	char dkim[8], spf[8];		/* aligned results: pass | fail */
	char header_from[256];
	char spf_domain[256], spf_result[16];
	size_t n_dkim;
	struct {
		char domain[256], result[16];
	} auth_dkim[MA_INGEST_DKIM_MAX];
};

struct ma_ingest_report {
	char org_name[256], email[256], report_id[256];
	int64_t begin, end;
	char domain[256], p[16];
	struct ma_ingest_record *records;	/* malloc'ed */
	size_t n_records;
};

/*
 * One input into XML: plain XML (starts with '<', an UTF-8 BOM allowed),
 * gzip, zip (the first *.xml entry, stored or deflated), or a mail whose
 * first report attachment is one of those. *xml_r malloc'ed (NUL
 * terminated), caller frees. 0 ok, -1 with *error_r (static text).
 */
int ma_ingest_unpack(const uint8_t *data, size_t len, char **xml_r, size_t *xml_len_r,
		     const char **error_r);

/* Parse appendix C XML. 0 ok (caller clears rep), -1 with *error_r. */
int ma_ingest_parse(const char *xml, size_t len, struct ma_ingest_report *rep,
		    const char **error_r);
void ma_ingest_report_clear(struct ma_ingest_report *rep);

/* The identity of a report: SHA-256 of org_name NUL report_id, in hex
   (65 bytes with the NUL). 0, or -1. */
int ma_ingest_report_key(const struct ma_ingest_report *rep, char *hex);

/* The admin's table: reports added up per (domain, source IP). */
struct ma_ingest_summary;
struct ma_ingest_summary *ma_ingest_summary_new(void);
void ma_ingest_summary_free(struct ma_ingest_summary **sum);
/* 0 added, 1 skipped: the same reporter's report id was added before. */
int ma_ingest_summary_add(struct ma_ingest_summary *sum, const struct ma_ingest_report *rep);
/* Same, for a part of a stored report (dmarc_ingest_store.c): only the
   first part counts as a report. */
int ma_ingest_summary_add_part(struct ma_ingest_summary *sum, const struct ma_ingest_report *rep,
			       int first_part);
/* Per domain: the period, then one line per source IP (most messages
   first): messages, DMARC pass, SPF and DKIM aligned, dispositions, the
   DKIM d= seen (which sending service signs) and the reporters. */
void ma_ingest_summary_print(const struct ma_ingest_summary *sum, FILE *out);
/* The same as one JSON object, stable keys for scripts (version 1:
   dmarc_ingest_sum.c, docs/milter-auth.md). */
void ma_ingest_summary_print_json(const struct ma_ingest_summary *sum, FILE *out);

/* The reports kept in the common/ store (dmarc_ingest_store.c). */
struct store;
/* 0 stored, 1 already stored (same reporter and report id), -1 with
   *error_r (then nothing is marked stored). */
int ma_ingest_store_put(struct store *store, const struct ma_ingest_report *rep, uint32_t ttl,
			const char **error_r);
/* Add every stored report whose end day is since_day (YYYYMMDD) or
   later to sum. 0, or -1 with *error_r. */
int ma_ingest_store_summary(struct store *store, const char *since_day,
			    struct ma_ingest_summary *sum, const char **error_r);

#endif
