/*++
 * NAME
 *	test_policy - attachment policy on names and types
 *--*/
#include "../../common/tests/test_util.h"
#include "policy.h"

static const char *const exts[] = { "exe", "scr", "com", "js", "vbs", "wsf", "hta", "lnk", "iso", NULL };
static const char *const types[] = { "CL_TYPE_MSEXE", NULL };

struct pcase {
	const char *name;
	const char *file, *type;
	int double_ext;
	const char *want;	/* rule, or NULL for OK */
};

static const struct pcase cases[] = {
	{ "plain pdf passes", "invoice.pdf", "CL_TYPE_PDF", 1, NULL },
	{ "no name, harmless type", NULL, "CL_TYPE_TEXT_ASCII", 1, NULL },
	{ "exe blocked", "setup.exe", NULL, 1, "BlockedExtension" },
	{ "case ignored", "SETUP.EXE", NULL, 1, "BlockedExtension" },
	{ "double extension", "invoice.pdf.exe", NULL, 1, "DoubleExtension" },
	{ "double extension with blanks between", "photo.jpg      .scr", NULL, 1, "DoubleExtension" },
	{ "double extension off: still blocked by extension", "invoice.pdf.exe", NULL, 0, "BlockedExtension" },
	{ "trailing dot and blank ignored", "run.exe. ", NULL, 1, "BlockedExtension" },
	{ "path stripped (zip member)", "dir/sub\\tool.js", NULL, 1, "BlockedExtension" },
	{ "extension only in a directory name passes", "x.exe/readme.txt", NULL, 1, NULL },
	{ "no extension passes", "README", NULL, 1, NULL },
	{ "exe as part of a word passes", "mexe", NULL, 1, NULL },
	{ "extension that only starts like a blocked one passes", "a.exec", NULL, 1, NULL },
	{ "blocked type whatever the name", "notes.txt", "CL_TYPE_MSEXE", 1, "BlockedType" },
	{ "dot file with blocked ext", ".exe", NULL, 1, "BlockedExtension" },
	{ "lnk", "Document.lnk", NULL, 1, "BlockedExtension" },
	{ "iso", "disk.ISO", NULL, 1, "BlockedExtension" },
	{ "empty name", "", NULL, 1, NULL },
};

static void test_case(void **state)
{
	const struct pcase *c = *state;
	struct av_policy p = { exts, types, c->double_ext };
	const char *rule = NULL;
	enum av_policy_result r = av_policy_check(&p, c->file, c->type, &rule);

	if (c->want == NULL) {
		assert_int_equal(r, AV_POLICY_OK);
		assert_null(rule);
	} else {
		assert_int_equal(r, AV_POLICY_HIT);
		assert_string_equal(rule, c->want);
	}
}

/* A name longer than the cap is read only up to it. */
static void test_long_name(void **state)
{
	struct av_policy p = { exts, types, 1 };
	char *name = malloc(AV_POLICY_NAME_MAX * 4);
	const char *rule;

	memset(name, 'a', AV_POLICY_NAME_MAX * 4 - 5);
	memcpy(name + AV_POLICY_NAME_MAX * 4 - 5, ".exe", 5);
	/* The blocked extension lies past the cap: not seen. */
	assert_int_equal(av_policy_check(&p, name, NULL, &rule), AV_POLICY_OK);
	memcpy(name + AV_POLICY_NAME_MAX - 5, ".exe", 5);
	assert_int_equal(av_policy_check(&p, name, NULL, &rule), AV_POLICY_HIT);
	free(name);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "name read up to AV_POLICY_NAME_MAX", test_long_name, NULL);
	return tests_run(&l, "milter-av policy", NULL, NULL);
}
