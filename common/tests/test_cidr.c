/*++
 * NAME
 *	test_cidr 1
 * SUMMARY
 *	unit tests for cidr.c: parse errors, v4/v6/mapped matching, edges
 *--*/
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <messec/cidr.h>

struct parse_case {
	const char *name, *text;
	int want_rc;
	const char *want;	/* cidr_format() or error text */
};

static const struct parse_case parse_cases[] = {
	{ "v4 host", "192.0.2.1", 0, "192.0.2.1/32" },
	{ "v4 /24", "192.0.2.0/24", 0, "192.0.2.0/24" },
	{ "v4 /0", "0.0.0.0/0", 0, "0.0.0.0/0" },
	{ "v4 /32", "192.0.2.7/32", 0, "192.0.2.7/32" },
	{ "v4 /31", "192.0.2.6/31", 0, "192.0.2.6/31" },
	{ "v6 host", "2001:db8::1", 0, "2001:db8::1/128" },
	{ "v6 /32", "2001:db8::/32", 0, "2001:db8::/32" },
	{ "v6 /0", "::/0", 0, "::/0" },
	{ "v6 /128", "2001:db8::5/128", 0, "2001:db8::5/128" },
	{ "v6 /127", "2001:db8::4/127", 0, "2001:db8::4/127" },
	{ "mapped host becomes v4", "::ffff:192.0.2.1", 0, "192.0.2.1/32" },
	{ "mapped /120 becomes v4 /24", "::ffff:192.0.2.0/120", 0, "192.0.2.0/24" },
	{ "v4 host bits set", "192.0.2.1/24", -1, "host bits set beyond the prefix '192.0.2.1/24'" },
	{ "v6 host bits set", "2001:db8::1/64", -1, "host bits set beyond the prefix '2001:db8::1/64'" },
	{ "v4 /0 host bits", "1.0.0.0/0", -1, "host bits set beyond the prefix '1.0.0.0/0'" },
	{ "v4 prefix 33", "192.0.2.0/33", -1, "invalid prefix length '192.0.2.0/33'" },
	{ "v6 prefix 129", "::/129", -1, "invalid prefix length '::/129'" },
	{ "prefix empty", "192.0.2.0/", -1, "invalid prefix length '192.0.2.0/'" },
	{ "prefix signed", "192.0.2.0/+8", -1, "invalid prefix length '192.0.2.0/+8'" },
	{ "mapped prefix below 96", "::ffff:0.0.0.0/95", -1, "IPv4-mapped prefix shorter than /96 '::ffff:0.0.0.0/95'" },
	{ "bad v4", "192.0.2", -1, "invalid address '192.0.2'" },
	{ "bad octet", "192.0.2.256", -1, "invalid address '192.0.2.256'" },
	{ "zone id", "fe80::1%eth0", -1, "invalid address 'fe80::1%eth0'" },
	{ "host name", "mail.example", -1, "invalid address 'mail.example'" },
	{ "empty", "", -1, "invalid address ''" },
};

static void test_parse(void **state)
{
	const struct parse_case *c = *state;
	const char *err = NULL;
	struct cidr cidr;
	char buf[80];

	assert_int_equal(cidr_parse(c->text, &cidr, &err), c->want_rc);
	if (c->want_rc == 0) {
		cidr_format(&cidr, buf, sizeof(buf));
		assert_string_equal(buf, c->want);
	} else {
		assert_string_equal(err, c->want);
	}
}

struct match_case {
	const char *name, *list, *addr;
	int want;
};

static const struct match_case match_cases[] = {
	{ "v4 in /24", "192.0.2.0/24", "192.0.2.200", 1 },
	{ "v4 outside /24", "192.0.2.0/24", "192.0.3.1", 0 },
	{ "v4 /32 exact", "192.0.2.7", "192.0.2.7", 1 },
	{ "v4 /32 neighbour", "192.0.2.7", "192.0.2.6", 0 },
	{ "v4 /0 matches all v4", "0.0.0.0/0", "203.0.113.9", 1 },
	{ "v4 /0 not v6", "0.0.0.0/0", "2001:db8::1", 0 },
	{ "v4 /25 boundary in", "198.51.100.0/25", "198.51.100.127", 1 },
	{ "v4 /25 boundary out", "198.51.100.0/25", "198.51.100.128", 0 },
	{ "v6 in /32", "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "v6 outside /32", "2001:db8::/32", "2001:db9::1", 0 },
	{ "v6 /128 exact", "2001:db8::1", "2001:db8::1", 1 },
	{ "v6 /128 neighbour", "2001:db8::1", "2001:db8::2", 0 },
	{ "v6 /0 matches all v6", "::/0", "2001:db8::1", 1 },
	{ "v6 /0 not v4", "::/0", "192.0.2.1", 0 },
	{ "mapped address matches v4 entry", "192.0.2.0/24", "::ffff:192.0.2.1", 1 },
	{ "mapped address outside v4 entry", "192.0.2.0/24", "::ffff:192.0.3.1", 0 },
	{ "mapped entry matches v4 address", "::ffff:192.0.2.0/120", "192.0.2.9", 1 },
	{ "list second entry", "10.0.0.0/8, 2001:db8::/32 192.0.2.1", "192.0.2.1", 1 },
	{ "list none", "10.0.0.0/8, 2001:db8::/32", "192.0.2.1", 0 },
	{ "empty list", "", "192.0.2.1", 0 },
	{ "unparsable address", "0.0.0.0/0", "not-an-ip", 0 },
	{ "loopback v6", "::1", "::1", 1 },
};

static void test_match(void **state)
{
	const struct match_case *c = *state;
	struct cidr_list *list = NULL;
	const char *err = NULL;

	assert_int_equal(cidr_list_parse(c->list, &list, &err), 0);
	assert_int_equal(cidr_list_match_str(list, c->addr), c->want);
	cidr_list_free(&list);
	assert_null(list);
}

static void test_match_sa(void **state)
{
	struct cidr_list *list = NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	const char *err;

	assert_int_equal(cidr_list_parse("192.0.2.0/24 2001:db8::/32", &list, &err), 0);
	inet_pton(AF_INET, "192.0.2.5", &sin.sin_addr);
	assert_int_equal(cidr_list_match_sa(list, (struct sockaddr *)&sin), 1);
	inet_pton(AF_INET6, "::ffff:192.0.2.5", &sin6.sin6_addr);
	assert_int_equal(cidr_list_match_sa(list, (struct sockaddr *)&sin6), 1);
	inet_pton(AF_INET6, "2001:db8::5", &sin6.sin6_addr);
	assert_int_equal(cidr_list_match_sa(list, (struct sockaddr *)&sin6), 1);
	inet_pton(AF_INET6, "2001:db9::5", &sin6.sin6_addr);
	assert_int_equal(cidr_list_match_sa(list, (struct sockaddr *)&sin6), 0);
	cidr_list_free(&list);
}

static void test_list_error(void **state)
{
	struct cidr_list *list = (struct cidr_list *)1;
	const char *err = NULL;

	assert_int_equal(cidr_list_parse("192.0.2.0/24, 10.1.2.3/8", &list, &err), -1);
	assert_string_equal(err, "host bits set beyond the prefix '10.1.2.3/8'");
	assert_int_equal(cidr_list_parse("1.2.3.4 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					 &list, &err), -1);
	assert_non_null(strstr(err, "address too long"));
}

static void test_list_many(void **state)
{
	char text[20 * 300];
	struct cidr_list *list = NULL;
	const char *err;
	size_t i, off = 0;

	for (i = 0; i < 256; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "10.0.%zu.0/24,", i);
	assert_int_equal(cidr_list_parse(text, &list, &err), 0);
	assert_int_equal(list->count, 256);
	assert_int_equal(cidr_list_match_str(list, "10.0.255.3"), 1);
	assert_int_equal(cidr_list_match_str(list, "10.1.0.3"), 0);
	cidr_list_free(&list);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, parse_cases, test_parse);
	tests_add_table(&l, match_cases, test_match);
	tests_add(&l, "match sockaddr v4, v6, mapped", test_match_sa, NULL);
	tests_add(&l, "list error names the entry", test_list_error, NULL);
	tests_add(&l, "list of 256 entries", test_list_many, NULL);
	return tests_run(&l, "cidr", NULL, NULL);
}
