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
#include "dkim_sign.h"

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
	/* cleaned fields are never signed: clean runs first */
	assert_string_equal(ma_stages[2].name, "clean");
	assert_string_equal(ma_stages[3].name, "sign");
	assert_string_equal(ma_stages[4].name, "report");
	assert_null(ma_stages[5].name);
}

static void test_every_stage_complete(void **state)
{
	const struct ma_stage *s;

	(void) state;
	for (s = ma_stages; s->name != NULL; s++) {
		assert_non_null(s->active);	/* the callbacks call it always */
		assert_true(s->header != NULL || s->eoh != NULL || s->body != NULL ||
			    s->eom != NULL || s->decided != NULL);
	}
}

struct who_case {
	const char *name;
	int outbound;
	int keys;		/* the config has signing keys */
	int unforge, verify, clean, sign;
};

static const struct who_case who_cases[] = {
	{ "inbound: unforged and verified", 0, 0, 1, 1, 0, 0 },
	{ "inbound with signing keys: verified, not cleaned, not signed", 0, 1, 1, 1, 0, 0 },
	{ "outbound: unforged, cleaned, not verified", 1, 0, 1, 0, 1, 0 },
	{ "outbound with signing keys: cleaned and signed", 1, 1, 1, 0, 1, 1 },
};

static void test_who(void **state)
{
	const struct who_case *c = *state;
	const char *keys[2] = { NULL, NULL }, *domains[2] = { "lab.example", NULL };
	struct ma_dkim_sign_config sc;
	struct ma_config mc;
	struct ma_msg msg;
	char key[300] = "", entry[400];

	memset(&msg, 0, sizeof(msg));
	memset(&mc, 0, sizeof(mc));
	memset(&sc, 0, sizeof(sc));
	msg.outbound = c->outbound;
	msg.cfg = &mc;
	if (c->keys) {
		/* a 0600 copy of the lab's test key */
		const char *t = getenv("TMPDIR");

		snprintf(key, sizeof(key), "%s/messec-stage-key.XXXXXX", t != NULL ? t : "/tmp");
		assert_true(mkstemp(key) >= 0);
		snprintf(entry, sizeof(entry), "cp tests/lab/keys/lab-test-dkim-ed25519.key %s",
			 key);
		assert_int_equal(system(entry), 0);
		snprintf(entry, sizeof(entry), "lab.example:ed25519:%s", key);
		keys[0] = entry;
		sc.keys = keys;
		sc.domains = domains;
		sc.key_owner = geteuid();
		sc.relaxed_header = sc.relaxed_body = 1;
		mc.signer = ma_dkim_signer_new(&sc, stderr);
		assert_non_null(mc.signer);
	}
	assert_int_equal(find("unforge")->active(&msg), c->unforge);
	assert_int_equal(find("verify")->active(&msg), c->verify);
	assert_int_equal(find("clean")->active(&msg), c->clean);
	assert_int_equal(find("sign")->active(&msg), c->sign);
	ma_dkim_signer_free(&mc.signer);
	if (key[0] != '\0')
		unlink(key);
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

	tests_add(&l, "stages in order: unforge, verify, clean, sign, report", test_order, NULL);
	tests_add(&l, "every stage has active() and a hook", test_every_stage_complete, NULL);
	tests_add_table(&l, who_cases, test_who);
	tests_add(&l, "verify has begun once it has a verifier", test_verify_begun, NULL);
	return tests_run(&l, "stage", NULL, NULL);
}
