/*++
 * NAME
 *	test_decide 1
 * SUMMARY
 *	unit tests for decide.c: policy x result x allowlist x failure mode
 * DESCRIPTION
 *	Each case names a situation, builds the verdicts, optionally changes
 *	one configured action, and states the action, reply and A-R content
 *	wanted. The input domains are chosen so that alignment matters.
 *--*/
#include "../../common/tests/test_util.h"

#include "decide.h"

#define NO_REPLY NULL

enum tweak {
	T_NONE = 0, T_REJECT_QUAR, T_REJECT_TAG, T_REJECT_ACCEPT, T_QUAR_TAG,
	T_QUAR_REJECT, T_NONE_TAG, T_TEMP_TEMPFAIL, T_INTERNAL_ACCEPT,
	T_LIMITS_TEMPFAIL, T_LIMITS_ACCEPT, T_NOFROM_ACCEPT, T_MULTI_FIRST,
	T_MULTI_ACCEPT,
};

struct dkim_in {
	enum ma_dkim_result result;
	const char *domain;
};

struct decide_case {
	const char *name;
	enum tweak tweak;
	int auth, internal, allow, error, limits;
	enum ma_from_state from;
	const char *from_domain;
	enum ma_spf_result spf;		/* MA_SPF_INTERNAL = not evaluated */
	const char *spf_domain;
	struct dkim_in dkim[3];
	int dmarc_done;
	enum ma_dmarc_result dmarc;
	enum ma_dmarc_policy published, applied;
	/* wanted */
	enum ma_action want_action;
	const char *want_code;		/* NULL: no reply */
	const char *want_xcode;
	int want_ar;
	const char *want_ar_dmarc;	/* NULL: not reported */
	const char *want_reason;
};

#define FROM1 MA_FROM_ONE, "example.com"
#define SPF_PASS MA_SPF_PASS, "example.com"
#define SPF_FAIL MA_SPF_FAIL, "example.com"
#define SPF_FOREIGN MA_SPF_PASS, "bounce.other.example"
#define DMARC(r, p, a) 1, MA_DMARC_##r, MA_DMARC_POLICY_##p, MA_DMARC_POLICY_##a
#define NO_DMARC 0, MA_DMARC_NONE, MA_DMARC_POLICY_UNSPECIFIED, MA_DMARC_POLICY_UNSPECIFIED
#define D(r, d) { MA_DKIM_##r, d }

static const struct decide_case cases[] = {
	/* DMARC results x published policy, default actions */
	{ "pass: accept with A-R", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_PASS,
	  { D(PASS, "example.com") }, DMARC(PASS, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "pass", "dmarc-pass" },
	{ "fail p=reject: 550 5.7.1", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_REJECT, "550", "5.7.1", 1, "fail", "dmarc-reject" },
	{ "fail p=quarantine: hold", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(NONE, "") }, DMARC(FAIL, QUARANTINE, QUARANTINE),
	  MA_ACTION_QUARANTINE, NO_REPLY, NULL, 1, "fail", "dmarc-quarantine" },
	{ "fail p=none: header only", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, NONE, NONE),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "fail", "dmarc-none" },
	{ "no DMARC record: accept", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(NONE, UNSPECIFIED, UNSPECIFIED),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "none", "no-dmarc-fail" },
	{ "pct sampled out: reject applied as quarantine", T_NONE, 0, 0, 0, 0, 0, FROM1,
	  SPF_FAIL, { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, QUARANTINE),
	  MA_ACTION_QUARANTINE, NO_REPLY, NULL, 1, "fail", "dmarc-quarantine" },
	{ "permerror record: accept", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(NONE, "") }, DMARC(PERMERROR, UNSPECIFIED, UNSPECIFIED),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "permerror", "no-dmarc-fail" },

	/* every action configurable */
	{ "p=reject, action quarantine", T_REJECT_QUAR, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_QUARANTINE, NO_REPLY, NULL, 1, "fail", "dmarc-reject" },
	{ "p=reject, action tag", T_REJECT_TAG, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_TAG, NO_REPLY, NULL, 1, "fail", "dmarc-reject" },
	{ "p=reject, action accept", T_REJECT_ACCEPT, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "fail", "dmarc-reject" },
	{ "p=quarantine, action tag", T_QUAR_TAG, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, QUARANTINE, QUARANTINE),
	  MA_ACTION_TAG, NO_REPLY, NULL, 1, "fail", "dmarc-quarantine" },
	{ "p=quarantine, action reject", T_QUAR_REJECT, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, QUARANTINE, QUARANTINE),
	  MA_ACTION_REJECT, "550", "5.7.1", 1, "fail", "dmarc-quarantine" },
	{ "p=none, action tag", T_NONE_TAG, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, NONE, NONE),
	  MA_ACTION_TAG, NO_REPLY, NULL, 1, "fail", "dmarc-none" },
	{ "p=reject pass unaffected by action", T_REJECT_TAG, 0, 0, 0, 0, 0, FROM1,
	  SPF_PASS, { D(NONE, "") }, DMARC(PASS, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "pass", "dmarc-pass" },

	/* DNS temporary errors */
	{ "dmarc temperror: accept + A-R", T_NONE, 0, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(TEMPERROR, UNSPECIFIED, UNSPECIFIED),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "temperror", "temperror" },
	{ "dmarc temperror, configured tempfail: 451", T_TEMP_TEMPFAIL, 0, 0, 0, 0, 0, FROM1,
	  SPF_FAIL, { D(FAIL, "example.com") }, DMARC(TEMPERROR, UNSPECIFIED, UNSPECIFIED),
	  MA_ACTION_TEMPFAIL, "451", "4.7.0", 1, "temperror", "temperror" },
	{ "fail p=reject, aligned SPF temperror: not rejected", T_NONE, 0, 0, 0, 0, 0, FROM1,
	  MA_SPF_TEMPERROR, "mail.example.com", { D(NONE, "") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "fail", "temperror" },
	{ "fail p=reject, aligned DKIM temperror, tempfail", T_TEMP_TEMPFAIL, 0, 0, 0, 0, 0,
	  FROM1, SPF_FAIL, { D(TEMPERROR, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_TEMPFAIL, "451", "4.7.0", 1, "fail", "temperror" },
	{ "fail p=reject, foreign DKIM temperror: still rejected", T_NONE, 0, 0, 0, 0, 0,
	  FROM1, SPF_FOREIGN, { D(TEMPERROR, "attacker.example"), D(FAIL, "example.com") },
	  DMARC(FAIL, REJECT, REJECT), MA_ACTION_REJECT, "550", "5.7.1", 1, "fail",
	  "dmarc-reject" },
	{ "fail p=reject, lookalike DKIM temperror: still rejected", T_NONE, 0, 0, 0, 0, 0,
	  FROM1, SPF_FAIL, { D(TEMPERROR, "badexample.com") },
	  DMARC(FAIL, REJECT, REJECT), MA_ACTION_REJECT, "550", "5.7.1", 1, "fail",
	  "dmarc-reject" },

	/* outbound: not verified, not labelled */
	{ "SMTP AUTH: outbound, no A-R", T_NONE, 1, 0, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 0, NULL, "outbound-auth" },
	{ "internal network: outbound, no A-R", T_NONE, 0, 1, 0, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 0, NULL, "outbound-internal" },
	/* outbound over the header caps: cannot be cleaned or signed, and the
	   sender shaped it: permanent unless tempfail is configured */
	{ "SMTP AUTH over the limits: 552 5.3.4", T_NONE, 1, 0, 0, 0, 1, FROM1, SPF_FAIL,
	  { D(NONE, "") }, NO_DMARC, MA_ACTION_REJECT, "552", "5.3.4", 0, NULL, "limits" },
	{ "internal network over the limits: 552 5.3.4", T_NONE, 0, 1, 0, 0, 1, FROM1,
	  SPF_FAIL, { D(NONE, "") }, NO_DMARC, MA_ACTION_REJECT, "552", "5.3.4", 0, NULL,
	  "limits" },
	{ "outbound over the limits, limits accept: still 552", T_LIMITS_ACCEPT, 1, 0, 0, 0, 1,
	  FROM1, SPF_FAIL, { D(NONE, "") }, NO_DMARC, MA_ACTION_REJECT, "552", "5.3.4", 0,
	  NULL, "limits" },
	{ "outbound over the limits, limits tempfail: 451", T_LIMITS_TEMPFAIL, 1, 0, 0, 0, 1,
	  FROM1, SPF_FAIL, { D(NONE, "") }, NO_DMARC, MA_ACTION_TEMPFAIL, "451", "4.7.0", 0,
	  NULL, "limits" },
	{ "SMTP AUTH beats internal error", T_NONE, 1, 0, 0, 1, 0, FROM1, SPF_FAIL,
	  { D(NONE, "") }, NO_DMARC, MA_ACTION_ACCEPT, NO_REPLY, NULL, 0, NULL,
	  "outbound-auth" },

	/* allowlist: recorded, not enforced */
	{ "allowlisted fail p=reject: accept + A-R", T_NONE, 0, 0, 1, 0, 0, FROM1, SPF_FAIL,
	  { D(FAIL, "example.com") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "fail", "allowlisted" },
	{ "allowlisted, several From: accept", T_NONE, 0, 0, 1, 0, 0, MA_FROM_MULTI,
	  "example.com", SPF_FAIL, { D(NONE, "") }, NO_DMARC,
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "permerror", "allowlisted" },
	{ "allowlisted internal error: still tempfail", T_NONE, 0, 0, 1, 1, 0, FROM1,
	  SPF_FAIL, { D(NONE, "") }, NO_DMARC,
	  MA_ACTION_TEMPFAIL, "451", "4.7.0", 0, NULL, "internal-error" },

	/* internal errors */
	{ "internal error: tempfail, no A-R", T_NONE, 0, 0, 0, 1, 0, FROM1, SPF_PASS,
	  { D(PASS, "example.com") }, DMARC(PASS, REJECT, REJECT),
	  MA_ACTION_TEMPFAIL, "451", "4.7.0", 0, NULL, "internal-error" },
	{ "internal error, configured accept: no A-R", T_INTERNAL_ACCEPT, 0, 0, 0, 1, 0,
	  FROM1, SPF_FAIL, { D(NONE, "") }, DMARC(FAIL, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 0, NULL, "internal-error" },

	/* limits */
	{ "header limits: 552 5.3.4", T_NONE, 0, 0, 0, 0, 1, FROM1, SPF_PASS,
	  { D(PASS, "example.com") }, DMARC(PASS, REJECT, REJECT),
	  MA_ACTION_REJECT, "552", "5.3.4", 1, "pass", "limits" },
	{ "header limits, configured tempfail", T_LIMITS_TEMPFAIL, 0, 0, 0, 0, 1, FROM1,
	  SPF_PASS, { D(NONE, "") }, DMARC(PASS, REJECT, REJECT),
	  MA_ACTION_TEMPFAIL, "451", "4.7.0", 1, "pass", "limits" },
	{ "header limits, configured accept", T_LIMITS_ACCEPT, 0, 0, 0, 0, 1, FROM1,
	  SPF_PASS, { D(NONE, "") }, DMARC(PASS, REJECT, REJECT),
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "pass", "limits" },

	/* RFC 7489 section 6.6.1 */
	{ "no From: reject", T_NONE, 0, 0, 0, 0, 0, MA_FROM_NONE, "", SPF_PASS,
	  { D(NONE, "") }, NO_DMARC, MA_ACTION_REJECT, "550", "5.7.1", 1, "permerror",
	  "no-from" },
	{ "no From, configured accept: dmarc=permerror", T_NOFROM_ACCEPT, 0, 0, 0, 0, 0,
	  MA_FROM_NONE, "", SPF_PASS, { D(NONE, "") }, NO_DMARC,
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "permerror", "no-from" },
	{ "several From domains: reject", T_NONE, 0, 0, 0, 0, 0, MA_FROM_MULTI,
	  "example.com", SPF_PASS, { D(NONE, "") }, NO_DMARC,
	  MA_ACTION_REJECT, "550", "5.7.1", 1, "permerror", "multiple-from" },
	{ "several From, configured accept", T_MULTI_ACCEPT, 0, 0, 0, 0, 0, MA_FROM_MULTI,
	  "example.com", SPF_PASS, { D(NONE, "") }, NO_DMARC,
	  MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "permerror", "multiple-from" },
	{ "several From, evaluate first: fail p=reject", T_MULTI_FIRST, 0, 0, 0, 0, 0,
	  MA_FROM_MULTI, "example.com", SPF_FAIL, { D(NONE, "") },
	  DMARC(FAIL, REJECT, REJECT), MA_ACTION_REJECT, "550", "5.7.1", 1, "fail",
	  "dmarc-reject" },
	{ "several From, evaluate first: pass", T_MULTI_FIRST, 0, 0, 0, 0, 0,
	  MA_FROM_MULTI, "example.com", SPF_PASS, { D(NONE, "") },
	  DMARC(PASS, REJECT, REJECT), MA_ACTION_ACCEPT, NO_REPLY, NULL, 1, "pass",
	  "dmarc-pass" },
	{ "limits beat From checks", T_NONE, 0, 0, 0, 0, 1, MA_FROM_NONE, "", SPF_PASS,
	  { D(NONE, "") }, NO_DMARC, MA_ACTION_REJECT, "552", "5.3.4", 1, "permerror",
	  "limits" },
};

static void apply_tweak(struct ma_decide_policy *p, enum tweak t)
{
	switch (t) {
	case T_NONE: break;
	case T_REJECT_QUAR: p->dmarc_reject = MA_ACTION_QUARANTINE; break;
	case T_REJECT_TAG: p->dmarc_reject = MA_ACTION_TAG; break;
	case T_REJECT_ACCEPT: p->dmarc_reject = MA_ACTION_ACCEPT; break;
	case T_QUAR_TAG: p->dmarc_quarantine = MA_ACTION_TAG; break;
	case T_QUAR_REJECT: p->dmarc_quarantine = MA_ACTION_REJECT; break;
	case T_NONE_TAG: p->dmarc_none = MA_ACTION_TAG; break;
	case T_TEMP_TEMPFAIL: p->temperror = MA_ACTION_TEMPFAIL; break;
	case T_INTERNAL_ACCEPT: p->internal_error = MA_ACTION_ACCEPT; break;
	case T_LIMITS_TEMPFAIL: p->limits = MA_ACTION_TEMPFAIL; break;
	case T_LIMITS_ACCEPT: p->limits = MA_ACTION_ACCEPT; break;
	case T_NOFROM_ACCEPT: p->missing_from = MA_ACTION_ACCEPT; break;
	case T_MULTI_FIRST: p->multiple_from_first = 1; break;
	case T_MULTI_ACCEPT: p->multiple_from = MA_ACTION_ACCEPT; break;
	}
}

struct built {
	struct ma_spf_verdict spf;
	struct ma_dkim_sig sigs[3];
	const struct ma_dkim_sig *sigp[3];
	struct ma_dmarc_verdict dmarc;
	struct ma_decide_input in;
	struct ma_decision dec;
};

static void build(const struct decide_case *c, struct built *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	b->in.authenticated = c->auth;
	b->in.internal_network = c->internal;
	b->in.allowlisted = c->allow;
	b->in.internal_error = c->error;
	b->in.limits_exceeded = c->limits;
	b->in.from_state = c->from;
	b->in.from_domain = c->from_domain;
	b->spf.result = c->spf;
	snprintf(b->spf.domain, sizeof(b->spf.domain), "%s", c->spf_domain);
	b->in.spf = &b->spf;
	b->in.spf_property = "smtp.mailfrom";
	b->in.spf_value = c->spf_domain;
	for (i = 0; i < 3 && c->dkim[i].domain != NULL; i++) {
		if (c->dkim[i].result == MA_DKIM_NONE)
			break;
		b->sigs[i].result = c->dkim[i].result;
		snprintf(b->sigs[i].domain, sizeof(b->sigs[i].domain), "%s", c->dkim[i].domain);
		snprintf(b->sigs[i].selector, sizeof(b->sigs[i].selector), "s1");
		snprintf(b->sigs[i].algorithm, sizeof(b->sigs[i].algorithm), "rsa-sha256");
		snprintf(b->sigs[i].b_prefix, sizeof(b->sigs[i].b_prefix), "AbCdEf12");
		b->sigp[i] = &b->sigs[i];
	}
	b->in.n_dkim = i;
	b->in.dkim = b->sigp;
	if (c->dmarc_done) {
		b->dmarc.result = c->dmarc;
		b->dmarc.policy = c->published;
		b->dmarc.applied = c->applied;
		snprintf(b->dmarc.from_domain, sizeof(b->dmarc.from_domain), "%s", c->from_domain);
		snprintf(b->dmarc.org_domain, sizeof(b->dmarc.org_domain), "%s", c->from_domain);
		b->in.dmarc = &b->dmarc;
	}
}

static const char *spf_word(enum ma_spf_result r)
{
	static const char *const words[] = { "none", "neutral", "pass", "fail",
		"softfail", "temperror", "permerror" };

	return r >= 0 && (size_t) r < 7 ? words[r] : "?";
}

static void test_case(void **state)
{
	const struct decide_case *c = *state;
	struct ma_decide_policy policy;
	struct built *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	ma_decide_policy_defaults(&policy);
	apply_tweak(&policy, c->tweak);
	build(c, b);
	ma_decide(&policy, &b->in, "mx.test.example", 8, &b->dec);

	assert_string_equal(ma_action_name(b->dec.action), ma_action_name(c->want_action));
	assert_string_equal(b->dec.reason, c->want_reason);
	if (c->want_code == NULL) {
		assert_string_equal(b->dec.reply_code, "");
	} else {
		assert_string_equal(b->dec.reply_code, c->want_code);
		assert_string_equal(b->dec.reply_xcode, c->want_xcode);
		assert_true(strlen(b->dec.reply_text) > 10);
	}
	assert_int_equal(b->dec.add_ar, c->want_ar);
	if (c->want_ar) {
		assert_string_equal(b->dec.ar.authserv_id, "mx.test.example");
		assert_string_equal(b->dec.ar.spf_result, spf_word(c->spf));
		assert_int_equal(b->dec.ar.n_dkim, b->in.n_dkim);
		if (c->want_ar_dmarc == NULL)
			assert_null(b->dec.ar.dmarc_result);
		else
			assert_string_equal(b->dec.ar.dmarc_result, c->want_ar_dmarc);
	}
	/* DMARC rejects name the From domain (the spec) */
	if (c->want_action == MA_ACTION_REJECT && strncmp(c->want_reason, "dmarc", 5) == 0)
		assert_non_null(strstr(b->dec.reply_text, "example.com"));
	free(b);
}

/* Peer text reaching smfi_setreply: no '%', CR, LF; domain kept readable. */
static void test_reply_sanitised(void **state)
{
	const struct decide_case *c = &cases[1];	/* fail p=reject */
	struct ma_decide_policy policy;
	struct built *b = calloc(1, sizeof(*b));

	(void) state;
	assert_non_null(b);
	ma_decide_policy_defaults(&policy);
	build(c, b);
	snprintf(b->dmarc.from_domain, sizeof(b->dmarc.from_domain),
		 "evil%%n%%s\r\n550 x.example");
	ma_decide(&policy, &b->in, "mx", 8, &b->dec);
	assert_int_equal(b->dec.action, MA_ACTION_REJECT);
	assert_null(strchr(b->dec.reply_text, '%'));
	assert_null(strchr(b->dec.reply_text, '\r'));
	assert_null(strchr(b->dec.reply_text, '\n'));
	assert_non_null(strstr(b->dec.reply_text, "x.example"));
	free(b);
}

/* The A-R carries at most max_ar_dkim signatures, with all their tags. */
static void test_ar_dkim_cap(void **state)
{
	static struct ma_dkim_sig sigs[40];
	static const struct ma_dkim_sig *sigp[40];
	struct ma_decide_policy policy;
	struct ma_decide_input in;
	struct ma_dmarc_verdict dm;
	struct ma_decision *dec = calloc(1, sizeof(*dec));
	size_t i;

	(void) state;
	assert_non_null(dec);
	for (i = 0; i < 40; i++) {
		sigs[i].result = MA_DKIM_PASS;
		snprintf(sigs[i].domain, sizeof(sigs[i].domain), "d%zu.example", i);
		snprintf(sigs[i].selector, sizeof(sigs[i].selector), "sel");
		snprintf(sigs[i].algorithm, sizeof(sigs[i].algorithm), "ed25519-sha256");
		snprintf(sigs[i].b_prefix, sizeof(sigs[i].b_prefix), "XyZ12345");
		sigp[i] = &sigs[i];
	}
	memset(&in, 0, sizeof(in));
	memset(&dm, 0, sizeof(dm));
	dm.result = MA_DMARC_PASS;
	dm.policy = MA_DMARC_POLICY_REJECT;
	snprintf(dm.from_domain, sizeof(dm.from_domain), "d0.example");
	in.from_state = MA_FROM_ONE;
	in.from_domain = "d0.example";
	in.n_dkim = 40;
	in.dkim = sigp;
	in.dmarc = &dm;
	ma_decide_policy_defaults(&policy);
	ma_decide(&policy, &in, "mx", 8, dec);
	assert_int_equal(dec->ar.n_dkim, 8);
	assert_null(dec->ar.spf_result);
	assert_string_equal(dec->ar.dkim[7].domain, "d7.example");
	assert_string_equal(dec->ar.dkim[0].algorithm, "ed25519-sha256");
	assert_string_equal(dec->ar.dkim[0].b_prefix, "XyZ12345");
	assert_string_equal(dec->ar.dmarc_policy, "reject");
	assert_string_equal(dec->ar.dmarc_from, "d0.example");
	ma_decide(&policy, &in, "mx", 1000, dec);
	assert_int_equal(dec->ar.n_dkim, MA_DECIDE_MAX_DKIM);
	free(dec);
}

struct list_case {
	const char *name;
	const char *domain;
	int want;
};

static const char *const listed[] = { "fwd.example", "*.lists.example", ".relay.example", NULL };

static const struct list_case list_cases[] = {
	{ "listed: exact", "fwd.example", 1 },
	{ "listed: subdomain", "mx1.fwd.example", 1 },
	{ "listed: case-insensitive", "MX1.FWD.Example", 1 },
	{ "listed: lookalike is not a subdomain", "evilfwd.example", 0 },
	{ "listed: parent is not listed", "example", 0 },
	{ "listed: wildcard entry covers the base", "lists.example", 1 },
	{ "listed: dot entry covers subdomain", "a.relay.example", 1 },
	{ "listed: empty domain", "", 0 },
	{ "listed: longer suffix trick", "fwd.example.attacker.example", 0 },
};

static void test_listed(void **state)
{
	const struct list_case *c = *state;

	assert_int_equal(ma_decide_domain_listed(listed, c->domain), c->want);
}

static void test_listed_null(void **state)
{
	(void) state;
	assert_int_equal(ma_decide_domain_listed(NULL, "a.example"), 0);
	assert_int_equal(ma_decide_domain_listed(listed, NULL), 0);
	assert_int_equal(ma_decide_relaxed_aligned("example.com", "a.b.example.com"), 1);
	assert_int_equal(ma_decide_relaxed_aligned("example.com", "xexample.com"), 0);
	assert_int_equal(ma_decide_relaxed_aligned("", "example.com"), 0);
}

static void test_action_names(void **state)
{
	enum ma_action a;

	(void) state;
	assert_int_equal(ma_action_parse("Quarantine", &a), 0);
	assert_int_equal(a, MA_ACTION_QUARANTINE);
	assert_int_equal(ma_action_parse("discard", &a), -1);
	assert_int_equal(ma_action_parse(NULL, &a), -1);
	assert_string_equal(ma_action_name((enum ma_action) 99), "unknown");
}

/* A-R words are the modules' own names; SPF "internal" and an absent p=
   have no A-R word (issue 15: decide.c keeps no names of its own). */
static void test_ar_words(void **state)
{
	struct ma_decide_policy policy;
	struct built *b = calloc(1, sizeof(*b));
	int r;

	(void) state;
	assert_non_null(b);
	ma_decide_policy_defaults(&policy);
	build(&cases[0], b);
	for (r = MA_SPF_NONE; r <= MA_SPF_PERMERROR; r++) {
		b->spf.result = (enum ma_spf_result) r;
		ma_decide(&policy, &b->in, "mx", 8, &b->dec);
		assert_string_equal(b->dec.ar.spf_result, ma_spf_result_name(b->spf.result));
	}
	b->spf.result = MA_SPF_INTERNAL;
	ma_decide(&policy, &b->in, "mx", 8, &b->dec);
	assert_string_equal(b->dec.ar.spf_result, "temperror");
	b->spf.result = MA_SPF_PASS;
	for (r = MA_DKIM_NONE; r <= MA_DKIM_PERMERROR; r++) {
		b->sigs[0].result = (enum ma_dkim_result) r;
		ma_decide(&policy, &b->in, "mx", 8, &b->dec);
		assert_string_equal(b->dec.ar.dkim[0].result, ma_dkim_result_name(b->sigs[0].result));
	}
	b->sigs[0].result = MA_DKIM_PASS;
	for (r = MA_DMARC_NONE; r <= MA_DMARC_PERMERROR; r++) {
		b->dmarc.result = (enum ma_dmarc_result) r;
		ma_decide(&policy, &b->in, "mx", 8, &b->dec);
		assert_string_equal(b->dec.ar.dmarc_result, ma_dmarc_result_name(b->dmarc.result));
	}
	b->dmarc.result = MA_DMARC_PASS;
	b->dmarc.policy = MA_DMARC_POLICY_QUARANTINE;
	ma_decide(&policy, &b->in, "mx", 8, &b->dec);
	assert_string_equal(b->dec.ar.dmarc_policy, "quarantine");
	b->dmarc.policy = MA_DMARC_POLICY_UNSPECIFIED;
	ma_decide(&policy, &b->in, "mx", 8, &b->dec);
	assert_null(b->dec.ar.dmarc_policy);
	free(b);
}

/* ma_decide_tempfail() gives the same reply as a decided tempfail. */
static void test_tempfail_one_place(void **state)
{
	struct ma_decide_policy policy;
	struct built *b = calloc(1, sizeof(*b));
	struct ma_decision *dec = calloc(1, sizeof(*dec));

	(void) state;
	assert_non_null(b);
	assert_non_null(dec);
	ma_decide_policy_defaults(&policy);
	build(&cases[0], b);
	ma_decide(&policy, &b->in, "mx", 8, dec);	/* pass: accept, no reply */
	assert_int_equal(dec->action, MA_ACTION_ACCEPT);
	ma_decide_tempfail(dec, "header-change-failed");
	assert_int_equal(dec->action, MA_ACTION_TEMPFAIL);
	assert_string_equal(dec->reason, "header-change-failed");
	assert_string_equal(dec->reply_code, "451");
	assert_string_equal(dec->reply_xcode, "4.7.0");	/* RFC 3463 X.7.0 */
	assert_string_equal(dec->reply_text, MA_TEMPFAIL_TEXT);
	b->in.internal_error = 1;			/* decided tempfail */
	ma_decide(&policy, &b->in, "mx", 8, &b->dec);
	assert_string_equal(b->dec.reply_code, dec->reply_code);
	assert_string_equal(b->dec.reply_xcode, dec->reply_xcode);
	assert_string_equal(b->dec.reply_text, dec->reply_text);
	free(dec);
	free(b);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "reply text from a hostile From domain is sanitised",
		  test_reply_sanitised, NULL);
	tests_add(&l, "A-R DKIM entries capped, tags carried", test_ar_dkim_cap, NULL);
	tests_add_table(&l, list_cases, test_listed);
	tests_add(&l, "listed/aligned: NULL and empty inputs", test_listed_null, NULL);
	tests_add(&l, "action names parse and print", test_action_names, NULL);
	tests_add(&l, "A-R words: the modules' names, no internal, no absent p=", test_ar_words, NULL);
	tests_add(&l, "tempfail reply built in one place (451 4.7.0)", test_tempfail_one_place, NULL);
	return tests_run(&l, "decide", NULL, NULL);
}
