/*++
 * NAME
 *	dmarc_ingest_store 3
 * SUMMARY
 *	DMARC aggregate reports received: kept in the common/ store, read
 *	back over a period
 * SYNOPSIS
 *	#include "dmarc_ingest.h"
 * DESCRIPTION
 *	Keys (all under "dmarcin/", expiring after the retention):
 *	  dmarcin/id/HASH            the report was stored (put-if-absent:
 *	                             the same report is stored once)
 *	  dmarcin/r/DAY/HASH/NNNN    its records, in parts of at most
 *	                             PART_MAX octets: a header line "org TAB
 *	                             id TAB domain TAB p TAB begin TAB end",
 *	                             then one line per record
 *	HASH is the SHA-256 of org_name NUL report_id; DAY (YYYYMMDD, UTC)
 *	is the report's end, so a period is a key range. Every text was
 *	cleaned of control characters by the parser: no TAB or LF inside.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "messec/sbuf.h"
#include "messec/store.h"
#include "messec/str.h"
#include "dmarc_ingest.h"

#define PART_MAX 60000		/* below STORE_VALUE_MAX */

static void day_of(int64_t t, char *day)
{
	struct tm tm;
	time_t tt = (time_t) t;

	gmtime_r(&tt, &tm);
	snprintf(day, 9, "%04u%02u%02u", (unsigned) (tm.tm_year + 1900) % 10000u,
		 (unsigned) (tm.tm_mon + 1) % 100u, (unsigned) tm.tm_mday % 100u);
}

static int put_part(struct store *s, const char *day, const char *hash, unsigned part,
		    struct sbuf *b, uint32_t ttl)
{
	char key[STORE_KEY_MAX + 1];

	snprintf(key, sizeof(key), "dmarcin/r/%s/%s/%04u", day, hash, part);
	return store_put(s, key, strlen(key), sbuf_data(b), sbuf_len(b), ttl) == STORE_OK ? 0 : -1;
}

int ma_ingest_store_put(struct store *s, const struct ma_ingest_report *rep, uint32_t ttl,
			const char **error_r)
{
	char hash[65], key[STORE_KEY_MAX + 1], day[9], line[2048], head[1200];
	struct sbuf *b;
	unsigned part = 0;
	size_t i, j;
	int n, rc = 0;

	if (rep->report_id[0] == '\0' || ma_ingest_report_key(rep, hash) != 0) {
		*error_r = "report without a report_id";
		return -1;
	}
	snprintf(key, sizeof(key), "dmarcin/id/%s", hash);
	switch (store_put_new(s, key, strlen(key), "1", 1, ttl)) {
	case STORE_OK: break;
	case STORE_EXISTS: return 1;
	default:
		*error_r = store_error();
		return -1;
	}
	day_of(rep->end > 0 ? rep->end : (int64_t) time(NULL), day);
	snprintf(head, sizeof(head), "%s\t%s\t%s\t%s\t%lld\t%lld\n", rep->org_name, rep->report_id,
		 rep->domain, rep->p, (long long) rep->begin, (long long) rep->end);
	b = sbuf_new(PART_MAX + sizeof(line));
	sbuf_append_str(b, head);
	for (i = 0; i < rep->n_records && rc == 0; i++) {
		const struct ma_ingest_record *r = &rep->records[i];

		n = snprintf(line, sizeof(line), "%s\t%llu\t%s\t%s\t%s\t%s\t%s\t%s",
			     r->source_ip[0] ? r->source_ip : "-", (unsigned long long) r->count,
			     r->disposition[0] ? r->disposition : "-", r->dkim[0] ? r->dkim : "-",
			     r->spf[0] ? r->spf : "-", r->header_from[0] ? r->header_from : "-",
			     r->spf_domain[0] ? r->spf_domain : "-",
			     r->spf_result[0] ? r->spf_result : "-");
		for (j = 0; j < r->n_dkim && n > 0 && (size_t) n < sizeof(line); j++)
			n += snprintf(line + n, sizeof(line) - (size_t) n, "\t%s\t%s",
				      r->auth_dkim[j].domain[0] ? r->auth_dkim[j].domain : "-",
				      r->auth_dkim[j].result[0] ? r->auth_dkim[j].result : "-");
		if (n < 0 || (size_t) n >= sizeof(line) - 1)
			continue;	/* cannot be: fields are bounded */
		if (sbuf_len(b) + (size_t) n + 1 > PART_MAX) {
			rc = put_part(s, day, hash, part++, b, ttl);
			sbuf_reset(b);
			sbuf_append_str(b, head);
		}
		sbuf_append(b, line, (size_t) n);
		sbuf_append(b, "\n", 1);
	}
	if (rc == 0)
		rc = put_part(s, day, hash, part, b, ttl);
	sbuf_free(&b);
	if (rc != 0) {
		/* not stored whole: forget the id so that the next run stores it */
		snprintf(key, sizeof(key), "dmarcin/id/%s", hash);
		store_del(s, key, strlen(key));
		*error_r = store_error();
		return -1;
	}
	return 0;
}

/* Split line at TABs into at most max fields (in place). */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		f[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static void copy_field(char *out, size_t size, const char *s)
{
	str_copy(out, strcmp(s, "-") == 0 ? "" : s, size);
}

struct read_ctx {
	struct ma_ingest_summary *sum;
	size_t since_len;
	const char *since;
	int bad;
};

static int part_cb(const void *key, size_t klen, const void *value, size_t vlen, void *arg)
{
	struct read_ctx *c = arg;
	struct ma_ingest_report rep;
	char *text, *line, *next, *f[8 + 2 * MA_INGEST_DKIM_MAX];
	size_t n, cap = 0, j;

	/* key: dmarcin/r/DAY/HASH/NNNN; the period is DAY >= since */
	if (klen < 18 || memcmp((const char *) key + 10, c->since, 8) < 0)
		return 0;
	text = xstrndup(value, vlen);
	memset(&rep, 0, sizeof(rep));
	next = strchr(text, '\n');
	if (next == NULL || (*next = '\0', fields(text, f, 6)) != 6) {
		c->bad++;
		free(text);
		return 0;
	}
	str_copy(rep.org_name, f[0], sizeof(rep.org_name));
	/* every part counts once: its own id (the report itself once) */
	snprintf(rep.report_id, sizeof(rep.report_id), "%s#%.*s", f[1], 4,
		 (const char *) key + klen - 4);
	str_copy(rep.domain, f[2], sizeof(rep.domain));
	str_copy(rep.p, f[3], sizeof(rep.p));
	rep.begin = strtoll(f[4], NULL, 10);
	rep.end = strtoll(f[5], NULL, 10);
	for (line = next + 1; *line != '\0'; line = next + 1) {
		struct ma_ingest_record *r;

		if ((next = strchr(line, '\n')) == NULL)
			break;
		*next = '\0';
		if ((n = fields(line, f, 8 + 2 * MA_INGEST_DKIM_MAX)) < 8)
			continue;
		if (rep.n_records == cap) {
			cap = cap ? 2 * cap : 16;
			rep.records = xrealloc(rep.records, cap * sizeof(rep.records[0]));
		}
		r = &rep.records[rep.n_records++];
		memset(r, 0, sizeof(*r));
		copy_field(r->source_ip, sizeof(r->source_ip), f[0]);
		r->count = strtoull(f[1], NULL, 10);
		copy_field(r->disposition, sizeof(r->disposition), f[2]);
		copy_field(r->dkim, sizeof(r->dkim), f[3]);
		copy_field(r->spf, sizeof(r->spf), f[4]);
		copy_field(r->header_from, sizeof(r->header_from), f[5]);
		copy_field(r->spf_domain, sizeof(r->spf_domain), f[6]);
		copy_field(r->spf_result, sizeof(r->spf_result), f[7]);
		for (j = 8; j + 1 < n && r->n_dkim < MA_INGEST_DKIM_MAX; j += 2, r->n_dkim++) {
			copy_field(r->auth_dkim[r->n_dkim].domain, sizeof(r->auth_dkim[0].domain), f[j]);
			copy_field(r->auth_dkim[r->n_dkim].result, sizeof(r->auth_dkim[0].result),
				   f[j + 1]);
		}
	}
	ma_ingest_summary_add_part(c->sum, &rep, memcmp((const char *) key + klen - 4, "0000", 4) == 0);
	ma_ingest_report_clear(&rep);
	free(text);
	return 0;
}

int ma_ingest_store_summary(struct store *s, const char *since_day, struct ma_ingest_summary *sum,
			    const char **error_r)
{
	struct read_ctx c = { sum, 8, since_day, 0 };

	if (strlen(since_day) != 8) {
		*error_r = "bad day";
		return -1;
	}
	if (store_foreach(s, "dmarcin/r/", 10, part_cb, &c) != STORE_OK) {
		*error_r = store_error();
		return -1;
	}
	return 0;
}
