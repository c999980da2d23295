/*++
 * NAME
 *	test_authres 1
 * SUMMARY
 *	unit tests for authres.c: RFC 8601 Appendix B authserv-ids, exact
 *	builder output, header injection, garbage and 1 MB inputs
 * DESCRIPTION
 *	The RFC examples are read from $MESSEC_CONFORMANCE (default
 *	../shared/conformance, relative to the repository root where the
 *	tests run): authres/rfc8601-examples.jsonl, one case per line. A
 *	missing file is a failure, not a skip.
 *--*/
#include "../../common/tests/test_util.h"

#include "messec/sbuf.h"
#include "../authres.h"
#include "ar_parse.h"

/* ---- RFC 8601 Appendix B: authserv-id of every example ---- */

struct example {
	char name[96];
	char *raw;		/* header field as in the RFC, name included */
	char want[256];
};

#define EXAMPLES_MAX 64
static struct example examples[EXAMPLES_MAX];
static size_t n_examples;

/* Decode the JSON string value of "key" in line into a malloc'ed string. */
static char *json_string(const char *line, const char *key)
{
	char pattern[64], *out, *o;
	const char *p;

	snprintf(pattern, sizeof(pattern), "\"%s\": \"", key);
	if ((p = strstr(line, pattern)) == NULL)
		return NULL;
	p += strlen(pattern);
	out = o = malloc(strlen(p) + 1);
	if (out == NULL)
		abort();
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'r': *o++ = '\r'; break;
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'u': *o++ = '?'; p += 4; break;	/* not used by the file */
		default: *o++ = *p; break;
		}
	}
	*o = '\0';
	return out;
}

static const char *conformance_dir(void)
{
	const char *dir = getenv("MESSEC_CONFORMANCE");

	return dir != NULL && *dir != '\0' ? dir : "../shared/conformance";
}

static int load_examples(void)
{
	char path[512], line[8192];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/authres/rfc8601-examples.jsonl", conformance_dir());
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL && n_examples < EXAMPLES_MAX) {
		struct example *e = &examples[n_examples];
		char *id = json_string(line, "id"), *want = json_string(line, "authserv_id");

		e->raw = json_string(line, "raw");
		if (id == NULL || want == NULL || e->raw == NULL)
			return -1;
		snprintf(e->name, sizeof(e->name), "rfc8601 example %s: authserv-id", id);
		snprintf(e->want, sizeof(e->want), "%s", want);
		free(id);
		free(want);
		n_examples++;
	}
	fclose(fp);
	return n_examples > 0 ? 0 : -1;
}

static void test_example(void **state)
{
	const struct example *e = *state;
	const char *value = strchr(e->raw, ':');
	char id[256];

	/* The file holds whole fields; the milter sees only the value. */
	assert_non_null(value);
	value++;
	assert_int_equal(ma_authres_authserv_id(value, strlen(value), id, sizeof(id)), 0);
	assert_string_equal(id, e->want);
}

static void test_examples_loaded(void **state)
{
	(void)state;
	if (n_examples == 0)
		fail_msg("cannot read %s/authres/rfc8601-examples.jsonl", conformance_dir());
}

/* ---- authserv-id parser: more shapes, and what must fail ---- */

struct id_case {
	const char *name, *value;
	size_t len;		/* 0: strlen */
	int want_rc;
	const char *want;
};

static const struct id_case id_cases[] = {
	{ "id: plain", "mx.example.org; spf=pass", 0, 0, "mx.example.org" },
	{ "id: upper case folded", "MX.Example.ORG; none", 0, 0, "mx.example.org" },
	{ "id: leading CFWS and comments", " \r\n\t(hi (nested) \\) x) mx.example.org (c) 1; none", 0, 0, "mx.example.org" },
	{ "id: no space before ;", "mx.example.org;none", 0, 0, "mx.example.org" },
	{ "id: comment glued", "mx.example.org(comment); none", 0, 0, "mx.example.org" },
	{ "id: quoted with escapes", "\"mx.\\example.org\"; none", 0, 0, "mx.example.org" },
	{ "id: quoted folded", "\"mx.exa\r\n mple.org\"; none", 0, 0, "mx.exa mple.org" },
	{ "id: only the id", "mx.example.org", 0, 0, "mx.example.org" },
	{ "id: empty", "", 0, -1, "" },
	{ "id: only CFWS", "  (comment) \r\n ", 0, -1, "" },
	{ "id: unterminated comment", "(mx.example.org; none", 0, -1, "" },
	{ "id: unterminated quote", "\"mx.example.org; none", 0, -1, "" },
	{ "id: empty quote", "\"\"; none", 0, -1, "" },
	{ "id: starts with ;", "; spf=pass", 0, -1, "" },
	{ "id: NUL in quoted", "\"mx\0.example.org\"; none", 20, -1, "" },
	{ "id: NUL ends a token", "mx\0.example.org; none", 20, 0, "mx" },
	{ "id: control char in quoted", "\"mx\001\"; none", 0, -1, "" },
	{ "id: 8-bit stops token", "mx\xc3\xa9.org; none", 0, 0, "mx" },
	{ "id: too long for the buffer", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; none", 0, -1, "" },
};

static void test_id(void **state)
{
	const struct id_case *c = *state;
	char id[128];
	size_t len = c->len ? c->len : strlen(c->value);

	assert_int_equal(ma_authres_authserv_id(c->value, len, id, sizeof(id)), c->want_rc);
	if (c->want_rc == 0)
		assert_string_equal(id, c->want);
}

/* ---- builder: exact output ---- */

struct build_case {
	const char *name;
	struct ma_authres ar;
	struct ma_authres_dkim dkim[3];
	const char *want;
};

static const struct build_case build_cases[] = {
	{ "build: spf, no dkim, dmarc", { "mx.example.org", "pass", "smtp.mailfrom", "example.com", NULL,
	  0, NULL, "pass", "example.com", "reject" }, { },
	  "mx.example.org;\n\tspf=pass smtp.mailfrom=example.com;\n\tdkim=none;\n"
	  "\tdmarc=pass header.from=example.com policy.dmarc=reject" },
	{ "build: dkim only", { "mx.example.org", NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL, NULL },
	  { { "pass", "example.com", "sel1", "rsa-sha256", "AbCdEf12", NULL } },
	  "mx.example.org;\n\tdkim=pass header.d=example.com header.s=sel1 header.a=rsa-sha256\n"
	  "\theader.b=AbCdEf12" },
	{ "build: two signatures, base64 prefix quoted", { "mx.example.org", "fail", "smtp.mailfrom",
	  "user@example.com", NULL, 2, NULL, "fail", "example.com", "quarantine" },
	  { { "fail", "example.com", "s", "rsa-sha256", "a/b+c=d1", "signature did not verify" },
	    { "pass", "ed.example.net", "e", "ed25519-sha256", "Zz09+aaa", NULL } },
	  "mx.example.org;\n\tspf=fail smtp.mailfrom=user@example.com;\n"
	  "\tdkim=fail reason=\"signature did not verify\" header.d=example.com header.s=s\n"
	  "\theader.a=rsa-sha256 header.b=\"a/b+c=d1\";\n"
	  "\tdkim=pass header.d=ed.example.net header.s=e header.a=ed25519-sha256\n"
	  "\theader.b=Zz09+aaa;\n\tdmarc=fail header.from=example.com policy.dmarc=quarantine" },
	{ "build: helo identity", { "mx", "none", "smtp.helo", "mail.example.com", NULL, 0, NULL, NULL, NULL, NULL },
	  { }, "mx;\n\tspf=none smtp.helo=mail.example.com;\n\tdkim=none" },
	{ "build: unknown spf property becomes smtp.mailfrom", { "mx", "pass", "header.x", "example.com", NULL,
	  0, NULL, NULL, NULL, NULL }, { }, "mx;\n\tspf=pass smtp.mailfrom=example.com;\n\tdkim=none" },
	{ "build: quoted local-part is quoted and escaped", { "mx", "pass", "smtp.mailfrom",
	  "\"odd \\ local\"@example.com", "spf (test)", 0, NULL, NULL, NULL, NULL }, { },
	  "mx;\n\tspf=pass reason=\"spf (test)\" smtp.mailfrom=\"\\\"odd \\\\ local\\\"@example.com\";\n\tdkim=none" },
	{ "build: bad result keyword", { "mx", "pa ss", NULL, "example.com", NULL, 0, NULL, "pass\r\nX: y",
	  NULL, NULL }, { }, "mx;\n\tspf=permerror smtp.mailfrom=example.com;\n\tdkim=none;\n\tdmarc=permerror" },
	{ "build: authserv-id needing quotes", { "mx host", NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL },
	  { }, "\"mx host\";\n\tdkim=none" },
	{ "build: authserv-id with @ is quoted (a value, not a pvalue)", { "@mx", NULL, NULL, NULL, NULL, 0,
	  NULL, NULL, NULL, NULL }, { }, "\"@mx\";\n\tdkim=none" },
	{ "build: empty value quoted", { "mx", "none", "smtp.mailfrom", "", NULL, 0, NULL, NULL, NULL, NULL },
	  { }, "mx;\n\tspf=none smtp.mailfrom=\"\";\n\tdkim=none" },
	{ "build: CRLF injection via From domain", { "mx", NULL, NULL, NULL, NULL, 0, NULL, "fail",
	  "evil.com\r\nX-Bad: 1", "reject" }, { },
	  "mx;\n\tdkim=none;\n\tdmarc=fail header.from=\"evil.com??X-Bad: 1\" policy.dmarc=reject" },
	{ "build: long id folds first unit", { "a-very-long-authserv-id.mail-exchanger.example.org", "pass",
	  "smtp.mailfrom", "bounces+a-long-verp-tag-1234567890abc@lists.example.com", NULL, 0, NULL, NULL, NULL, NULL },
	  { }, "a-very-long-authserv-id.mail-exchanger.example.org;\n\tspf=pass\n"
	  "\tsmtp.mailfrom=bounces+a-long-verp-tag-1234567890abc@lists.example.com;\n\tdkim=none" },
};

static void test_build(void **state)
{
	const struct build_case *c = *state;
	struct ma_authres ar = c->ar;
	struct sbuf *out = sbuf_new(8192);

	if (ar.n_dkim > 0)
		ar.dkim = c->dkim;
	assert_int_equal(ma_authres_build(&ar, out), 0);
	assert_string_equal(sbuf_str(out), c->want);
	sbuf_free(&out);
}

/*
 * Properties every output must have: no CR; every LF followed by a TAB
 * (a fold, never a new header field); no other control or 8-bit byte;
 * lines within 78 characters unless one unit is longer; and our own
 * parser reads back our authserv-id.
 */
static void check_safe(const char *out, const char *id_want)
{
	const char *line = out, *p;
	char id[256];

	for (p = out; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		assert_true(ch != '\r');
		if (ch == '\n') {
			assert_true(p[1] == '\t');
			line = p + 1;
			continue;
		}
		assert_true(ch == '\t' ? p == line : (ch >= 0x20 && ch < 0x7f));
	}
	assert_int_equal(ma_authres_authserv_id(out, strlen(out), id, sizeof(id)), 0);
	assert_string_equal(id, id_want);
}

static void check_line_lengths(const char *out)
{
	size_t col = 24;	/* "Authentication-Results: " */
	const char *p;

	for (p = out; *p != '\0'; p++) {
		if (*p == '\n') {
			assert_in_range(col, 1, 78);
			col = 0;
		} else {
			col++;
		}
	}
	assert_in_range(col, 1, 78);
}

/*
 * Hostile peer values and their exact rendering: as a pvalue (property,
 * e.g. smtp.mailfrom=) and as a reason (RFC 8601 "value": token or
 * quoted-string only). Anything that is not a token or local@domain is
 * quoted, '"' and '\' escaped, control and 8-bit bytes written as '?'.
 */
struct hostile {
	const char *name, *value;
	const char *want_pvalue;	/* whole output, value as smtp.mailfrom */
	const char *want_reason;	/* whole output, value as reason */
};

#define HOSTILE(name, value, p, r) { "build: hostile value, " name, value, \
	"mx;\n\tspf=pass smtp.mailfrom=" p ";\n\tdkim=none", \
	"mx;\n\tspf=pass reason=" r ";\n\tdkim=none" }

static const struct hostile hostile_cases[] = {
	HOSTILE("CRLF and a new header", "evil.com\r\nX-Bad: 1",
		"\"evil.com??X-Bad: 1\"", "\"evil.com??X-Bad: 1\""),
	HOSTILE("bare LF", "evil.com\nX-Bad: 1", "\"evil.com?X-Bad: 1\"", "\"evil.com?X-Bad: 1\""),
	HOSTILE("bare CR", "evil.com\rX-Bad: 1", "\"evil.com?X-Bad: 1\"", "\"evil.com?X-Bad: 1\""),
	HOSTILE("quotes and backslashes", "a\"b\\c\"d", "\"a\\\"b\\\\c\\\"d\"", "\"a\\\"b\\\\c\\\"d\""),
	HOSTILE("';' and a second resinfo", "x;dkim=pass header.d=bank.example",
		"\"x;dkim=pass header.d=bank.example\"", "\"x;dkim=pass header.d=bank.example\""),
	HOSTILE("';' and a resinfo, no space", "x;dkim=pass", "\"x;dkim=pass\"", "\"x;dkim=pass\""),
	HOSTILE("'; id' of a new A-R", "mx.example.org; spf=pass",
		"\"mx.example.org; spf=pass\"", "\"mx.example.org; spf=pass\""),
	HOSTILE("space and a new unit", "x.example dkim=pass",
		"\"x.example dkim=pass\"", "\"x.example dkim=pass\""),
	HOSTILE("TAB, VT, FF, ESC", "\t\v\f\x1b[31m", "\"????[31m\"", "\"????[31m\""),
	HOSTILE("8-bit bytes", "\xff\xfe\x80\xc3\xa9", "\"?????\"", "\"?????\""),
	HOSTILE("unclosed comment", "(unclosed", "\"(unclosed\"", "\"(unclosed\""),
	HOSTILE("closing parenthesis", "ok)", "\"ok)\"", "\"ok)\""),
	HOSTILE("one quote", "\"", "\"\\\"\"", "\"\\\"\""),
	HOSTILE("one backslash", "\\", "\"\\\\\"", "\"\\\\\""),
	HOSTILE("'='", "a=b", "\"a=b\"", "\"a=b\""),
	HOSTILE("'@' alone", "@", "\"@\"", "\"@\""),
	HOSTILE("'@@@'", "@@@", "\"@@@\"", "\"@@@\""),
	HOSTILE("';' in the local-part", "a;b@x.example", "\"a;b@x.example\"", "\"a;b@x.example\""),
	HOSTILE("';' after the domain", "a@b.example;", "\"a@b.example;\"", "\"a@b.example;\""),
	/* RFC 5322 atext allows '=' in a local-part: a valid pvalue, bare;
	   a reason is a "value" (token or quoted-string) and is quoted. */
	HOSTILE("'=' in a local-part", "user=x@evil.example",
		"user=x@evil.example", "\"user=x@evil.example\""),
};

static void test_hostile(void **state)
{
	const struct hostile *c = *state;
	struct ma_authres ar = { "mx", "pass", "smtp.mailfrom", c->value, NULL, 0, NULL, NULL, NULL, NULL };
	struct sbuf *out = sbuf_new(8192);
	struct ar_parsed r;

	assert_int_equal(ma_authres_build(&ar, out), 0);
	assert_string_equal(sbuf_str(out), c->want_pvalue);
	assert_int_equal(ar_parse(sbuf_str(out), sbuf_len(out), &r), 2);
	ar = (struct ma_authres){ "mx", "pass", "smtp.mailfrom", NULL, c->value, 0, NULL, NULL, NULL, NULL };
	sbuf_reset(out);
	assert_int_equal(ma_authres_build(&ar, out), 0);
	assert_string_equal(sbuf_str(out), c->want_reason);
	assert_int_equal(ar_parse(sbuf_str(out), sbuf_len(out), &r), 2);
	sbuf_free(&out);
}

/*
 * Every hostile value in every field at once: the output keeps exactly
 * the four resinfos we wrote (spf, two dkim, dmarc; a bad result keyword
 * is permerror), as a reader splits them, and our id reads back.
 */
static void test_injection(void **state)
{
	static const char *const methods[] = { "spf", "dkim", "dkim", "dmarc" };
	static const char *const results[] = { "permerror", "permerror", "pass", "permerror" };
	struct ma_authres_dkim dkim[2];
	struct ma_authres ar;
	struct ar_parsed r;
	struct sbuf *out = sbuf_new(65536);
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++) {
		const char *v = hostile_cases[i].value;

		dkim[0] = (struct ma_authres_dkim){ v, v, v, v, v, v };
		dkim[1] = (struct ma_authres_dkim){ "pass", v, "s", "rsa-sha256", v, NULL };
		ar = (struct ma_authres){ "mx.example.org", v, v, v, v, 2, dkim, v, v, v };
		sbuf_reset(out);
		assert_int_equal(ma_authres_build(&ar, out), 0);
		check_safe(sbuf_str(out), "mx.example.org");
		if (ar_parse(sbuf_str(out), sbuf_len(out), &r) != 4)
			fail_msg("%s: %s in [%s]", hostile_cases[i].name, r.why ? r.why : "resinfo count",
				 sbuf_str(out));
		for (k = 0; k < 4; k++) {
			assert_string_equal(r.method[k], methods[k]);
			assert_string_equal(r.result[k], results[k]);
		}
	}
	sbuf_free(&out);
}

static void test_line_lengths(void **state)
{
	struct ma_authres_dkim dkim[3] = {
		{ "pass", "a-rather-long-signing-domain.example.com", "selector-2026-11", "rsa-sha256", "AbCdEfGh", NULL },
		{ "fail", "example.net", "s1", "ed25519-sha256", "Zz09Zz09", "body hash did not verify" },
		{ "temperror", "x.example", "k", "rsa-sha1", "QQQQQQQQ", "key query timed out" },
	};
	struct ma_authres ar = { "mx1.mail.example.org", "softfail", "smtp.mailfrom",
		"bounce-list-123456@mailer.example.com", "sender IP not authorised", 3, dkim, "fail",
		"example.com", "reject" };
	struct sbuf *out = sbuf_new(4096);

	(void)state;
	assert_int_equal(ma_authres_build(&ar, out), 0);
	check_line_lengths(sbuf_str(out));
	check_safe(sbuf_str(out), "mx1.mail.example.org");
	sbuf_free(&out);
}

/* 1 MB values: capped per value, so the header stays small; no crash. */
static void test_huge_values(void **state)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	struct ma_authres_dkim dkim[1];
	struct ma_authres ar;
	struct sbuf *out = sbuf_new(65536);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	dkim[0] = (struct ma_authres_dkim){ "pass", big, big, big, big, big };
	ar = (struct ma_authres){ "mx", "pass", "smtp.mailfrom", big, big, 1, dkim, "fail", big, "none" };
	assert_int_equal(ma_authres_build(&ar, out), 0);
	assert_true(sbuf_len(out) < 4096);
	check_safe(sbuf_str(out), "mx");
	/* The parser on 1 MB: a token too long for the buffer, then pure CFWS, then garbage. */
	{
		char id[256];

		assert_int_equal(ma_authres_authserv_id(big, n, id, sizeof(id)), -1);
		memset(big, '(', n);
		assert_int_equal(ma_authres_authserv_id(big, n, id, sizeof(id)), -1);
		for (size_t i = 0; i < n; i++)
			big[i] = (char)(i * 2654435761u >> 13);
		(void)ma_authres_authserv_id(big, n, id, sizeof(id));
	}
	free(big);
	sbuf_free(&out);
}

/* The caller's cap is respected: -1, never a write past it. */
static void test_cap(void **state)
{
	static struct ma_authres_dkim dkim[1000];
	struct ma_authres ar = { "mx", NULL, NULL, NULL, NULL, 1000, dkim, NULL, NULL, NULL };
	struct sbuf *out = sbuf_new(998);	/* RFC 5322 section 2.1.1 line limit as a cap */
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		dkim[i] = (struct ma_authres_dkim){ "pass", "example.com", "s", "rsa-sha256", "AAAAAAAA", NULL };
	assert_int_equal(ma_authres_build(&ar, out), -1);
	assert_true(sbuf_len(out) <= 998);
	ar.authserv_id = NULL;
	assert_int_equal(ma_authres_build(&ar, out), -1);
	sbuf_free(&out);
}

int main(void)
{
	struct test_list l = { 0 };
	size_t i;

	if (load_examples() < 0)
		n_examples = 0;
	tests_add(&l, "rfc8601 examples: file read", test_examples_loaded, NULL);
	for (i = 0; i < n_examples; i++)
		tests_add(&l, examples[i].name, test_example, &examples[i]);
	tests_add_table(&l, id_cases, test_id);
	tests_add_table(&l, build_cases, test_build);
	tests_add_table(&l, hostile_cases, test_hostile);
	tests_add(&l, "build: injection attempts in every field keep 4 resinfos", test_injection, NULL);
	tests_add(&l, "build: lines within 78 characters", test_line_lengths, NULL);
	tests_add(&l, "build and parse: 1 MB values", test_huge_values, NULL);
	tests_add(&l, "build: sbuf cap", test_cap, NULL);
	return tests_run(&l, "authres", NULL, NULL);
}
