/*++
 * NAME
 *	test_links - URL host extraction from messages (MIME, encodings, HTML)
 *--*/
#include "../../common/tests/test_util.h"
#include "links.h"

struct lcase {
	const char *name;
	const char *msg;
	const char *hosts;	/* space-separated, in order found */
	const char *ip, *idn;	/* first of each, "" none */
	const char *mismatch;	/* "text>href", "" none */
	int over;
};

#define H "From: a@example.org\r\nSubject: x\r\n"
#define MP(b) "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"" b "\"\r\n\r\n"

static const struct lcase cases[] = {
	{ "plain text, no Content-Type (RFC 2045 5.2)",
	  H "\r\nsee http://Evil.Example/login?x=1 and https://a.b.example:8443/x.\r\n",
	  "evil.example a.b.example", "", "", "", 0 },
	{ "www. word, userinfo, trailing dot",
	  H "\r\nwww.shop.example/x user@not-a-link.example http://me:pw@host.example./p\r\n",
	  "www.shop.example host.example", "", "", "", 0 },
	{ "www inside a word is not a link",
	  H "\r\nawww.x.example and xwww.y.example\r\n", "", "", "", "", 0 },
	{ "percent-escaped host, backslash ends the authority",
	  H "\r\nhttp://%65vil.example\\@good.example/\r\n", "evil.example", "", "", "", 0 },
	{ "IP literals: dotted, decimal, IPv6",
	  H "\r\nhttp://192.0.2.1/a http://3221225985/ http://[2001:db8::1]:80/\r\n",
	  "192.0.2.1 3221225985 [2001:db8::1]", "192.0.2.1", "", "", 0 },
	{ "punycode host",
	  H "\r\nhttps://xn--pple-43d.example/\r\n", "xn--pple-43d.example", "", "xn--pple-43d.example", "", 0 },
	{ "base64 text part",
	  H "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "aHR0cDovL2I2NC5leGFtcGxlL3g=\r\n", "b64.example", "", "", "", 0 },
	{ "quoted-printable with a soft break inside the URL",
	  H "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "go http://qp.ex=\r\nample/=3Fa\r\n", "qp.example", "", "", "", 0 },
	{ "HTML: href with entities, text shows another host",
	  H "Content-Type: text/html\r\n\r\n"
	  "<p>Your bank: <a class=x href=\"h&#116;tp://evil.example/&amp;q\"><b>www.bank.example</b></a></p>\r\n",
	  "www.bank.example evil.example", "", "", "www.bank.example>evil.example", 0 },
	{ "HTML: text is a bare domain, differs",
	  H "Content-Type: text/html\r\n\r\n<A HREF='https://phish.example/'>paypal.example</A>\r\n",
	  "phish.example paypal.example", "", "", "paypal.example>phish.example", 0 },
	{ "HTML: same site is no mismatch",
	  H "Content-Type: text/html\r\n\r\n<a href=\"https://login.bank.example/\">bank.example</a> "
	  "<a href=\"https://bank.example/\">Click here</a>\r\n",
	  "login.bank.example bank.example", "", "", "", 0 },
	{ "multipart: text and html parts, attachment not read",
	  H MP("b1") "preamble http://pre.example\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
	  "http://one.example\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n"
	  "PGEgaHJlZj0iaHR0cDovL3R3by5leGFtcGxlIj5oaTwvYT4=\r\n"
	  "--b1\r\nContent-Type: application/octet-stream\r\n\r\nhttp://bin.example\r\n--b1--\r\n"
	  "epilogue http://epi.example\r\n",
	  "one.example two.example", "", "", "", 0 },
	{ "nested multipart, folded Content-Type, missing close delimiter",
	  H "Content-Type: multipart/mixed;\r\n\tboundary=outer\r\n\r\n--outer\r\n"
	  "Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n--inner\r\n\r\n"
	  "http://deep.example\r\n--inner--\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n"
	  "Subject: fwd\r\n\r\nhttp://fwd.example\r\n",
	  "deep.example fwd.example", "", "", "", 0 },
	{ "multipart without boundary: over (not analysed)",
	  H "Content-Type: multipart/mixed\r\n\r\nhttp://x.example\r\n", "", "", "", "", 1 },
	{ "LF-only line ends",
	  "Subject: x\nContent-Type: text/plain\n\nhttp://lf.example\n", "lf.example", "", "", "", 0 },
	{ "punctuation after a link is not part of its host",
	  H "\r\nsee http://a.example, (http://b.example) http://c.example;x \"http://d.example\"!\r\n",
	  "a.example b.example c.example d.example", "", "", "", 0 },
	{ "fullwidth letters and ideographic dots fold to ASCII (UTS #46)",
	  H "\r\nhttp://evil\xe3\x80\x82" "example/ http://\xef\xbd\x85\xef\xbd\x96il\xef\xbc\x8e" "example "
	  "http://x\xef\xbd\xa1" "EXAMPLE http://caf\xc3\xa9" ".example http://a\xef\xbc\x8f" "b.example\r\n",
	  "evil.example x.example caf\xc3\xa9" ".example a\xef\xbc\x8f" "b.example", "",
	  "caf\xc3\xa9" ".example", "", 0 },
	{ "no URL", H "\r\nnothing here: http:// https:///x //\r\n", "", "", "", "", 0 },
};

static void check_hosts(const struct av_links *l, const char *want)
{
	char buf[4096] = "";
	unsigned i;

	for (i = 0; i < l->nhosts; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, l->hosts[i]);
	}
	assert_string_equal(buf, want);
}

static const struct av_links_limits lim = { 20, 20, 1000, 1 << 20 };

static void test_case(void **state)
{
	const struct lcase *c = *state;
	struct av_links *l = calloc(1, sizeof(*l));
	char mm[600] = "";

	av_links_extract(c->msg, strlen(c->msg), &lim, l);
	check_hosts(l, c->hosts);
	assert_string_equal(l->ip, c->ip);
	assert_string_equal(l->idn, c->idn);
	if (l->mismatch_href[0] != '\0')
		snprintf(mm, sizeof(mm), "%s>%s", l->mismatch_text, l->mismatch_href);
	assert_string_equal(mm, c->mismatch);
	assert_int_equal(l->over, c->over);
	free(l);
}

/* More distinct hosts than max_hosts: over, the first ones kept. */
static void test_max_hosts(void **state)
{
	struct av_links_limits small = { 3, 20, 1000, 1 << 20 };
	struct av_links *l = calloc(1, sizeof(*l));
	const char *msg = H "\r\nhttp://a.example http://b.example http://a.example http://c.example "
		"http://d.example\r\n";

	av_links_extract(msg, strlen(msg), &small, l);
	check_hosts(l, "a.example b.example c.example");
	assert_int_equal(l->over, 1);
	free(l);
}

/* Decoded bytes past max_decoded are not read: over. */
static void test_max_decoded(void **state)
{
	struct av_links_limits small = { 20, 20, 1000, 64 };
	struct av_links *l = calloc(1, sizeof(*l));
	char msg[400];

	snprintf(msg, sizeof(msg), H "\r\nhttp://early.example %0100d http://late.example\r\n", 0);
	av_links_extract(msg, strlen(msg), &small, l);
	check_hosts(l, "early.example");
	assert_int_equal(l->over, 1);
	free(l);
}

/* Nesting past max_depth: over, no crash (recursion bounded). */
static void test_depth(void **state)
{
	struct av_links *l = calloc(1, sizeof(*l));
	size_t size = 200 * 80 + 100, n = 0, i;
	char *msg = malloc(size);

	for (i = 0; i < 200; i++)
		n += (size_t) snprintf(msg + n, size - n,
				       "Content-Type: multipart/mixed; boundary=b%zu\r\n\r\n--b%zu\r\n", i, i);
	n += (size_t) snprintf(msg + n, size - n, "\r\nhttp://bottom.example\r\n");
	av_links_extract(msg, n, &lim, l);
	assert_int_equal(l->nhosts, 0);
	assert_int_equal(l->over, 1);
	free(msg);
	free(l);
}

/* A host name over 253 octets is not a URL host (no DNS name is). */
static void test_long_host(void **state)
{
	char url[400], host[AV_LINKS_HOST_MAX + 1];

	memcpy(url, "http://", 7);
	memset(url + 7, 'a', 300);
	url[307] = '\0';
	assert_int_equal(av_links_url_host(url, strlen(url), host), 0);
	url[7 + 253] = '\0';
	assert_int_equal(av_links_url_host(url, strlen(url), host), 1);
	assert_int_equal(strlen(host), 253);
}

/* A Unicode host over 253 octets of UTF-8 may still resolve (its
   A-labels are shorter): a limit reached, never "no link". */
static void test_long_unicode_host(void **state)
{
	char url[400], host[AV_LINKS_HOST_MAX + 1], msg[600];
	struct av_links *l = calloc(1, sizeof(*l));
	size_t i, n = 7;

	(void) state;
	memcpy(url, "http://", 7);
	for (i = 0; i < 130; i++) {	/* 130 Cyrillic "а": 260 octets, A-label 4 + 130 + ... */
		url[n++] = '\xd0';
		url[n++] = '\xb0';
	}
	memcpy(url + n, ".example", 9);
	assert_int_equal(av_links_url_host(url, strlen(url), host), -1);
	/* In a message: no host kept, the limits finding. */
	snprintf(msg, sizeof(msg), "Subject: x\r\n\r\nsee %s/\r\n", url);
	av_links_extract(msg, strlen(msg), &lim, l);
	assert_int_equal(l->nhosts, 0);
	assert_int_equal(l->over, 1);
	free(l);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "max_hosts", test_max_hosts, NULL);
	tests_add(&l, "max_decoded", test_max_decoded, NULL);
	tests_add(&l, "max_depth", test_depth, NULL);
	tests_add(&l, "host over 253 octets", test_long_host, NULL);
	tests_add(&l, "Unicode host over 253 octets: a limit", test_long_unicode_host, NULL);
	return tests_run(&l, "milter-av links", NULL, NULL);
}
