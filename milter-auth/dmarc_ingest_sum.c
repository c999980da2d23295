/*++
 * NAME
 *	dmarc_ingest_sum 3
 * SUMMARY
 *	the admin's table of the DMARC aggregate reports received
 * SYNOPSIS
 *	#include "dmarc_ingest.h"
 * DESCRIPTION
 *	Adds reports up per (policy domain, source IP): messages, how many
 *	passed DMARC (aligned DKIM or aligned SPF, RFC 7489 section 4.2),
 *	aligned SPF, aligned DKIM, what the receivers did, the DKIM d=
 *	domains seen (the sending service that signs) and who reported. A
 *	domain's line tells whether moving from p=none to p=reject would
 *	lose that source's mail.
 *
 *	Bounds: SUM_ROWS_MAX (domain, IP) pairs, then "(other sources)";
 *	four names per list, then "...". Report texts are the sender's: they
 *	were cleaned of control characters by the parser.
 *--*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "messec/codec.h"
#include "messec/str.h"
#include "dmarc_ingest.h"

#define SUM_ROWS_MAX 10000
#define NAMES_MAX 4

struct names {
	char name[NAMES_MAX][64];
	size_t n;
	int more;
};

struct sum_row {
	char domain[256], ip[64];
	uint64_t messages, dmarc_pass, spf_aligned, dkim_aligned;
	uint64_t none, quarantine, reject;
	struct names dkim_d, reporters;
};

struct ma_ingest_summary {
	struct sum_row *rows;
	size_t n, cap, reports;
	char (*seen)[65];		/* SHA-256 of org_name NUL report_id */
	size_t n_seen, cap_seen;
	int64_t begin, end;
};

struct ma_ingest_summary *ma_ingest_summary_new(void)
{
	return xcalloc(1, sizeof(struct ma_ingest_summary));
}

void ma_ingest_summary_free(struct ma_ingest_summary **sum)
{
	if (*sum == NULL)
		return;
	free((*sum)->rows);
	free((*sum)->seen);
	free(*sum);
	*sum = NULL;
}

static void names_add(struct names *l, const char *name)
{
	size_t i;

	if (name[0] == '\0')
		return;
	for (i = 0; i < l->n; i++)
		if (strncmp(l->name[i], name, sizeof(l->name[0]) - 1) == 0)
			return;
	if (l->n == NAMES_MAX) {
		l->more = 1;
		return;
	}
	str_copy(l->name[l->n++], name, sizeof(l->name[0]));
}

static struct sum_row *row_for(struct ma_ingest_summary *s, const char *domain, const char *ip)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].ip, ip) == 0 && strcmp(s->rows[i].domain, domain) == 0)
			return &s->rows[i];
	if (s->n == SUM_ROWS_MAX) {
		ip = "(other sources)";
		for (i = 0; i < s->n; i++)
			if (strcmp(s->rows[i].ip, ip) == 0 && strcmp(s->rows[i].domain, domain) == 0)
				return &s->rows[i];
		i = s->n - 1;	/* the last slot holds everything past the cap */
		str_copy(s->rows[i].ip, ip, sizeof(s->rows[i].ip));
		return &s->rows[i];
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->rows = xrealloc(s->rows, s->cap * sizeof(s->rows[0]));
	}
	memset(&s->rows[s->n], 0, sizeof(s->rows[0]));
	str_copy(s->rows[s->n].domain, domain, sizeof(s->rows[0].domain));
	str_copy(s->rows[s->n].ip, ip, sizeof(s->rows[0].ip));
	return &s->rows[s->n++];
}

int ma_ingest_report_key(const struct ma_ingest_report *rep, char *hex)
{
	unsigned char md[32];
	char id[520];
	size_t n;

	n = (size_t) snprintf(id, sizeof(id), "%s%c%s", rep->org_name, 0, rep->report_id);
	if (EVP_Digest(id, n < sizeof(id) ? n : sizeof(id) - 1, md, NULL, EVP_sha256(), NULL) != 1)
		return -1;
	return codec_hex_encode(md, sizeof(md), hex, 65);
}

/* 1 when this reporter's report id was added before (the same report
   received twice, or in a Maildir and as a file). */
static int seen_before(struct ma_ingest_summary *s, const struct ma_ingest_report *rep)
{
	char hex[65];
	size_t i;

	if (rep->report_id[0] == '\0' || ma_ingest_report_key(rep, hex) != 0)
		return 0;
	for (i = 0; i < s->n_seen; i++)
		if (memcmp(s->seen[i], hex, 64) == 0)
			return 1;
	if (s->n_seen == s->cap_seen) {
		s->cap_seen = s->cap_seen ? 2 * s->cap_seen : 64;
		s->seen = xrealloc(s->seen, s->cap_seen * sizeof(s->seen[0]));
	}
	memcpy(s->seen[s->n_seen++], hex, 65);
	return 0;
}

int ma_ingest_summary_add(struct ma_ingest_summary *s, const struct ma_ingest_report *rep)
{
	return ma_ingest_summary_add_part(s, rep, 1);
}

int ma_ingest_summary_add_part(struct ma_ingest_summary *s, const struct ma_ingest_report *rep,
			       int first_part)
{
	size_t i, j;

	if (seen_before(s, rep))
		return 1;
	s->reports += first_part ? 1 : 0;
	if (rep->begin > 0 && (s->begin == 0 || rep->begin < s->begin))
		s->begin = rep->begin;
	if (rep->end > s->end)
		s->end = rep->end;
	for (i = 0; i < rep->n_records; i++) {
		const struct ma_ingest_record *r = &rep->records[i];
		struct sum_row *row = row_for(s, rep->domain, r->source_ip[0] ? r->source_ip : "?");
		int dkim = strcmp(r->dkim, "pass") == 0, spf = strcmp(r->spf, "pass") == 0;

		row->messages += r->count;
		row->dmarc_pass += (dkim || spf) ? r->count : 0;
		row->spf_aligned += spf ? r->count : 0;
		row->dkim_aligned += dkim ? r->count : 0;
		if (strcmp(r->disposition, "reject") == 0)
			row->reject += r->count;
		else if (strcmp(r->disposition, "quarantine") == 0)
			row->quarantine += r->count;
		else
			row->none += r->count;
		for (j = 0; j < r->n_dkim; j++) {
			char d[300];

			snprintf(d, sizeof(d), "%s:%s", r->auth_dkim[j].domain, r->auth_dkim[j].result);
			names_add(&row->dkim_d, d);
		}
		names_add(&row->reporters, rep->org_name);
	}
	return 0;
}

static int by_domain_then_messages(const void *a, const void *b)
{
	const struct sum_row *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	if (c != 0)
		return c;
	return x->messages < y->messages ? 1 : x->messages > y->messages ? -1 :
		strcmp(x->ip, y->ip);
}

static void names_print(FILE *out, const struct names *l)
{
	size_t i;

	if (l->n == 0)
		fputs("-", out);
	for (i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? "," : "", l->name[i]);
	if (l->more)
		fputs(",...", out);
}

static void names_json(FILE *out, const char *key, const struct names *l)
{
	size_t i;

	fprintf(out, ",\"%s\":[", key);
	for (i = 0; i < l->n; i++) {
		fputs(i ? "," : "", out);
		codec_json_string(out, l->name[i]);
	}
	fprintf(out, "],\"%s_more\":%s", key, l->more ? "true" : "false");
}

/*
 * The same table as one JSON object (RFC 8259), for scripts: the keys
 * below are stable (version 1; a change of meaning is a new version):
 * {"version":1,"reports":N,"begin":T,"end":T,"domains":[{"domain":D,
 *  "sources":[{"ip":..,"messages":N,"dmarc_pass":N,"spf_aligned":N,
 *  "dkim_aligned":N,"none":N,"quarantine":N,"reject":N,"dkim":["d:result"],
 *  "dkim_more":B,"reporters":[..],"reporters_more":B,"fails_dmarc":B}]}]}
 * T: seconds since the epoch (0 when no report); domains by name,
 * sources by messages (most first), as in the table.
 */
void ma_ingest_summary_print_json(const struct ma_ingest_summary *s, FILE *out)
{
	const char *cur = NULL;
	size_t i;

	if (s->n > 0)
		qsort(s->rows, s->n, sizeof(s->rows[0]), by_domain_then_messages);
	fprintf(out, "{\"version\":1,\"reports\":%zu,\"begin\":%" PRId64 ",\"end\":%" PRId64
		",\"domains\":[", s->reports, s->reports ? s->begin : 0, s->reports ? s->end : 0);
	for (i = 0; i < s->n && s->reports > 0; i++) {
		const struct sum_row *r = &s->rows[i];

		if (cur == NULL || strcmp(cur, r->domain) != 0) {
			fputs(cur == NULL ? "{\"domain\":" : "]},{\"domain\":", out);
			codec_json_string(out, r->domain);
			fputs(",\"sources\":[", out);
			cur = r->domain;
		} else {
			fputc(',', out);
		}
		fputs("{\"ip\":", out);
		codec_json_string(out, r->ip);
		fprintf(out, ",\"messages\":%" PRIu64 ",\"dmarc_pass\":%" PRIu64
			",\"spf_aligned\":%" PRIu64 ",\"dkim_aligned\":%" PRIu64 ",\"none\":%" PRIu64
			",\"quarantine\":%" PRIu64 ",\"reject\":%" PRIu64, r->messages, r->dmarc_pass,
			r->spf_aligned, r->dkim_aligned, r->none, r->quarantine, r->reject);
		names_json(out, "dkim", &r->dkim_d);
		names_json(out, "reporters", &r->reporters);
		fprintf(out, ",\"fails_dmarc\":%s}", r->dmarc_pass < r->messages ? "true" : "false");
	}
	fputs(cur != NULL ? "]}]}\n" : "]}\n", out);
}

void ma_ingest_summary_print(const struct ma_ingest_summary *s, FILE *out)
{
	char b[32], e[32], disp[80];
	struct tm tm;
	time_t t;
	size_t i;
	const char *cur = "";

	if (s->reports == 0) {
		fputs("no report read\n", out);
		return;
	}
	if (s->n > 0)	/* qsort(NULL, 0) is undefined (UBSan, fuzz replay) */
		qsort(s->rows, s->n, sizeof(s->rows[0]), by_domain_then_messages);
	t = (time_t) s->begin;
	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%d", &tm);
	t = (time_t) s->end;
	gmtime_r(&t, &tm);
	strftime(e, sizeof(e), "%Y-%m-%d", &tm);
	fprintf(out, "%zu report(s), %s .. %s (UTC)\n", s->reports, b, e);
	for (i = 0; i < s->n; i++) {
		const struct sum_row *r = &s->rows[i];

		if (strcmp(cur, r->domain) != 0) {
			cur = r->domain;
			fprintf(out, "\ndomain %s\n  %-39s %8s %10s %11s %11s  %-22s %s | %s\n", cur,
				"source IP", "messages", "DMARC pass", "SPF aligned", "DKIM aligned",
				"none/quarantine/reject", "DKIM d=:result", "reporters");
		}
		snprintf(disp, sizeof(disp), "%" PRIu64 "/%" PRIu64 "/%" PRIu64, r->none,
			 r->quarantine, r->reject);
		fprintf(out, "  %-39s %8" PRIu64 " %10" PRIu64 " %11" PRIu64 " %11" PRIu64 "  %-22s ",
			r->ip, r->messages, r->dmarc_pass, r->spf_aligned, r->dkim_aligned, disp);
		names_print(out, &r->dkim_d);
		fputs(" | ", out);
		names_print(out, &r->reporters);
		fputs(r->dmarc_pass < r->messages ? "  FAILS DMARC\n" : "\n", out);
	}
}
