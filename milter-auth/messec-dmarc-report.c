/*++
 * NAME
 *	messec-dmarc-report 8
 * SUMMARY
 *	DMARC aggregate reports (RFC 7489 section 7.2, appendix C) from the
 *	evaluations messec-milter-auth recorded: written or sent
 * SYNOPSIS
 *	messec-dmarc-report -s STORE --org-name NAME --email ADDR
 *		[--day YYYYMMDD] [--dry-run DIR] [--sendmail PATH]
 *		[--psl PATH] [--dns-timeout MS] [--retention SECONDS]
 * DESCRIPTION
 *	Reporting period: one UTC day. Without --day, every complete day
 *	(before today, UTC) found in STORE; with it, that day only.
 *
 *	--dry-run DIR: for every policy domain of the period, writes the
 *	aggregate report as DIR/SUBMITTER!DOMAIN!BEGIN!END.xml (the file
 *	name of section 7.2.1.1 before compression) and prints its path;
 *	the store is not changed.
 *
 *	Otherwise, per policy domain and day: reads the rua tag of
 *	_dmarc.DOMAIN, and for every mailto: destination (at most
 *	MA_RUA_MAX) checks it (section 7.1 external destination
 *	verification when its organizational domain differs, the "!size"
 *	limit against the whole message), gzips the XML (zlib) and hands
 *	the mail to sendmail (-i -f ADDR -- DEST). A destination whose
 *	sendmail exited 0 is marked sent; when every destination was sent
 *	or refused for good and at least one was sent, the reported rows
 *	are taken off the store (ma_report_forget: rows recorded since stay).
 *	A temporary failure (DNS, sendmail) leaves everything for the next
 *	run; destinations already marked are not sent twice. Then expired
 *	entries are purged (store_expire: the retention purge).
 *
 *	Postfix's sendmail reads MAIL_CONFIG from the environment (another
 *	instance's config directory), which passes through.
 * DIAGNOSTICS
 *	One line per report and destination on standard output ("sent",
 *	"not sent: why"). Exit 0 ok, 1 on a store, file or send error or
 *	when something is left to retry, 64 on a usage error.
 *--*/
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "messec/sbuf.h"
#include "messec/store.h"
#include "messec/str.h"
#include "dmarc.h"
#include "dmarc_ingest.h"
#include <libxml/parser.h>
#include "dmarc_report.h"
#include "dmarc_rua.h"
#include "dmarc_send.h"

#define EX_USAGE 64
#define XML_MAX (64u * 1024 * 1024)	/* one report, uncompressed */
#define MSG_MAX (32u * 1024 * 1024)	/* one report mail */
#define ROWS_MAX 4096
#define SENDMAIL_TIMEOUT 120

struct run {
	struct store *store;
	struct ma_dmarc *dmarc;
	const char *org, *email, *dir, *day, *sendmail, *submitter;
	char today[9];
	unsigned dns_timeout;
	uint32_t retention;
	int errors;
};

/* File-name-safe copy: letters, digits, '.', '-', '_' only. */
static void safe_name(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size; s++)
		out[n++] = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789.-_", *s) != NULL) ? *s : '_';
	out[n] = '\0';
}

/* Section 7.2.1.1: receiver "!" policy-domain "!" begin "!" end. */
static int report_name(const struct run *r, const char *domain, const char *day,
		       char *out, size_t size)
{
	char sub[256], dom[256];
	struct tm tm;
	time_t begin;
	int n;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(day, "%4d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	begin = timegm(&tm);
	safe_name(r->submitter, sub, sizeof(sub));
	safe_name(domain, dom, sizeof(dom));
	n = snprintf(out, size, "%s!%s!%lld!%lld", sub, dom, (long long) begin,
		     (long long) begin + 86399);
	return n < 0 || (size_t) n >= size ? -1 : 0;
}

struct rows {
	struct ma_report_sent_row row[ROWS_MAX];
	size_t n;
	int overflow;
};

static void keep_row(const char *hash, int64_t count, void *ctx)
{
	struct rows *rows = ctx;

	if (rows->n >= ROWS_MAX) {
		rows->overflow = 1;
		return;
	}
	str_copy(rows->row[rows->n].hash, hash, sizeof(rows->row[0].hash));
	rows->row[rows->n++].count = count;
}

/* The XML of one report in memory (*xml_r malloc'ed). */
static int build_xml(struct run *r, const char *domain, const char *day, const char *id,
		     struct rows *rows, char **xml_r, size_t *len_r)
{
	struct ma_report_meta meta = { r->org, r->email, id, rows ? keep_row : NULL, rows };
	const char *error = NULL;
	FILE *fp;
	int rc;

	*xml_r = NULL;
	*len_r = 0;
	if ((fp = open_memstream(xml_r, len_r)) == NULL) {
		perror("open_memstream");
		return -1;
	}
	rc = ma_report_xml(r->store, domain, day, &meta, fp, &error);
	if (fclose(fp) != 0)
		rc = -1;
	if (rc != 0 || *len_r > XML_MAX || (rows != NULL && rows->overflow)) {
		fprintf(stderr, "messec-dmarc-report: %s %s: %s\n", domain, day,
			rc != 0 ? (error ? error : "write error") : "report too large");
		free(*xml_r);
		*xml_r = NULL;
		return -1;
	}
	return 0;
}

static void write_file(struct run *r, const char *domain, const char *day, const char *id)
{
	char name[600], path[4096], tmp[4200], *xml = NULL;
	size_t len;
	FILE *fp;

	if (report_name(r, domain, day, name, sizeof(name)) != 0 ||
	    build_xml(r, domain, day, id, NULL, &xml, &len) != 0) {
		r->errors++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.xml", r->dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL || fwrite(xml, 1, len, fp) != len ||
	    fclose(fp) != 0 || rename(tmp, path) != 0) {
		perror(path);
		remove(tmp);
		r->errors++;
	} else {
		printf("%s\n", path);
	}
	free(xml);
}

enum dest_outcome { DEST_SENT, DEST_REFUSED, DEST_RETRY };

/* 1 sent already (logged), 0 not, -1 store error (logged). */
static int already_sent(struct run *r, const char *domain, const char *day, const char *address)
{
	switch (ma_report_was_sent(r->store, domain, day, address)) {
	case 1:
		printf("%s %s %s: already sent\n", domain, day, address);
		return 1;
	case 0:
		return 0;
	default:
		fprintf(stderr, "messec-dmarc-report: %s\n", store_error());
		return -1;
	}
}

/* One verified address of one report: build, size check, send, mark. */
static enum dest_outcome send_to(struct run *r, const char *domain, const char *day,
				 const struct ma_rua_dest *d, const struct ma_send_mail *base)
{
	struct ma_send_mail m = *base;
	const char *error = NULL;
	char err[256];
	struct sbuf *msg;
	enum dest_outcome out;

	m.to = d->address;
	if ((msg = sbuf_new(MSG_MAX)) == NULL || ma_send_message(msg, &m) != 0) {
		fprintf(stderr, "messec-dmarc-report: %s %s: cannot build the message\n", domain, day);
		sbuf_free(&msg);
		return DEST_RETRY;
	}
	/* Section 6.2: "!size" bounds what may be sent to that URI; the
	   whole message is counted (stricter than the attachment alone). */
	if (d->max_size != 0 && sbuf_len(msg) > d->max_size) {
		printf("%s %s %s: not sent: report of %zu octets over the limit of %llu\n",
		       domain, day, d->address, sbuf_len(msg), (unsigned long long) d->max_size);
		sbuf_free(&msg);
		return DEST_REFUSED;
	}
	if (ma_send_sendmail(r->sendmail, r->email, d->address, sbuf_data(msg), sbuf_len(msg),
			     SENDMAIL_TIMEOUT, err, sizeof(err)) != 0) {
		printf("%s %s %s: not sent, will retry: %s\n", domain, day, d->address, err);
		out = DEST_RETRY;
	} else if (ma_report_mark_sent(r->store, domain, day, d->address, r->retention,
				       &error) != 0) {
		/* sent, but not remembered: the report stays (a duplicate
		   is better than a loss) */
		printf("%s %s %s: sent (not marked: %s)\n", domain, day, d->address, error);
		out = DEST_RETRY;
	} else {
		printf("%s %s %s: sent, %zu octets\n", domain, day, d->address, sbuf_len(msg));
		out = DEST_SENT;
	}
	sbuf_free(&msg);
	return out;
}

/*
 * RFC 7489 section 7.1 step 8: a verified external destination that
 * publishes its own rua gets the report there instead (each address at
 * the verified host, or nowhere: ma_rua_override()).
 */
static enum dest_outcome send_override(struct run *r, const char *domain, const char *day,
				       const struct ma_rua_dest *d, const char *value,
				       const struct ma_send_mail *base)
{
	struct ma_rua_dest over[MA_RUA_MAX];
	const char *why = NULL;
	size_t i, n = ma_rua_override(value, d->domain, over, MA_RUA_MAX, &why);
	int sent = 0, retry = 0;

	if (n == 0) {
		printf("%s %s %s: not sent: %s\n", domain, day, d->address, why);
		return DEST_REFUSED;
	}
	for (i = 0; i < n; i++) {
		printf("%s %s %s: %s: %s\n", domain, day, d->address, why, over[i].address);
		switch (already_sent(r, domain, day, over[i].address)) {
		case 1: sent++; continue;
		case 0: break;
		default: retry++; continue;
		}
		switch (send_to(r, domain, day, &over[i], base)) {
		case DEST_SENT: sent++; break;
		case DEST_RETRY: retry++; break;
		default: break;
		}
	}
	return retry > 0 ? DEST_RETRY : sent > 0 ? DEST_SENT : DEST_REFUSED;
}

/* One destination of one report. */
static enum dest_outcome send_dest(struct run *r, const char *domain, const char *day,
				   const struct ma_rua_dest *d, const struct ma_send_mail *base)
{
	char override[MA_RUA_VALUE_MAX];
	const char *why = NULL;

	if (d->error != NULL) {
		printf("%s %s %s: not sent: %s\n", domain, day, d->shown, d->error);
		return DEST_REFUSED;
	}
	switch (already_sent(r, domain, day, d->address)) {
	case 1: return DEST_SENT;
	case 0: break;
	default: return DEST_RETRY;
	}
	switch (ma_rua_verify(r->dmarc, domain, d->domain, NULL, NULL, r->dns_timeout,
			      override, sizeof(override), &why)) {
	case MA_RUA_OK:
		break;
	case MA_RUA_NONE:
		printf("%s %s %s: not sent: %s\n", domain, day, d->address, why);
		return DEST_REFUSED;
	default:
		printf("%s %s %s: not sent, will retry: %s\n", domain, day, d->address, why);
		return DEST_RETRY;
	}
	if (override[0] != '\0')
		return send_override(r, domain, day, d, override, base);
	return send_to(r, domain, day, d, base);
}

static void send_report(struct run *r, const char *domain, const char *day, const char *id)
{
	char rua[MA_RUA_VALUE_MAX], name[600], file[620], *xml = NULL;
	struct ma_rua_dest dests[MA_RUA_MAX];
	struct ma_send_mail m;
	struct rows *rows;
	unsigned char *gz = NULL;
	size_t n, i, xml_len, gz_len, sent = 0, retry = 0;
	const char *error = NULL;

	switch (ma_rua_fetch(domain, NULL, NULL, r->dns_timeout, rua, sizeof(rua))) {
	case MA_RUA_OK:
		break;
	case MA_RUA_NONE:
		printf("%s %s: no rua: nothing sent (kept until the retention ends)\n", domain, day);
		return;
	default:
		printf("%s %s: DNS temporary failure reading _dmarc.%s: will retry\n", domain, day,
		       domain);
		r->errors++;
		return;
	}
	n = ma_rua_parse(rua, dests, MA_RUA_MAX);
	rows = calloc(1, sizeof(*rows));
	if (rows == NULL || report_name(r, domain, day, name, sizeof(name)) != 0 ||
	    build_xml(r, domain, day, id, rows, &xml, &xml_len) != 0 ||
	    ma_send_gzip(xml, xml_len, &gz, &gz_len) != 0) {
		fprintf(stderr, "messec-dmarc-report: %s %s: cannot build the report\n", domain, day);
		r->errors++;
		goto out;
	}
	snprintf(file, sizeof(file), "%s.xml.gz", name);
	memset(&m, 0, sizeof(m));
	m.from = r->email;
	m.org_name = r->org;
	m.submitter = r->submitter;
	m.policy_domain = domain;
	m.report_id = id;
	m.filename = file;
	m.gz = gz;
	m.gz_len = gz_len;
	m.now = time(NULL);
	for (i = 0; i < n; i++) {
		switch (send_dest(r, domain, day, &dests[i], &m)) {
		case DEST_SENT: sent++; break;
		case DEST_RETRY: retry++; break;
		default: break;
		}
	}
	if (retry > 0) {
		r->errors++;
	} else if (sent > 0) {
		if (ma_report_forget(r->store, domain, day, rows->row, rows->n, r->retention,
				     &error) != 0) {
			fprintf(stderr, "messec-dmarc-report: %s %s: sent, but not taken off the "
				"store: %s\n", domain, day, error);
			r->errors++;
		}
	}
out:
	free(rows);
	free(xml);
	free(gz);
}

/* The periods are listed first, then reported: no store write happens
   inside the store's walk. */
#define PERIODS_MAX 100000
struct periods {
	char (*day)[9];
	char (*domain)[254];
	size_t n, size;
	int overflow;
	const struct run *r;
};

static void list_period(const char *day, const char *domain, void *arg)
{
	struct periods *p = arg;
	const struct run *r = p->r;

	if (r->day != NULL ? strcmp(day, r->day) != 0 : strcmp(day, r->today) >= 0)
		return;		/* not this period / not complete yet */
	if (p->n == p->size) {
		if (p->size >= PERIODS_MAX) {
			p->overflow = 1;
			return;
		}
		p->size = p->size ? 2 * p->size : 64;
		p->day = xrealloc(p->day, p->size * sizeof(*p->day));
		p->domain = xrealloc(p->domain, p->size * sizeof(*p->domain));
	}
	str_copy(p->day[p->n], day, sizeof(p->day[0]));
	str_copy(p->domain[p->n], domain, sizeof(p->domain[0]));
	p->n++;
}

static void one_period(struct run *r, const char *day, const char *domain)
{
	char id[300], dom[256];

	safe_name(domain, dom, sizeof(dom));
	/* Unique per report: the domain, the day and when it was made. */
	snprintf(id, sizeof(id), "%s-%s-%lld", dom, day, (long long) time(NULL));
	if (r->dir != NULL)
		write_file(r, domain, day, id);
	else
		send_report(r, domain, day, id);
}

/* --- ingest: reports received ------------------------------------------ */

struct ingest {
	struct ma_ingest_summary *sum;
	struct store *store;		/* -s: reports kept, summary from the store */
	uint32_t retention;
};

/* One file, read whole (bounded), unpacked, parsed, stored or added up. */
static int ingest_file(const char *path, struct ingest *in)
{
	const char *error = NULL;
	struct ma_ingest_report rep;
	struct stat st;
	uint8_t *data;
	char *xml = NULL;
	size_t xml_len, got = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &st) != 0) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t) MA_INGEST_INPUT_MAX) {
		fprintf(stderr, "%s: %s\n", path, S_ISREG(st.st_mode) ?
			"over 16 MiB, not read" : "not a regular file");
		close(fd);
		return -1;
	}
	data = xmalloc((size_t) st.st_size + 1);
	while (got < (size_t) st.st_size && (n = read(fd, data + got, (size_t) st.st_size - got)) > 0)
		got += (size_t) n;
	close(fd);
	rc = ma_ingest_unpack(data, got, &xml, &xml_len, &error);
	free(data);
	if (rc == 0)
		rc = ma_ingest_parse(xml, xml_len, &rep, &error);
	free(xml);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", path, error);
		return -1;
	}
	if (in->store != NULL) {
		rc = ma_ingest_store_put(in->store, &rep, in->retention, &error);
		if (rc < 0)
			fprintf(stderr, "%s: not stored: %s\n", path, error);
		else if (rc > 0)
			fprintf(stderr, "%s: report %s of %s already stored: skipped\n", path,
				rep.report_id, rep.org_name);
	} else if (ma_ingest_summary_add(in->sum, &rep) != 0) {
		fprintf(stderr, "%s: report %s of %s already read: skipped\n", path, rep.report_id,
			rep.org_name);
		rc = 0;
	}
	ma_ingest_report_clear(&rep);
	return rc < 0 ? -1 : 0;
}

/* A directory: its regular files, and for a Maildir those of cur/ and
   new/. Names starting with "." are skipped. */
static int ingest_dir(const char *dir, struct ingest *in, int depth)
{
	struct dirent *e;
	char path[4096];
	struct stat st;
	int errors = 0;
	DIR *d = opendir(dir);

	if (d == NULL) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth == 0 && (strcmp(e->d_name, "cur") == 0 ||
					   strcmp(e->d_name, "new") == 0))
				errors += ingest_dir(path, in, 1);
		} else if (S_ISREG(st.st_mode)) {
			errors += ingest_file(path, in) != 0;
		}
	}
	closedir(d);
	return errors;
}

static void ingest_usage(void)
{
	fprintf(stderr, "usage: messec-dmarc-report ingest [-s STORE [--days N] "
		"[--retention SECONDS]] [--json] FILE|DIR|MAILDIR...\n");
	exit(EX_USAGE);
}

/*
 * ingest: every PATH read; without -s the table is of those reports;
 * with -s they are kept in the store (once each) and the table is of
 * every report kept whose period ended in the last N days (default 31).
 */
static int ingest_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "retention", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest in = { NULL, NULL, 400 * 86400 };
	int json = 0;
	const char *addr = NULL, *error = NULL;
	uint64_t days = 31, v;
	struct stat st;
	char since[9];
	int i, c, errors = 0;

	while ((c = getopt_long(argc, argv, "s:d:r:j", opts, NULL)) != -1) {
		switch (c) {
		case 's': addr = optarg; break;
		case 'j': json = 1; break;
		case 'd':
			if (ms_str_parse_uint(optarg, 1, 3660, &days) != 0)
				ingest_usage();
			break;
		case 'r':
			if (ms_str_parse_uint(optarg, 86400, 3660u * 86400, &v) != 0)
				ingest_usage();
			in.retention = (uint32_t) v;
			break;
		default: ingest_usage();
		}
	}
	if (optind >= argc && addr == NULL)
		ingest_usage();
	if (addr != NULL && (in.store = store_open(addr, &error)) == NULL) {
		fprintf(stderr, "messec-dmarc-report: %s: %s\n", addr, error);
		return 1;
	}
	in.sum = ma_ingest_summary_new();
	for (i = optind; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			errors += ingest_dir(argv[i], &in, 0);
		else
			errors += ingest_file(argv[i], &in) != 0;
	}
	if (in.store != NULL) {
		ma_report_day(time(NULL) - (time_t) days * 86400, since);
		if (ma_ingest_store_summary(in.store, since, in.sum, &error) != 0) {
			fprintf(stderr, "messec-dmarc-report: %s\n", error);
			errors++;
		}
		store_close(&in.store);
	}
	if (json)
		ma_ingest_summary_print_json(in.sum, stdout);
	else
		ma_ingest_summary_print(in.sum, stdout);
	ma_ingest_summary_free(&in.sum);
	xmlCleanupParser();
	if (errors > 0)
		fprintf(stderr, "messec-dmarc-report: %d input(s) could not be read\n", errors);
	return errors > 0 ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: messec-dmarc-report -s STORE --org-name NAME --email ADDR "
		"[--day YYYYMMDD] [--dry-run DIR] [--sendmail PATH] [--psl PATH] "
		"[--dns-timeout MS] [--retention SECONDS]\n");
	exit(EX_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "org-name", required_argument, NULL, 'o' },
		{ "email", required_argument, NULL, 'e' },
		{ "day", required_argument, NULL, 'd' },
		{ "dry-run", required_argument, NULL, 'n' },
		{ "sendmail", required_argument, NULL, 'm' },
		{ "psl", required_argument, NULL, 'p' },
		{ "dns-timeout", required_argument, NULL, 't' },
		{ "retention", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ma_dmarc_config dcfg;
	struct ma_rua_dest self;
	struct run r;
	struct periods periods;
	size_t i;
	const char *addr = NULL, *error = NULL, *psl = NULL;
	uint64_t v;
	char email_uri[300];
	int c;

	if (argc > 1 && strcmp(argv[1], "ingest") == 0)
		return ingest_main(argc - 1, argv + 1);	/* its own options */
	memset(&r, 0, sizeof(r));
	r.sendmail = "/usr/sbin/sendmail";
	r.dns_timeout = 5000;
	r.retention = 31 * 86400;
	while ((c = getopt_long(argc, argv, "s:o:e:d:n:m:p:t:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': addr = optarg; break;
		case 'o': r.org = optarg; break;
		case 'e': r.email = optarg; break;
		case 'd': r.day = optarg; break;
		case 'n': r.dir = optarg; break;
		case 'm': r.sendmail = optarg; break;
		case 'p': psl = optarg; break;
		case 't':
			if (ms_str_parse_uint(optarg, 100, 60000, &v) != 0)
				usage();
			r.dns_timeout = (unsigned) v;
			break;
		case 'r':
			if (ms_str_parse_uint(optarg, 86400, 366 * 86400, &v) != 0)
				usage();
			r.retention = (uint32_t) v;
			break;
		default: usage();
		}
	}
	if (optind != argc || addr == NULL || r.org == NULL || r.email == NULL ||
	    strpbrk(r.org, "\r\n") != NULL)
		usage();
	if (r.day != NULL && (strlen(r.day) != 8 || strspn(r.day, "0123456789") != 8))
		usage();
	/* The reporter's address goes into headers and argv: the same
	   strict check as a rua address. */
	snprintf(email_uri, sizeof(email_uri), "mailto:%s", r.email);
	if (ma_rua_parse(email_uri, &self, 1) != 1 || self.error != NULL) {
		fprintf(stderr, "messec-dmarc-report: --email %s: not a plain address\n", r.email);
		return EX_USAGE;
	}
	r.submitter = self.domain;
	ma_report_day(time(NULL), r.today);
	signal(SIGPIPE, SIG_IGN);
	if (r.dir == NULL) {
		memset(&dcfg, 0, sizeof(dcfg));
		dcfg.psl_path = psl;
		dcfg.dns_timeout_ms = r.dns_timeout;
		if ((r.dmarc = ma_dmarc_new(&dcfg, &error)) == NULL) {
			fprintf(stderr, "messec-dmarc-report: %s\n", error);
			return 1;
		}
	}
	if ((r.store = store_open(addr, &error)) == NULL) {
		fprintf(stderr, "messec-dmarc-report: %s: %s\n", addr, error);
		ma_dmarc_free(&r.dmarc);
		return 1;
	}
	memset(&periods, 0, sizeof(periods));
	periods.r = &r;
	if (ma_report_periods(r.store, list_period, &periods, &error) != 0) {
		fprintf(stderr, "messec-dmarc-report: %s\n", error);
		r.errors++;
	} else if (periods.overflow) {
		fprintf(stderr, "messec-dmarc-report: over %d reports: the rest waits for "
			"the next run\n", PERIODS_MAX);
		r.errors++;
	}
	for (i = 0; i < periods.n; i++)
		one_period(&r, periods.day[i], periods.domain[i]);
	free(periods.day);
	free(periods.domain);
	/* The retention purge: every key expires after the milter's
	   dmarc_report_retention; LMDB keeps expired entries until
	   store_expire() (Redis expires them itself and answers 0). */
	if (r.dir == NULL) {
		long purged = store_expire(r.store);

		if (purged < 0) {
			fprintf(stderr, "messec-dmarc-report: purge: %s\n", store_error());
			r.errors++;
		} else {
			printf("%ld expired entries purged\n", purged);
		}
	}
	store_close(&r.store);
	ma_dmarc_free(&r.dmarc);
	return r.errors > 0 ? 1 : 0;
}
