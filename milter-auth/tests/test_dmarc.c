/*++
 * NAME
 *	test_dmarc 1
 * SUMMARY
 *	unit tests for the DMARC module: From parsing, records, evaluation
 *	with a table-driven fake DNS, pct, and libopendmarc regressions
 * DESCRIPTION
 *	No network: ma_dmarc's test_lookup hook answers from the tables here.
 *	The "libopendmarc defect" cases pin what Debian 12's library 1.4.2
 *	gets wrong (docs/dmarc.md) next to a case proving we get it right; if
 *	a library upgrade fixes a defect, its pin fails and the docs need an
 *	update. The conformance TSVs run in test_dmarc_conf.c.
 *--*/
#include "../../common/tests/test_util.h"

/*
 * Two headers are called dmarc.h: ours and libopendmarc's (its directory is
 * on the include path): name both by path.
 */
#include <opendmarc/dmarc.h>	/* libopendmarc, for the regression pins */
#include "../dmarc.h"
#include "../dmarc_int.h"

/* libopendmarc exports this, but its public header does not declare it. */
int opendmarc_get_tld(unsigned char *domain, unsigned char *tld, size_t tld_len);

static struct ma_dmarc *dmarc;

/* ---- fake DNS: a table of name -> TXT records, or a forced result ---- */

struct fake_rr {
	const char *name;
	const char *txt;	/* NULL: the name answers with forced */
	enum ma_dmarc_lookup forced;
};

static const struct fake_rr *fake_zone;
static char fake_last_query[300];
static unsigned fake_draw = 0;
static int fake_queries;

static enum ma_dmarc_lookup fake_lookup(void *ctx, const char *name, struct ma_dmarc_txt *txt_r)
{
	const struct fake_rr *rr;
	int found = 0;

	(void)ctx;
	fake_queries++;
	snprintf(fake_last_query, sizeof(fake_last_query), "%s", name);
	for (rr = fake_zone; rr != NULL && rr->name != NULL; rr++) {
		if (strcmp(rr->name, name) != 0)
			continue;
		if (rr->txt == NULL)
			return rr->forced;
		if (ma_dmarc_txt_add(txt_r, rr->txt, strlen(rr->txt)) < 0)
			return MA_DMARC_LOOKUP_RETRY;
		found = 1;
	}
	return found ? MA_DMARC_LOOKUP_FOUND : MA_DMARC_LOOKUP_NOTFOUND;
}

static unsigned fake_pct_draw(void *ctx)
{
	(void)ctx;
	return fake_draw;
}

static int setup(void **state)
{
	struct ma_dmarc_config cfg = { 0 };
	const char *error = NULL;

	(void)state;
	cfg.test_lookup = fake_lookup;
	cfg.test_pct_draw = fake_pct_draw;
	dmarc = ma_dmarc_new(&cfg, &error);
	if (dmarc == NULL) {
		fprintf(stderr, "ma_dmarc_new: %s\n", error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ma_dmarc_free(&dmarc);
	return dmarc == NULL ? 0 : -1;
}

/* ---- RFC5322.From (RFC 7489 section 6.6.1) ---- */

struct from_case {
	const char *name, *value;
	int want_count;
	const char *want_domain;
	int want_multi;
};

static const struct from_case from_cases[] = {
	{ "from: bare addr-spec", "user@example.com", 1, "example.com", 0 },
	{ "from: angle-addr with name", "Jane Doe <jane@Example.COM>", 1, "example.com", 0 },
	{ "from: quoted name with @ and <>", "\"evil@other.net <x@y.z>\" <jane@example.com>", 1, "example.com", 0 },
	{ "from: quoted local-part with @", "\"a@b\"@example.org", 1, "example.org", 0 },
	{ "from: comments everywhere", "(c1) jane (c2 (nested @x.y)) @ (c3) example.com (c4)", 1, "example.com", 0 },
	{ "from: comment holding an address", "jane@example.com (really boss@bank.example)", 1, "example.com", 0 },
	{ "from: folded", "Jane\r\n <jane@example.com>", 1, "example.com", 0 },
	{ "from: trailing dot", "jane@example.com.", 1, "example.com", 0 },
	{ "from: two same domain", "a@example.com, B <b@EXAMPLE.com>", 2, "example.com", 0 },
	{ "from: two domains", "a@example.com, b@example.net", 2, "example.com", 1 },
	{ "from: subdomain is another domain", "a@example.com, b@mail.example.com", 2, "example.com", 1 },
	{ "from: group", "friends: a@example.com, b@example.com;", 2, "example.com", 0 },
	{ "from: empty group", "undisclosed-recipients:;", 0, "", 0 },
	{ "from: obsolete route", "<@relay.example.net,@r2.example.net:jane@example.com>", 1, "example.com", 0 },
	{ "from: empty", "", 0, "", 0 },
	{ "from: no @", "jane", 0, "", 0 },
	{ "from: domain literal", "jane@[192.0.2.1]", 0, "", 0 },
	{ "from: empty domain", "jane@", 0, "", 0 },
	{ "from: bad domain chars", "jane@exa mple!.com", 0, "", 0 },
	{ "from: CRLF injection", "a@evil.com\r\nX-Bad: 1", 0, "", 0 },
	{ "from: 8-bit domain", "a@\xc3\xa9xample.com", 0, "", 0 },
	{ "from: unterminated quote", "\"jane@example.com", 0, "", 0 },
	{ "from: unterminated comment", "jane@example.com (oops", 1, "example.com", 0 },
	{ "from: second unusable", "a@example.com, b@[192.0.2.1]", 2, "example.com", 1 },
	{ "from: empty list elements", "a@example.com, , ,b@example.com", 2, "example.com", 0 },
	{ "from: label of 64", "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0, "", 0 },
};

static void test_from(void **state)
{
	const struct from_case *c = *state;
	char domain[256] = "junk";
	int multi = -1;

	assert_int_equal(ma_dmarc_from_domain(c->value, domain, sizeof(domain), &multi), c->want_count);
	assert_string_equal(domain, c->want_domain);
	assert_int_equal(multi, c->want_multi);
}

static void test_from_huge(void **state)
{
	size_t n = 1 << 20;
	char *value = malloc(n + 32), domain[256];
	int multi;

	(void)state;
	assert_non_null(value);
	memset(value, 'a', n);
	memcpy(value + n, "@example.com", 13);
	/* A 1 MB local-part overflows the mailbox cap: unusable, no crash. */
	assert_int_equal(ma_dmarc_from_domain(value, domain, sizeof(domain), &multi), 0);
	memset(value, '(', n);
	value[n] = '\0';
	assert_int_equal(ma_dmarc_from_domain(value, domain, sizeof(domain), &multi), 0);
	free(value);
}

/*
 * Issue 14, case 2: a second mailbox far into the value (behind a long
 * comment, or many folded lines) is still another author domain.
 */
static void test_from_second_far(void **state)
{
	size_t n = 200000, pos;
	char *value = malloc(n + 64), domain[256];
	int multi = 0;

	(void)state;
	assert_non_null(value);
	pos = (size_t)snprintf(value, 64, "x@evil.example (");
	memset(value + pos, 'c', n);
	pos += n;
	strcpy(value + pos, "), x@bank.example");
	assert_int_equal(ma_dmarc_from_domain(value, domain, sizeof(domain), &multi), 2);
	assert_string_equal(domain, "evil.example");
	assert_int_equal(multi, 1);

	pos = (size_t)snprintf(value, 64, "x@evil.example,");
	for (size_t i = 0; i < 5000; i++, pos += 3)
		memcpy(value + pos, "\r\n ", 3);	/* folded white space */
	strcpy(value + pos, "<x@bank.example>");
	multi = 0;
	assert_int_equal(ma_dmarc_from_domain(value, domain, sizeof(domain), &multi), 2);
	assert_int_equal(multi, 1);
	free(value);
}

/* ---- record parse (RFC 7489 section 6.3/6.4/6.6.3) ---- */

struct record_case {
	const char *name, *record;
	int want_rc;
	enum ma_dmarc_policy p, sp;
	int adkim_s, aspf_s, pct, assumed_none;
};

#define NONE_ MA_DMARC_POLICY_NONE
#define QUAR_ MA_DMARC_POLICY_QUARANTINE
#define REJ_ MA_DMARC_POLICY_REJECT

static const struct record_case record_cases[] = {
	{ "record: minimal", "v=DMARC1; p=none", 0, NONE_, NONE_, 0, 0, 100, 0 },
	{ "record: all tags", "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=20; "
	  "rua=mailto:a@example.com; ruf=mailto:f@example.com; fo=1; rf=afrf; ri=3600",
	  0, QUAR_, REJ_, 1, 1, 20, 0 },
	{ "record: sp absent means p", "v=DMARC1; p=reject", 0, REJ_, REJ_, 0, 0, 100, 0 },
	{ "record: white space everywhere", "v = DMARC1 ;\tp = reject ; pct = 0 ;", 0, REJ_, REJ_, 0, 0, 0, 0 },
	{ "record: keyword case", "v=DMARC1; P=Reject; ADKIM=S", 0, REJ_, REJ_, 1, 0, 100, 0 },
	{ "record: unknown tags ignored", "v=DMARC1; p=none; x_future=1; np=reject", 0, NONE_, NONE_, 0, 0, 100, 0 },
	{ "record: v not first", "p=none; v=DMARC1", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: v lower case value", "v=dmarc1; p=none", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: v=DMARC10", "v=DMARC10; p=none", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: leading space", " v=DMARC1; p=none", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: v twice", "v=DMARC1; v=DMARC1; p=none", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: duplicate p", "v=DMARC1; p=none; p=reject", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: malformed tag", "v=DMARC1; p=reject; garbage", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: control char in value", "v=DMARC1; p=reject; rua=mailto:a\001@x", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: pct 101", "v=DMARC1; p=reject; pct=101", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: pct signed", "v=DMARC1; p=reject; pct=+5", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: pct 4 digits", "v=DMARC1; p=reject; pct=0050", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: adkim bad", "v=DMARC1; p=reject; adkim=x", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: p bad no rua", "v=DMARC1; p=bogus", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: p bad with rua is p=none", "v=DMARC1; p=bogus; rua=mailto:a@example.com", 0, NONE_, NONE_, 0, 0, 100, 1 },
	{ "record: sp bad with rua is p=none", "v=DMARC1; p=reject; sp=x; rua=mailto:a@example.com", 0, NONE_, NONE_, 0, 0, 100, 1 },
	{ "record: p missing with rua is p=none", "v=DMARC1; rua=mailto:a@example.com", 0, NONE_, NONE_, 0, 0, 100, 1 },
	{ "record: p missing, rua not a URI", "v=DMARC1; rua=a@example.com", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: rua second URI valid", "v=DMARC1; rua=junk, mailto:a@example.com!10m", 0, NONE_, NONE_, 0, 0, 100, 1 },
	{ "record: empty", "", -1, 0, 0, 0, 0, 0, 0 },
	{ "record: just v", "v=DMARC1", -1, 0, 0, 0, 0, 0, 0 },
};

static void test_record(void **state)
{
	const struct record_case *c = *state;
	struct ma_dmarc_record rec;
	const char *error = NULL;
	int rc;

	rc = ma_dmarc_record_parse(c->record, strlen(c->record), &rec, &error);
	assert_int_equal(rc, c->want_rc);
	assert_int_equal(ma_dmarc_record_valid(c->record, strlen(c->record)), c->want_rc);
	if (rc < 0) {
		assert_non_null(error);
		return;
	}
	assert_int_equal(rec.p, c->p);
	assert_int_equal(rec.sp, c->sp);
	assert_int_equal(rec.adkim_strict, c->adkim_s);
	assert_int_equal(rec.aspf_strict, c->aspf_s);
	assert_int_equal(rec.pct, c->pct);
	assert_int_equal(rec.p_assumed_none, c->assumed_none);
}

/* Record text with embedded NUL and 8-bit bytes: counted length, no crash. */
static void test_record_binary(void **state)
{
	static const char rec[] = "v=DMARC1; p=reject\0; p=none\xff";
	size_t n = 1 << 20;
	char *big = malloc(n);

	(void)state;
	assert_int_equal(ma_dmarc_record_valid(rec, sizeof(rec) - 1), -1);
	assert_non_null(big);
	memset(big, ';', n);
	memcpy(big, "v=DMARC1; p=none", 16);
	assert_int_equal(ma_dmarc_record_valid(big, n), 0);
	free(big);
}

/* The public suffix list itself (rules, IDN, wildcards): common/tests/test_psl.c. */

/* ---- evaluation against the fake DNS ---- */

#define TEMP_ MA_DMARC_LOOKUP_RETRY
#define NX_ MA_DMARC_LOOKUP_NOTFOUND

struct eval_case {
	const char *name, *from;
	struct fake_rr zone[4];
	const char *spf_domain;
	int spf_pass;
	const char *dkim[2];
	unsigned draw;				/* pct draw, 0..99 */
	enum ma_dmarc_result want;
	enum ma_dmarc_policy want_policy, want_applied;
	const char *want_policy_domain;
	const char *want_last_query;
};

static const struct eval_case eval_cases[] = {
	{ "eval: aligned SPF pass", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject", 0 } },
	  "example.com", 1, { NULL }, 0, MA_DMARC_PASS, REJ_, NONE_, "example.com", NULL },
	{ "eval: aligned DKIM pass, second signature", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject", 0 } },
	  "example.net", 1, { "other.org", "mail.example.com" }, 0, MA_DMARC_PASS, REJ_, NONE_, "example.com", NULL },
	{ "eval: nothing aligned, reject", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject", 0 } },
	  "example.net", 1, { "example.org" }, 0, MA_DMARC_FAIL, REJ_, REJ_, "example.com", NULL },
	{ "eval: SPF aligned but not pass", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=quarantine", 0 } },
	  "example.com", 0, { NULL }, 0, MA_DMARC_FAIL, QUAR_, QUAR_, "example.com", NULL },
	{ "eval: upper-case From queries lower-case", "Sub.EXAMPLE.Com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine", 0 } },
	  "other.net", 1, { NULL }, 0, MA_DMARC_FAIL, QUAR_, QUAR_, "example.com", "_dmarc.example.com" },
	{ "eval: org fallback, sp applies", "a.b.example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; sp=none", 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_FAIL, NONE_, NONE_, "example.com", "_dmarc.example.com" },
	{ "eval: no record anywhere", "mail.example.com",
	  { { NULL, NULL, 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_NONE, 0, 0, "", "_dmarc.example.com" },
	{ "eval: NXDOMAIN is none", "example.com",
	  { { "_dmarc.example.com", NULL, NX_ } },
	  NULL, 0, { NULL }, 0, MA_DMARC_NONE, 0, 0, "", "_dmarc.example.com" },
	{ "eval: DNS temporary failure is temperror", "example.com",
	  { { "_dmarc.example.com", NULL, TEMP_ } },
	  "example.com", 1, { NULL }, 0, MA_DMARC_TEMPERROR, 0, 0, "", NULL },
	{ "eval: temporary failure at org domain", "mail.example.com",
	  { { "_dmarc.example.com", NULL, TEMP_ } },
	  NULL, 0, { NULL }, 0, MA_DMARC_TEMPERROR, 0, 0, "", NULL },
	{ "eval: two DMARC records is none, no fallback", "mail.example.com",
	  { { "_dmarc.mail.example.com", "v=DMARC1; p=reject", 0 },
	    { "_dmarc.mail.example.com", "v=DMARC1; p=none", 0 },
	    { "_dmarc.example.com", "v=DMARC1; p=reject", 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_NONE, 0, 0, "", "_dmarc.mail.example.com" },
	{ "eval: other TXT records ignored", "example.com",
	  { { "_dmarc.example.com", "v=spf1 -all", 0 },
	    { "_dmarc.example.com", "v=DMARC1; p=reject", 0 },
	    { "_dmarc.example.com", "google-site-verification=x", 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_FAIL, REJ_, REJ_, "example.com", NULL },
	{ "eval: only non-DMARC TXT falls back to org", "mail.example.com",
	  { { "_dmarc.mail.example.com", "v=dmarc1; p=none", 0 },
	    { "_dmarc.example.com", "v=DMARC1; p=reject", 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_FAIL, REJ_, REJ_, "example.com", NULL },
	{ "eval: invalid record is none, no fallback", "mail.example.com",
	  { { "_dmarc.mail.example.com", "v=DMARC1; p=bogus", 0 },
	    { "_dmarc.example.com", "v=DMARC1; p=reject", 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_NONE, 0, 0, "", "_dmarc.mail.example.com" },
	{ "eval: strict DKIM (libopendmarc defect)", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; adkim=s", 0 } },
	  NULL, 0, { "mail.example.com" }, 0, MA_DMARC_FAIL, REJ_, REJ_, "example.com", NULL },
	{ "eval: strict SPF", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; aspf=s", 0 } },
	  "bounce.example.com", 1, { NULL }, 0, MA_DMARC_FAIL, REJ_, REJ_, "example.com", NULL },
	{ "eval: strict DKIM exact, any case", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; adkim=s", 0 } },
	  NULL, 0, { "EXAMPLE.COM" }, 0, MA_DMARC_PASS, REJ_, NONE_, "example.com", NULL },
	{ "eval: PSL boundary, co.uk siblings", "example.co.uk",
	  { { "_dmarc.example.co.uk", "v=DMARC1; p=reject", 0 } },
	  "other.co.uk", 1, { NULL }, 0, MA_DMARC_FAIL, REJ_, REJ_, "example.co.uk", NULL },
	{ "eval: pct 50 sampled", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; pct=50", 0 } },
	  NULL, 0, { NULL }, 49, MA_DMARC_FAIL, REJ_, REJ_, "example.com", NULL },
	{ "eval: pct 50 not sampled, reject softens to quarantine", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=reject; pct=50", 0 } },
	  NULL, 0, { NULL }, 50, MA_DMARC_FAIL, REJ_, QUAR_, "example.com", NULL },
	{ "eval: pct 0, quarantine softens to none", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=quarantine; pct=0", 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_FAIL, QUAR_, NONE_, "example.com", NULL },
	{ "eval: pct 100 always", "example.com",
	  { { "_dmarc.example.com", "v=DMARC1; p=quarantine; pct=100", 0 } },
	  NULL, 0, { NULL }, 99, MA_DMARC_FAIL, QUAR_, QUAR_, "example.com", NULL },
	{ "eval: bad From domain is permerror", "exa mple.com",
	  { { NULL, NULL, 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_PERMERROR, 0, 0, "", NULL },
	{ "eval: empty From domain is permerror", "",
	  { { NULL, NULL, 0 } },
	  NULL, 0, { NULL }, 0, MA_DMARC_PERMERROR, 0, 0, "", NULL },
};

static void test_eval(void **state)
{
	const struct eval_case *c = *state;
	struct ma_dmarc_input in = { 0 };
	struct ma_dmarc_verdict v;
	size_t n = 0;

	while (n < 2 && c->dkim[n] != NULL)
		n++;
	in.from_domain = c->from;
	in.spf_domain = c->spf_domain;
	in.spf_pass = c->spf_pass;
	in.n_dkim_pass = n;
	in.dkim_pass_domains = c->dkim;
	fake_zone = c->zone;
	fake_draw = c->draw;
	fake_last_query[0] = '\0';
	if (ma_dmarc_evaluate(dmarc, &in, &v) != c->want || v.result != c->want)
		fail_msg("got %s, want %s (reason: %s)", ma_dmarc_result_name(v.result),
			 ma_dmarc_result_name(c->want), v.reason);
	assert_int_equal(v.policy, c->want_policy);
	assert_int_equal(v.applied, c->want_applied);
	assert_string_equal(v.policy_domain, c->want_policy_domain);
	if (c->want_last_query != NULL)
		assert_string_equal(fake_last_query, c->want_last_query);
	assert_true(v.reason[0] != '\0');
}

/* Passing the From value through ma_dmarc_from_domain first gives the same verdict. */
static void test_eval_no_dns_for_permerror(void **state)
{
	struct ma_dmarc_input in = { 0 };
	struct ma_dmarc_verdict v;

	(void)state;
	fake_queries = 0;
	in.from_domain = NULL;
	assert_int_equal(ma_dmarc_evaluate(dmarc, &in, &v), MA_DMARC_PERMERROR);
	assert_int_equal(fake_queries, 0);
	assert_string_equal(ma_dmarc_result_name(v.result), "permerror");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ma_dmarc_result_name(MA_DMARC_NONE), "none");
	assert_string_equal(ma_dmarc_result_name(MA_DMARC_PASS), "pass");
	assert_string_equal(ma_dmarc_result_name(MA_DMARC_FAIL), "fail");
	assert_string_equal(ma_dmarc_result_name(MA_DMARC_TEMPERROR), "temperror");
	assert_string_equal(ma_dmarc_policy_name(MA_DMARC_POLICY_QUARANTINE), "quarantine");
	assert_string_equal(ma_dmarc_policy_name(MA_DMARC_POLICY_REJECT), "reject");
	assert_string_equal(ma_dmarc_policy_name(MA_DMARC_POLICY_NONE), "none");
}

/* The TXT table caps count and length: no unbounded growth from DNS. */
static void test_txt_caps(void **state)
{
	struct ma_dmarc_txt txt = { 0 };
	static char big[MA_DMARC_TXT_LEN_MAX + 2];
	size_t i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(ma_dmarc_txt_add(&txt, big, sizeof(big) - 1), -1);
	for (i = 0; i < MA_DMARC_TXT_MAX; i++)
		assert_int_equal(ma_dmarc_txt_add(&txt, "v=DMARC1", 8), 0);
	assert_int_equal(ma_dmarc_txt_add(&txt, "v=DMARC1", 8), -1);
	ma_dmarc_txt_clear(&txt);
	assert_int_equal(txt.count, 0);
}

/* A missing PSL file refuses to start (no silent "every TLD" fallback). */
static void test_psl_missing(void **state)
{
	struct ma_dmarc_config cfg = { 0 };
	const char *error = NULL;

	(void)state;
	cfg.psl_path = "/nonexistent/public_suffix_list.dat";
	assert_null(ma_dmarc_new(&cfg, &error));
	assert_non_null(error);
}

/* ---- libopendmarc 1.4.2 regressions: the defect (pinned) and our answer ---- */

static int odm_ready;

static void odm_init(void)
{
	OPENDMARC_LIB_T lib;

	if (odm_ready)
		return;
	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)lib.tld_source_file, sizeof(lib.tld_source_file), "%s", MA_DMARC_PSL_DEFAULT);
	assert_int_equal(opendmarc_policy_library_init(&lib), DMARC_PARSE_OKAY);
	odm_ready = 1;
}

/* The library's verdict for From example.com, DKIM pass d=dkim_domain, record rec. */
static int odm_enforce(const char *dkim_domain, const char *rec)
{
	DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 4);
	int policy;

	assert_non_null(pctx);
	assert_int_equal(opendmarc_policy_store_from_domain(pctx, (u_char *)"example.com"), DMARC_PARSE_OKAY);
	assert_int_equal(opendmarc_policy_store_dkim(pctx, (u_char *)dkim_domain, (u_char *)"sel",
						     DMARC_POLICY_DKIM_OUTCOME_PASS, (u_char *)""),
			 DMARC_PARSE_OKAY);
	assert_int_equal(opendmarc_policy_parse_dmarc(pctx, (u_char *)"example.com", (u_char *)rec),
			 DMARC_PARSE_OKAY);
	policy = opendmarc_get_policy_to_enforce(pctx);
	opendmarc_policy_connect_shutdown(pctx);
	return policy;
}

static int odm_parse(const char *rec)
{
	DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 4);
	int rc = opendmarc_policy_parse_dmarc(pctx, (u_char *)"example.com", (u_char *)rec);

	opendmarc_policy_connect_shutdown(pctx);
	return rc;
}

static void test_odm_strict_alignment(void **state)
{
	(void)state;
	odm_init();
	/* Defect: adkim=s, d=mail.example.com, From example.com -> library says pass. */
	assert_int_equal(odm_enforce("mail.example.com", "v=DMARC1; p=reject; adkim=s"), DMARC_POLICY_PASS);
	assert_int_equal(odm_enforce("example.net", "v=DMARC1; p=reject; adkim=s"), DMARC_POLICY_REJECT);
	/* Ours: strict means exact. */
	assert_false(ma_dmarc_aligned(dmarc, "example.com", "mail.example.com", 1));
	assert_false(ma_dmarc_aligned(dmarc, "mail.example.com", "example.com", 1));
	assert_true(ma_dmarc_aligned(dmarc, "example.com", "mail.example.com", 0));
}

static void test_odm_upper_case(void **state)
{
	unsigned char tld[256];
	char org[256];

	(void)state;
	odm_init();
	/* Defect: for an upper-case name the library writes nothing (yet says 0). */
	tld[0] = '\0';
	assert_int_equal(opendmarc_get_tld((unsigned char *)"MAIL.EXAMPLE.COM", tld, sizeof(tld)), 0);
	assert_string_equal((char *)tld, "");
	assert_int_equal(opendmarc_get_tld((unsigned char *)"mail.example.com", tld, sizeof(tld)), 0);
	assert_string_equal((char *)tld, "example.com");
	/* Ours lower-cases first. */
	assert_int_equal(ma_dmarc_org_domain(dmarc, "MAIL.EXAMPLE.COM", org, sizeof(org)), 0);
	assert_string_equal(org, "example.com");
	assert_true(ma_dmarc_aligned(dmarc, "Example.COM", "MAIL.example.com", 0));
}

static void test_odm_wildcard_psl(void **state)
{
	unsigned char tld[256];
	char org[256];

	(void)state;
	odm_init();
	/* Defect: "*.kawasaki.jp" makes b.foo.kawasaki.jp's parent the org domain. */
	assert_int_equal(opendmarc_get_tld((unsigned char *)"a.b.foo.kawasaki.jp", tld, sizeof(tld)), 0);
	assert_string_equal((char *)tld, "foo.kawasaki.jp");
	assert_int_equal(ma_dmarc_org_domain(dmarc, "a.b.foo.kawasaki.jp", org, sizeof(org)), 0);
	assert_string_equal(org, "b.foo.kawasaki.jp");
}

static void test_odm_records(void **state)
{
	(void)state;
	odm_init();
	/* Defects: records RFC 7489 section 6.3/6.4 says to ignore are accepted. */
	assert_int_equal(odm_parse("v=dmarc1; p=none"), DMARC_PARSE_OKAY);
	assert_int_equal(odm_parse("p=none; v=DMARC1"), DMARC_PARSE_OKAY);
	assert_int_equal(odm_parse("v=DMARC1; p=reject; pct=50abc"), DMARC_PARSE_OKAY);
	/* Defect: invalid p with a valid rua must act as p=none (section 6.6.3). */
	assert_int_equal(odm_parse("v=DMARC1; p=bogus; rua=mailto:a@example.com"), DMARC_PARSE_ERROR_BAD_VALUE);
	/* Ours. */
	assert_int_equal(ma_dmarc_record_valid("v=dmarc1; p=none", 16), -1);
	assert_int_equal(ma_dmarc_record_valid("p=none; v=DMARC1", 16), -1);
	assert_int_equal(ma_dmarc_record_valid("v=DMARC1; p=reject; pct=50abc", 29), -1);
	assert_int_equal(ma_dmarc_record_valid("v=DMARC1; p=bogus; rua=mailto:a@example.com", 43), 0);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, from_cases, test_from);
	tests_add(&l, "from: 1 MB values", test_from_huge, NULL);
	tests_add(&l, "from: second mailbox 200 KB / 5000 folds in is seen", test_from_second_far,
		  NULL);
	tests_add_table(&l, record_cases, test_record);
	tests_add(&l, "record: NUL, 8-bit, 1 MB", test_record_binary, NULL);
	tests_add_table(&l, eval_cases, test_eval);
	tests_add(&l, "eval: no From, no DNS query", test_eval_no_dns_for_permerror, NULL);
	tests_add(&l, "names", test_names, NULL);
	tests_add(&l, "txt: count and length caps", test_txt_caps, NULL);
	tests_add(&l, "psl: missing file refuses", test_psl_missing, NULL);
	tests_add(&l, "libopendmarc defect: strict alignment", test_odm_strict_alignment, NULL);
	tests_add(&l, "libopendmarc defect: upper-case domain", test_odm_upper_case, NULL);
	tests_add(&l, "libopendmarc defect: PSL wildcard rule", test_odm_wildcard_psl, NULL);
	tests_add(&l, "libopendmarc defect: records to ignore", test_odm_records, NULL);
	return tests_run(&l, "dmarc", setup, teardown);
}
