/*++
 * NAME
 *	test_psl 1
 * SUMMARY
 *	unit tests for psl.c: registered domains from the public suffix list
 * DESCRIPTION
 *	Two lists: Debian's (MS_PSL_PATH_DEFAULT, package publicsuffix, as
 *	the daemons load it), for the real rules DMARC and the link lists
 *	meet; and a small list written here, for each rule kind and each
 *	load error. The DMARC conformance table (orgdomain.tsv) runs
 *	through milter-auth's test_dmarc_conf.
 *--*/
#include "test_util.h"

#include <messec/psl.h>

static struct ms_psl *sys;	/* Debian's list */
static struct ms_psl *mini;	/* the list below */
static char *dir;

/* One rule of each kind, comments, blanks, a rule followed by text, an
   internationalised rule, and junk the reader skips. */
static const char mini_list[] =
	"// a comment\n"
	"\n"
	"com\n"
	"uk\n"
	"co.uk\n"
	"*.kawasaki.jp\n"
	"!city.kawasaki.jp\n"
	"jp\n"
	"blogspot.com   trailing words are ignored\n"
	"\xe5\x85\xac\xe5\x8f\xb8.hk\n"	/* 公司.hk */
	"hk\n"
	"bad\xff.utf8\n";

static char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		return NULL;
	fputs(text, fp);
	fclose(fp);
	return path;
}

static int setup(void **state)
{
	const char *error = NULL;
	char *path;

	(void)state;
	if ((dir = test_tmpdir()) == NULL || (path = write_file("mini.dat", mini_list)) == NULL)
		return -1;
	if ((mini = ms_psl_load(path, &error)) == NULL ||
	    (sys = ms_psl_load(MS_PSL_PATH_DEFAULT, &error)) == NULL) {
		fprintf(stderr, "ms_psl_load: %s\n", error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ms_psl_free(&sys);
	ms_psl_free(&mini);
	test_rmtree(&dir);
	return sys == NULL && mini == NULL ? 0 : -1;
}

struct reg_case {
	const char *name, *domain;
	int want_rc;
	const char *want;
};

/* Debian's list: what DMARC and milter-av's link lists ask. */
static const struct reg_case sys_cases[] = {
	{ "sys: two labels", "example.com", 0, "example.com" },
	{ "sys: subdomain", "mail.example.com", 0, "example.com" },
	{ "sys: multi-label suffix co.uk", "a.b.example.co.uk", 0, "example.co.uk" },
	{ "sys: co.uk sibling", "example.co.uk", 0, "example.co.uk" },
	{ "sys: multi-label suffix com.au", "www.shop.example.com.au", 0, "example.com.au" },
	{ "sys: IDN rule 公司.hk in A-label form", "a.xn--55qx5d.hk", 0, "a.xn--55qx5d.hk" },
	{ "sys: IDN rule 公司.hk, deeper", "b.a.xn--55qx5d.hk", 0, "a.xn--55qx5d.hk" },
	{ "sys: IDN two labels 個人.香港", "x.y.xn--gmqw5a.xn--j6w193g", 0, "y.xn--gmqw5a.xn--j6w193g" },
	{ "sys: IDN TLD みんな", "a.b.xn--q9jyb4c", 0, "b.xn--q9jyb4c" },
	{ "sys: private section rule", "a.b.blogspot.com", 0, "b.blogspot.com" },
	{ "sys: wildcard rule *.kawasaki.jp", "a.b.foo.kawasaki.jp", 0, "b.foo.kawasaki.jp" },
	{ "sys: exception rule !city.kawasaki.jp", "www.city.kawasaki.jp", 0, "city.kawasaki.jp" },
	{ "sys: unknown TLD uses the * rule", "a.b.example-unlisted-tld", 0, "b.example-unlisted-tld" },
	{ "sys: the lab's .example", "www.evil-link.example", 0, "evil-link.example" },
	{ "sys: domain that is a suffix is its own", "co.uk", 0, "co.uk" },
	{ "sys: single label", "localhost", 0, "localhost" },
	{ "sys: upper case", "WWW.Example.CO.UK", 0, "example.co.uk" },
	{ "sys: trailing dot", "mail.example.com.", 0, "example.com" },
	{ "sys: empty label", "a..example.com", -1, "" },
	{ "sys: 8-bit", "\xc3\xa9.example.com", -1, "" },
	{ "sys: empty", "", -1, "" },
	{ "sys: label of 64", "a.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", -1, "" },
	{ "sys: space", "exa mple.com", -1, "" },
	{ "sys: two trailing dots", "mail.example.com..", -1, "" },
};

/* The small list: each rule kind on its own. */
static const struct reg_case mini_cases[] = {
	{ "mini: normal rule", "a.b.example.com", 0, "example.com" },
	{ "mini: longest rule wins (co.uk over uk)", "x.example.co.uk", 0, "example.co.uk" },
	{ "mini: wildcard", "a.b.foo.kawasaki.jp", 0, "b.foo.kawasaki.jp" },
	{ "mini: exception beats the wildcard", "a.city.kawasaki.jp", 0, "city.kawasaki.jp" },
	{ "mini: rule followed by words", "x.y.blogspot.com", 0, "y.blogspot.com" },
	{ "mini: UTF-8 rule stored as A-label", "z.a.xn--55qx5d.hk", 0, "a.xn--55qx5d.hk" },
	{ "mini: no rule, the * rule", "a.b.unlisted", 0, "b.unlisted" },
};

static void check(const struct ms_psl *psl, const struct reg_case *c)
{
	char org[MS_PSL_DOMAIN_MAX + 1] = "";

	assert_int_equal(ms_psl_registered_domain(psl, c->domain, org, sizeof(org)), c->want_rc);
	if (c->want_rc == 0)
		assert_string_equal(org, c->want);
}

static void test_sys(void **state)
{
	check(sys, *state);
}

static void test_mini(void **state)
{
	check(mini, *state);
}

/* The small list holds 9 rules: junk and comments are not counted. */
static void test_count(void **state)
{
	(void)state;
	assert_int_equal(ms_psl_count(mini), 9);
	assert_true(ms_psl_count(sys) > 5000);
}

/* No room for the answer: -1, never a cut name. */
static void test_no_room(void **state)
{
	char org[8];

	(void)state;
	assert_int_equal(ms_psl_registered_domain(sys, "www.example.co.uk", org, sizeof(org)), -1);
}

struct load_case {
	const char *name, *text;	/* text NULL: no file */
	const char *want_error;
};

static const struct load_case load_cases[] = {
	{ "load: missing file", NULL, "cannot open the public suffix list" },
	{ "load: empty file", "", "the public suffix list has no rules" },
	{ "load: only comments", "// a\n// b\n\n", "the public suffix list has no rules" },
	{ "load: a 2000-octet line is skipped", NULL, "the public suffix list has no rules" },
};

static void test_load(void **state)
{
	const struct load_case *c = *state;
	const char *error = NULL, *path = "/nonexistent/public_suffix_list.dat";
	char *long_line = NULL;

	if (strstr(c->name, "2000") != NULL) {
		long_line = malloc(2002);
		assert_non_null(long_line);
		memset(long_line, 'a', 2000);
		long_line[2000] = '\n';
		long_line[2001] = '\0';
		path = write_file("long.dat", long_line);
	} else if (c->text != NULL) {
		path = write_file("load.dat", c->text);
	}
	assert_non_null(path);
	assert_null(ms_psl_load(path, &error));
	assert_non_null(error);
	assert_string_equal(error, c->want_error);
	free(long_line);
}

struct norm_case {
	const char *name, *in;
	int want_rc;
	const char *want;
};

static const struct norm_case norm_cases[] = {
	{ "normalise: lower case", "MAIL.Example.COM", 0, "mail.example.com" },
	{ "normalise: one trailing dot", "example.com.", 0, "example.com" },
	{ "normalise: two trailing dots", "example.com..", -1, "" },
	{ "normalise: only a dot", ".", -1, "" },
	{ "normalise: underscore kept", "_dmarc.example.com", 0, "_dmarc.example.com" },
	{ "normalise: leading dot", ".example.com", -1, "" },
	{ "normalise: 8-bit", "ex\xc3\xa4mple.com", -1, "" },
	{ "normalise: bracket", "[192.0.2.1]", -1, "" },
};

static void test_norm(void **state)
{
	const struct norm_case *c = *state;
	char out[MS_PSL_DOMAIN_MAX + 1] = "";

	assert_int_equal(ms_psl_domain_normalise(c->in, strlen(c->in), out, sizeof(out)), c->want_rc);
	if (c->want_rc == 0)
		assert_string_equal(out, c->want);
}

/* 253 octets pass, 254 do not (RFC 1035 section 2.3.4, text form). */
static void test_norm_length(void **state)
{
	char in[300], out[MS_PSL_DOMAIN_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < 254; i++)
		in[i] = i % 50 == 49 ? '.' : 'a';
	assert_int_equal(ms_psl_domain_normalise(in, 253, out, sizeof(out)), 0);
	assert_int_equal(ms_psl_domain_normalise(in, 254, out, sizeof(out)), -1);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, sys_cases, test_sys);
	tests_add_table(&l, mini_cases, test_mini);
	tests_add(&l, "count: rules loaded", test_count, NULL);
	tests_add(&l, "lookup: no room for the answer", test_no_room, NULL);
	tests_add_table(&l, load_cases, test_load);
	tests_add_table(&l, norm_cases, test_norm);
	tests_add(&l, "normalise: 253 octets at most", test_norm_length, NULL);
	return tests_run(&l, "psl", setup, teardown);
}
