/*++
 * NAME
 *	test_inspect 1
 * SUMMARY
 *	unit tests for messec-inspect's parsing and anomaly rules
 *	(inspect_msg.c, inspect_rules.c)
 * DESCRIPTION
 *	A table of named rule cases (facts in, flag codes out), the rule
 *	pieces (edit distance, skeleton, display name, dates), and the
 *	fixtures of milter-auth/tests/inspect/ read into hops.
 *--*/
#include "../../common/tests/test_util.h"

#include "../inspect.h"

struct rule_case {
	const char *name;
	const char *display, *from, *reply_to, *return_path;
	int n_from, message_id, date;
	const char *ar_id;		/* one A-R field with this id, or NULL */
	int ar_below;
	const char *want;		/* codes, space separated, in rule order */
};

static const char *const protected_domains[] = { "reject.example", "paypal.com", "lab.example" };

static const struct rule_case rule_cases[] = {
	{ "clean message: no flag", "Alice", "lab.example", "", "lab.example", 1, 1, 1, NULL, 0, "" },
	{ "display name holds an address of another domain", "ceo@reject.example",
	  "evil.example", "", "", 1, 1, 1, NULL, 0, "display-name-address" },
	{ "display name holds an address of the same org: fine", "alice@mail.lab.example",
	  "lab.example", "", "", 1, 1, 1, NULL, 0, "" },
	{ "display name with text only: fine", "PayPal Service", "evil.example", "", "", 1, 1, 1,
	  NULL, 0, "" },
	{ "lookalike: one letter changed (rejecl)", "", "rejecl.example", "", "", 1, 1, 1, NULL, 0,
	  "lookalike-domain" },
	{ "lookalike: digit for letter (paypa1.com)", "", "paypa1.com", "", "", 1, 1, 1, NULL, 0,
	  "lookalike-domain" },
	{ "lookalike: rn for m, same skeleton (rnail.lab...)", "", "lab.exarnple", "", "", 1, 1, 1,
	  NULL, 0, "lookalike-domain" },
	{ "lookalike: transposition (paypla.com)", "", "paypla.com", "", "", 1, 1, 1, NULL, 0,
	  "lookalike-domain" },
	{ "lookalike: same name, other TLD (paypal.net)", "", "paypal.net", "", "", 1, 1, 1, NULL, 0,
	  "lookalike-domain" },
	{ "protected domain itself and its subdomain: no lookalike", "", "mail.paypal.com", "", "",
	  1, 1, 1, NULL, 0, "" },
	{ "unrelated domain: no lookalike", "", "example.org", "", "", 1, 1, 1, NULL, 0, "" },
	{ "IDN From domain", "", "xn--pypal-4ve.com", "", "", 1, 1, 1, NULL, 0, "idn-domain" },
	{ "Reply-To elsewhere", "", "lab.example", "collect.example", "", 1, 1, 1, NULL, 0,
	  "reply-to-differs" },
	{ "Return-Path elsewhere (mailing service)", "", "lab.example", "", "esp.example", 1, 1, 1,
	  NULL, 0, "return-path-differs" },
	{ "Return-Path in a subdomain: same org, fine", "", "lab.example", "", "bounce.lab.example",
	  1, 1, 1, NULL, 0, "" },
	{ "no Message-ID, no Date", "", "lab.example", "", "", 1, 0, 0, NULL, 0,
	  "missing-message-id missing-date" },
	{ "no From", "", "", "", "", 0, 1, 1, NULL, 0, "no-from" },
	{ "two From fields", "", "lab.example", "", "", 2, 1, 1, NULL, 0, "several-from" },
	{ "A-R from another host", "", "lab.example", "", "", 1, 1, 1, "mx.other.example", 1,
	  "untrusted-ar" },
	{ "our A-R on top: trusted", "", "lab.example", "", "", 1, 1, 1, "mx.lab.example", 0, "" },
	{ "our A-R below the newest Received: forged", "", "lab.example", "", "", 1, 1, 1,
	  "MX.LAB.EXAMPLE", 1, "forged-ar" },
};

static void test_rule(void **state)
{
	const struct rule_case *c = *state;
	struct ma_inspect_flag flags[MA_INSPECT_FLAGS_MAX];
	struct ma_inspect_facts f;
	const char *ids[1] = { c->ar_id };
	int below[1] = { c->ar_below };
	char got[512] = "";
	size_t n, i;

	memset(&f, 0, sizeof(f));
	f.from_display = c->display;
	f.from_domain = c->from;
	f.reply_to_domain = c->reply_to;
	f.return_path_domain = c->return_path;
	f.n_from = c->n_from;
	f.has_message_id = c->message_id;
	f.has_date = c->date;
	f.ar_ids = ids;
	f.ar_below = below;
	f.n_ar = c->ar_id != NULL;
	f.trusted_ar_id = "mx.lab.example";
	f.protected_domains = protected_domains;
	f.n_protected = 3;
	n = ma_inspect_anomalies(&f, flags, MA_INSPECT_FLAGS_MAX);
	for (i = 0; i < n; i++) {
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 flags[i].code);
		assert_null(strpbrk(flags[i].text, "\r\n"));
	}
	assert_string_equal(got, c->want);
}

static void test_pieces(void **state)
{
	char out[256];

	(void) state;
	assert_int_equal(ma_inspect_edit_distance("paypal", "paypal", 2), 0);
	assert_int_equal(ma_inspect_edit_distance("paypal", "paypla", 2), 1);
	assert_int_equal(ma_inspect_edit_distance("paypal", "pay", 2), 3);	/* over cap */
	assert_int_equal(ma_inspect_edit_distance("kitten", "sitting", 5), 3);
	ma_inspect_skeleton("rnicr0soft-1ogin", out, sizeof(out));
	assert_string_equal(out, "mlcrosoftlogln");
	ma_inspect_skeleton("Micro5oft", out, sizeof(out));
	assert_string_equal(out, "mlcrosoft");
	ma_inspect_display_name("\"Boss, The (CEO)\" <b@x.example>", out, sizeof(out));
	assert_string_equal(out, "Boss, The (CEO)");
	ma_inspect_display_name("ceo@reject.example (CEO) <b@x.example>", out, sizeof(out));
	assert_string_equal(out, "ceo@reject.example");
	ma_inspect_display_name("b@x.example", out, sizeof(out));
	assert_string_equal(out, "");
	ma_inspect_display_name("\"evil\\\"q\" <b@x.example>", out, sizeof(out));
	assert_string_equal(out, "evil\"q");
	assert_int_equal(ma_inspect_date("Tue, 01 Dec 2026 10:00:05 +0000 (UTC)"), 1796119205);
	assert_int_equal(ma_inspect_date("1 Dec 2026 12:00:05 +0200"), 1796119205);
	assert_int_equal(ma_inspect_date("Tue, 01 Dec 2026 10:00 -0000"), 1796119200);
	assert_int_equal(ma_inspect_date("yesterday"), -1);
	assert_int_equal(ma_inspect_date("Tue, 41 Dec 2026 10:00:05 +0000"), -1);
}

/* IDN: libidn2 decodes, ICU's TR 39 skeleton matches the homoglyph. */
static void test_idn(void **state)
{
	struct ma_inspect_flag flags[MA_INSPECT_FLAGS_MAX];
	struct ma_inspect_facts f;
	char u[256], sk1[256], sk2[256];
	size_t n;

	(void) state;
	assert_int_equal(ma_inspect_idn_unicode("xn--pypal-4ve.com", u, sizeof(u)), 0);
	assert_string_equal(u, "p\xd0\xb0ypal.com");	/* Cyrillic a (U+0430) */
	assert_int_equal(ma_inspect_idn_skeleton("xn--pypal-4ve.com", sk1, sizeof(sk1)), 0);
	assert_int_equal(ma_inspect_idn_skeleton("paypal.com", sk2, sizeof(sk2)), 0);
	assert_string_equal(sk1, sk2);
	assert_int_equal(ma_inspect_idn_skeleton("example.org", sk2, sizeof(sk2)), 0);
	assert_string_not_equal(sk1, sk2);
	assert_int_equal(ma_inspect_idn_unicode("xn--", u, sizeof(u)), -1);
	memset(&f, 0, sizeof(f));
	f.from_display = "";
	f.from_domain = "xn--pypal-4ve.com";
	f.from_unicode = u;
	assert_int_equal(ma_inspect_idn_unicode(f.from_domain, u, sizeof(u)), 0);
	f.reply_to_domain = f.return_path_domain = "";
	f.n_from = f.has_message_id = f.has_date = 1;
	f.protected_domains = protected_domains;
	f.n_protected = 3;
	f.skeleton = ma_inspect_idn_skeleton;
	n = ma_inspect_anomalies(&f, flags, MA_INSPECT_FLAGS_MAX);
	assert_int_equal(n, 2);
	assert_string_equal(flags[0].code, "lookalike-domain");
	assert_non_null(strstr(flags[0].text, "displays like the protected domain paypal.com"));
	assert_string_equal(flags[1].code, "idn-domain");
	assert_non_null(strstr(flags[1].text, "displays as p\xd0\xb0ypal.com"));
}

static char *slurp(const char *name, size_t *len_r)
{
	char path[256];
	FILE *fp;
	char *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "milter-auth/tests/inspect/%s", name);
	assert_non_null(fp = fopen(path, "rb"));
	*len_r = fread(buf, 1, (1 << 16) - 1, fp);
	buf[*len_r] = '\0';
	fclose(fp);
	return buf;
}

static void test_hops(void **state)
{
	struct ma_inspect_hop hops[MA_INSPECT_HOPS_MAX];
	struct ma_inspect_msg m;
	const char *error = NULL;
	size_t len, n;
	char *data = slurp("forwarded.eml", &len);

	(void) state;
	assert_int_equal(ma_inspect_parse(data, len, &m, &error), 0);
	assert_string_equal(ma_inspect_get(&m, "from", 0), "News <news@quarantine.example>");
	assert_non_null(strstr(m.body, "Monthly news."));
	n = ma_inspect_hops(&m, hops, MA_INSPECT_HOPS_MAX);
	assert_int_equal(n, 2);
	assert_string_equal(hops[0].from, "forwarder.none.example");
	assert_string_equal(hops[0].ip, "192.0.2.11");
	assert_string_equal(hops[0].by, "mx.lab.example");
	assert_string_equal(hops[0].with, "ESMTPS");
	assert_true(hops[0].tls);
	assert_int_equal(hops[0].delay, 20);
	assert_string_equal(hops[1].ip, "192.0.2.12");
	assert_int_equal(hops[1].delay, -1);
	ma_inspect_msg_clear(&m);
	free(data);
	/* no empty line: not a message */
	assert_int_equal(ma_inspect_parse("From: a@b.example\r\nSubject: x", 29, &m, &error), -1);
	/* an empty body is still a message */
	assert_int_equal(ma_inspect_parse("From: a@b.example\r\n\r\n", 21, &m, &error), 0);
	assert_int_equal(m.body_len, 0);
	ma_inspect_msg_clear(&m);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, rule_cases, test_rule);
	tests_add(&l, "edit distance, skeleton, display name, dates", test_pieces, NULL);
	tests_add(&l, "fields and Received hops of the forwarded fixture", test_hops, NULL);
	tests_add(&l, "IDN: Cyrillic homoglyph of paypal.com decoded and matched (TR 39)", test_idn,
		  NULL);
	return tests_run(&l, "inspect", NULL, NULL);
}
