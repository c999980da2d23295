/*++
 * NAME
 *	test_linkcheck - link findings, DNS lists (fake DNS server), verdict
 * DESCRIPTION
 *	The DNS list "dbl.example" is served by common/tests/fake_dns:
 *	evil.example, evil.co.uk and the IP 192.0.2.66 are listed (127.0.1.2),
 *	"refused.example" gets the lists' refusal code 127.255.255.254,
 *	"silent.example" no answer (a timeout), "servfail.example"
 *	SERVFAIL, any other name NXDOMAIN. The IDN domain
 *	"pаypal-login.example" (Cyrillic а) is listed by its A-label
 *	xn--pypal-login-yij.example, as lists hold IDNs.
 *--*/
#include <pthread.h>
#include "../../common/tests/test_util.h"
#include "../../common/tests/fake_dns.h"
#include "messec/str.h"
#include "config.h"
#include "linkcheck.h"

static struct fake_dns *fake;
static struct dns_resolver *res;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static char asked[4096];	/* names asked, space-separated */

/* "pаypal-login.example", the а Cyrillic (U+0430), and its A-label. */
#define IDN_U "p\xd0\xb0ypal-login.example"
#define IDN_A "xn--pypal-login-yij.example"
/* "x" x 6 + é, 27 labels: 248 octets of UTF-8, 405 as A-labels. */
#define E8 "xxxxxx\xc3\xa9."
#define LONG_U E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 "pa.ex"

static int ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcmp(name + n - s, suffix) == 0;
}

static size_t answer(void *ctx, const uint8_t *q, size_t qlen, uint8_t *reply, size_t size, bool tcp)
{
	char name[300];
	int type;
	size_t len;
	uint8_t a[4] = { 127, 0, 1, 2 };

	(void) ctx;
	(void) tcp;
	if (fake_dns_question(q, qlen, name, sizeof(name), &type) != 0)
		return 0;
	pthread_mutex_lock(&qlock);
	if (strlen(asked) + strlen(name) + 2 < sizeof(asked)) {
		strcat(asked, name);
		strcat(asked, " ");
	}
	pthread_mutex_unlock(&qlock);
	if (ends(name, "silent.example.dbl.example"))
		return 0;
	if (ends(name, "servfail.example.dbl.example"))
		return fake_dns_begin(q, qlen, reply, size, ns_r_servfail);
	if (ends(name, "refused.example.dbl.example")) {
		a[1] = a[2] = 255;
		a[3] = 254;
	} else if (strcmp(name, "evil.example.dbl.example") != 0 &&
		   strcmp(name, "evil.co.uk.dbl.example") != 0 &&
		   strcmp(name, IDN_A ".dbl.example") != 0 &&
		   strcmp(name, "66.2.0.192.dbl.example") != 0) {
		return fake_dns_begin(q, qlen, reply, size, ns_r_nxdomain);
	}
	len = fake_dns_begin(q, qlen, reply, size, ns_r_noerror);
	return type == ns_t_a ? fake_dns_add_rr(reply, len, size, ns_t_a, a, 4) : len;
}

static int setup(void **state)
{
	const char *error;

	(void) state;
	if ((fake = fake_dns_start(answer, NULL)) == NULL)
		return -1;
	res = dns_resolver_new(fake_dns_server(fake), &error);
	return res != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void) state;
	dns_resolver_free(&res);
	fake_dns_stop(&fake);
	return 0;
}

struct kcase {
	const char *name;
	const char *conf;		/* link_* lines */
	const char *msg;		/* body after the headers */
	const char *want_header;	/* X-Link-Status, "" none */
	enum av_action want_action;	/* from an accepted clean verdict */
	const char *want_reply;		/* substring of the reply, or NULL */
	const char *want_asked;		/* exact names asked, or NULL */
};

#define LISTS "link_dns_lists = dbl.example:reject\nlink_dns_timeout = 1s\n"

static const struct kcase cases[] = {
	{ "listed domain: reject naming list and domain", LISTS,
	  "see http://www.evil.example/x\r\n", "link to evil.example listed by dbl.example",
	  AV_REJECT, "Message refused: link to evil.example listed by dbl.example",
	  "evil.example.dbl.example " },
	{ "subdomain: asked as its registered domain", LISTS,
	  "http://a.b.evil.example/\r\n", "link to evil.example listed by dbl.example", AV_REJECT, NULL,
	  "evil.example.dbl.example " },
	{ "multi-label public suffix: a.b.evil.co.uk asked as evil.co.uk", LISTS,
	  "http://a.b.evil.co.uk/\r\n", "link to evil.co.uk listed by dbl.example", AV_REJECT,
	  "Message refused: link to evil.co.uk listed by dbl.example", "evil.co.uk.dbl.example " },
	{ "a.b.example.co.uk asked as example.co.uk only", LISTS, "http://a.b.example.co.uk/\r\n",
	  "", AV_ACCEPT, NULL, "example.co.uk.dbl.example " },
	{ "com.au, upper case: WWW.Shop.Example.COM.AU asked as example.com.au", LISTS,
	  "http://WWW.Shop.Example.COM.AU/\r\n", "", AV_ACCEPT, NULL, "example.com.au.dbl.example " },
	{ "private-section suffix: x.y.blogspot.com asked as y.blogspot.com", LISTS,
	  "http://x.y.blogspot.com/\r\n", "", AV_ACCEPT, NULL, "y.blogspot.com.dbl.example " },
	{ "a host that is a public suffix is asked as itself", LISTS, "http://co.uk/\r\n",
	  "", AV_ACCEPT, NULL, "co.uk.dbl.example " },
	{ "clean: nothing added", LISTS, "http://good.example/\r\n", "", AV_ACCEPT, NULL,
	  "good.example.dbl.example " },
	{ "same registered domain asked once", LISTS,
	  "http://good.example/ http://x.good.example http://good.example/2 http://a.b.good.example\r\n",
	  "", AV_ACCEPT, NULL, "good.example.dbl.example " },
	{ "list action tag", "link_dns_lists = dbl.example:tag\n", "http://evil.example/\r\n",
	  "link to evil.example listed by dbl.example", AV_ACCEPT, NULL, NULL },
	{ "list action quarantine", "link_dns_lists = dbl.example:quarantine\n", "http://evil.example/\r\n",
	  "link to evil.example listed by dbl.example", AV_QUARANTINE, NULL, NULL },
	{ "IPv4 literal asked reversed (SURBL)", LISTS "link_ip_action = tag\n", "http://192.0.2.66/\r\n",
	  "IP address link (192.0.2.66); link to 192.0.2.66 listed by dbl.example", AV_REJECT, NULL,
	  "66.2.0.192.dbl.example " },
	{ "name too long to query is not an error (DNS_BADNAME)", LISTS,
	  "http://" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example/ "
	  "http://evil.example/\r\n", "link to evil.example listed by dbl.example", AV_REJECT, NULL, NULL },
	{ "timeout: tempfail 4.4.3", LISTS, "http://silent.example/\r\n", "", AV_TEMPFAIL,
	  "Links not checked (DNS temporary failure)", NULL },
	{ "timeout with error action accept: tagged unchecked", LISTS "link_dns_error_action = accept\n",
	  "http://silent.example/\r\n", "unchecked (DNS temporary failure)", AV_ACCEPT, NULL, NULL },
	{ "SERVFAIL is an error", LISTS, "http://servfail.example/\r\n", "", AV_TEMPFAIL, NULL, NULL },
	{ "list refusal code is an error, not listed", LISTS, "http://refused.example/\r\n", "", AV_TEMPFAIL,
	  "list refused the query (127.255.255.254)", NULL },
	{ "a listed link before a timeout still rejects", LISTS,
	  "http://evil.example/ http://silent.example/\r\n", "", AV_REJECT, NULL, NULL },
	{ "deny list: subdomain", "link_deny_domains = bad.example\n", "http://x.bad.example/\r\n",
	  "link to denied domain bad.example", AV_REJECT, "link to denied domain bad.example", "" },
	{ "deny list does not match a longer name", "link_deny_domains = bad.example\n",
	  "http://notbad.example/\r\n", "", AV_ACCEPT, NULL, "" },
	{ "mismatch action", "link_mismatch_action = quarantine\n",
	  "<a href=\"http://evil.example\">bank.example</a>\r\n",
	  "link text bank.example leads to evil.example", AV_QUARANTINE, NULL, "" },
	{ "idn action", "link_idn_action = tag\n", "http://xn--bnk-sna.example/\r\n",
	  "internationalised link host (xn--bnk-sna.example)", AV_ACCEPT, NULL, "" },
	{ "IDN: a U-label host is asked by its A-label, listed", LISTS "link_idn_action = tag\n",
	  "https://" IDN_U "/x\r\n",
	  "internationalised link host (" IDN_U "); link to " IDN_A " listed by dbl.example", AV_REJECT,
	  "Message refused: link to " IDN_A " listed by dbl.example", IDN_A ".dbl.example " },
	{ "IDN: mixed case (Cyrillic capital А, ASCII capitals) maps as browsers do", LISTS,
	  "https://www.P\xd0\x90YPAL-Login.Example/\r\n", "", AV_REJECT, NULL, IDN_A ".dbl.example " },
	{ "IDN: fullwidth letters and ideographic dot with a U-label", LISTS,
	  "http://\xef\xbd\x90\xd0\xb0\xef\xbd\x99pal-login\xe3\x80\x82" "example/\r\n", "", AV_REJECT, NULL,
	  IDN_A ".dbl.example " },
	{ "IDN: a U-label under a denied A-label domain", "link_deny_domains = " IDN_A "\n",
	  "http://a." IDN_U "/\r\n", "link to denied domain " IDN_A, AV_REJECT, NULL, "" },
	{ "IDN: invalid IDNA (U+2603, disallowed) is not asked, the idn finding stays",
	  LISTS "link_idn_action = tag\n", "http://\xe2\x98\x83." IDN_U "/\r\n",
	  "internationalised link host (\xe2\x98\x83." IDN_U ")", AV_ACCEPT, NULL, "" },
	{ "IDN: over 253 octets once converted is not asked", LISTS, "http://" LONG_U "/\r\n", "", AV_ACCEPT,
	  NULL, "" },
	{ "limits: more hosts than link_max_hosts", "link_ip_action = tag\nlink_max_hosts = 1\n",
	  "http://a.example http://192.0.2.1\r\n", "links not all checked (limit reached)", AV_ACCEPT, NULL, "" },
};

static void test_case(void **state)
{
	const struct kcase *c = *state;
	char *msg = NULL, header[AV_LINK_TEXT_MAX + 150];
	struct av_config *conf = av_config_load_string(c->conf, stderr);
	struct av_links *links = calloc(1, sizeof(*links));
	struct av_outcome clean = { AV_OUT_CLEAN, NULL, NULL };
	struct av_link_result r;
	struct av_verdict v;

	assert_non_null(conf);
	assert_true(conf->links.enabled);
	assert_true(asprintf(&msg, "Subject: t\r\nContent-Type: %s\r\n\r\n%s",
			     c->msg[0] == '<' ? "text/html" : "text/plain", c->msg) > 0);
	asked[0] = '\0';
	av_links_extract(msg, strlen(msg), &conf->links.extract, links);
	av_linkcheck_run(&conf->links, res, links, &r);
	av_verdict_decide(&conf->actions, &clean, &v);
	av_linkcheck_apply(&conf->links, &r, &v, header, sizeof(header));
	assert_int_equal(v.action, c->want_action);
	if (c->want_action == AV_ACCEPT || c->want_action == AV_QUARANTINE)
		assert_string_equal(header, c->want_header);
	if (c->want_reply != NULL)
		assert_non_null(strstr(v.reply, c->want_reply));
	if (c->want_action == AV_REJECT)
		assert_string_equal(v.rcode, "554");
	if (c->want_action == AV_TEMPFAIL)
		assert_string_equal(v.xcode, "4.4.3");
	if (c->want_asked != NULL)
		assert_string_equal(asked, c->want_asked);
	free(msg);
	free(links);
	av_config_release(&conf);
}

/* av_linkcheck_ascii_host(): ASCII kept, U-labels to A-labels, bounds. */
static void test_ascii_host(void **state)
{
	char out[AV_LINKS_HOST_MAX + 1];

	(void) state;
	assert_int_equal(av_linkcheck_ascii_host("evil.example", out), 1);
	assert_string_equal(out, "evil.example");
	assert_int_equal(av_linkcheck_ascii_host(IDN_U, out), 1);
	assert_string_equal(out, IDN_A);
	assert_int_equal(av_linkcheck_ascii_host("caf\xc3\xa9.example", out), 1);
	assert_string_equal(out, "xn--caf-dma.example");
	/* Non-transitional (IDNA2008, browsers): ß stays, not "ss". */
	assert_int_equal(av_linkcheck_ascii_host("fa\xc3\x9f.example", out), 1);
	assert_string_equal(out, "xn--fa-hia.example");
	assert_int_equal(av_linkcheck_ascii_host("\xe2\x98\x83.example", out), 0);	/* U+2603 */
	assert_int_equal(av_linkcheck_ascii_host("bad\xff.example", out), 0);	/* not UTF-8 */
	assert_int_equal(av_linkcheck_ascii_host(LONG_U, out), 0);
	assert_int_equal(strlen(LONG_U), 248);
	/* 253 octets of A-labels kept, 254 refused (libidn2 2.3 already
	   says IDN2_TOO_BIG_DOMAIN; linkcheck.c checks again): 3 x 62 "a" labels, then one of 49 or 50 "b", then "café.ex"
	   (".xn--caf-dma.ex", 15 octets). */
	{
		char u[300];
		size_t n;

		for (n = 0; n < 3 * 63; n += 63) {
			memset(u + n, 'a', 62);
			u[n + 62] = '.';
		}
		memset(u + n, 'b', 49);
		str_copy(u + n + 49, ".caf\xc3\xa9.ex", sizeof(u) - n - 49);
		assert_int_equal(av_linkcheck_ascii_host(u, out), 1);
		assert_int_equal(strlen(out), 253);
		memmove(u + n + 1, u + n, strlen(u + n) + 1);
		assert_int_equal(av_linkcheck_ascii_host(u, out), 0);
	}
}

/* A verdict that already refuses the message is not changed. */
static void test_refused_kept(void **state)
{
	struct av_config *conf = av_config_load_string(LISTS, stderr);
	struct av_outcome infected = { AV_OUT_INFECTED, "Eicar", NULL };
	struct av_link_result r;
	struct av_verdict v;
	char header[400];

	(void) state;
	memset(&r, 0, sizeof(r));
	r.action = AV_HIT_QUARANTINE;
	str_copy(r.status, "x", sizeof(r.status));
	av_verdict_decide(&conf->actions, &infected, &v);
	av_linkcheck_apply(&conf->links, &r, &v, header, sizeof(header));
	assert_int_equal(v.action, AV_REJECT);
	assert_non_null(strstr(v.reply, "Eicar"));
	assert_string_equal(header, "");
	av_config_release(&conf);
}

struct ecase {
	const char *name, *conf, *want;
};

static const struct ecase errors[] = {
	{ "bad zone", "link_dns_lists = dbl..example\n", "test:1: link_dns_lists: dbl..example: not a DNS zone" },
	{ "bad action", "link_dns_lists = dbl.example:drop\n", "test:1: link_dns_lists: dbl.example:drop: bad action" },
	{ "upper-case deny domain", "link_deny_domains = Bad.example\n", "test:1: link_deny_domains: Bad.example" },
	{ "public suffix list missing", "link_dns_lists = dbl.example\npsl_path = /nonexistent/psl.dat\n",
	  "test:2: psl_path: /nonexistent/psl.dat: cannot open the public suffix list" },
};

static void test_error(void **state)
{
	const struct ecase *c = *state;
	char *out = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&out, &len);
	struct av_config *conf = av_config_load_string(c->conf, err);

	fclose(err);
	assert_null(conf);
	assert_non_null(strstr(out, c->want));
	free(out);
}

/* Nothing configured: off, the message is not even read, and the
   public suffix list is not loaded (nor needed). */
static void test_off_by_default(void **state)
{
	struct av_config *conf = av_config_load_string("psl_path = /nonexistent/psl.dat\n", stderr);

	(void) state;
	assert_non_null(conf);
	assert_false(conf->links.enabled);
	assert_null(conf->links.psl);
	av_config_release(&conf);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "U-label hosts to A-labels, bounds", test_ascii_host, NULL);
	tests_add(&l, "a refused verdict is kept", test_refused_kept, NULL);
	tests_add_table(&l, errors, test_error);
	tests_add(&l, "off by default", test_off_by_default, NULL);
	return tests_run(&l, "milter-av linkcheck", setup, teardown);
}
