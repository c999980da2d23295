/*++
 * NAME
 *	test_report_send 1
 * SUMMARY
 *	unit tests for sending DMARC aggregate reports: rua parsing
 *	(dmarc_rua.c), external destination verification (RFC 7489
 *	section 7.1) against a table-driven fake DNS, gzip and the report
 *	mail (dmarc_send.c), the sendmail hand-off, and what the store
 *	forgets after a send (dmarc_report.c)
 *--*/
#include "../../common/tests/test_util.h"

#include <sys/stat.h>
#include <openssl/evp.h>
#include <zlib.h>
#include "messec/sbuf.h"
#include "messec/store.h"
#include "../dmarc.h"
#include "../dmarc_report.h"
#include "../dmarc_rua.h"
#include "../dmarc_send.h"
#include "report_row.h"

/* --- rua parsing --------------------------------------------------------- */

struct rua_case {
	const char *name, *value;
	size_t n;		/* destinations filled */
	const char *address;	/* of the first; NULL: unusable */
	unsigned long long max_size;
};

static const struct rua_case rua_cases[] = {
	{ "rua: one mailto", "mailto:dmarc@example.com", 1, "dmarc@example.com", 0 },
	{ "rua: scheme and domain case", "MAILTO:Dmarc@Example.COM", 1, "Dmarc@example.com", 0 },
	{ "rua: !10m is 10 MiB", "mailto:r@example.com!10m", 1, "r@example.com", 10485760ull },
	{ "rua: !1k is 1024", "mailto:r@example.com!1k", 1, "r@example.com", 1024 },
	{ "rua: !500 plain octets", "mailto:r@example.com!500", 1, "r@example.com", 500 },
	{ "rua: bad size unit refused", "mailto:r@example.com!10x", 1, NULL, 0 },
	{ "rua: size 0 refused", "mailto:r@example.com!0", 1, NULL, 0 },
	{ "rua: huge size saturates", "mailto:r@example.com!999999999999999t", 1, "r@example.com",
	  0x7fffffffffffffffull },
	{ "rua: two URIs, spaces", " mailto:a@example.com , mailto:b@example.net!2m", 2,
	  "a@example.com", 0 },
	{ "rua: %-escape decoded", "mailto:dmarc%40example.com", 1, "dmarc@example.com", 0 },
	{ "rua: hfields ignored", "mailto:r@example.com?subject=x", 1, "r@example.com", 0 },
	{ "rua: https refused", "https://example.com/dmarc", 1, NULL, 0 },
	{ "rua: CRLF injection refused", "mailto:r@example.com%0d%0aBcc:%20x@evil.example", 1,
	  NULL, 0 },
	{ "rua: space in address refused", "mailto:r%20x@example.com", 1, NULL, 0 },
	{ "rua: option-like local part ok (argv has --)", "mailto:-oQ@example.com", 1,
	  "-oQ@example.com", 0 },
	{ "rua: quoted local part refused", "mailto:%22a%20b%22@example.com", 1, NULL, 0 },
	{ "rua: no @ refused", "mailto:example.com", 1, NULL, 0 },
	{ "rua: domain literal refused", "mailto:r@[192.0.2.1]", 1, NULL, 0 },
	{ "rua: single-label domain refused", "mailto:root@localhost", 1, NULL, 0 },
	{ "rua: bad %-escape refused", "mailto:r%4@example.com", 1, NULL, 0 },
	{ "rua: leading dot refused", "mailto:.r@example.com", 1, NULL, 0 },
	{ "rua: at most MA_RUA_MAX kept",
	  "mailto:a@e.com,mailto:b@e.com,mailto:c@e.com,mailto:d@e.com,mailto:e@e.com", MA_RUA_MAX,
	  "a@e.com", 0 },
	{ "rua: empty", "", 0, NULL, 0 },
};

static void test_rua(void **state)
{
	const struct rua_case *c = *state;
	struct ma_rua_dest d[MA_RUA_MAX];
	size_t n = ma_rua_parse(c->value, d, MA_RUA_MAX);

	assert_int_equal(n, c->n);
	if (n == 0)
		return;
	if (c->address == NULL) {
		assert_non_null(d[0].error);
		return;
	}
	if (d[0].error != NULL)
		fail_msg("refused: %s", d[0].error);
	assert_string_equal(d[0].address, c->address);
	assert_int_equal(d[0].max_size, c->max_size);
}

/* --- verification against a fake DNS --------------------------------- */

struct fake_rr {
	const char *name;
	enum ma_dmarc_lookup result;
	const char *txt[3];
};

static const struct fake_rr fake_dns[] = {
	{ "_dmarc.policy.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=spf1 -all", "v=DMARC1; p=none; rua=mailto:r@reports.example!10m,mailto:x@policy.example" } },
	{ "_dmarc.two.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=DMARC1; p=none; rua=mailto:a@two.example", "v=DMARC1; p=reject; rua=mailto:b@two.example" } },
	{ "_dmarc.norua.example", MA_DMARC_LOOKUP_FOUND, { "v=DMARC1; p=reject" } },
	{ "_dmarc.flaky.example", MA_DMARC_LOOKUP_RETRY, { NULL } },
	{ "policy.example._report._dmarc.reports.example", MA_DMARC_LOOKUP_FOUND, { "v=DMARC1" } },
	{ "policy.example._report._dmarc.two.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=DMARC1", "v=DMARC1; rua=mailto:z@two.example" } },
	{ "policy.example._report._dmarc.over.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=DMARC1; rua=mailto:agg@over.example, mailto:b@Over.Example!1m" } },
	{ "policy.example._report._dmarc.conflict.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=DMARC1; rua=mailto:a@conflict.example", "v=DMARC1; rua=mailto:b@conflict.example" } },
	{ "policy.example._report._dmarc.same.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=DMARC1; rua=mailto:a@same.example", "v=DMARC1;rua=mailto:a@same.example" } },
	{ "policy.example._report._dmarc.mixed.example", MA_DMARC_LOOKUP_FOUND,
	  { "v=spf1 -all", "v=DMARC1" } },
	{ "policy.example._report._dmarc.spf.example", MA_DMARC_LOOKUP_FOUND, { "v=spf1 -all" } },
	{ "policy.example._report._dmarc.flaky.example", MA_DMARC_LOOKUP_RETRY, { NULL } },
};

static int lookups;

static enum ma_dmarc_lookup fake_lookup(void *ctx, const char *name, struct ma_dmarc_txt *txt)
{
	size_t i, j;

	(void) ctx;
	lookups++;
	for (i = 0; i < sizeof(fake_dns) / sizeof(fake_dns[0]); i++) {
		if (strcmp(fake_dns[i].name, name) != 0)
			continue;
		for (j = 0; j < 3 && fake_dns[i].txt[j] != NULL; j++)
			ma_dmarc_txt_add(txt, fake_dns[i].txt[j], strlen(fake_dns[i].txt[j]));
		return fake_dns[i].result;
	}
	return MA_DMARC_LOOKUP_NOTFOUND;
}

static void test_fetch(void **state)
{
	char rua[MA_RUA_VALUE_MAX];

	(void) state;
	assert_int_equal(ma_rua_fetch("policy.example", fake_lookup, NULL, 0, rua, sizeof(rua)),
			 MA_RUA_OK);
	assert_string_equal(rua, "mailto:r@reports.example!10m,mailto:x@policy.example");
	/* section 6.6.3: two DMARC records mean none */
	assert_int_equal(ma_rua_fetch("two.example", fake_lookup, NULL, 0, rua, sizeof(rua)),
			 MA_RUA_NONE);
	assert_int_equal(ma_rua_fetch("norua.example", fake_lookup, NULL, 0, rua, sizeof(rua)),
			 MA_RUA_NONE);
	assert_int_equal(ma_rua_fetch("nothing.example", fake_lookup, NULL, 0, rua, sizeof(rua)),
			 MA_RUA_NONE);
	/* a DNS error is never "no rua" */
	assert_int_equal(ma_rua_fetch("flaky.example", fake_lookup, NULL, 0, rua, sizeof(rua)),
			 MA_RUA_RETRY);
}

struct verify_case {
	const char *name, *dest;
	enum ma_rua_result want;
	int queries;
	const char *override;		/* the destination's own rua, "" none */
};

static const struct verify_case verify_cases[] = {
	{ "7.1: same domain, no query", "policy.example", MA_RUA_OK, 0, "" },
	{ "7.1: same organizational domain, no query", "reports.policy.example", MA_RUA_OK, 0, "" },
	{ "7.1: external, one v=DMARC1 record: verified", "reports.example", MA_RUA_OK, 1, "" },
	{ "7.1: external, no record: not verified", "other.example", MA_RUA_NONE, 1, "" },
	{ "7.1 steps 5-8: two v=DMARC1 records, one rua: verified, its rua", "two.example",
	  MA_RUA_OK, 1, "mailto:z@two.example" },
	{ "7.1 step 5: records not v=DMARC1 discarded, one left: verified", "mixed.example",
	  MA_RUA_OK, 1, "" },
	{ "7.1 step 8: the destination's own rua replaces ours", "over.example", MA_RUA_OK, 1,
	  "mailto:agg@over.example, mailto:b@Over.Example!1m" },
	{ "7.1 step 8: two records, the same rua: verified, that rua", "same.example",
	  MA_RUA_OK, 1, "mailto:a@same.example" },
	{ "7.1 step 8: two different rua overrides: not sent", "conflict.example",
	  MA_RUA_NONE, 1, "" },
	{ "7.1: external, not v=DMARC1: not verified", "spf.example", MA_RUA_NONE, 1, "" },
	{ "7.1: external, DNS error: retry", "flaky.example", MA_RUA_RETRY, 1, "" },
};

static struct ma_dmarc *dmarc;

static void test_verify(void **state)
{
	const struct verify_case *c = *state;
	const char *why = NULL, *error = NULL;
	struct ma_dmarc_config cfg;
	char override[MA_RUA_VALUE_MAX];

	if (dmarc == NULL) {
		memset(&cfg, 0, sizeof(cfg));
		if ((dmarc = ma_dmarc_new(&cfg, &error)) == NULL)
			fail_msg("ma_dmarc_new: %s", error);
	}
	lookups = 0;
	strcpy(override, "junk");
	assert_int_equal(ma_rua_verify(dmarc, "policy.example", c->dest, fake_lookup, NULL, 0,
				       override, sizeof(override), &why), c->want);
	assert_non_null(why);
	assert_int_equal(lookups, c->queries);
	assert_string_equal(override, c->override);
}

struct override_case {
	const char *name, *value, *dest;
	size_t want;
	const char *first;		/* address of the first destination */
};

static const struct override_case override_cases[] = {
	{ "7.1 step 8: override at the verified host: used", "mailto:agg@over.example",
	  "over.example", 1, "agg@over.example" },
	{ "7.1 step 8: two addresses, host in any case: both",
	  "mailto:agg@over.example, mailto:b@Over.Example!1m", "over.example", 2,
	  "agg@over.example" },
	{ "7.1 step 8: override at another host: nothing sent", "mailto:x@third.example",
	  "over.example", 0, NULL },
	{ "7.1 step 8: one of two at another host: nothing sent",
	  "mailto:a@over.example,mailto:x@third.example", "over.example", 0, NULL },
	{ "7.1 step 8: a subdomain is another host: nothing sent", "mailto:a@sub.over.example",
	  "over.example", 0, NULL },
	{ "7.1 step 8: unusable override URI: nothing sent", "https://over.example/dmarc",
	  "over.example", 0, NULL },
	{ "7.1 step 8: empty override: nothing sent", " , ", "over.example", 0, NULL },
};

static void test_override(void **state)
{
	const struct override_case *c = *state;
	struct ma_rua_dest d[MA_RUA_MAX];
	const char *why = NULL;

	assert_int_equal(ma_rua_override(c->value, c->dest, d, MA_RUA_MAX, &why), c->want);
	assert_non_null(why);
	if (c->first != NULL)
		assert_string_equal(d[0].address, c->first);
}

/* --- gzip and the mail ------------------------------------------------ */

static void test_gzip(void **state)
{
	static const char text[] = "<feedback>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</feedback>\n";
	unsigned char *gz = NULL, back[256];
	size_t len = 0;
	z_stream z;

	(void) state;
	assert_int_equal(ma_send_gzip(text, sizeof(text) - 1, &gz, &len), 0);
	/* gzip magic (RFC 1952) and zlib's own inflate reads it back */
	assert_true(len > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = gz;
	z.avail_in = (uInt) len;
	z.next_out = back;
	z.avail_out = sizeof(back);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, sizeof(text) - 1);
	assert_memory_equal(back, text, sizeof(text) - 1);
	inflateEnd(&z);
	free(gz);
}

static void test_message(void **state)
{
	unsigned char gz[200], dec[300];
	struct ma_send_mail m = { "postmaster@lab.example", "r@reports.example", "mx.lab.example",
				  "lab.example", "policy.example", "policy.example-20261201-1",
				  "lab.example!policy.example!1796083200!1796169599.xml.gz", gz,
				  sizeof(gz), 1796083200 };
	struct sbuf *b = sbuf_new(1 << 20);
	const char *s, *p, *e;
	char line[100];
	size_t i, got = 0;

	(void) state;
	for (i = 0; i < sizeof(gz); i++)
		gz[i] = (unsigned char) (i * 7);
	assert_int_equal(ma_send_message(b, &m), 0);
	s = sbuf_str(b);
	assert_non_null(strstr(s, "\nSubject: Report Domain: policy.example Submitter: lab.example "
			       "Report-ID: <policy.example-20261201-1>\n"));
	assert_non_null(strstr(s, "To: r@reports.example\n"));
	assert_non_null(strstr(s, "Content-Type: application/gzip; name=\"lab.example!policy.example!"));
	assert_null(strchr(s, '\r'));
	/* the base64 lines decode to the attachment */
	p = strstr(s, "filename=");
	p = strstr(p, "\n\n") + 2;
	while ((e = strchr(p, '\n')) != NULL && e > p) {
		int n;

		assert_true(e - p <= 76);
		memcpy(line, p, (size_t) (e - p));
		n = EVP_DecodeBlock(dec + got, (const unsigned char *) line, (int) (e - p));
		assert_true(n > 0);
		got += (size_t) n;
		p = e + 1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	assert_true(got >= sizeof(gz) && got <= sizeof(gz) + 2);
	assert_memory_equal(dec, gz, sizeof(gz));
	/* a header value with a line break is refused */
	m.to = "r@reports.example\nBcc: x@evil.example";
	sbuf_reset(b);
	assert_int_equal(ma_send_message(b, &m), -1);
	sbuf_free(&b);
}

/* --- sendmail -------------------------------------------------------- */

static char dir[256];

/* write_script(path, size, name, body): an executable "#!/bin/sh" script
   NAME in the test directory; its path in path. */
static void write_script(char *path, size_t size, const char *name, const char *body)
{
	FILE *fp;

	snprintf(path, size, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s", body);
	fclose(fp);
	assert_int_equal(chmod(path, 0700), 0);
}

static void test_sendmail(void **state)
{
	char script[300], out[300], args[300], err[256], cmd[700];
	static const char msg[] = "Subject: x\n\nbody\n";
	FILE *fp;

	(void) state;
	snprintf(script, sizeof(script), "%s/sendmail", dir);
	snprintf(out, sizeof(out), "%s/msg", dir);
	snprintf(args, sizeof(args), "%s/args", dir);
	fp = fopen(script, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\necho \"$@\" > '%s'\ncat > '%s'\nexit ${FAKE_SENDMAIL_EXIT:-0}\n",
		args, out);
	fclose(fp);
	chmod(script, 0700);
	assert_int_equal(ma_send_sendmail(script, "me@lab.example", "-oQ@x.example", msg,
					  sizeof(msg) - 1, 10, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "grep -qx -- '-i -f me@lab.example -- -oQ@x.example' '%s' && "
		 "printf 'Subject: x\\n\\nbody\\n' | cmp -s - '%s'", args, out);
	assert_int_equal(system(cmd), 0);
	/* only exit 0 is accepted */
	setenv("FAKE_SENDMAIL_EXIT", "75", 1);
	assert_int_equal(ma_send_sendmail(script, "me@lab.example", "r@x.example", msg,
					  sizeof(msg) - 1, 10, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "status 75"));
	unsetenv("FAKE_SENDMAIL_EXIT");
	assert_int_equal(ma_send_sendmail("/nonexistent/sendmail", "me@lab.example", "r@x.example",
					  msg, sizeof(msg) - 1, 10, err, sizeof(err)), -1);
}

/* A sendmail that exits without reading its input (a wrapper refusing
   its arguments, a full disk): an error, not the caller killed by
   SIGPIPE. 256 KiB is more than a pipe holds, so the write must meet
   EPIPE; exit 0 without reading still is no delivery. */
static void test_sendmail_no_read(void **state)
{
	char script[300];
	size_t len = 256 * 1024;
	char *msg = malloc(len);
	char err[256];

	(void) state;
	assert_non_null(msg);
	memset(msg, 'x', len);
	write_script(script, sizeof(script), "sendmail-quits", "exit 0\n");
	assert_int_equal(ma_send_sendmail(script, "me@lab.example", "r@x.example", msg, len, 10,
					  err, sizeof(err)), -1);
	assert_non_null(strstr(err, "could not write the whole message"));
	/* A reader that drains the pipe once and quits: the next write
	   finds room and no reader (POLLOUT|POLLERR), i.e. EPIPE and
	   SIGPIPE; it depends on scheduling, so 300 tries. */
	write_script(script, sizeof(script), "sendmail-reads-once",
		     "dd bs=65536 count=1 of=/dev/null 2>/dev/null\nexit 0\n");
	for (int i = 0; i < 300; i++)
		assert_int_equal(ma_send_sendmail(script, "me@lab.example", "r@x.example", msg,
						  len, 10, err, sizeof(err)), -1);
	free(msg);
}

/* --- forgetting what was sent ---------------------------------------- */

static struct store *store;

static struct ma_report_row row(const char *ip)
{
	return report_row("policy.example", ip);
}

static void keep(const char *hash, int64_t count, void *ctx)
{
	struct ma_report_sent_row *rows = ctx;
	size_t i = rows[0].hash[0] == '\0' ? 0 : 1;

	memcpy(rows[i].hash, hash, 64);
	rows[i].hash[64] = '\0';
	rows[i].count = count;
}

static void count_xml(const char *day, const char *what, int want)
{
	struct ma_report_meta meta = { "o", "e@lab.example", "id", NULL, NULL };
	char *xml = NULL;
	size_t len = 0;
	const char *error = NULL;
	FILE *fp = open_memstream(&xml, &len);
	int rc = ma_report_xml(store, "policy.example", day, &meta, fp, &error);

	fclose(fp);
	if (want < 0) {
		assert_int_equal(rc, -1);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(strstr(xml, what) != NULL, want);
	}
	free(xml);
}

static void test_forget(void **state)
{
	struct ma_report_row a = row("192.0.2.1"), b = row("192.0.2.2");
	struct ma_report_sent_row rows[2];
	struct ma_report_meta meta = { "o", "e@lab.example", "id", keep, rows };
	time_t t = 1796083200 + 60;
	const char *error = NULL;
	char day[9], *xml = NULL, addr[300];
	size_t len = 0;
	FILE *fp;

	(void) state;
	snprintf(addr, sizeof(addr), "lmdb:%s/r.lmdb", dir);
	assert_non_null(store = store_open(addr, &error));
	ma_report_day(t, day);
	assert_int_equal(ma_report_record(store, &a, t, 86400, &error), 0);
	assert_int_equal(ma_report_record(store, &a, t, 86400, &error), 0);
	assert_int_equal(ma_report_record(store, &b, t, 86400, &error), 0);
	memset(rows, 0, sizeof(rows));
	fp = open_memstream(&xml, &len);
	assert_int_equal(ma_report_xml(store, "policy.example", day, &meta, fp, &error), 0);
	fclose(fp);
	free(xml);
	assert_true(rows[0].count + rows[1].count == 3);
	/* between the report and its acceptance: a again, once */
	assert_int_equal(ma_report_record(store, &a, t, 86400, &error), 0);
	assert_int_equal(ma_report_mark_sent(store, "policy.example", day, "r@x.example", 86400,
					     &error), 0);
	assert_int_equal(ma_report_was_sent(store, "policy.example", day, "r@x.example"), 1);
	assert_int_equal(ma_report_forget(store, "policy.example", day, rows, 2, 86400, &error), 0);
	/* left: a with count 1; b gone; the sent mark gone (a new report) */
	count_xml(day, "<source_ip>192.0.2.1</source_ip>\n      <count>1</count>", 1);
	count_xml(day, "192.0.2.2", 0);
	assert_int_equal(ma_report_was_sent(store, "policy.example", day, "r@x.example"), 0);
	/* the rest sent: nothing left of the day, the policy entry too */
	memset(rows, 0, sizeof(rows));
	meta.row_ctx = rows;
	fp = open_memstream(&xml, &len);
	assert_int_equal(ma_report_xml(store, "policy.example", day, &meta, fp, &error), 0);
	fclose(fp);
	free(xml);
	assert_int_equal(ma_report_forget(store, "policy.example", day, rows, 1, 86400, &error), 0);
	count_xml(day, "", -1);
	store_close(&store);
}

static int setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "%s/messec-send.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void) state;
	ma_dmarc_free(&dmarc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, rua_cases, test_rua);
	tests_add(&l, "rua read from _dmarc.<policy domain>; DNS error is retry", test_fetch, NULL);
	tests_add_table(&l, verify_cases, test_verify);
	tests_add_table(&l, override_cases, test_override);
	tests_add(&l, "gzip: zlib inflates it back", test_gzip, NULL);
	tests_add(&l, "report mail: section 7.2.1.1 subject, base64 attachment, no injection",
		  test_message, NULL);
	tests_add(&l, "sendmail: argv with --, message on stdin, only exit 0 accepted",
		  test_sendmail, NULL);
	tests_add(&l, "sendmail exits without reading: an error, no SIGPIPE death",
		  test_sendmail_no_read, NULL);
	tests_add(&l, "forget after a send: rows recorded since stay, marks go", test_forget, NULL);
	return tests_run(&l, "dmarc_report_send", setup, teardown);
}
