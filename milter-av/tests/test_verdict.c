/*++
 * NAME
 *	test_verdict - messec-milter-av's decision, case by case
 *--*/
#include "../../common/tests/test_util.h"
#include "verdict.h"

#define R AV_HIT_REJECT
#define D AV_HIT_DISCARD
#define Q AV_HIT_QUARANTINE
#define T AV_HIT_TAG
#define TF AV_UNSCANNED_TEMPFAIL
#define AC AV_UNSCANNED_ACCEPT

struct vcase {
	const char *name;
	struct av_actions actions;
	struct av_outcome out;
	enum av_action want;
	int want_tag;
	const char *want_status;	/* NULL: not checked */
	const char *want_code;		/* "554 5.7.1", or NULL */
	const char *want_in_reply;	/* substring of the reply, or NULL */
};

static const struct vcase cases[] = {
	{ "clean: accepted and tagged clean", { R, R, R, R, TF, TF, TF },
	  { AV_OUT_CLEAN, NULL, NULL }, AV_ACCEPT, 1, "clean", NULL, NULL },
	{ "infected, reject: 554 5.7.1 naming the signature", { R, R, R, R, TF, TF, TF },
	  { AV_OUT_INFECTED, "Eicar-Test-Signature", NULL }, AV_REJECT, 0, NULL, "554 5.7.1",
	  "Virus found: Eicar-Test-Signature" },
	{ "infected, discard", { D, R, R, R, TF, TF, TF },
	  { AV_OUT_INFECTED, "X", NULL }, AV_DISCARD, 0, NULL, NULL, NULL },
	{ "infected, quarantine: held and tagged infected", { Q, R, R, R, TF, TF, TF },
	  { AV_OUT_INFECTED, "Test.Sig", NULL }, AV_QUARANTINE, 1, "infected (Test.Sig)", NULL, NULL },
	{ "infected, tag: accepted tagged infected (NAME)", { T, R, R, R, TF, TF, TF },
	  { AV_OUT_INFECTED, "Test.Sig", NULL }, AV_ACCEPT, 1, "infected (Test.Sig)", NULL, NULL },
	{ "policy hit: reject text names the rule and the file", { R, R, R, R, TF, TF, TF },
	  { AV_OUT_POLICY, "Messec.Policy.DoubleExtension", "invoice.pdf.exe" }, AV_REJECT, 0, NULL,
	  "554 5.7.1", "Attachment type not allowed: Messec.Policy.DoubleExtension (invoice.pdf.exe)" },
	{ "policy action is its own (tag while infected rejects)", { R, T, R, R, TF, TF, TF },
	  { AV_OUT_POLICY, "Messec.Policy.BlockedExtension", "a.exe" }, AV_ACCEPT, 1,
	  "infected (Messec.Policy.BlockedExtension)", NULL, NULL },
	{ "encrypted archive: own action and text", { T, T, R, T, TF, TF, TF },
	  { AV_OUT_ENCRYPTED, "Heuristics.Encrypted.Zip", NULL }, AV_REJECT, 0, NULL, "554 5.7.1",
	  "Encrypted attachment not allowed: Heuristics.Encrypted.Zip" },
	{ "macro: own action", { R, R, R, Q, TF, TF, TF },
	  { AV_OUT_MACRO, "Heuristics.OLE2.ContainsMacros", NULL }, AV_QUARANTINE, 1, NULL, NULL, NULL },
	{ "check off but reported anyway: never clean, tagged", { R, AV_HIT_OFF, R, R, TF, TF, TF },
	  { AV_OUT_POLICY, "P", "f" }, AV_ACCEPT, 1, "infected (P)", NULL, NULL },
	{ "oversize, tempfail (default)", { R, R, R, R, TF, TF, TF },
	  { AV_OUT_OVERSIZE, NULL, NULL }, AV_TEMPFAIL, 0, NULL, "451 4.3.4", "not scanned" },
	{ "oversize, accept: tagged unscanned", { R, R, R, R, AC, TF, TF },
	  { AV_OUT_OVERSIZE, NULL, NULL }, AV_ACCEPT, 1, "unscanned (message over the size limit)",
	  NULL, NULL },
	{ "error, tempfail (default)", { R, R, R, R, TF, TF, TF },
	  { AV_OUT_ERROR, NULL, "no virus database loaded" }, AV_TEMPFAIL, 0, NULL, "451 4.3.0",
	  "no virus database loaded" },
	{ "error, accept: tagged unscanned, never bare", { R, R, R, R, TF, AC, TF },
	  { AV_OUT_ERROR, NULL, "scan error: x" }, AV_ACCEPT, 1, "unscanned (scan error: x)", NULL, NULL },
	{ "oversize action does not leak into error", { R, R, R, R, AC, TF, TF },
	  { AV_OUT_ERROR, NULL, "e" }, AV_TEMPFAIL, 0, NULL, "451 4.3.0", NULL },
	{ "scan limit cut the scan: tempfail (default), names the limit", { R, R, R, R, AC, AC, TF },
	  { AV_OUT_LIMITS, "Heuristics.Limits.Exceeded.MaxRecursion", NULL }, AV_TEMPFAIL, 0, NULL,
	  "451 4.3.4", "Heuristics.Limits.Exceeded.MaxRecursion" },
	{ "scan limit, accept: tagged unscanned, never clean", { R, R, R, R, TF, TF, AC },
	  { AV_OUT_LIMITS, "Heuristics.Limits.Exceeded.MaxFiles", NULL }, AV_ACCEPT, 1,
	  "unscanned (scan limit reached: Heuristics.Limits.Exceeded.MaxFiles)", NULL, NULL },
	{ "infected with no name: still refused", { R, R, R, R, TF, TF, TF },
	  { AV_OUT_INFECTED, "", NULL }, AV_REJECT, 0, NULL, "554 5.7.1", "unknown" },
};

static void test_case(void **state)
{
	const struct vcase *c = *state;
	struct av_verdict v;
	char code[32];

	av_verdict_decide(&c->actions, &c->out, &v);
	assert_string_equal(av_action_name(v.action), av_action_name(c->want));
	assert_int_equal(v.tag, c->want_tag);
	if (c->want_status != NULL)
		assert_string_equal(v.status, c->want_status);
	if (v.action == AV_ACCEPT || v.action == AV_QUARANTINE)
		assert_true(v.status[0] != '\0');	/* never an untagged accept */
	if (c->want_code != NULL) {
		snprintf(code, sizeof(code), "%s %s", v.rcode, v.xcode);
		assert_string_equal(code, c->want_code);
	}
	if (c->want_in_reply != NULL && strstr(v.reply, c->want_in_reply) == NULL)
		fail_msg("reply '%s' lacks '%s'", v.reply, c->want_in_reply);
}

/* Every outcome x every action: an accept always carries a status. */
static void test_never_bare_accept(void **state)
{
	int kind, a, u;

	for (kind = AV_OUT_CLEAN; kind <= AV_OUT_ERROR; kind++)
		for (a = R; a <= AV_HIT_OFF; a++)
			for (u = TF; u <= AC; u++) {
				struct av_actions acts = { a, a, a, a, u, u, u };
				struct av_outcome out = { kind, "n", "d" };
				struct av_verdict v;

				av_verdict_decide(&acts, &out, &v);
				if (v.action == AV_ACCEPT || v.action == AV_QUARANTINE) {
					assert_true(v.tag);
					assert_true(v.status[0] != '\0');
				}
				if (kind != AV_OUT_CLEAN)
					assert_string_not_equal(v.status, "clean");
			}
}

/* A huge name is cut, never overflows. */
static void test_long_name(void **state)
{
	char name[5000];
	struct av_actions acts = { R, R, R, R, TF, TF, TF };
	struct av_outcome out = { AV_OUT_POLICY, name, name };
	struct av_verdict v;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	av_verdict_decide(&acts, &out, &v);
	assert_int_equal(v.action, AV_REJECT);
	assert_true(strlen(v.reply) < AV_REPLY_MAX);
}

struct fcase {
	const char *name;
	const char *sig, *want;
};

static const struct fcase families[] = {
	{ "ClamAV convention: category", "Win.Trojan.Agent-6390291-0", "trojan" },
	{ "category case ignored", "Doc.MACRO.Foo-1-0", "macro" },
	{ "ransomware", "Win.Ransomware.Locky-9-1", "ransomware" },
	{ "custom signature with .UNOFFICIAL", "Messec.Test.Body.UNOFFICIAL", "test" },
	{ "heuristics", "Heuristics.Phishing.Email.SpoofedDomain", "heuristics" },
	{ "EICAR (no dots)", "Eicar-Test-Signature", "test" },
	{ "unknown category", "Win.Gizmo.X-1-0", "other" },
	{ "category without a name after it", "Win.Trojan", "other" },
	{ "category prefix only", "Win.Troj.X", "other" },
	{ "no dot", "Something", "other" },
	{ "empty", "", "other" },
};

static void test_family(void **state)
{
	const struct fcase *c = *state;
	const char *f = av_verdict_family(c->sig);

	assert_string_equal(f, c->want);
	/* Every answer is a declared label value (or the library's "other"). */
	assert_true(strcmp(f, "other") == 0 || strstr(AV_FAMILIES, f) != NULL);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "no outcome and action make an untagged accept", test_never_bare_accept, NULL);
	tests_add(&l, "5000-byte name cut to the reply buffer", test_long_name, NULL);
	tests_add_table(&l, families, test_family);
	return tests_run(&l, "milter-av verdict", NULL, NULL);
}
