/*++
 * NAME
 *	messec-dmarc-report 8
 * SUMMARY
 *	DMARC aggregate reports (RFC 7489 appendix C) from the evaluations
 *	messec-milter-auth recorded
 * SYNOPSIS
 *	messec-dmarc-report -s STORE --org-name NAME --email ADDR
 *		[--day YYYYMMDD] --dry-run DIR
 * DESCRIPTION
 *	For every policy domain recorded on the day (default: yesterday,
 *	UTC) in STORE (the milter's dmarc_report_store), writes the
 *	aggregate report as DIR/ORG!DOMAIN!BEGIN!END.xml (the file name of
 *	RFC 7489 section 7.2.1.1, before compression) and prints its path.
 *
 *	Not yet: sending (gzip, the rua destinations and their external
 *	destination verification of section 7.1, the local sendmail).
 *	Without --dry-run the program says so and exits 64.
 * DIAGNOSTICS
 *	Exit 0 ok, 1 on a store or file error, 64 on a usage error.
 *--*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "messec/store.h"
#include "dmarc_report.h"

#define EX_USAGE 64

struct run {
	struct store *store;
	const char *org, *email, *dir, *day;
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

static void one_domain(const char *domain, void *arg)
{
	struct run *r = arg;
	struct ma_report_meta meta;
	char path[4096], org[256], dom[256], id[300], tmp[4200];
	const char *error = NULL;
	struct tm tm;
	time_t begin;
	FILE *fp;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(r->day, "%4d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	begin = timegm(&tm);
	safe_name(r->org, org, sizeof(org));
	safe_name(domain, dom, sizeof(dom));
	snprintf(id, sizeof(id), "%s-%s", dom, r->day);
	snprintf(path, sizeof(path), "%s/%s!%s!%lld!%lld.xml", r->dir, org, dom,
		 (long long) begin, (long long) begin + 86399);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		perror(tmp);
		r->errors++;
		return;
	}
	meta.org_name = r->org;
	meta.email = r->email;
	meta.report_id = id;
	if (ma_report_xml(r->store, domain, r->day, &meta, fp, &error) != 0) {
		fprintf(stderr, "messec-dmarc-report: %s: %s\n", domain, error);
		fclose(fp);
		remove(tmp);
		r->errors++;
		return;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		perror(path);
		r->errors++;
		return;
	}
	printf("%s\n", path);
}

static void usage(void)
{
	fprintf(stderr, "usage: messec-dmarc-report -s STORE --org-name NAME --email ADDR "
		"[--day YYYYMMDD] --dry-run DIR\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r;
	const char *addr = NULL, *error = NULL;
	char yesterday[9];
	int c;

	memset(&r, 0, sizeof(r));
	while ((c = getopt_long(argc, argv, "s:o:e:d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': addr = optarg; break;
		case 'o': r.org = optarg; break;
		case 'e': r.email = optarg; break;
		case 'd': r.day = optarg; break;
		case 'n': r.dir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || addr == NULL || r.org == NULL || r.email == NULL)
		usage();
	if (r.dir == NULL) {
		fprintf(stderr, "messec-dmarc-report: only --dry-run DIR is implemented "
			"(sending is not yet)\n");
		return EX_USAGE;
	}
	if (r.day == NULL) {
		ma_report_day(time(NULL) - 86400, yesterday);
		r.day = yesterday;
	}
	if (strlen(r.day) != 8 || strspn(r.day, "0123456789") != 8)
		usage();
	if ((r.store = store_open(addr, &error)) == NULL) {
		fprintf(stderr, "messec-dmarc-report: %s: %s\n", addr, error);
		return 1;
	}
	if (ma_report_domains(r.store, r.day, one_domain, &r, &error) != 0) {
		fprintf(stderr, "messec-dmarc-report: %s\n", error);
		r.errors++;
	}
	store_close(&r.store);
	return r.errors > 0 ? 1 : 0;
}
