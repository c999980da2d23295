/*++
 * NAME
 *	test_hdrbook 1
 * SUMMARY
 *	unit tests for hdrbook.c: A-R deletion indices, From, caps
 * DESCRIPTION
 *	Each case is a header block (name/value pairs) and the deletions
 *	wanted, as "Name#index" in the order the milter must apply them
 *	(highest index first), plus the From count and cap state.
 *	The authserv-id parser is a simple stand-in: the text before the
 *	first ';' with white space trimmed (authres.c has its own tests).
 *--*/
#include "../../common/tests/test_util.h"

#include <ctype.h>
#include "authres.h"
#include "hdrbook.h"

static int fake_id(const char *value, size_t len, char *id_r, size_t size)
{
	size_t i = 0, n = 0;

	while (i < len && isspace((unsigned char) value[i]))
		i++;
	while (i < len && value[i] != ';' && !isspace((unsigned char) value[i]) && n + 1 < size)
		id_r[n++] = (char) tolower((unsigned char) value[i++]);
	id_r[n] = '\0';
	return n > 0 ? 0 : -1;
}

struct hdr { const char *name, *value; };

struct book_case {
	const char *name;
	struct hdr hdrs[8];
	const char *want_deletes;	/* "Authentication-Results#3 ..." */
	size_t want_from;
	const char *want_first_from;
	int want_limits;
};

#define AR "Authentication-Results"

static const struct book_case cases[] = {
	{ "no A-R: nothing to delete", { { "From", "a@example.com" }, { "Subject", "x" } },
	  "", 1, "a@example.com", 0 },
	{ "one forged A-R deleted", { { AR, "mx.test; spf=pass" }, { "From", "a@b.example" } },
	  AR "#1", 1, "a@b.example", 0 },
	{ "foreign A-R kept, index counts it", { { AR, "other.example; spf=pass" },
	  { AR, "mx.test; dkim=pass" }, { AR, "another.example; dmarc=pass" } },
	  AR "#2", 0, "", 0 },
	{ "several forged, highest first", { { AR, "mx.test; spf=pass" },
	  { AR, "other.example; spf=fail" }, { AR, "MX.TEST; dkim=pass" },
	  { AR, " mx.test ; dmarc=pass" } },
	  AR "#4 " AR "#3 " AR "#1", 0, "", 0 },
	{ "name case-insensitive and counted together", { { "authentication-results", "mx.test; x" },
	  { "AUTHENTICATION-RESULTS", "foreign; x" }, { AR, "mx.test; y" } },
	  AR "#3 " AR "#1", 0, "", 0 },
	{ "obsolete 'Name :' form matched", { { AR " ", "mx.test; spf=pass" } },
	  AR "#1", 0, "", 0 },
	{ "lookalike names not counted", { { "X-" AR, "mx.test; x" },
	  { AR "-Original", "mx.test; x" }, { AR, "mx.test; y" } },
	  AR "#1", 0, "", 0 },
	{ "authserv-id prefix is not ours", { { AR, "mx.test.evil; spf=pass" },
	  { AR, "mx.tes; spf=pass" } }, "", 0, "", 0 },
	{ "authserv-id with one trailing dot is ours (issue 14)", { { AR, "mx.test.; dmarc=pass" },
	  { AR, "MX.Test.; spf=pass" }, { AR, "mx.test..; x" }, { AR, ".; x" } },
	  AR "#2 " AR "#1", 0, "", 0 },
	{ "unparsable A-R kept", { { AR, "" }, { AR, "   " }, { AR, "mx.test; ok" } },
	  AR "#3", 0, "", 0 },
	{ "forged tag header deleted", { { "X-Messec-DMARC", "fail" },
	  { AR, "mx.test; x" }, { "x-messec-dmarc", "fail" } },
	  AR "#1 X-Messec-DMARC#2 X-Messec-DMARC#1", 0, "", 0 },
	{ "two From fields counted, first kept", { { "From", "a@one.example" },
	  { "from", "b@two.example" } }, "", 2, "a@one.example", 0 },
	{ "NULL name and value survive", { { NULL, NULL }, { "From", NULL } },
	  "", 1, "", 0 },
};

static void test_case(void **state)
{
	const struct book_case *c = *state;
	struct ma_hdrbook *book = ma_hdrbook_new("mx.test", "X-Messec-DMARC", 100, 65536, fake_id);
	char got[512] = "";
	size_t i, off = 0, n;
	const char *name;
	unsigned index;

	for (i = 0; i < 8 && (c->hdrs[i].name != NULL || c->hdrs[i].value != NULL ||
			      (i == 0 && c->hdrs[1].name != NULL)); i++)
		ma_hdrbook_add(book, c->hdrs[i].name, c->hdrs[i].value);
	n = ma_hdrbook_delete_count(book);
	for (i = 0; i < n; i++) {
		ma_hdrbook_delete_get(book, i, &name, &index);
		off += (size_t) snprintf(got + off, sizeof(got) - off, "%s%s#%u",
					 i > 0 ? " " : "", name, index);
	}
	assert_string_equal(got, c->want_deletes);
	assert_int_equal(ma_hdrbook_from_count(book), c->want_from);
	assert_string_equal(ma_hdrbook_first_from(book), c->want_first_from);
	assert_int_equal(ma_hdrbook_limits_exceeded(book), c->want_limits);
	ma_hdrbook_free(&book);
	assert_null(book);
}

/* Past the header cap, fields are still inspected: forged A-R and a second
   From hidden behind filler are found, and the caller is told to stop
   feeding DKIM. */
static void test_caps(void **state)
{
	struct ma_hdrbook *book = ma_hdrbook_new("mx.test", "X-Tag", 10, 65536, fake_id);
	const char *name;
	unsigned index;
	int i;

	(void) state;
	assert_int_equal(ma_hdrbook_add(book, "From", "a@example.com"), 1);
	for (i = 0; i < 9; i++)
		assert_int_equal(ma_hdrbook_add(book, "X-Filler", "x"), 1);
	assert_int_equal(ma_hdrbook_limits_exceeded(book), 0);
	assert_int_equal(ma_hdrbook_add(book, AR, "mx.test; spf=pass"), 0);
	assert_int_equal(ma_hdrbook_add(book, "From", "b@evil.example"), 0);
	assert_int_equal(ma_hdrbook_limits_exceeded(book), 1);
	assert_int_equal(ma_hdrbook_delete_count(book), 1);
	ma_hdrbook_delete_get(book, 0, &name, &index);
	assert_string_equal(name, AR);
	assert_int_equal(index, 1);
	assert_int_equal(ma_hdrbook_from_count(book), 2);
	assert_int_equal(ma_hdrbook_header_count(book), 12);
	ma_hdrbook_free(&book);
}

static void test_byte_cap(void **state)
{
	struct ma_hdrbook *book = ma_hdrbook_new("mx.test", "X-Tag", 1000, 16384, fake_id);
	char *big = malloc(20000);

	(void) state;
	assert_non_null(big);
	memset(big, 'a', 19999);
	big[19999] = '\0';
	assert_int_equal(ma_hdrbook_add(book, "Subject", "short"), 1);
	assert_int_equal(ma_hdrbook_add(book, "Subject", big), 0);
	assert_int_equal(ma_hdrbook_limits_exceeded(book), 1);
	free(big);
	ma_hdrbook_free(&book);
}

/*
 * Issue 14, case 2: the whole From value is kept (it used to be cut at
 * 4096 bytes, so a second mailbox behind a long comment or folds was
 * never seen). Bounded by max_header_bytes: a longer value is unusable,
 * never its first part.
 */
static void test_from_whole(void **state)
{
	struct ma_hdrbook *book = ma_hdrbook_new("mx.test", NULL, 1000, 1 << 20, fake_id);
	char *big = malloc(100000);

	(void) state;
	assert_non_null(big);
	memcpy(big, "a@evil.example, (", 17);
	memset(big + 17, 'c', 99999 - 17 - 20);
	memcpy(big + 99999 - 20, ") b@bank.example    ", 20);
	big[99999] = '\0';
	ma_hdrbook_add(book, "From", big);
	assert_true(ma_hdrbook_from_usable(book));
	assert_int_equal(strlen(ma_hdrbook_first_from(book)), 99999);
	assert_string_equal(ma_hdrbook_first_from(book), big);
	ma_hdrbook_free(&book);
	ma_hdrbook_free(&book);		/* NULL-safe */

	/* over max_header_bytes: not kept, unusable (and the cap is hit) */
	book = ma_hdrbook_new("mx.test", NULL, 1000, 16384, fake_id);
	ma_hdrbook_add(book, "From", big);
	assert_false(ma_hdrbook_from_usable(book));
	assert_string_equal(ma_hdrbook_first_from(book), "");
	assert_int_equal(ma_hdrbook_from_count(book), 1);
	assert_int_equal(ma_hdrbook_limits_exceeded(book), 1);
	ma_hdrbook_free(&book);

	/* exactly at the cap: kept (name, ": " and CRLF count too) */
	book = ma_hdrbook_new("mx.test", NULL, 1000, 16384, fake_id);
	big[16384 - 4 - 4] = '\0';
	ma_hdrbook_add(book, "From", big);
	assert_true(ma_hdrbook_from_usable(book));
	assert_int_equal(strlen(ma_hdrbook_first_from(book)), 16384 - 8);
	assert_int_equal(ma_hdrbook_limits_exceeded(book), 0);
	ma_hdrbook_free(&book);
	free(big);
}

/* The one authserv-id comparison (authres.c), both sides normalised. */
static void test_id_equal(void **state)
{
	(void) state;
	assert_true(ma_authres_id_equal("mx.example.org", "mx.example.org"));
	assert_true(ma_authres_id_equal("mx.example.org.", "mx.example.org"));
	assert_true(ma_authres_id_equal("MX.Example.ORG.", "mx.example.org"));
	assert_true(ma_authres_id_equal("mx.example.org", "mx.example.org."));
	assert_true(ma_authres_id_equal("mx.example.org.", "MX.EXAMPLE.ORG."));
	assert_false(ma_authres_id_equal("mx.example.org..", "mx.example.org"));
	assert_false(ma_authres_id_equal("mx.example.or", "mx.example.org"));
	assert_false(ma_authres_id_equal("mx.example.org.evil", "mx.example.org"));
	assert_false(ma_authres_id_equal(".", ""));
	assert_false(ma_authres_id_equal("", ""));
	assert_false(ma_authres_id_equal(NULL, "mx"));
	/* our id configured with the dot */
	{
		struct ma_hdrbook *book = ma_hdrbook_new("mx.test.", NULL, 100, 65536, fake_id);

		ma_hdrbook_add(book, AR, "mx.test; dmarc=pass");
		assert_int_equal(ma_hdrbook_delete_count(book), 1);
		ma_hdrbook_free(&book);
	}
}

/* 5000 forged A-R past the cap: every one is deleted, highest first. */
static void test_many_forged(void **state)
{
	struct ma_hdrbook *book = ma_hdrbook_new("mx.test", "X-Tag", 100, 1 << 20, fake_id);
	const char *name;
	unsigned index;
	size_t i;

	(void) state;
	for (i = 0; i < 5000; i++)
		ma_hdrbook_add(book, AR, i % 2 ? "mx.test; x" : "foreign; y");
	assert_int_equal(ma_hdrbook_delete_count(book), 2500);
	assert_int_equal(ma_hdrbook_ar_seen(book), 5000);
	ma_hdrbook_delete_get(book, 0, &name, &index);
	assert_int_equal(index, 5000);
	ma_hdrbook_delete_get(book, 2499, &name, &index);
	assert_int_equal(index, 2);
	ma_hdrbook_free(&book);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "header count cap: later fields still inspected", test_caps, NULL);
	tests_add(&l, "header byte cap", test_byte_cap, NULL);
	tests_add(&l, "first From value kept whole up to max_header_bytes, else unusable",
		  test_from_whole, NULL);
	tests_add(&l, "5000 forged A-R all deleted", test_many_forged, NULL);
	tests_add(&l, "authserv-id: one trailing dot and case ignored", test_id_equal, NULL);
	return tests_run(&l, "hdrbook", NULL, NULL);
}
