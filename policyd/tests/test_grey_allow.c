/*++
 * NAME
 *	test_grey_allow 1
 * SUMMARY
 *	unit tests of the greylist allowlist (grey_allow.c)
 * DESCRIPTION
 *	A table of lookups against one list (client address, verified
 *	client name, SPF-validated domain -> exempt or not), the list
 *	files' errors, and the shipped list loading.
 *--*/
#include "../../common/tests/test_util.h"
#include <messec/log.h>
#include "grey_allow.h"

static const char list_text[] =
	"# big senders\n"
	"google.com  outlook.com   # two on a line\n"
	".subs.example\n"
	"192.0.2.0/24 2001:db8:b16::/48\n"
	"\n"
	"Mixed.Case.Example\n";

struct lcase {
	const char *name;
	const char *addr, *client_name, *spf;
	int want;
};

static const struct lcase lookups[] = {
	{ "verified name under a listed domain", "198.51.100.1", "mail-ot1-f41.google.com", NULL, 1 },
	{ "verified name equal to a listed domain", "198.51.100.1", "google.com", NULL, 1 },
	{ "name case and a trailing dot ignored", "198.51.100.1", "MAIL.Google.COM.", NULL, 1 },
	{ "label-aligned: notgoogle.com is not google.com", "198.51.100.1", "mx.notgoogle.com", NULL, 0 },
	{ "listed domain as a prefix does not match", "198.51.100.1", "google.com.evil.example", NULL, 0 },
	{ "unverified client (unknown) never matches", "198.51.100.1", "unknown", NULL, 0 },
	{ "no client name", "198.51.100.1", "", NULL, 0 },
	{ ".domain: a subdomain matches", "198.51.100.1", "a.subs.example", NULL, 1 },
	{ ".domain: the domain itself does not", "198.51.100.1", "subs.example", NULL, 0 },
	{ "entry written in mixed case", "198.51.100.1", "mx.mixed.case.example", NULL, 1 },
	{ "IPv4 network", "192.0.2.77", "unknown", NULL, 1 },
	{ "IPv4-mapped address in the IPv4 network", "::ffff:192.0.2.77", "unknown", NULL, 1 },
	{ "IPv6 network", "2001:db8:b16::25", "unknown", NULL, 1 },
	{ "outside every network", "192.0.3.1", "unknown", NULL, 0 },
	{ "SPF-validated domain listed", "198.51.100.1", "unknown", "outlook.com", 1 },
	{ "SPF-validated subdomain of a listed domain", "198.51.100.1", "unknown", "bounce.outlook.com", 1 },
	{ "SPF domain not listed", "198.51.100.1", "unknown", "example.net", 0 },
};

static struct pd_grey_allow *list;

static void test_lookup(void **state)
{
	const struct lcase *c = *state;
	char why[300] = "";

	assert_int_equal(pd_grey_allow_match(list, c->addr, c->client_name, c->spf, why, sizeof(why)), c->want);
	if (c->want)
		assert_non_null(strstr(why, "greylist allowlist"));
}

struct bcase { const char *name; const char *text; const char *want; };
static const struct bcase bad[] = {
	{ "file: bad network refused with file:line", "ok.example\n192.0.2.1/24\n", "list:2: 192.0.2.1/24" },
	{ "file: single label refused", "com\n", "list:1: com: not a domain" },
	{ "file: a sender address is not an entry", "user@example.com\n", "not a domain" },
	{ "file: a wildcard is not an entry", "*.example.com\n", "not a domain" },
	{ "file: over-long line refused", NULL, "line longer than" },
};

static void test_bad(void **state)
{
	const struct bcase *c = *state;
	char *out = NULL, *text = NULL;
	size_t size = 0;
	FILE *err = open_memstream(&out, &size);

	if (c->text == NULL) {
		text = malloc(2000);
		memset(text, 'a', 1500);
		memcpy(text + 1500, ".example\n", 10);
	}
	struct pd_grey_allow *l = pd_grey_allow_parse("list", c->text != NULL ? c->text : text, err);

	fclose(err);
	assert_null(l);
	if (strstr(out, c->want) == NULL)
		fail_msg("error text: %s", out);
	free(out);
	free(text);
}

/* The list the project ships parses, and exempts the names it means. */
static void test_shipped(void **state)
{
	const char *path = "policyd/greylist-allow";
	struct pd_grey_allow *l = pd_grey_allow_load(&path, 1, stderr);
	char why[300];

	assert_non_null(l);
	assert_true(pd_grey_allow_size(l) >= 20);
	assert_int_equal(pd_grey_allow_match(l, "209.85.1.1", "mail-ot1-f41.google.com", NULL, why, sizeof(why)), 1);
	assert_int_equal(pd_grey_allow_match(l, "54.1.2.3", "a8-1.smtp-out.amazonses.com", NULL, why, sizeof(why)), 1);
	/* A cloud customer's host is not the provider's mail system. */
	assert_int_equal(pd_grey_allow_match(l, "54.1.2.3", "ec2-54-1-2-3.compute-1.amazonaws.com", NULL,
					     why, sizeof(why)), 0);
	pd_grey_allow_free(&l);
}

static int setup(void **state)
{
	list = pd_grey_allow_parse("list", list_text, stderr);
	return list != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	pd_grey_allow_free(&list);
	return 0;
}

int main(void)
{
	struct test_list l = { 0 };

	log_init("test_grey_allow", 1, LOG_LEVEL_ERROR);
	tests_add_table(&l, lookups, test_lookup);
	tests_add_table(&l, bad, test_bad);
	tests_add(&l, "shipped list loads and exempts the senders it names", test_shipped, NULL);
	return tests_run(&l, "grey_allow", setup, teardown);
}
