/*++
 * NAME
 *	test_spf 1
 * SUMMARY
 *	unit tests for the SPF module: record validator, macros, result
 *	names, lookup-limit accounting, client address normalisation
 * DESCRIPTION
 *	Tables of named cases; every case is its own cmocka test (one TAP
 *	line). No network: the limit cases answer DNS from an in-memory table
 *	through the spf_dns fake hook. The real-DNS behaviour is tested by
 *	tests/integration/20-spf-conformance.sh.
 *--*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <cmocka.h>

/* spf2/spf.h needs these first (a libspf2 pitfall) */
#include <netinet/in.h>
#include <spf2/spf.h>

#include <messec/spf.h>
#include "spf_internal.h"

/* ---- record validator (RFC 7208 12) ---- */

struct record_case {
	const char *name;
	const char *text;
	size_t len;		/* 0: strlen(text) */
	bool valid;
};

static const struct record_case record_cases[] = {
	{ "version only", "v=spf1", 0, true },
	{ "minus all", "v=spf1 -all", 0, true },
	{ "trailing space", "v=spf1 a -all ", 0, true },
	{ "two spaces", "v=spf1 a  -all", 0, true },
	{ "upper-case version and mechanism", "V=SPF1 A -ALL", 0, true },
	{ "spf10 is not spf1", "v=spf10 -all", 0, false },
	{ "ip4 /0 is valid", "v=spf1 ip4:192.0.2.0/0 -all", 0, true },
	{ "ip6 /0 is valid", "v=spf1 ip6:::/0", 0, true },
	{ "a/0 is valid", "v=spf1 a/0 -all", 0, true },
	{ "ip4 /33", "v=spf1 ip4:192.0.2.1/33", 0, false },
	{ "ip4 /032 leading zero", "v=spf1 ip4:192.0.2.1/032", 0, false },
	{ "ip4 three octets", "v=spf1 ip4:1.2.3", 0, false },
	{ "ip4 without network", "v=spf1 ip4", 0, false },
	{ "ip6 /129", "v=spf1 ip6:2001:db8::1/129", 0, false },
	{ "ip6 with v4 network", "v=spf1 ip6:192.0.2.1", 0, false },
	{ "dual cidr", "v=spf1 a:foo.example/24//64 mx//0 -all", 0, true },
	{ "single slash before ip6 length", "v=spf1 a/24/64", 0, false },
	{ "slash and colon in domain-spec", "v=spf1 a:foo:bar/baz.example.com", 0, true },
	{ "numeric top label", "v=spf1 a:111.222.33.44", 0, false },
	{ "numeric top label abc.123", "v=spf1 a:abc.123", 0, false },
	{ "single-label domain", "v=spf1 a:museum", 0, false },
	{ "single label with dot", "v=spf1 a:museum.", 0, false },
	{ "dash in top label", "v=spf1 a:foo.ex-ample -all", 0, true },
	{ "trailing dot", "v=spf1 a:foo.example. -all", 0, true },
	{ "empty a domain", "v=spf1 a:", 0, false },
	{ "empty include", "v=spf1 include:", 0, false },
	{ "empty exists", "v=spf1 exists:", 0, false },
	{ "ptr/0 has no cidr", "v=spf1 ptr/0 -all", 0, false },
	{ "all with junk", "v=spf1 -all.", 0, false },
	{ "all with colon", "v=spf1 -all:foobar", 0, false },
	{ "unknown mechanism", "v=spf1 foo:bar", 0, false },
	{ "bang qualifier", "v=spf1 !a", 0, false },
	{ "duplicate redirect", "v=spf1 redirect=a.example redirect=b.example", 0, false },
	{ "duplicate exp", "v=spf1 exp=a.example exp=b.example -all", 0, false },
	{ "redirect and exp", "v=spf1 exp=e.example redirect=r.example", 0, true },
	{ "empty redirect", "v=spf1 redirect=", 0, false },
	{ "unknown modifier", "v=spf1 foo=bar -all", 0, true },
	{ "unknown modifier bad macro", "v=spf1 foo=%{q}", 0, false },
	{ "macros in exists", "v=spf1 exists:%{i}.%{l1r+-}._spf.%{d} -all", 0, true },
	{ "domain-spec ends with macro", "v=spf1 a:%{d}", 0, true },
	{ "c macro outside exp", "v=spf1 a:%{c}.example.com", 0, false },
	{ "t macro outside exp", "v=spf1 exists:%{t}.example.com", 0, false },
	{ "percent then dot", "v=spf1 a:foo%.example.com", 0, false },
	{ "percent at end", "v=spf1 a:foo.example.com%", 0, false },
	{ "unclosed macro", "v=spf1 a:%{d.example.com", 0, false },
	{ "escapes", "v=spf1 a:%%%_%-.example.com", 0, true },
	{ "tab separator", "v=spf1\tptr", 0, false },
	{ "CR inside", "v=spf1 a:x.example\rptr", 0, false },
	{ "non-ASCII", "v=spf1 a:ex\x80" "ample.com", 0, false },
	{ "embedded NUL", "v=spf1\0 -all", 12, false },
	{ "empty", "", 0, false },
};

static void
test_record(void **state)
{
	const struct record_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	const char *error = NULL;
	int r = ma_spf_record_validate(c->text, len, &error);

	if (c->valid && r != 0)
		fail_msg("%s: refused: %s", c->name, error);
	if (!c->valid && r == 0)
		fail_msg("%s: accepted", c->name);
	if (!c->valid)
		assert_non_null(error);
}

/* ---- macro expansion (RFC 7208 7.4 examples) ---- */

struct macro_case {
	const char *name;
	const char *sender;	/* local@domain */
	const char *ip;
	const char *macro;
	bool explain;
	const char *want;	/* NULL: error expected */
};

static const struct macro_case macro_cases[] = {
	{ "s", "strong-bad@email.example.com", "192.0.2.3", "%{s}", false, "strong-bad@email.example.com" },
	{ "o", "strong-bad@email.example.com", "192.0.2.3", "%{o}", false, "email.example.com" },
	{ "d", "strong-bad@email.example.com", "192.0.2.3", "%{d}", false, "email.example.com" },
	{ "d4", "strong-bad@email.example.com", "192.0.2.3", "%{d4}", false, "email.example.com" },
	{ "d3", "strong-bad@email.example.com", "192.0.2.3", "%{d3}", false, "email.example.com" },
	{ "d2", "strong-bad@email.example.com", "192.0.2.3", "%{d2}", false, "example.com" },
	{ "d1", "strong-bad@email.example.com", "192.0.2.3", "%{d1}", false, "com" },
	{ "dr", "strong-bad@email.example.com", "192.0.2.3", "%{dr}", false, "com.example.email" },
	{ "d2r", "strong-bad@email.example.com", "192.0.2.3", "%{d2r}", false, "example.email" },
	{ "l", "strong-bad@email.example.com", "192.0.2.3", "%{l}", false, "strong-bad" },
	{ "l-", "strong-bad@email.example.com", "192.0.2.3", "%{l-}", false, "strong.bad" },
	{ "lr", "strong-bad@email.example.com", "192.0.2.3", "%{lr}", false, "strong-bad" },
	{ "lr-", "strong-bad@email.example.com", "192.0.2.3", "%{lr-}", false, "bad.strong" },
	{ "l1r-", "strong-bad@email.example.com", "192.0.2.3", "%{l1r-}", false, "strong" },
	{ "ir v d2", "strong-bad@email.example.com", "192.0.2.3", "%{ir}.%{v}._spf.%{d2}", false, "3.2.0.192.in-addr._spf.example.com" },
	{ "lr- lp d2", "strong-bad@email.example.com", "192.0.2.3", "%{lr-}.lp._spf.%{d2}", false, "bad.strong.lp._spf.example.com" },
	{ "lr- ir v d2", "strong-bad@email.example.com", "192.0.2.3", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", false, "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
	{ "ir v l1r- d2", "strong-bad@email.example.com", "192.0.2.3", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", false, "3.2.0.192.in-addr.strong.lp._spf.example.com" },
	{ "d2 trusted", "strong-bad@email.example.com", "192.0.2.3", "%{d2}.trusted-domains.example.net", false, "example.com.trusted-domains.example.net" },
	{ "ipv6 ir", "strong-bad@email.example.com", "2001:db8::cb01", "%{ir}.%{v}._spf.%{d2}", false, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com" },
	{ "mapped ipv6 is ipv4", "a@example.com", "::ffff:192.0.2.3", "%{i} %{v}", true, "192.0.2.3 in-addr" },
	{ "c ipv6 in exp", "a@example.com", "2001:db8::cb01", "%{c}", true, "2001:db8::cb01" },
	{ "upper-case escapes", "a b@example.com", "192.0.2.3", "%{S}", true, "a%20b%40example.com" },
	{ "escapes", "a@example.com", "192.0.2.3", "x%%%_%-y", true, "x% %20y" },
	{ "r default unknown", "a@example.com", "192.0.2.3", "%{r}", true, "unknown" },
	{ "zero digit", "a@example.com", "192.0.2.3", "%{d0}", false, NULL },
	{ "bad letter", "a@example.com", "192.0.2.3", "%{x}", false, NULL },
	{ "c outside exp", "a@example.com", "192.0.2.3", "%{c}.example.com", false, NULL },
	{ "lone percent", "a@example.com", "192.0.2.3", "50%", true, NULL },
	{ "non-ASCII exp", "a@example.com", "192.0.2.3", "caf\xc3\xa9", true, NULL },
};

static void
test_macro(void **state)
{
	const struct macro_case *c = *state;
	struct spf_ip ip;
	struct spf_macro_ctx m = { 0 };
	char local[64], out[512];
	const char *at = strchr(c->sender, '@'), *error = NULL;
	int r;

	assert_int_equal(spf_ip_parse(c->ip, &ip), 0);
	snprintf(local, sizeof(local), "%.*s", (int)(at - c->sender), c->sender);
	m.sender = c->sender;
	m.local = local;
	m.sender_domain = at + 1;
	m.domain = at + 1;
	m.helo = "mx.example.org";
	m.ip = &ip;
	r = spf_macro_expand(&m, c->macro, strlen(c->macro), c->explain, out,
			     sizeof(out), &error);
	if (c->want == NULL) {
		if (r == 0)
			fail_msg("%s: expanded to \"%s\"", c->name, out);
		return;
	}
	if (r != 0)
		fail_msg("%s: error %s", c->name, error);
	assert_string_equal(out, c->want);
}

static void
test_macro_long_domain(void **state)
{
	struct spf_ip ip;
	struct spf_macro_ctx m = { 0 };
	char local[300], sender[400], out[1024];
	const char *error;

	/* RFC 7208 7.3: left-hand labels go until the name fits in 253 */
	/* four 60-octet labels: 243 + ".example.com" is over 253 */
	for (int i = 0; i < 4; i++) {
		memset(local + 61 * i, 'a' + i, 60);
		local[61 * i + 60] = '.';
	}
	local[243] = '\0';
	snprintf(sender, sizeof(sender), "%s@example.com", local);
	assert_int_equal(spf_ip_parse("192.0.2.1", &ip), 0);
	m.sender = sender;
	m.local = local;
	m.sender_domain = m.domain = "example.com";
	m.helo = "";
	m.ip = &ip;
	assert_int_equal(spf_macro_expand(&m, "%{l}.%{d}", 9, false, out,
					  sizeof(out), &error), 0);
	assert_true(strlen(out) <= SPF_MAX_DOMAIN);
	assert_true(strlen(out) > 0);
	assert_string_equal(out + strlen(out) - 12, ".example.com");
	assert_true(out[0] != '.');
}

/* ---- client address normalisation ---- */

struct ip_case {
	const char *name;
	const char *text;
	int family;		/* 0: must be refused */
	const char *canonical;	/* inet_ntop of the result */
};

static const struct ip_case ip_cases[] = {
	{ "ipv4", "192.0.2.1", AF_INET, "192.0.2.1" },
	{ "ipv4-mapped ipv6 is ipv4", "::ffff:192.0.2.1", AF_INET, "192.0.2.1" },
	{ "ipv4-mapped upper-case hex", "::FFFF:c000:0201", AF_INET, "192.0.2.1" },
	{ "ipv6", "2001:db8::1", AF_INET6, "2001:db8::1" },
	{ "ipv4-compatible stays ipv6", "::192.0.2.1", AF_INET6, "::192.0.2.1" },
	{ "ipv4-translated stays ipv6", "::ffff:0:192.0.2.1", AF_INET6, "::ffff:0:c000:201" },
	{ "loopback ipv6", "::1", AF_INET6, "::1" },
	{ "octet over 255", "192.0.2.256", 0, NULL },
	{ "three octets", "192.0.2", 0, NULL },
	{ "trailing space", "192.0.2.1 ", 0, NULL },
	{ "empty", "", 0, NULL },
	{ "hostname", "mail.example.com", 0, NULL },
	{ "ipv6 zone", "fe80::1%eth0", 0, NULL },
	{ "cidr", "192.0.2.0/24", 0, NULL },
};

static void
test_ip(void **state)
{
	const struct ip_case *c = *state;
	struct spf_ip ip;
	char buf[INET6_ADDRSTRLEN];

	if (c->family == 0) {
		assert_int_equal(spf_ip_parse(c->text, &ip), -1);
		return;
	}
	assert_int_equal(spf_ip_parse(c->text, &ip), 0);
	assert_int_equal(ip.family, c->family);
	assert_non_null(inet_ntop(ip.family, ip.addr, buf, sizeof(buf)));
	assert_string_equal(buf, c->canonical);
}

static void
test_ip_match(void **state)
{
	struct spf_ip ip;
	uint8_t net4[4] = { 192, 0, 2, 0 }, net6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	assert_int_equal(spf_ip_parse("192.0.2.77", &ip), 0);
	assert_true(spf_ip_match(&ip, net4, AF_INET, 24));
	assert_true(spf_ip_match(&ip, net4, AF_INET, 0));
	assert_false(spf_ip_match(&ip, net4, AF_INET, 32));
	assert_true(spf_ip_match(&ip, net4, AF_INET, 25));
	assert_false(spf_ip_match(&ip, net4, AF_INET, 26));
	assert_false(spf_ip_match(&ip, net6, AF_INET6, 0));	/* family */
	assert_int_equal(spf_ip_parse("2001:db8::5", &ip), 0);
	assert_true(spf_ip_match(&ip, net6, AF_INET6, 32));
	assert_true(spf_ip_match(&ip, net6, AF_INET6, 0));
	assert_false(spf_ip_match(&ip, net6, AF_INET6, 128));
	assert_false(spf_ip_match(&ip, net4, AF_INET, 0));
}

/* ---- result names ---- */

static void
test_result_names(void **state)
{
	static const char *const names[] = { "none", "neutral", "pass",
		"fail", "softfail", "temperror", "permerror" };

	for (int i = MA_SPF_NONE; i <= MA_SPF_PERMERROR; i++) {
		assert_string_equal(ma_spf_result_name(i), names[i]);
		assert_int_equal(ma_spf_result_parse(names[i]), i);
	}
	/* an internal failure never reads as an SPF result */
	assert_string_equal(ma_spf_result_name(MA_SPF_INTERNAL), "internal");
	assert_string_equal(ma_spf_result_name((enum ma_spf_result)42), "internal");
	assert_int_equal(ma_spf_result_parse("PASS"), MA_SPF_PASS);
	assert_int_equal(ma_spf_result_parse("error"), -2);
}

/* ---- lookup limits (RFC 7208 4.6.4) with an in-memory zone ---- */

struct fake_rr {
	const char *name;
	int type;
	const char *value;	/* address text, TXT text, or MX/PTR name */
};

struct limit_case {
	const char *name;
	const char *ip;
	const char *domain;
	const struct fake_rr *zone;
	enum ma_spf_result want;
	unsigned want_min_queries;	/* 0: not checked */
	const char *want_exp;		/* NULL: not checked */
};

static enum spf_dns_status
fake_lookup(void *ctx, const char *name, int type, struct spf_rrset *set_r)
{
	const struct fake_rr *zone = ctx;
	bool exists = false;
	size_t n = 0;

	set_r->rr = calloc(32, sizeof(*set_r->rr));
	assert_non_null(set_r->rr);
	for (const struct fake_rr *z = zone; z->name != NULL; z++) {
		struct spf_rr *rr = &set_r->rr[n];

		if (strcasecmp(z->name, name) != 0)
			continue;
		exists = true;
		if (z->type != type || n == 32)
			continue;
		rr->type = (uint16_t)type;
		if (type == ns_t_a)
			assert_int_equal(inet_pton(AF_INET, z->value, rr->addr), 1);
		else if (type == ns_t_aaaa)
			assert_int_equal(inet_pton(AF_INET6, z->value, rr->addr), 1);
		else {
			rr->text = strdup(z->value);
			rr->text_len = strlen(z->value);
		}
		n++;
	}
	set_r->count = n;
	if (n > 0)
		return SPF_DNS_OK;
	free(set_r->rr);	/* like the resolver: no answer, nothing to free */
	set_r->rr = NULL;
	return exists ? SPF_DNS_NODATA : SPF_DNS_NXDOMAIN;
}

#define TXT(n, v) { n, ns_t_txt, v }
#define A(n, v) { n, ns_t_a, v }
#define MXR(n, v) { n, ns_t_mx, v }
#define END { NULL, 0, NULL }

static const struct fake_rr zone_ten[] = {
	TXT("ten.example", "v=spf1 a:h1.example a:h2.example a:h3.example "
	    "a:h4.example a:h5.example a:h6.example a:h7.example a:h8.example "
	    "a:h9.example a:h10.example -all"),
	TXT("eleven.example", "v=spf1 a:h1.example a:h2.example a:h3.example "
	    "a:h4.example a:h5.example a:h6.example a:h7.example a:h8.example "
	    "a:h9.example a:h10.example a:h11.example -all"),
	TXT("match-first.example", "v=spf1 ip4:192.0.2.1 a:h1.example "
	    "a:h2.example a:h3.example a:h4.example a:h5.example a:h6.example "
	    "a:h7.example a:h8.example a:h9.example a:h10.example a:h11.example -all"),
	A("h1.example", "198.51.100.1"), A("h2.example", "198.51.100.2"),
	A("h3.example", "198.51.100.3"), A("h4.example", "198.51.100.4"),
	A("h5.example", "198.51.100.5"), A("h6.example", "198.51.100.6"),
	A("h7.example", "198.51.100.7"), A("h8.example", "198.51.100.8"),
	A("h9.example", "198.51.100.9"), A("h10.example", "198.51.100.10"),
	A("h11.example", "198.51.100.11"),
	/* include chain: 2 terms per level, shared across records */
	TXT("inc0.example", "v=spf1 a:h1.example include:inc1.example -all"),
	TXT("inc1.example", "v=spf1 a:h2.example include:inc2.example -all"),
	TXT("inc2.example", "v=spf1 a:h3.example include:inc3.example -all"),
	TXT("inc3.example", "v=spf1 a:h4.example include:inc4.example -all"),
	TXT("inc4.example", "v=spf1 a:h5.example include:inc5.example -all"),
	TXT("inc5.example", "v=spf1 a:h6.example include:inc6.example -all"),
	TXT("inc6.example", "v=spf1 ip4:192.0.2.1"),
	TXT("inc10.example", "v=spf1 a:h1.example a:h2.example include:inc11.example -all"),
	TXT("inc11.example", "v=spf1 a:h3.example a:h4.example include:inc12.example -all"),
	TXT("inc12.example", "v=spf1 a:h5.example a:h6.example a:h7.example include:inc13.example -all"),
	TXT("inc13.example", "v=spf1 ip4:192.0.2.1"),
	TXT("redir0.example", "v=spf1 a:h1.example a:h2.example a:h3.example "
	    "a:h4.example a:h5.example a:h6.example a:h7.example a:h8.example "
	    "redirect=redir1.example"),
	TXT("redir1.example", "v=spf1 a:h10.example -all"),
	TXT("redir2.example", "v=spf1 a:h1.example a:h2.example a:h3.example "
	    "a:h4.example a:h5.example a:h6.example a:h7.example a:h8.example "
	    "a:h9.example a:h10.example redirect=redir1.example"),
	TXT("loop.example", "v=spf1 include:loop.example"),
	/* void lookups */
	TXT("void2.example", "v=spf1 a:nx1.example a:nx2.example -all"),
	TXT("void3.example", "v=spf1 a:nx1.example a:nx2.example mx:nx3.example -all"),
	TXT("void-nodata.example", "v=spf1 a:h1.example a:nodata.example "
	    "exists:nodata.example exists:nx1.example -all"),
	A("h1.example", "198.51.100.1"),
	TXT("nodata.example", "not an address"),
	/* MX names */
	TXT("mx10.example", "v=spf1 mx:mxs10.example -all"),
	TXT("mx11.example", "v=spf1 mx:mxs11.example -all"),
	MXR("mxs10.example", "m1.example"), MXR("mxs10.example", "m2.example"),
	MXR("mxs10.example", "m3.example"), MXR("mxs10.example", "m4.example"),
	MXR("mxs10.example", "m5.example"), MXR("mxs10.example", "m6.example"),
	MXR("mxs10.example", "m7.example"), MXR("mxs10.example", "m8.example"),
	MXR("mxs10.example", "m9.example"), MXR("mxs10.example", "m10.example"),
	MXR("mxs11.example", "m1.example"), MXR("mxs11.example", "m2.example"),
	MXR("mxs11.example", "m3.example"), MXR("mxs11.example", "m4.example"),
	MXR("mxs11.example", "m5.example"), MXR("mxs11.example", "m6.example"),
	MXR("mxs11.example", "m7.example"), MXR("mxs11.example", "m8.example"),
	MXR("mxs11.example", "m9.example"), MXR("mxs11.example", "m10.example"),
	MXR("mxs11.example", "m11.example"),
	A("m10.example", "192.0.2.1"),
	/* record selection */
	TXT("two.example", "v=spf1 -all"), TXT("two.example", "v=spf1 +all"),
	TXT("other-txt.example", "google-site-verification=x"),
	TXT("other-txt.example", "v=spf1 ip4:192.0.2.1 -all"),
	TXT("incnone.example", "v=spf1 include:h1.example -all"),
	TXT("redirnone.example", "v=spf1 redirect=h1.example"),
	TXT("syntax-after-match.example", "v=spf1 +all foo:bar"),
	TXT("neutral.example", "v=spf1 ip4:198.51.100.0/24"),
	TXT("softfail.example", "v=spf1 ~all"),
	/* explanations (RFC 7208 6.2) */
	TXT("exp1.example", "v=spf1 -all exp=why.exp1.example"),
	TXT("why.exp1.example", "%{i} is not one of %{d}'s servers"),
	TXT("exp-inc.example", "v=spf1 include:exp1.example -all"),
	TXT("exp-redir.example", "v=spf1 redirect=exp1.example exp=other.example"),
	TXT("other.example", "not this one"),
	TXT("exp-bad.example", "v=spf1 -all exp=bad.exp.example"),
	TXT("bad.exp.example", "%{x} files"),
	TXT("exp-two.example", "v=spf1 -all exp=two.exp.example"),
	TXT("two.exp.example", "one"), TXT("two.exp.example", "two"),
	END
};

static const struct limit_case limit_cases[] = {
	{ "limit: 10 a terms then -all is fail", "192.0.2.1", "ten.example", zone_ten, MA_SPF_FAIL, 11, NULL },
	{ "limit: 11 a terms is permerror", "192.0.2.1", "eleven.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "limit: match before the limit is reached", "192.0.2.1", "match-first.example", zone_ten, MA_SPF_PASS, 0, NULL },
	{ "limit: 12 terms across includes", "192.0.2.1", "inc0.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "limit: 10 terms across includes pass", "192.0.2.1", "inc10.example", zone_ten, MA_SPF_PASS, 0, NULL },
	{ "limit: redirect counts, 10 in all passes", "192.0.2.1", "redir0.example", zone_ten, MA_SPF_FAIL, 0, NULL },
	{ "limit: redirect as 11th term", "192.0.2.1", "redir2.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "limit: include loop ends in permerror", "192.0.2.1", "loop.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "void: two void lookups are allowed", "192.0.2.1", "void2.example", zone_ten, MA_SPF_FAIL, 0, NULL },
	{ "void: a third is permerror", "192.0.2.1", "void3.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "void: NODATA counts like NXDOMAIN", "192.0.2.1", "void-nodata.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "mx: 10 names allowed", "192.0.2.1", "mx10.example", zone_ten, MA_SPF_PASS, 0, NULL },
	{ "mx: 11 names is permerror", "192.0.2.1", "mx11.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "select: two SPF records is permerror", "192.0.2.1", "two.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "select: other TXT records ignored", "192.0.2.1", "other-txt.example", zone_ten, MA_SPF_PASS, 0, NULL },
	{ "select: no record is none", "192.0.2.1", "h1.example", zone_ten, MA_SPF_NONE, 0, NULL },
	{ "select: NXDOMAIN is none", "192.0.2.1", "nx.example", zone_ten, MA_SPF_NONE, 0, NULL },
	{ "include of a domain without SPF is permerror", "192.0.2.1", "incnone.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "redirect to a domain without SPF is permerror", "192.0.2.1", "redirnone.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "syntax error after a match is permerror", "192.0.2.1", "syntax-after-match.example", zone_ten, MA_SPF_PERMERROR, 0, NULL },
	{ "no match is neutral", "192.0.2.1", "neutral.example", zone_ten, MA_SPF_NEUTRAL, 0, NULL },
	{ "tilde all is softfail", "192.0.2.1", "softfail.example", zone_ten, MA_SPF_SOFTFAIL, 0, NULL },
	{ "exp: macros expanded", "192.0.2.1", "exp1.example", zone_ten, MA_SPF_FAIL, 0,
	  "192.0.2.1 is not one of exp1.example's servers" },
	{ "exp: an include's exp is not used", "192.0.2.1", "exp-inc.example", zone_ten, MA_SPF_FAIL, 0, "" },
	{ "exp: redirect target's exp wins", "192.0.2.1", "exp-redir.example", zone_ten, MA_SPF_FAIL, 0,
	  "192.0.2.1 is not one of exp1.example's servers" },
	{ "exp: syntax error gives the default", "192.0.2.1", "exp-bad.example", zone_ten, MA_SPF_FAIL, 0, "" },
	{ "exp: two TXT records give the default", "192.0.2.1", "exp-two.example", zone_ten, MA_SPF_FAIL, 0, "" },
};

static void
test_limit(void **state)
{
	const struct limit_case *c = *state;
	struct spf_dns dns = { 0 };
	struct spf_ip ip;
	struct ma_spf_verdict v;
	struct spf_query q = {
		.ip = &ip, .sender = "a@x.example", .local = "a",
		.sender_domain = c->domain, .helo = "h.example",
		.limits = { SPF_MAX_DNS_TERMS, SPF_MAX_VOID },
	};
	enum ma_spf_result r;

	assert_int_equal(spf_ip_parse(c->ip, &ip), 0);
	dns.fake = fake_lookup;
	dns.fake_ctx = (void *)c->zone;
	memset(&v, 0, sizeof(v));
	r = spf_eval_check_host(&dns, &q, c->domain, &v);
	if (r != c->want)
		fail_msg("%s: got %s (%s), want %s", c->name,
			 ma_spf_result_name(r), v.reason,
			 ma_spf_result_name(c->want));
	if (c->want_min_queries)
		assert_true(dns.queries >= c->want_min_queries);
	if (c->want_exp != NULL)
		assert_string_equal(v.explanation, c->want_exp);
}

/* ---- libspf2 result mapping (spf_libspf2.c) ---- */

struct map_case {
	const char *name;
	int result, errcode;
	enum ma_spf_result want;
};

static const struct map_case map_cases[] = {
	{ "map: pass", SPF_RESULT_PASS, SPF_E_SUCCESS, MA_SPF_PASS },
	{ "map: fail", SPF_RESULT_FAIL, SPF_E_SUCCESS, MA_SPF_FAIL },
	{ "map: softfail", SPF_RESULT_SOFTFAIL, SPF_E_SUCCESS, MA_SPF_SOFTFAIL },
	{ "map: neutral", SPF_RESULT_NEUTRAL, SPF_E_SUCCESS, MA_SPF_NEUTRAL },
	{ "map: none", SPF_RESULT_NONE, SPF_E_SUCCESS, MA_SPF_NONE },
	{ "map: temperror", SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, MA_SPF_TEMPERROR },
	{ "map: permerror", SPF_RESULT_PERMERROR, SPF_E_SYNTAX, MA_SPF_PERMERROR },
	{ "map: invalid without a code is temperror", SPF_RESULT_INVALID, SPF_E_SUCCESS, MA_SPF_TEMPERROR },
	{ "map: invalid + DNS error is temperror", SPF_RESULT_INVALID, SPF_E_DNS_ERROR, MA_SPF_TEMPERROR },
	{ "map: invalid + out of memory is temperror", SPF_RESULT_INVALID, SPF_E_NO_MEMORY, MA_SPF_TEMPERROR },
	{ "map: invalid + syntax is permerror", SPF_RESULT_INVALID, SPF_E_SYNTAX, MA_SPF_PERMERROR },
	{ "map: invalid + bad cidr is permerror", SPF_RESULT_INVALID, SPF_E_INVALID_CIDR, MA_SPF_PERMERROR },
	{ "map: invalid + too many lookups is permerror", SPF_RESULT_INVALID, SPF_E_BIG_DNS, MA_SPF_PERMERROR },
	{ "map: unknown result value is temperror", 42, SPF_E_SUCCESS, MA_SPF_TEMPERROR },
};

static void
test_map(void **state)
{
	const struct map_case *c = *state;

	assert_int_equal(spf_libspf2_map(c->result, c->errcode), c->want);
}

/* ---- hostile SMTP input: clear result before any DNS ---- */

struct input_case {
	const char *name;
	const char *ip;
	const char *helo;
	const char *mail_from;
	enum ma_spf_result want;
};

static char long_from[1100];

static const struct input_case input_cases[] = {
	{ "input: garbage IP", "999.1.1.1", "h.example", "a@b.example", MA_SPF_PERMERROR },
	{ "input: NULL IP", NULL, "h.example", "a@b.example", MA_SPF_PERMERROR },
	{ "input: hostname as IP", "mail.example", "h.example", "a@b.example", MA_SPF_PERMERROR },
	{ "input: 1000-char MAIL FROM", "192.0.2.1", "h.example", long_from, MA_SPF_NONE },
	{ "input: non-ASCII domain", "192.0.2.1", "h.example", "a@b\xc3\xbc" "cher.example", MA_SPF_NONE },
	{ "input: control character", "192.0.2.1", "h.example", "a@b\x01.example", MA_SPF_NONE },
	{ "input: domain literal", "192.0.2.1", "h.example", "a@[192.0.2.1]", MA_SPF_NONE },
	{ "input: single-label domain", "192.0.2.1", "h.example", "a@localhost", MA_SPF_NONE },
	{ "input: empty label", "192.0.2.1", "h.example", "a@b..example", MA_SPF_NONE },
	{ "input: label over 63", "192.0.2.1", "h.example",
	  "a@a1234567890123456789012345678901234567890123456789012345678901234.example", MA_SPF_NONE },
	{ "input: null sender, no HELO", "192.0.2.1", NULL, "", MA_SPF_NONE },
	{ "input: null sender, HELO literal", "192.0.2.1", "[192.0.2.1]", NULL, MA_SPF_NONE },
	{ "input: null sender, non-FQDN HELO", "192.0.2.1", "OEMCOMPUTER", "<>", MA_SPF_NONE },
};

static void
test_input(void **state)
{
	const struct input_case *c = *state;
	struct ma_spf_verdict v;
	const char *error;
	struct ma_spf *spf = ma_spf_new(NULL, &error);

	assert_non_null(spf);
	memset(long_from, 'x', 1000);
	memcpy(long_from + 1000, "@b.example", 11);
	assert_int_equal(ma_spf_check(spf, c->ip, c->helo, c->mail_from,
				      MA_SPF_ID_MAILFROM, &v), c->want);
	assert_int_equal(v.result, c->want);
	assert_true(v.reason[0] != '\0');
	assert_true(strlen(v.domain) < sizeof(v.domain));
	ma_spf_free(&spf);
	assert_null(spf);
}

/*
 * Issue 14, case 3: a macro expands the sender's local part or HELO into
 * a name the resolver cannot encode ("a\\1" is a bad escape for glibc).
 * Such a name has no record: the mechanism does not match (a void
 * lookup, RFC 7208 4.6.4), never temperror. The fake stands in for the
 * resolver: it answers temperror for a name glibc's encoder refuses, as
 * dns_query() used to (a local error); such a name must not reach it.
 */
static enum spf_dns_status
resolver_like(void *ctx, const char *name, int type, struct spf_rrset *set_r)
{
	unsigned char wire[NS_MAXCDNAME];

	if (ns_name_pton(name, wire, sizeof(wire)) < 0)
		return SPF_DNS_TEMPERROR;
	return fake_lookup(ctx, name, type, set_r);
}

static const struct fake_rr zone_macro[] = {
	TXT("bank.example", "v=spf1 exists:%{l}.u._spf.bank.example -all"),
	TXT("helo.example", "v=spf1 exists:%{h}._h.helo.example -all"),
	END
};

static void
test_unqueryable_name(void **state)
{
	static const struct {
		const char *local, *helo, *domain;
	} cases[] = {
		{ "a\\1", "h.example", "bank.example" },
		{ "a\\", "h.example", "bank.example" },
		{ "a\\999", "h.example", "bank.example" },
		{ "a..b", "h.example", "bank.example" },
		{ "x", "h\\1.example", "helo.example" },
	};
	struct spf_ip ip;

	(void)state;
	assert_int_equal(spf_ip_parse("192.0.2.1", &ip), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sender[128];
		struct spf_dns dns = { 0 };
		struct ma_spf_verdict v;
		struct spf_query q = {
			.ip = &ip, .sender = sender, .local = cases[i].local,
			.sender_domain = cases[i].domain, .helo = cases[i].helo,
			.limits = { SPF_MAX_DNS_TERMS, SPF_MAX_VOID },
		};
		enum ma_spf_result r;

		snprintf(sender, sizeof(sender), "%s@%s", cases[i].local, cases[i].domain);
		dns.fake = resolver_like;
		dns.fake_ctx = (void *)zone_macro;
		memset(&v, 0, sizeof(v));
		r = spf_eval_check_host(&dns, &q, cases[i].domain, &v);
		if (r != MA_SPF_FAIL)
			fail_msg("%s: got %s (%s), want fail", sender, ma_spf_result_name(r),
				 v.reason);
	}
}

#define ADD_CASES(table, fn)							\
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)	\
		tests[n++] = (struct CMUnitTest){ table[i].name, fn, NULL,	\
			NULL, (void *)&table[i] }

int
main(void)
{
	static struct CMUnitTest tests[256];
	size_t n = 0;

	ADD_CASES(record_cases, test_record);
	ADD_CASES(macro_cases, test_macro);
	ADD_CASES(ip_cases, test_ip);
	ADD_CASES(limit_cases, test_limit);
	ADD_CASES(input_cases, test_input);
	ADD_CASES(map_cases, test_map);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_macro_long_domain);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_unqueryable_name);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ip_match);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_result_names);
	return _cmocka_run_group_tests("spf", tests, n, NULL, NULL);
}
