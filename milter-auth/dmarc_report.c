/*++
 * NAME
 *	dmarc_report 3
 * SUMMARY
 *	DMARC aggregate reports: recording in the store, appendix C XML
 * SYNOPSIS
 *	#include "dmarc_report.h"
 * DESCRIPTION
 *	A row is one line of tab-separated fields (see row_text()); its
 *	SHA-256 names its key, so identical rows of a day share one counter
 *	and the row text is written once (put is idempotent). The policy
 *	entry is rewritten by every message: the last one of the day wins,
 *	as the record a report describes is the one "in effect" (RFC 7489
 *	section 7.2.1.1 lets a report show one).
 *
 *	Recording failures never change a verdict: the caller logs them.
 * STANDARDS
 *	RFC 7489 section 7.2 and appendix C.
 *--*/
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "messec/store.h"
#include "messec/str.h"
#include "dmarc_report.h"

#define FIELD_MAX 255		/* per field; a domain is at most 253 */
#define ROW_MAX 8192

void ma_report_day(time_t t, char *buf)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, 9, "%04u%02u%02u", (unsigned) (tm.tm_year + 1900) % 10000u,
		 (unsigned) (tm.tm_mon + 1) % 100u, (unsigned) tm.tm_mday % 100u);
}

/* Append one field: control characters, tab and DEL become '?', at most
   FIELD_MAX bytes; "-" for an empty or missing one. */
static void add_field(char *buf, size_t size, size_t *off, const char *s)
{
	size_t n = 0;

	if (*off > 0 && *off + 1 < size)
		buf[(*off)++] = '\t';
	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s != '\0' && n < FIELD_MAX && *off + 1 < size; s++, n++) {
		unsigned char c = (unsigned char) *s;

		buf[(*off)++] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
	}
	buf[*off] = '\0';
}

static size_t row_text(const struct ma_report_row *r, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	add_field(buf, size, &off, r->source_ip);
	add_field(buf, size, &off, r->disposition);
	add_field(buf, size, &off, r->dkim_aligned ? "pass" : "fail");
	add_field(buf, size, &off, r->spf_aligned ? "pass" : "fail");
	add_field(buf, size, &off, r->header_from);
	add_field(buf, size, &off, r->envelope_from);
	add_field(buf, size, &off, r->spf_domain);
	add_field(buf, size, &off, r->spf_scope);
	add_field(buf, size, &off, r->spf_result);
	for (i = 0; i < r->n_dkim && i < MA_REPORT_MAX_DKIM; i++) {
		add_field(buf, size, &off, r->dkim[i].domain);
		add_field(buf, size, &off, r->dkim[i].selector);
		add_field(buf, size, &off, r->dkim[i].result);
	}
	return off;
}

static int sha256_hex(const char *data, size_t len, char *hex)
{
	unsigned char md[32];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Domains are lower-case LDH here (dmarc.c); refuse anything that could
   break the key layout. */
static int key_safe(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 253)
		return 0;
	for (; *s != '\0'; s++)
		if (*s == '/' || (unsigned char) *s <= ' ' || (unsigned char) *s >= 0x7f)
			return 0;
	return 1;
}

int ma_report_prepare(const struct ma_report_row *r, time_t now,
		      struct ma_report_prepared *p, const char **error_r)
{
	char row[ROW_MAX];
	int n;

	memset(p, 0, sizeof(*p));
	if (!key_safe(r->policy_domain)) {
		*error_r = "unusable policy domain";
		return -1;
	}
	ma_report_day(now, p->day);
	str_copy(p->domain, r->policy_domain, sizeof(p->domain));
	p->row_len = row_text(r, row, sizeof(row));
	if (sha256_hex(row, p->row_len, p->hash) != 0) {
		*error_r = "SHA-256 failed";
		return -1;
	}
	n = snprintf(p->policy, sizeof(p->policy), "%s %s %c %c %d", r->p, r->sp,
		     r->adkim_strict ? 's' : 'r', r->aspf_strict ? 's' : 'r', r->pct);
	if (n < 0 || (size_t) n >= sizeof(p->policy)) {
		*error_r = "policy text too long";
		return -1;
	}
	p->row = xstrndup(row, p->row_len);
	p->count = 1;
	return 0;
}

void ma_report_prepared_clear(struct ma_report_prepared *p)
{
	free(p->row);
	p->row = NULL;
}

struct write_ctx {
	const struct ma_report_prepared *p;
	size_t n;
	uint32_t ttl;
};

/* One transaction: policy, row text and count of every prepared row. */
static enum store_result write_txn(struct store_txn *txn, void *arg)
{
	struct write_ctx *w = arg;
	char key[STORE_KEY_MAX + 1], num[24];
	enum store_result rc;
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct ma_report_prepared *p = &w->p[i];
		char *cur = NULL;
		long long have = 0;
		int len;

		snprintf(key, sizeof(key), "dmarc/p/%s/%s", p->day, p->domain);
		if ((rc = store_txn_put(txn, key, strlen(key), p->policy, strlen(p->policy),
					w->ttl)) != STORE_OK)
			return rc;
		snprintf(key, sizeof(key), "dmarc/r/%s/%s/%s", p->day, p->domain, p->hash);
		if ((rc = store_txn_put(txn, key, strlen(key), p->row, p->row_len, w->ttl)) != STORE_OK)
			return rc;
		key[6] = 'c';
		rc = store_txn_get(txn, key, strlen(key), (void **) &cur, NULL);
		if (rc == STORE_OK)
			have = strtoll(cur, NULL, 10);
		else if (rc != STORE_NOTFOUND)
			return rc;
		free(cur);
		len = snprintf(num, sizeof(num), "%lld", have + (long long) p->count);
		if ((rc = store_txn_put(txn, key, strlen(key), num, (size_t) len, w->ttl)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

int ma_report_write_prepared(struct store *store, const struct ma_report_prepared *p,
			     size_t n, uint32_t ttl, const char **error_r)
{
	struct write_ctx w = { p, n, ttl };
	enum store_result rc = store_txn_run(store, write_txn, &w);

	if (rc != STORE_OK) {
		*error_r = rc == STORE_CONFLICT ? "store conflict" : store_error();
		return -1;
	}
	return 0;
}

int ma_report_record(struct store *store, const struct ma_report_row *r, time_t now,
		     uint32_t ttl, const char **error_r)
{
	struct ma_report_prepared p;
	int rc;

	if (ma_report_prepare(r, now, &p, error_r) != 0)
		return -1;
	rc = ma_report_write_prepared(store, &p, 1, ttl, error_r);
	ma_report_prepared_clear(&p);
	return rc;
}

/* --- reading --------------------------------------------------------- */

struct domains_ctx {
	void (*fn)(const char *domain, void *ctx);
	void *ctx;
	size_t prefix_len;
};

static int domain_cb(const void *key, size_t klen, const void *value, size_t vlen, void *arg)
{
	struct domains_ctx *d = arg;
	char name[STORE_KEY_MAX + 1];

	(void) value;
	(void) vlen;
	if (klen <= d->prefix_len || klen > STORE_KEY_MAX)
		return 0;
	memcpy(name, (const char *) key + d->prefix_len, klen - d->prefix_len);
	name[klen - d->prefix_len] = '\0';
	d->fn(name, d->ctx);
	return 0;
}

int ma_report_domains(struct store *store, const char *day,
		      void (*fn)(const char *domain, void *ctx), void *ctx,
		      const char **error_r)
{
	char prefix[64];
	struct domains_ctx d = { fn, ctx, 0 };

	snprintf(prefix, sizeof(prefix), "dmarc/p/%.8s/", day);
	d.prefix_len = strlen(prefix);
	if (store_foreach(store, prefix, d.prefix_len, domain_cb, &d) != STORE_OK) {
		*error_r = store_error();
		return -1;
	}
	return 0;
}

/* XML 1.0 text: escape the five specials. */
static void xml_text(FILE *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(s[i], out); break;
		}
	}
}

static void elem(FILE *out, const char *indent, const char *name, const char *s, size_t len)
{
	fprintf(out, "%s<%s>", indent, name);
	xml_text(out, s, len);
	fprintf(out, "</%s>\n", name);
}

static void elem_str(FILE *out, const char *indent, const char *name, const char *s)
{
	elem(out, indent, name, s, strlen(s));
}

struct xml_ctx {
	struct store *store;
	const struct ma_report_meta *meta;
	FILE *out;
	const char *domain, *day;
	size_t records;
	int error;
};

/* Fields of a row: up to 9 + 3 * MA_REPORT_MAX_DKIM. */
#define ROW_FIELDS (9 + 3 * MA_REPORT_MAX_DKIM)

static size_t split(const char *row, size_t len, const char **f, size_t *flen)
{
	size_t n = 0, i, start = 0;

	for (i = 0; i <= len && n < ROW_FIELDS; i++) {
		if (i == len || row[i] == '\t') {
			f[n] = row + start;
			flen[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

static int row_cb(const void *key, size_t klen, const void *value, size_t vlen, void *arg)
{
	struct xml_ctx *x = arg;
	const char *f[ROW_FIELDS];
	size_t fl[ROW_FIELDS], n, i;
	char ckey[STORE_KEY_MAX + 1], *count = NULL;
	FILE *o = x->out;

	if (klen < 8 || klen > STORE_KEY_MAX)
		return 0;
	/* the counter of this row: same key with "c" for "r" */
	memcpy(ckey, key, klen);
	ckey[klen] = '\0';
	ckey[6] = 'c';
	if (store_get(x->store, ckey, klen, (void **) &count, NULL) != STORE_OK) {
		x->error = 1;
		return -1;
	}
	n = split(value, vlen, f, fl);
	if (n < 9) {
		free(count);
		return 0;		/* not a row we wrote */
	}
	fputs("  <record>\n    <row>\n", o);
	elem(o, "      ", "source_ip", f[0], fl[0]);
	elem_str(o, "      ", "count", count);
	fputs("      <policy_evaluated>\n", o);
	elem(o, "        ", "disposition", f[1], fl[1]);
	elem(o, "        ", "dkim", f[2], fl[2]);
	elem(o, "        ", "spf", f[3], fl[3]);
	fputs("      </policy_evaluated>\n    </row>\n    <identifiers>\n", o);
	elem(o, "      ", "envelope_from", f[5], fl[5] == 1 && f[5][0] == '-' ? 0 : fl[5]);
	elem(o, "      ", "header_from", f[4], fl[4]);
	fputs("    </identifiers>\n    <auth_results>\n", o);
	for (i = 9; i + 2 < n; i += 3) {
		fputs("      <dkim>\n", o);
		elem(o, "        ", "domain", f[i], fl[i]);
		elem(o, "        ", "selector", f[i + 1], fl[i + 1]);
		elem(o, "        ", "result", f[i + 2], fl[i + 2]);
		fputs("      </dkim>\n", o);
	}
	fputs("      <spf>\n", o);
	elem(o, "        ", "domain", f[6], fl[6]);
	elem(o, "        ", "scope", f[7], fl[7]);
	elem(o, "        ", "result", f[8], fl[8]);
	fputs("      </spf>\n    </auth_results>\n  </record>\n", o);
	if (x->meta->row_fn != NULL && klen > 64)
		x->meta->row_fn(ckey + klen - 64, strtoll(count, NULL, 10), x->meta->row_ctx);
	free(count);
	x->records++;
	return 0;
}

/* "YYYYMMDD" -> [begin, end] UTC seconds of that day. */
static int day_range(const char *day, long long *begin, long long *end)
{
	struct tm tm;
	char y[5], m[3], d[3];

	if (strlen(day) != 8 || strspn(day, "0123456789") != 8)
		return -1;
	memcpy(y, day, 4); y[4] = '\0';
	memcpy(m, day + 4, 2); m[2] = '\0';
	memcpy(d, day + 6, 2); d[2] = '\0';
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(y) - 1900;
	tm.tm_mon = atoi(m) - 1;
	tm.tm_mday = atoi(d);
	*begin = (long long) timegm(&tm);
	*end = *begin + 86399;
	return 0;
}

int ma_report_xml(struct store *store, const char *domain, const char *day,
		  const struct ma_report_meta *meta, FILE *out, const char **error_r)
{
	char key[STORE_KEY_MAX + 1], p[16], sp[16], adkim = 'r', aspf = 'r', *policy = NULL;
	struct xml_ctx x = { store, meta, out, domain, day, 0, 0 };
	long long begin, end;
	int pct = 100;

	if (!key_safe(domain) || day_range(day, &begin, &end) != 0) {
		*error_r = "bad domain or day (expected YYYYMMDD)";
		return -1;
	}
	snprintf(key, sizeof(key), "dmarc/p/%s/%s", day, domain);
	switch (store_get(store, key, strlen(key), (void **) &policy, NULL)) {
	case STORE_OK:
		break;
	case STORE_NOTFOUND:
		*error_r = "nothing recorded for this domain and day";
		return -1;
	default:
		*error_r = store_error();
		return -1;
	}
	if (sscanf(policy, "%15s %15s %c %c %d", p, sp, &adkim, &aspf, &pct) != 5) {
		free(policy);
		*error_r = "unreadable policy entry";
		return -1;
	}
	free(policy);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n"
	      "  <version>1.0</version>\n  <report_metadata>\n", out);
	elem_str(out, "    ", "org_name", meta->org_name);
	elem_str(out, "    ", "email", meta->email);
	elem_str(out, "    ", "report_id", meta->report_id);
	fprintf(out, "    <date_range>\n      <begin>%lld</begin>\n      <end>%lld</end>\n"
		"    </date_range>\n  </report_metadata>\n  <policy_published>\n", begin, end);
	elem_str(out, "    ", "domain", domain);
	fprintf(out, "    <adkim>%c</adkim>\n    <aspf>%c</aspf>\n", adkim == 's' ? 's' : 'r',
		aspf == 's' ? 's' : 'r');
	elem_str(out, "    ", "p", p);
	elem_str(out, "    ", "sp", sp);
	fprintf(out, "    <pct>%d</pct>\n    <fo>0</fo>\n  </policy_published>\n", pct);
	snprintf(key, sizeof(key), "dmarc/r/%s/%s/", day, domain);
	if (store_foreach(store, key, strlen(key), row_cb, &x) != STORE_OK || x.error) {
		*error_r = store_error();
		return -1;
	}
	fputs("</feedback>\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		*error_r = "write error";
		return -1;
	}
	return 0;
}

/* --- periods, sent marks, forgetting ----------------------------------- */

struct periods_ctx {
	void (*fn)(const char *day, const char *domain, void *ctx);
	void *ctx;
};

/* key "dmarc/p/YYYYMMDD/DOMAIN" */
static int period_cb(const void *key, size_t klen, const void *value, size_t vlen, void *arg)
{
	struct periods_ctx *p = arg;
	char k[STORE_KEY_MAX + 1], day[9];

	(void) value;
	(void) vlen;
	if (klen <= 17 || klen > STORE_KEY_MAX)
		return 0;
	memcpy(k, key, klen);
	k[klen] = '\0';
	if (k[16] != '/' || strspn(k + 8, "0123456789") != 8 || !key_safe(k + 17))
		return 0;
	memcpy(day, k + 8, 8);
	day[8] = '\0';
	p->fn(day, k + 17, p->ctx);
	return 0;
}

int ma_report_periods(struct store *store,
		      void (*fn)(const char *day, const char *domain, void *ctx), void *ctx,
		      const char **error_r)
{
	struct periods_ctx p = { fn, ctx };

	if (store_foreach(store, "dmarc/p/", 8, period_cb, &p) != STORE_OK) {
		*error_r = store_error();
		return -1;
	}
	return 0;
}

static int sent_key(char *key, size_t size, const char *domain, const char *day,
		    const char *address)
{
	char hex[65];

	if (!key_safe(domain) || sha256_hex(address, strlen(address), hex) != 0)
		return -1;
	snprintf(key, size, "dmarc/s/%.8s/%s/%s", day, domain, hex);
	return 0;
}

int ma_report_was_sent(struct store *store, const char *domain, const char *day,
		       const char *address)
{
	char key[STORE_KEY_MAX + 1];

	if (sent_key(key, sizeof(key), domain, day, address) != 0)
		return -1;
	switch (store_exists(store, key, strlen(key))) {
	case STORE_OK: return 1;
	case STORE_NOTFOUND: return 0;
	default: return -1;
	}
}

int ma_report_mark_sent(struct store *store, const char *domain, const char *day,
			const char *address, uint32_t ttl, const char **error_r)
{
	char key[STORE_KEY_MAX + 1];

	if (sent_key(key, sizeof(key), domain, day, address) != 0) {
		*error_r = "unusable domain";
		return -1;
	}
	if (store_put(store, key, strlen(key), "1", 1, ttl) != STORE_OK) {
		*error_r = store_error();
		return -1;
	}
	return 0;
}

#define FORGET_MAX 4096		/* rows per domain and day taken in one go */
#define MARKS_MAX 32		/* sent marks (expire anyway) */

struct forget_row {
	char hash[65];
	int64_t now;		/* count in the store at the start of the transaction */
};

struct forget_ctx {
	const char *domain, *day;
	const struct ma_report_sent_row *rows;
	size_t n, n_cur, n_marks;
	uint32_t ttl;
	struct forget_row cur[FORGET_MAX];
	char marks[MARKS_MAX][65];
};

static int count_cb(const void *key, size_t klen, const void *value, size_t vlen, void *arg)
{
	struct forget_ctx *f = arg;
	char num[24];

	if (klen < 64 || f->n_cur >= FORGET_MAX) {
		store_set_error_text("too many rows for one domain and day");
		return -1;
	}
	memcpy(f->cur[f->n_cur].hash, (const char *) key + klen - 64, 64);
	f->cur[f->n_cur].hash[64] = '\0';
	if (vlen >= sizeof(num))
		vlen = sizeof(num) - 1;
	memcpy(num, value, vlen);
	num[vlen] = '\0';
	f->cur[f->n_cur++].now = strtoll(num, NULL, 10);
	return 0;
}

static int mark_cb(const void *key, size_t klen, const void *value, size_t vlen, void *arg)
{
	struct forget_ctx *f = arg;

	(void) value;
	(void) vlen;
	if (klen >= 64 && f->n_marks < MARKS_MAX) {
		memcpy(f->marks[f->n_marks], (const char *) key + klen - 64, 64);
		f->marks[f->n_marks++][64] = '\0';
	}
	return 0;
}

static enum store_result forget_txn(struct store_txn *txn, void *arg)
{
	struct forget_ctx *f = arg;
	char key[STORE_KEY_MAX + 1], num[24];
	size_t i, j, left = 0;
	enum store_result rc;

	f->n_cur = f->n_marks = 0;
	/* Every read first: a transaction walks before its first write. */
	snprintf(key, sizeof(key), "dmarc/c/%s/%s/", f->day, f->domain);
	if ((rc = store_txn_foreach(txn, key, strlen(key), count_cb, f)) != STORE_OK)
		return rc;
	snprintf(key, sizeof(key), "dmarc/s/%s/%s/", f->day, f->domain);
	if ((rc = store_txn_foreach(txn, key, strlen(key), mark_cb, f)) != STORE_OK)
		return rc;
	for (i = 0; i < f->n_cur; i++) {
		int64_t sent = 0;

		for (j = 0; j < f->n; j++)
			if (strcmp(f->rows[j].hash, f->cur[i].hash) == 0)
				sent = f->rows[j].count;
		if (sent <= 0) {
			left++;
			continue;
		}
		snprintf(key, sizeof(key), "dmarc/c/%s/%s/%s", f->day, f->domain, f->cur[i].hash);
		if (f->cur[i].now > sent) {
			/* recorded again since the report: keep the rest */
			int n = snprintf(num, sizeof(num), "%lld", (long long) (f->cur[i].now - sent));

			left++;
			rc = store_txn_put(txn, key, strlen(key), num, (size_t) n, f->ttl);
		} else {
			rc = store_txn_del(txn, key, strlen(key));
			if (rc == STORE_OK || rc == STORE_NOTFOUND) {
				key[6] = 'r';
				rc = store_txn_del(txn, key, strlen(key));
			}
		}
		if (rc != STORE_OK && rc != STORE_NOTFOUND)
			return rc;
	}
	/* The sent marks belong to the report just forgotten: rows left
	   (recorded since) make a new report for every destination. */
	rc = STORE_OK;
	for (i = 0; i < f->n_marks && (rc == STORE_OK || rc == STORE_NOTFOUND); i++) {
		snprintf(key, sizeof(key), "dmarc/s/%s/%s/%s", f->day, f->domain, f->marks[i]);
		rc = store_txn_del(txn, key, strlen(key));
	}
	if (left == 0 && (rc == STORE_OK || rc == STORE_NOTFOUND)) {
		snprintf(key, sizeof(key), "dmarc/p/%s/%s", f->day, f->domain);
		rc = store_txn_del(txn, key, strlen(key));
	}
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

int ma_report_forget(struct store *store, const char *domain, const char *day,
		     const struct ma_report_sent_row *rows, size_t n, uint32_t ttl,
		     const char **error_r)
{
	struct forget_ctx *f;
	enum store_result rc;

	if (!key_safe(domain) || strlen(day) != 8) {
		*error_r = "bad domain or day";
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	f->domain = domain;
	f->day = day;
	f->rows = rows;
	f->n = n;
	f->ttl = ttl;
	rc = store_txn_run(store, forget_txn, f);
	free(f);
	if (rc != STORE_OK) {
		*error_r = rc == STORE_CONFLICT ? "store conflict, try again" : store_error();
		return -1;
	}
	return 0;
}
