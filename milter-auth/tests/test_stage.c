/*++
 * NAME
 *	test_stage 1
 * SUMMARY
 *	unit tests for stage.c: the per-message stage list and who each
 *	stage works on (the hooks themselves run against libmilter in
 *	tests/integration/30-38)
 *--*/
#include "../../common/tests/test_util.h"

#include "stage.h"

static const struct ma_stage *find(const char *name)
{
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void test_order(void **state)
{
	(void) state;
	/* Forged fields go before ours is inserted (RFC 8601 section 5). */
	assert_string_equal(ma_stages[0].name, "unforge");
	assert_string_equal(ma_stages[1].name, "verify");
	assert_null(ma_stages[2].name);
}

static void test_every_stage_complete(void **state)
{
	const struct ma_stage *s;

	(void) state;
	for (s = ma_stages; s->name != NULL; s++) {
		assert_non_null(s->active);	/* the callbacks call it always */
		assert_true(s->header != NULL || s->eoh != NULL || s->body != NULL ||
			    s->eom != NULL);
	}
}

struct who_case {
	const char *name;
	int outbound;
	int unforge, verify;
};

static const struct who_case who_cases[] = {
	{ "inbound: unforged and verified", 0, 1, 1 },
	{ "outbound: unforged, not verified", 1, 1, 0 },
};

static void test_who(void **state)
{
	const struct who_case *c = *state;
	struct ma_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.outbound = c->outbound;
	assert_int_equal(find("unforge")->active(&msg), c->unforge);
	assert_int_equal(find("verify")->active(&msg), c->verify);
}

static void test_verify_begun(void **state)
{
	struct ma_msg msg;

	(void) state;
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(find("verify")->begun(&msg), 0);	/* no header yet */
	msg.dkim = (struct ma_dkim_verify *) &msg;		/* any non-NULL */
	assert_int_equal(find("verify")->begun(&msg), 1);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "stages in order: unforge, verify", test_order, NULL);
	tests_add(&l, "every stage has active() and a hook", test_every_stage_complete, NULL);
	tests_add_table(&l, who_cases, test_who);
	tests_add(&l, "verify has begun once it has a verifier", test_verify_begun, NULL);
	return tests_run(&l, "stage", NULL, NULL);
}
