/*++
 * NAME
 *	test_ingest 1
 * SUMMARY
 *	unit tests for reading DMARC aggregate reports received
 *	(dmarc_ingest.c, dmarc_ingest_sum.c)
 * DESCRIPTION
 *	Fixtures in milter-auth/tests/reports/ (made with Python's zipfile,
 *	gzip and email modules, independent of this code): one report as
 *	XML, .xml.gz, deflated and stored .zip and a mail with a base64
 *	gzip attachment; and hostile or broken inputs: a gzip and a zip
 *	bomb (40 MiB of spaces in 40 KB), billion laughs, an XXE entity,
 *	UTF-16, truncated gzip, unclosed XML, XML that is not a report.
 *	Each is a named case: the same report comes out, or a clear error.
 *--*/
#include "../../common/tests/test_util.h"

#include <sys/stat.h>
#include "messec/store.h"
#include "../dmarc_ingest.h"

#define FIXTURES "milter-auth/tests/reports/"

struct ingest_case {
	const char *name, *file;
	const char *error;	/* NULL: the partner report is read */
};

static const struct ingest_case cases[] = {
	{ "plain XML", "report.xml", NULL },
	{ "gzip", "report.xml.gz", NULL },
	{ "zip, deflated entry", "report.zip", NULL },
	{ "zip, stored entry", "report-stored.zip", NULL },
	{ "mail with a base64 application/gzip attachment", "report-mail.eml", NULL },
	{ "gzip bomb stops at the cap", "bomb.xml.gz", "unpacked report over 32 MiB" },
	{ "zip bomb stops at the cap", "bomb.zip", "unpacked report over 32 MiB" },
	{ "billion laughs refused", "laughs.xml", "DOCTYPE" },
	{ "XXE (SYSTEM entity) refused", "xxe.xml", "DOCTYPE" },
	{ "UTF-16 refused", "utf16.xml", "neither XML" },
	{ "truncated gzip", "truncated.xml.gz", "truncated" },
	{ "unclosed XML", "unclosed.xml", "malformed XML" },
	{ "XML that is no report", "notreport.xml", "no <feedback>" },
};

static uint8_t *slurp(const char *name, size_t *len_r)
{
	char path[256];
	struct stat st;
	uint8_t *buf;
	FILE *fp;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	fp = fopen(path, "rb");
	if (fp == NULL || fstat(fileno(fp), &st) != 0)
		fail_msg("%s: cannot read", path);
	buf = malloc((size_t) st.st_size + 1);
	assert_non_null(buf);
	*len_r = fread(buf, 1, (size_t) st.st_size, fp);
	fclose(fp);
	return buf;
}

static int read_report(const char *file, struct ma_ingest_report *rep, const char **error_r)
{
	size_t len, xml_len;
	uint8_t *data = slurp(file, &len);
	char *xml = NULL;
	int rc = ma_ingest_unpack(data, len, &xml, &xml_len, error_r);

	free(data);
	if (rc == 0)
		rc = ma_ingest_parse(xml, xml_len, rep, error_r);
	free(xml);
	return rc;
}

static void test_case(void **state)
{
	const struct ingest_case *c = *state;
	struct ma_ingest_report rep;
	const char *error = NULL;
	int rc = read_report(c->file, &rep, &error);

	if (c->error != NULL) {
		assert_int_equal(rc, -1);
		assert_non_null(error);
		if (strstr(error, c->error) == NULL)
			fail_msg("error \"%s\", wanted \"%s\"", error, c->error);
		return;
	}
	if (rc != 0)
		fail_msg("%s", error);
	assert_string_equal(rep.org_name, "Partner MX");
	assert_string_equal(rep.report_id, "partner-1");
	assert_string_equal(rep.domain, "lab.example");
	assert_int_equal(rep.begin, 1796083200);
	assert_int_equal(rep.n_records, 3);
	assert_string_equal(rep.records[1].source_ip, "198.51.100.7");
	assert_int_equal(rep.records[1].count, 3);
	assert_string_equal(rep.records[1].spf, "fail");
	assert_int_equal(rep.records[1].n_dkim, 2);
	assert_string_equal(rep.records[1].auth_dkim[1].domain, "newsletter-service.example");
	ma_ingest_report_clear(&rep);
}

/* The line of ip: messages, DMARC pass, SPF aligned, DKIM aligned. */
static void check_line(const char *text, const char *ip, unsigned long m, unsigned long d,
		       unsigned long s, unsigned long k)
{
	const char *line = strstr(text, ip);
	char got[64];
	unsigned long v[4];

	assert_non_null(line);
	if (sscanf(line, "%63s %lu %lu %lu %lu", got, &v[0], &v[1], &v[2], &v[3]) != 5 ||
	    v[0] != m || v[1] != d || v[2] != s || v[3] != k)
		fail_msg("%s: %.120s", ip, line);
}

/* The admin's table: per source, DMARC pass and who fails; the same
   report read twice counts once. */
static void test_summary(void **state)
{
	struct ma_ingest_summary *sum = ma_ingest_summary_new();
	struct ma_ingest_report rep;
	const char *error = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void) state;
	assert_int_equal(read_report("report.xml", &rep, &error), 0);
	assert_int_equal(ma_ingest_summary_add(sum, &rep), 0);
	ma_ingest_report_clear(&rep);
	assert_int_equal(read_report("report.zip", &rep, &error), 0);
	assert_int_equal(ma_ingest_summary_add(sum, &rep), 1);
	ma_ingest_report_clear(&rep);
	fp = open_memstream(&text, &len);
	ma_ingest_summary_print(sum, fp);
	fclose(fp);
	ma_ingest_summary_free(&sum);
	assert_non_null(strstr(text, "1 report(s), 2026-12-01 .. 2026-12-01 (UTC)"));
	assert_non_null(strstr(text, "\ndomain lab.example\n"));
	/* most messages first; counts; the failing source flagged */
	if (strstr(text, "203.0.113.25") > strstr(text, "192.0.2.66") ||
	    strstr(text, "192.0.2.66") > strstr(text, "198.51.100.7"))
		fail_msg("order: %s", text);
	check_line(text, "203.0.113.25", 12, 12, 12, 12);
	check_line(text, "192.0.2.66", 5, 0, 0, 0);
	check_line(text, "198.51.100.7", 3, 3, 0, 3);
	assert_non_null(strstr(strstr(text, "192.0.2.66"), "FAILS DMARC"));
	assert_non_null(strstr(strstr(text, "198.51.100.7"), "lab.example:pass,newsletter-service.example:pass"));
	assert_null(strstr(strstr(text, "198.51.100.7"), "FAILS"));
	free(text);
}

/* --json: one JSON object with stable keys, byte for byte (scripts
   depend on it); a second domain; texts escaped; nothing read: empty. */
static void test_summary_json(void **state)
{
	static const char src[] =
		"{\"ip\":\"203.0.113.25\",\"messages\":12,\"dmarc_pass\":12,\"spf_aligned\":12,"
		"\"dkim_aligned\":12,\"none\":12,\"quarantine\":0,\"reject\":0,"
		"\"dkim\":[\"lab.example:pass\"],\"dkim_more\":false,\"reporters\":[\"%s\"],"
		"\"reporters_more\":false,\"fails_dmarc\":false},"
		"{\"ip\":\"192.0.2.66\",\"messages\":5,\"dmarc_pass\":0,\"spf_aligned\":0,"
		"\"dkim_aligned\":0,\"none\":5,\"quarantine\":0,\"reject\":0,\"dkim\":[],"
		"\"dkim_more\":false,\"reporters\":[\"%s\"],\"reporters_more\":false,"
		"\"fails_dmarc\":true},"
		"{\"ip\":\"198.51.100.7\",\"messages\":3,\"dmarc_pass\":3,\"spf_aligned\":0,"
		"\"dkim_aligned\":3,\"none\":3,\"quarantine\":0,\"reject\":0,"
		"\"dkim\":[\"lab.example:pass\",\"newsletter-service.example:pass\"],"
		"\"dkim_more\":false,\"reporters\":[\"%s\"],\"reporters_more\":false,"
		"\"fails_dmarc\":false}";
	struct ma_ingest_summary *sum = ma_ingest_summary_new();
	struct ma_ingest_report rep;
	const char *error = NULL;
	char *text = NULL, want[8192], a[2048], b[2048];
	size_t len = 0;
	FILE *fp;

	(void) state;
	fp = open_memstream(&text, &len);
	ma_ingest_summary_print_json(sum, fp);
	fclose(fp);
	assert_string_equal(text, "{\"version\":1,\"reports\":0,\"begin\":0,\"end\":0,\"domains\":[]}\n");
	free(text);
	assert_int_equal(read_report("report.xml", &rep, &error), 0);
	assert_int_equal(ma_ingest_summary_add(sum, &rep), 0);
	/* the same records for another domain, from a reporter whose name
	   needs escaping */
	snprintf(rep.domain, sizeof(rep.domain), "a.example");
	snprintf(rep.org_name, sizeof(rep.org_name), "Q\"uote\\ \x01");
	assert_int_equal(ma_ingest_summary_add(sum, &rep), 0);
	ma_ingest_report_clear(&rep);
	fp = open_memstream(&text, &len);
	ma_ingest_summary_print_json(sum, fp);
	fclose(fp);
	ma_ingest_summary_free(&sum);
	snprintf(a, sizeof(a), src, "Q\\\"uote\\\\ \\u0001", "Q\\\"uote\\\\ \\u0001",
		 "Q\\\"uote\\\\ \\u0001");
	snprintf(b, sizeof(b), src, "Partner MX", "Partner MX", "Partner MX");
	snprintf(want, sizeof(want), "{\"version\":1,\"reports\":2,\"begin\":1796083200,"
		 "\"end\":1796169599,\"domains\":[{\"domain\":\"a.example\",\"sources\":[%s]},"
		 "{\"domain\":\"lab.example\",\"sources\":[%s]}]}\n", a, b);
	assert_string_equal(text, want);
	free(text);
}

/* Kept in the store: once per report, read back over a period with the
   same table as from the file. */
static void test_store(void **state)
{
	struct ma_ingest_summary *sum;
	struct ma_ingest_report rep;
	struct store *st;
	const char *error = NULL;
	char dir[] = "/tmp/messec-ingest.XXXXXX", addr[64], *text = NULL, cmd[80];
	size_t len = 0;
	FILE *fp;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(addr, sizeof(addr), "lmdb:%s/s.lmdb", dir);
	assert_non_null(st = store_open(addr, &error));
	assert_int_equal(read_report("report.xml", &rep, &error), 0);
	assert_int_equal(ma_ingest_store_put(st, &rep, 86400 * 400, &error), 0);
	assert_int_equal(ma_ingest_store_put(st, &rep, 86400 * 400, &error), 1);
	ma_ingest_report_clear(&rep);
	sum = ma_ingest_summary_new();
	assert_int_equal(ma_ingest_store_summary(st, "20261201", sum, &error), 0);
	fp = open_memstream(&text, &len);
	ma_ingest_summary_print(sum, fp);
	fclose(fp);
	ma_ingest_summary_free(&sum);
	assert_non_null(strstr(text, "1 report(s), 2026-12-01 .. 2026-12-01 (UTC)"));
	check_line(text, "203.0.113.25", 12, 12, 12, 12);
	check_line(text, "192.0.2.66", 5, 0, 0, 0);
	check_line(text, "198.51.100.7", 3, 3, 0, 3);
	assert_non_null(strstr(text, "lab.example:pass,newsletter-service.example:pass"));
	free(text);
	/* a period starting after the report's end: nothing */
	sum = ma_ingest_summary_new();
	assert_int_equal(ma_ingest_store_summary(st, "20261202", sum, &error), 0);
	fp = open_memstream(&text, &len);
	ma_ingest_summary_print(sum, fp);
	fclose(fp);
	ma_ingest_summary_free(&sum);
	assert_string_equal(text, "no report read\n");
	free(text);
	store_close(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "summary: per source, failing flagged, duplicates once", test_summary, NULL);
	tests_add(&l, "store: kept once, read back over a period, same table", test_store, NULL);
	tests_add(&l, "--json: stable keys, byte for byte; escaped texts; empty", test_summary_json,
		  NULL);
	return tests_run(&l, "dmarc_ingest", NULL, NULL);
}
