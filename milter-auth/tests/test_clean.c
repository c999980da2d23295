/*++
 * NAME
 *	test_clean 1
 * SUMMARY
 *	unit tests for clean.c: which outbound header fields are deleted,
 *	with which index, in which order
 *--*/
#include "../../common/tests/test_util.h"

#include "clean.h"

static const char *const default_names[] = {
	"X-Originating-IP", "X-Forwarded-For", "User-Agent", "X-Mailer", "X-MimeOLE", NULL
};

struct clean_case {
	const char *name;
	int received;
	const char *headers[12];	/* field names in message order */
	const char *dropped;		/* per field: 1 deleted, 0 kept */
	const char *want;		/* deletions in order: "Name/index,..." */
};

static const struct clean_case cases[] = {
	{ "an internal hop's Received and the client headers go", 1,
	  { "Received", "From", "User-Agent", "To", "X-Mailer", "X-Originating-IP", NULL },
	  "101011", "X-Originating-IP/1,X-Mailer/1,User-Agent/1,Received/1" },
	{ "every Received seen goes, highest index first", 1,
	  { "Received", "Received", "received", "Subject", NULL },
	  "1110", "Received/3,Received/2,Received/1" },
	{ "outbound_remove_received = no keeps every Received", 0,
	  { "Received", "User-Agent", NULL }, "01", "User-Agent/1" },
	{ "any case, obsolete 'Name :' form, each copy", 1,
	  { "user-agent", "USER-AGENT ", "X-Mailer", "x-mailer", NULL },
	  "1111", "X-Mailer/2,X-Mailer/1,User-Agent/2,User-Agent/1" },
	{ "look-alike names are kept", 1,
	  { "X-Mailer-Info", "User-Agentx", "Received-SPF", "XUser-Agent", NULL },
	  "0000", "" },
	{ "nothing to clean", 1,
	  { "From", "To", "Subject", NULL }, "000", "" },
};

static void test_clean(void **state)
{
	const struct clean_case *c = *state;
	struct ma_clean_rules rules = { default_names, c->received };
	struct ma_clean *cl = ma_clean_new(&rules);
	char got[512] = "", one[80];
	const char *name;
	unsigned index;
	size_t i;

	for (i = 0; c->headers[i] != NULL; i++)
		assert_int_equal(ma_clean_header(cl, c->headers[i]), c->dropped[i] - '0');
	for (i = 0; i < ma_clean_count(cl); i++) {
		ma_clean_get(cl, i, &name, &index);
		snprintf(one, sizeof(one), "%s%s/%u", i > 0 ? "," : "", name, index);
		strcat(got, one);
	}
	/* names are the rules' spelling (smfi_chgheader matches any case) */
	assert_string_equal(got, c->want);
	ma_clean_free(&cl);
	assert_null(cl);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_clean);
	return tests_run(&l, "clean", NULL, NULL);
}
