/*++
 * NAME
 *	test_state 1
 * SUMMARY
 *	unit tests of policyd's rate limits and greylisting (state.c) on
 *	a real LMDB store with a test clock
 * DESCRIPTION
 *	Each test loads a config, opens a fresh LMDB store in a private
 *	temp dir, and sends requests through pd_rules_eval() as the event
 *	loop does; the clock of the rules and of the store is a variable
 *	the test moves (no sleeping, no timing).
 *--*/
#include "../../common/tests/test_util.h"
#include <messec/log.h>
#include "config.h"
#include "state.h"

static char *dir;
static time_t fake_now = 1800000000;	/* 2027-01-15, on an hour boundary + 0 */
static int alerts;

static time_t clock_now(void)
{
	return fake_now;
}

static void on_log(enum log_level level, const char *text, void *ctx)
{
	if (strstr(text, "exceeded") != NULL)
		alerts++;
}

struct env {
	struct pd_conf *conf;
	struct store *store;
};

static void env_open(struct env *e, const char *conf_text)
{
	char text[2048], uri[600];
	const char *err = NULL;
	static int n;

	snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nrcpt_rules =\n%s", conf_text);
	e->conf = pd_conf_load_string(text, stderr);
	assert_non_null(e->conf);
	snprintf(uri, sizeof(uri), "lmdb:%s/s%d.lmdb", dir, n++);
	e->store = store_open(uri, &err);
	if (e->store == NULL)
		fail_msg("store_open: %s", err);
	alerts = 0;
}

static void env_close(struct env *e)
{
	store_close(&e->store);
	pd_conf_release(&e->conf);
}

/* Evaluate a request given as words; returns the action. */
static const char *ask(struct env *e, struct store *store, const char *words)
{
	static struct pd_verdict v;
	char buf[4096];
	size_t n = (size_t) snprintf(buf, sizeof(buf), "request=smtpd_access_policy\n");
	char *copy = strdup(words), *save = NULL;
	struct pd_limits lim = { 4096, 32768, 100 };
	struct pd_request req;
	size_t used;
	const char *err;

	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s\n", w);
	buf[n++] = '\n';
	free(copy);
	assert_int_equal(pd_proto_parse(buf, n, &lim, &req, &used, &err), PD_PARSE_DONE);
	pd_rules_eval(e->conf->rules, store, &req, &v, NULL, NULL);
	return v.action;
}

#define EOM_ALICE "protocol_state=END-OF-MESSAGE sasl_username=alice client_address=192.0.2.5 " \
	"sender=alice@lab.example recipient_count=1"
#define RCPT_ALICE "protocol_state=RCPT sasl_username=alice client_address=192.0.2.5 " \
	"sender=alice@lab.example recipient=x@remote.example"

static void test_messages_per_user(void **state)
{
	struct env e;

	env_open(&e, "rcpt_rules = ratelimit\neom_rules = ratelimit\n"
		 "ratelimit_limits = sasl_username:messages:3/1h\n");
	for (int i = 1; i <= 3; i++) {
		assert_string_equal(ask(&e, e.store, RCPT_ALICE), "DUNNO");
		assert_string_equal(ask(&e, e.store, EOM_ALICE), "DUNNO");
	}
	/* The key's form is shared state (Redis between versions, LMDB files
	   across upgrades): window 3600 s, index now / 3600, the login. */
	void *cnt = NULL;
	char k[128];
	int kl = snprintf(k, sizeof(k), "pd:rl:sasl_username:messages:3600:%lld:alice",
			  (long long) (fake_now / 3600));

	assert_int_equal(store_get(e.store, k, (size_t) kl, &cnt, NULL), STORE_OK);
	assert_string_equal(cnt, "3");
	free(cnt);
	/* The 4th message: deferred at END-OF-MESSAGE... */
	assert_string_equal(ask(&e, e.store, EOM_ALICE), "DEFER 4.7.1 Rate limit exceeded, try again later");
	/* ...and the next one already at RCPT. */
	assert_string_equal(ask(&e, e.store, RCPT_ALICE), "DEFER 4.7.1 Rate limit exceeded, try again later");
	assert_string_equal(ask(&e, e.store, EOM_ALICE), "DEFER 4.7.1 Rate limit exceeded, try again later");
	/* One alert per key and window, not one per message. */
	assert_int_equal(alerts, 1);
	/* The alert also comes when RCPT is the first to see it. */
	fake_now += 3600;
	for (int i = 0; i < 3; i++)
		assert_string_equal(ask(&e, e.store, EOM_ALICE), "DUNNO");
	assert_string_equal(ask(&e, e.store, RCPT_ALICE), "DEFER 4.7.1 Rate limit exceeded, try again later");
	assert_string_equal(ask(&e, e.store, RCPT_ALICE), "DEFER 4.7.1 Rate limit exceeded, try again later");
	assert_int_equal(alerts, 2);
	/* Another login has its own counter. */
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE sasl_username=bob "
		"client_address=192.0.2.5 sender=bob@lab.example recipient_count=1"), "DUNNO");
	/* The next window starts from zero. */
	fake_now += 3600;
	assert_string_equal(ask(&e, e.store, EOM_ALICE), "DUNNO");
	env_close(&e);
}

static void test_recipients(void **state)
{
	struct env e;

	env_open(&e, "eom_rules = ratelimit\nratelimit_limits = sender:recipients:10/1d\n"
		 "ratelimit_action = HOLD rate\n");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE sender=a@x.example recipient_count=6"),
			    "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE sender=A@X.example recipient_count=4"),
			    "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE sender=a@x.example recipient_count=1"),
			    "HOLD rate");
	env_close(&e);
}

/* Several windows on one key, in a list longer than one short line:
   an admin's five limits must load (the value was capped at 127 bytes). */
static void test_windows(void **state)
{
	struct env e;

	env_open(&e, "eom_rules = ratelimit\nratelimit_limits = sasl_username:recipients:500/1h:auth "
		 "client_net:messages:100/1h:anon sender:messages:300/1h:any sasl_username:messages:2/1m:auth "
		 "sasl_username:messages:10/1h:auth\n");
	assert_string_equal(ask(&e, e.store, EOM_ALICE), "DUNNO");
	assert_string_equal(ask(&e, e.store, EOM_ALICE), "DUNNO");
	/* The 1-minute window (2) decides before the 1-hour one (10). */
	assert_string_equal(ask(&e, e.store, EOM_ALICE), "DEFER 4.7.1 Rate limit exceeded, try again later");
	env_close(&e);
}

static void test_scope_and_net(void **state)
{
	struct env e;

	env_open(&e, "eom_rules = ratelimit\nratelimit_limits = client_net:messages:2/1h:anon\n");
	/* Authenticated clients are outside this limit. */
	for (int i = 0; i < 5; i++)
		assert_string_equal(ask(&e, e.store, EOM_ALICE), "DUNNO");
	/* Two addresses of one /24 share the counter. */
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=198.51.100.1"), "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=198.51.100.2"), "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=198.51.100.3"),
			    "DEFER 4.7.1 Rate limit exceeded, try again later");
	/* IPv6: one /64. */
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=2001:db8:1:2::1"), "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=2001:db8:1:2::ff"), "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=2001:db8:1:2:aa::1"),
			    "DEFER 4.7.1 Rate limit exceeded, try again later");
	assert_string_equal(ask(&e, e.store, "protocol_state=END-OF-MESSAGE client_address=2001:db8:1:3::1"), "DUNNO");
	env_close(&e);
}

#define GL "protocol_state=RCPT client_address=192.0.2.10 sender=s@remote.example recipient=alice@lab.example"
#define GL_ACTION "DEFER_IF_PERMIT 4.7.1 Greylisted, please try again later"

static void test_greylist(void **state)
{
	struct env e;

	env_open(&e, "rcpt_rules = greylist\ngreylist_delay = 60s\ngreylist_retry_window = 1h\n"
		 "greylist_auto_allow = 0\n");
	assert_string_equal(ask(&e, e.store, GL), GL_ACTION);
	fake_now += 30;
	assert_string_equal(ask(&e, e.store, GL), GL_ACTION);	/* too early */
	fake_now += 31;
	assert_string_equal(ask(&e, e.store, GL), "DUNNO");	/* retry after the delay */
	fake_now += 86400;
	assert_string_equal(ask(&e, e.store, GL), "DUNNO");	/* remembered */
	/* Another address in the same /24 is the same triplet. */
	assert_string_equal(ask(&e, e.store, "protocol_state=RCPT client_address=192.0.2.99 "
		"sender=S@remote.example recipient=alice@lab.example"), "DUNNO");
	/* Another recipient is a new triplet. */
	assert_string_equal(ask(&e, e.store, "protocol_state=RCPT client_address=192.0.2.10 "
		"sender=s@remote.example recipient=bob@lab.example"), GL_ACTION);
	/* Authenticated: never greylisted. */
	assert_string_equal(ask(&e, e.store, "protocol_state=RCPT sasl_username=bob client_address=192.0.2.10 "
		"sender=bob@lab.example recipient=carol@lab.example"), "DUNNO");
	env_close(&e);
}

static void test_greylist_window(void **state)
{
	struct env e;

	env_open(&e, "rcpt_rules = greylist\ngreylist_delay = 60s\ngreylist_retry_window = 1h\n");
	assert_string_equal(ask(&e, e.store, GL), GL_ACTION);
	/* A retry after the window is a first attempt again. */
	fake_now += 3601;
	assert_string_equal(ask(&e, e.store, GL), GL_ACTION);
	env_close(&e);
}

static void test_auto_allow(void **state)
{
	struct env e;
	char req[256];

	env_open(&e, "rcpt_rules = greylist\ngreylist_delay = 60s\ngreylist_auto_allow = 2\n");
	for (int i = 0; i < 2; i++) {
		snprintf(req, sizeof(req), "protocol_state=RCPT client_address=203.0.113.7 sender=s%d@big.example "
			 "recipient=alice@lab.example", i);
		assert_string_equal(ask(&e, e.store, req), GL_ACTION);
		fake_now += 61;
		assert_string_equal(ask(&e, e.store, req), "DUNNO");
	}
	/* The network passed twice: a new triplet is not greylisted. */
	assert_string_equal(ask(&e, e.store, "protocol_state=RCPT client_address=203.0.113.8 "
		"sender=new@big.example recipient=bob@lab.example"), "DUNNO");
	env_close(&e);
}

/* The allowlist exempts a large sender's pool before any store call;
   another client with the same sender is greylisted as before. */
static void test_allowlist(void **state)
{
	struct env e;
	char text[600], path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/allow", dir);
	f = fopen(path, "w");
	fputs("big.example\n203.0.113.0/24\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "rcpt_rules = greylist\ngreylist_allow_files = %s\n", path);
	env_open(&e, text);
	assert_string_equal(ask(&e, NULL, "protocol_state=RCPT client_address=198.51.100.5 "
		"client_name=out-7.mail.big.example sender=n@big.example recipient=alice@lab.example"), "DUNNO");
	assert_string_equal(ask(&e, e.store, "protocol_state=RCPT client_address=203.0.113.9 "
		"client_name=unknown sender=n@big.example recipient=alice@lab.example"), "DUNNO");
	/* The sender alone proves nothing. */
	assert_string_equal(ask(&e, e.store, "protocol_state=RCPT client_address=198.51.100.5 "
		"client_name=unknown sender=n@big.example recipient=alice@lab.example"), GL_ACTION);
	env_close(&e);
}

static void test_store_failure(void **state)
{
	struct env e;

	/* Default: DUNNO (not decisive: the next rule runs) and a log line. */
	env_open(&e, "rcpt_rules = greylist deny\ndeny_senders = x.example\n"
		 "eom_rules = ratelimit\nratelimit_limits = sasl_username:messages:1/1h\n");
	assert_string_equal(ask(&e, NULL, GL), "DUNNO");
	assert_string_equal(ask(&e, NULL, "protocol_state=RCPT client_address=192.0.2.1 sender=a@x.example "
		"recipient=b@lab.example"), "REJECT 5.7.1 Access denied");
	assert_string_equal(ask(&e, NULL, EOM_ALICE), "DUNNO");
	assert_string_equal(ask(&e, NULL, EOM_ALICE), "DUNNO");
	env_close(&e);
	/* Configured: the fail action decides. */
	env_open(&e, "rcpt_rules = greylist\nstore_fail_action = DEFER_IF_PERMIT 4.3.0 state store down\n");
	assert_string_equal(ask(&e, NULL, GL), "DEFER_IF_PERMIT 4.3.0 state store down");
	env_close(&e);
}

struct bcase { const char *name; const char *conf; const char *want; };
static const struct bcase bad[] = {
	{ "limit: unknown key", "ratelimit_limits = helo:messages:1/1h\n", "KEY" },
	{ "limit: unknown what", "ratelimit_limits = sender:bytes:1/1h\n", "WHAT" },
	{ "limit: no window", "ratelimit_limits = sender:messages:100\n", "N/WINDOW" },
	{ "limit: zero count", "ratelimit_limits = sender:messages:0/1h\n", "N: 1.." },
	{ "limit: bad scope", "ratelimit_limits = sender:messages:1/1h:everyone\n", "SCOPE" },
	{ "greylist: window not after delay", "greylist_delay = 1h\ngreylist_retry_window = 30m\n", "longer" },
	{ "ratelimit without a store", "eom_rules = ratelimit\nstore =\n", "store: required" },
	{ "bad fail action", "store_fail_action = ACCEPT\n", "store_fail_action: unknown action" },
	{ "greylist_spf with store_workers = 0 refused (SPF's DNS in the event loop)",
	  "greylist_spf = yes\nstore_workers = 0\n", "greylist_spf: needs store_workers" },
	{ "Redis store with store_workers = 0 refused (Redis calls in the event loop)",
	  "eom_rules = ratelimit\nstore = redis://127.0.0.1\nstore_workers = 0\n", "only with an lmdb: store" },
	{ "greylist allowlist file missing", "greylist_allow_files = /nonexistent/allow\n", "cannot open" },
};

static void test_bad(void **state)
{
	const struct bcase *c = *state;
	char text[1024], *out = NULL;
	size_t size = 0;
	FILE *err = open_memstream(&out, &size);

	snprintf(text, sizeof(text), "listen = unix:/x/y.sock\nrcpt_rules =\n%s", c->conf);
	struct pd_conf *conf = pd_conf_load_string(text, err);

	fclose(err);
	assert_null(conf);
	if (strstr(out, c->want) == NULL)
		fail_msg("error text: %s", out);
	free(out);
}

static int setup(void **state)
{
	dir = test_tmpdir();
	store_set_clock(clock_now);
	pd_state_set_clock(clock_now);
	log_init("test_state", 1, LOG_LEVEL_INFO);
	log_set_handler(on_log, NULL);
	return 0;
}

static int teardown(void **state)
{
	test_rmtree(&dir);
	return 0;
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "ratelimit: N+1th message of a login deferred, one alert, next window fresh",
		  test_messages_per_user, NULL);
	tests_add(&l, "ratelimit: recipients counted from recipient_count, configured action",
		  test_recipients, NULL);
	tests_add(&l, "ratelimit: anon scope, client /24 and /64", test_scope_and_net, NULL);
	tests_add(&l, "ratelimit: five limits on one line, two windows on one key", test_windows, NULL);
	tests_add(&l, "greylist: defer, early retry deferred, retry after delay passes", test_greylist, NULL);
	tests_add(&l, "greylist: retry after the window starts over", test_greylist_window, NULL);
	tests_add(&l, "greylist: network auto-allowed after N passes", test_auto_allow, NULL);
	tests_add(&l, "greylist: allowlisted client name or network never greylisted, sender alone not",
		  test_allowlist, NULL);
	tests_add(&l, "store failure: store_fail_action (DUNNO by default, not decisive)",
		  test_store_failure, NULL);
	tests_add_table(&l, bad, test_bad);
	return tests_run(&l, "state", setup, teardown);
}
