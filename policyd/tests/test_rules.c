/*++
 * NAME
 *	test_rules 1
 * SUMMARY
 *	unit tests of policyd's rules, map and config (rules.c,
 *	sender_login.c, config.c)
 * DESCRIPTION
 *	Each case is a config (on top of a base with a sender-login map in
 *	a private temp dir), a request as "name=value" words and the
 *	expected deciding rule and action prefix. Then the map's own cases,
 *	the action checker and the config errors that must refuse to load.
 *--*/
#include "../../common/tests/test_util.h"
#include <messec/log.h>
#include "config.h"
#include "sender_login.h"

static char *dir;
static char map_path[512];
static char db_uri[600];	/* the same map, built into LMDB */
static int use_db;		/* load(): sender_login_db instead of the file */

static const char map_text[] =
	"# login  owned senders\n"
	"alice@lab.example   alice@lab.example, sales@lab.example\n"
	"bob                 bob@lab.example @bob.example\n"
	"Admin               *\n"
	"carol carol@lab.example\n"
	"carol carol@other.example   # a second line adds\n";

struct rcase {
	const char *name;
	const char *conf;	/* appended to the base */
	const char *req;	/* words */
	const char *want_rule;
	const char *want_action;	/* prefix */
};

#define LOGIN "rcpt_rules = allow deny sender_login\n"
static const struct rcase cases[] = {
	/* sender_login */
	{ "login owns its address", "", "protocol_state=RCPT sasl_username=alice@lab.example sender=alice@lab.example",
	  "none", "DUNNO" },
	{ "login owns a second address", "", "protocol_state=RCPT sasl_username=alice@lab.example sender=sales@lab.example",
	  "none", "DUNNO" },
	{ "login may not use another user's address", "",
	  "protocol_state=RCPT sasl_username=alice@lab.example sender=bob@lab.example", "sender_login",
	  "REJECT 5.7.1 Sender address <bob@lab.example> is not owned by login alice@lab.example" },
	{ "case of login and sender ignored", "",
	  "protocol_state=RCPT sasl_username=ALICE@Lab.Example sender=Alice@LAB.example", "none", "DUNNO" },
	{ "@domain wildcard", "", "protocol_state=RCPT sasl_username=bob sender=anything@bob.example", "none", "DUNNO" },
	{ "@domain wildcard is not a subdomain match", "",
	  "protocol_state=RCPT sasl_username=bob sender=x@sub.bob.example", "sender_login", "REJECT 5.7.1" },
	{ "address extension stripped", "", "protocol_state=RCPT sasl_username=bob sender=bob+list@lab.example",
	  "none", "DUNNO" },
	{ "no delimiter: extension not stripped", "recipient_delimiter =\n",
	  "protocol_state=RCPT sasl_username=bob sender=bob+list@lab.example", "sender_login", "REJECT 5.7.1" },
	{ "catch-all login", "", "protocol_state=RCPT sasl_username=admin sender=ceo@anywhere.example", "none", "DUNNO" },
	{ "two lines of one login add up", "", "protocol_state=RCPT sasl_username=carol sender=carol@other.example",
	  "none", "DUNNO" },
	{ "login not in the map owns nothing", "", "protocol_state=RCPT sasl_username=mallory sender=mallory@lab.example",
	  "sender_login", "REJECT 5.7.1 Sender address <mallory@lab.example> is not owned" },
	{ "sender without domain from a login", "", "protocol_state=RCPT sasl_username=bob sender=bob",
	  "sender_login", "REJECT 5.7.1" },
	{ "null sender allowed by default", "", "protocol_state=RCPT sasl_username=bob sender=", "none", "DUNNO" },
	{ "null sender refused when configured", "sender_login_null_sender = reject\n",
	  "protocol_state=RCPT sasl_username=bob sender=", "sender_login", "REJECT 5.7.1 Sender address <> is not owned by login bob" },
	{ "not authenticated: not this rule's business", "",
	  "protocol_state=RCPT sender=bob@lab.example client_address=198.51.100.10", "none", "DUNNO" },
	{ "unauthenticated local sender from outside refused", "sender_login_local_domains = lab.example\n",
	  "protocol_state=RCPT sender=bob@LAB.example client_address=198.51.100.10", "sender_login",
	  "REJECT 5.7.1 Sender address <bob@LAB.example> in a local domain needs authentication" },
	{ "unauthenticated local sender from a trusted client", "sender_login_local_domains = lab.example\n",
	  "protocol_state=RCPT sender=bob@lab.example client_address=127.0.0.1", "none", "DUNNO" },
	{ "unauthenticated foreign sender", "sender_login_local_domains = lab.example\n",
	  "protocol_state=RCPT sender=x@remote.example client_address=198.51.100.10", "none", "DUNNO" },
	{ "sender_login at END-OF-MESSAGE only when listed", "",
	  "protocol_state=END-OF-MESSAGE sasl_username=alice@lab.example sender=bob@lab.example", "none", "DUNNO" },
	{ "eom_rules applies at END-OF-MESSAGE", "eom_rules = sender_login\n",
	  "protocol_state=END-OF-MESSAGE sasl_username=alice@lab.example sender=bob@lab.example", "sender_login",
	  "REJECT 5.7.1" },
	{ "other protocol states: DUNNO", "", "protocol_state=MAIL sasl_username=alice@lab.example sender=bob@lab.example",
	  "none", "DUNNO" },
	/* deny lists */
	{ "deny: client IPv4 CIDR", "deny_clients = 198.51.100.0/24\n",
	  "protocol_state=RCPT client_address=198.51.100.7", "deny", "REJECT 5.7.1 Access denied" },
	{ "deny: client IPv4 CIDR, outside", "deny_clients = 198.51.100.0/24\n",
	  "protocol_state=RCPT client_address=198.51.101.7", "none", "DUNNO" },
	{ "deny: client IPv6 CIDR", "deny_clients = 2001:db8:bad::/48\n",
	  "protocol_state=RCPT client_address=2001:db8:bad::9", "deny", "REJECT" },
	{ "deny: IPv4-mapped client", "deny_clients = 198.51.100.0/24\n",
	  "protocol_state=RCPT client_address=::ffff:198.51.100.9", "deny", "REJECT" },
	{ "deny: client name suffix", "deny_client_names = spam.example\n",
	  "protocol_state=RCPT client_name=mx1.SPAM.example", "deny", "REJECT" },
	{ "deny: client name suffix is label-aligned", "deny_client_names = spam.example\n",
	  "protocol_state=RCPT client_name=notspam.example", "none", "DUNNO" },
	{ "deny: unknown client name never matches", "deny_client_names = unknown\n",
	  "protocol_state=RCPT client_name=unknown", "none", "DUNNO" },
	{ "deny: sender address", "deny_senders = evil@x.example\n",
	  "protocol_state=RCPT sender=Evil@X.example", "deny", "REJECT" },
	{ "deny: sender domain", "deny_senders = x.example\n", "protocol_state=RCPT sender=a@x.example", "deny", "REJECT" },
	{ "deny: sender @domain", "deny_senders = @x.example\n", "protocol_state=RCPT sender=a@x.example", "deny", "REJECT" },
	{ "deny: sender domain is not its subdomain", "deny_senders = x.example\n",
	  "protocol_state=RCPT sender=a@sub.x.example", "none", "DUNNO" },
	{ "deny: .domain means subdomains", "deny_senders = .x.example\n",
	  "protocol_state=RCPT sender=a@sub.x.example", "deny", "REJECT" },
	{ "deny: null sender entry", "deny_senders = <>\n", "protocol_state=RCPT sender=", "deny", "REJECT" },
	{ "deny: recipient", "deny_recipients = trap@lab.example\n",
	  "protocol_state=RCPT recipient=trap@lab.example", "deny", "REJECT" },
	{ "deny: sasl_username", "deny_sasl_users = stolen@lab.example\n",
	  "protocol_state=RCPT sasl_username=stolen@lab.example sender=x@y", "deny", "REJECT" },
	{ "deny: configured action", "deny_senders = x.example\ndeny_action = DEFER 4.7.1 Try later\n",
	  "protocol_state=RCPT sender=a@x.example", "deny", "DEFER 4.7.1 Try later" },
	/* order: first decisive verdict wins */
	{ "allow before deny wins", "allow_clients = 198.51.100.7\ndeny_clients = 198.51.100.0/24\n",
	  "protocol_state=RCPT client_address=198.51.100.7", "allow", "DUNNO" },
	{ "deny before allow wins", "rcpt_rules = deny allow\nallow_clients = 198.51.100.7\n"
	  "deny_clients = 198.51.100.0/24\n", "protocol_state=RCPT client_address=198.51.100.7", "deny", "REJECT" },
	{ "allow stops sender_login", "allow_sasl_users = alice@lab.example\nallow_action = OK\n",
	  "protocol_state=RCPT sasl_username=alice@lab.example sender=bob@lab.example", "allow", "OK" },
	{ "sender_login before allow decides first", "rcpt_rules = sender_login allow\n"
	  "allow_sasl_users = alice@lab.example\n",
	  "protocol_state=RCPT sasl_username=alice@lab.example sender=bob@lab.example", "sender_login", "REJECT" },
	{ "no rules: DUNNO", "rcpt_rules =\n",
	  "protocol_state=RCPT sasl_username=alice@lab.example sender=bob@lab.example", "none", "DUNNO" },
};

static struct pd_conf *load(const char *extra)
{
	char text[4096];
	struct pd_conf *c;

	if (use_db)
		snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nsender_login_db = %s\n" LOGIN "%s",
			 db_uri, extra);
	else
		snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nsender_login_map = %s\n" LOGIN "%s",
			 map_path, extra);
	c = pd_conf_load_string(text, stderr);
	assert_non_null(c);
	return c;
}

static void parse_words(const char *words, char *buf, size_t size, struct pd_request *req)
{
	size_t n = (size_t) snprintf(buf, size, "request=smtpd_access_policy\n");
	char *copy = strdup(words), *save = NULL;
	struct pd_limits lim = { 4096, 32768, 100 };
	size_t used;
	const char *err;

	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		n += (size_t) snprintf(buf + n, size - n, "%s\n", w);
	n += (size_t) snprintf(buf + n, size - n, "\n");
	free(copy);
	assert_int_equal(pd_proto_parse(buf, n, &lim, req, &used, &err), PD_PARSE_DONE);
}

static void test_rule(void **state)
{
	const struct rcase *c = *state;
	struct pd_conf *conf;

	use_db = 0;
	conf = load(c->conf);
	char buf[4096];
	struct pd_request req;
	struct pd_verdict v;

	parse_words(c->req, buf, sizeof(buf), &req);
	pd_rules_eval(conf->rules, NULL, &req, &v, NULL, NULL);
	if (strncmp(v.action, c->want_action, strlen(c->want_action)) != 0 || strcmp(v.rule, c->want_rule) != 0)
		fail_msg("got rule=%s action=%s; want rule=%s action=%s...", v.rule, v.action,
			 c->want_rule, c->want_action);
	pd_conf_release(&conf);
}

struct said { char text[2048]; };
static void collect(void *ctx, const char *rule, const char *said, int decisive)
{
	struct said *s = ctx;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s:%s:%d;", rule, said, decisive);
}

/* --explain's callback hears every rule up to the deciding one. */
static void test_explain(void **state)
{
	struct pd_conf *conf = load("deny_clients = 203.0.113.0/24\n");
	char buf[1024];
	struct pd_request req;
	struct pd_verdict v;
	struct said s = { "" };

	parse_words("protocol_state=RCPT client_address=192.0.2.1 sasl_username=alice@lab.example "
		    "sender=bob@lab.example", buf, sizeof(buf), &req);
	pd_rules_eval(conf->rules, NULL, &req, &v, collect, &s);
	assert_string_equal(s.text, "allow:no allow entry matches:0;deny:no deny entry matches:0;"
		"sender_login:login alice@lab.example does not own <bob@lab.example>: reject:1;");
	pd_conf_release(&conf);
}

struct acase { const char *name; const char *action; int ok; };
static const struct acase actions[] = {
	{ "action DUNNO", "DUNNO", 1 }, { "action OK", "OK", 1 },
	{ "action REJECT bare", "REJECT", 1 }, { "action REJECT 5.7.1 text", "REJECT 5.7.1 no", 1 },
	{ "action REJECT with 4.x.x refused", "REJECT 4.7.1 no", 0 },
	{ "action REJECT text without code refused", "REJECT go away", 0 },
	{ "action DEFER 4.7.1", "DEFER 4.7.1 later", 1 }, { "action DEFER with 5.x.x refused", "DEFER 5.7.1 x", 0 },
	{ "action DEFER_IF_PERMIT 4.7.1", "DEFER_IF_PERMIT 4.7.1 x", 1 },
	{ "action HOLD", "HOLD suspicious", 1 }, { "action WARN", "WARN look", 1 },
	{ "action PREPEND header", "PREPEND X-Policy: yes", 1 }, { "action PREPEND bare refused", "PREPEND", 0 },
	{ "action lower case refused", "reject", 0 }, { "action unknown refused", "ACCEPT", 0 },
	{ "action empty refused", "", 0 },
};

static void test_action(void **state)
{
	const struct acase *c = *state;
	const char *err = NULL;

	assert_int_equal(pd_action_check(c->action, &err) == 0, c->ok);
}

struct bcase { const char *name; const char *conf; const char *want_error; };
static const struct bcase bad[] = {
	{ "config: unknown rule refused", "rcpt_rules = allow greylist_typo\n", "unknown rule" },
	{ "config: bad deny_action refused", "deny_action = REJECT 4.7.1 x\n", "deny_action" },
	{ "config: sender_login without a map refused", "sender_login_map =\n", "required by the sender_login rule" },
	{ "config: unreadable map refused", "sender_login_map = /nonexistent/map\n", "cannot open" },
	{ "config: bad CIDR refused", "deny_clients = 192.0.2.1/24\n", "deny_clients" },
	{ "config: no listen address refused", "listen =\n", "listen" },
	{ "config: bad listen address refused", "listen = tcp:1.2.3.4\n", "listen" },
	{ "config: sender_login_db and sender_login_map both refused",
	  "sender_login_db = lmdb:/nonexistent.lmdb\n", "use one" },
	{ "config: sender_login_db missing file refused",
	  "sender_login_map =\nsender_login_db = lmdb:/nonexistent/login.lmdb\n", "--build-login-map" },
	{ "config: sender_login_db with a bad option refused",
	  "sender_login_map =\nsender_login_db = lmdb:/tmp/x.lmdb?colour=blue\n", "colour" },
	{ "config: sender_login_db on Redis refused",
	  "sender_login_map =\nsender_login_db = redis://127.0.0.1\n", "only LMDB" },
};

static void test_bad(void **state)
{
	const struct bcase *c = *state;
	char text[1024];
	char *out = NULL;
	size_t size = 0;
	FILE *err = open_memstream(&out, &size);

	snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nsender_login_map = %s\n" LOGIN "%s",
		 map_path, c->conf);
	struct pd_conf *conf = pd_conf_load_string(text, err);

	fclose(err);
	assert_null(conf);
	if (strstr(out, c->want_error) == NULL)
		fail_msg("error text: %s", out);
	free(out);
}

struct mcase { const char *name; const char *text; int ok; };
static const struct mcase maps[] = {
	{ "map: good", "a a@x.example, @y.example *\n", 1 },
	{ "map: entry without @ refused", "a notanaddress\n", 0 },
	{ "map: login without senders refused", "a\n", 0 },
	{ "map: comments and blank lines", "# c\n\n   \na a@x # trailing\n", 1 },
	{ "map: two @ refused", "a a@b@c\n", 0 },
};

static void test_map(void **state)
{
	const struct mcase *c = *state;
	FILE *err = fopen("/dev/null", "w");
	struct pd_login_map *m = pd_login_map_parse("m", c->text, err);

	fclose(err);
	assert_int_equal(m != NULL, c->ok);
	pd_login_map_free(&m);
}

/* A line longer than the map's limit is an error, not a cut. */
static void test_map_long_line(void **state)
{
	size_t n = 5000;
	char *text = malloc(n + 16);
	FILE *err = fopen("/dev/null", "w");

	memcpy(text, "a ", 2);
	memset(text + 2, 'b', n);
	memcpy(text + 2 + n, "@x\n", 4);
	struct pd_login_map *m = pd_login_map_parse("m", text, err);

	assert_null(m);
	fclose(err);
	free(text);
}

/* ---- the LMDB map: every case above again, on the built file ---- */

static void test_rule_db(void **state)
{
	const struct rcase *c = *state;
	struct pd_conf *conf;
	char buf[4096];
	struct pd_request req;
	struct pd_verdict v;

	use_db = 1;
	conf = load(c->conf);
	use_db = 0;
	parse_words(c->req, buf, sizeof(buf), &req);
	pd_rules_eval(conf->rules, NULL, &req, &v, NULL, NULL);
	if (strncmp(v.action, c->want_action, strlen(c->want_action)) != 0 || strcmp(v.rule, c->want_rule) != 0)
		fail_msg("lmdb: got rule=%s action=%s; want rule=%s action=%s...", v.rule, v.action,
			 c->want_rule, c->want_action);
	pd_conf_release(&conf);
}

static int build(const char *text, const char *uri)
{
	FILE *err = fopen("/dev/null", "w");
	struct pd_login_map *m = pd_login_map_parse("m", text, err);
	int rc = m != NULL ? pd_login_db_build(m, uri, err, err) : -1;

	pd_login_map_free(&m);
	fclose(err);
	return rc;
}

static const char *verdict_db(const char *uri, const char *words, struct pd_verdict *v)
{
	char text[1024], buf[1024];
	struct pd_request req;
	struct pd_conf *conf;

	snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nsender_login_db = %s\n" LOGIN, uri);
	conf = pd_conf_load_string(text, stderr);
	assert_non_null(conf);
	parse_words(words, buf, sizeof(buf), &req);
	pd_rules_eval(conf->rules, NULL, &req, v, NULL, NULL);
	pd_conf_release(&conf);
	return v->action;
}

/*
 * A map built, used (so the handle is open), built again without sales@:
 * in place (one transaction in the same file), or as a new file after
 * the old one was removed. Either way the next lookup sees the new map.
 */
struct rebuild_case { const char *name; const char *file; int remove_first; };
static const struct rebuild_case rebuilds[] = {
	{ "lmdb map: a rebuild is seen by an open handle", "rebuild.lmdb", 0 },
	{ "lmdb map: removed and built again as a new file: the new one is used", "replaced.lmdb", 1 },
};

static void test_db_rebuild(void **state)
{
	const struct rebuild_case *c = *state;
	char uri[700], path[600], lock[700], text[1024], buf[1024];
	struct pd_request req;
	struct pd_verdict v;

	snprintf(path, sizeof(path), "%s/%s", dir, c->file);
	snprintf(uri, sizeof(uri), "lmdb:%s", path);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	assert_int_equal(build("alice@lab.example alice@lab.example sales@lab.example\n", uri), 0);
	snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nsender_login_db = %s\n" LOGIN, uri);
	struct pd_conf *conf = pd_conf_load_string(text, stderr);

	assert_non_null(conf);
	parse_words("protocol_state=RCPT sasl_username=alice@lab.example sender=sales@lab.example",
		    buf, sizeof(buf), &req);
	pd_rules_eval(conf->rules, NULL, &req, &v, NULL, NULL);
	assert_string_equal(v.action, "DUNNO");
	if (c->remove_first) {
		unlink(path);
		unlink(lock);
	}
	assert_int_equal(build("alice@lab.example alice@lab.example\n", uri), 0);
	pd_rules_eval(conf->rules, NULL, &req, &v, NULL, NULL);
	assert_string_equal(v.action,
		"REJECT 5.7.1 Sender address <sales@lab.example> is not owned by login alice@lab.example");
	pd_conf_release(&conf);
}

/* An LMDB file that was never built, or gone: tempfail, never accept. */
static void test_db_unreadable(void **state)
{
	char uri[700], path[600];
	struct pd_verdict v;
	const char *words = "protocol_state=RCPT sasl_username=alice@lab.example sender=alice@lab.example";
	const char *want = "DEFER 4.3.0 Sender login map unavailable";

	snprintf(path, sizeof(path), "%s/empty.lmdb", dir);
	snprintf(uri, sizeof(uri), "lmdb:%s", path);
	FILE *f = fopen(path, "w");	/* exists, but is no built map */

	fclose(f);
	assert_int_equal(strncmp(verdict_db(uri, words, &v), want, strlen(want)), 0);

	/* Built, then removed after the config loaded. */
	snprintf(path, sizeof(path), "%s/gone.lmdb", dir);
	snprintf(uri, sizeof(uri), "lmdb:%s", path);
	assert_int_equal(build("alice@lab.example alice@lab.example\n", uri), 0);
	char text[1024], buf[1024], lock[700];
	struct pd_request req;

	snprintf(text, sizeof(text), "listen = unix:/nonexistent/x.sock\nsender_login_db = %s\n" LOGIN, uri);
	struct pd_conf *conf = pd_conf_load_string(text, stderr);

	assert_non_null(conf);
	unlink(path);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	unlink(lock);
	parse_words(words, buf, sizeof(buf), &req);
	pd_rules_eval(conf->rules, NULL, &req, &v, NULL, NULL);
	assert_int_equal(strncmp(v.action, want, strlen(want)), 0);
	pd_conf_release(&conf);
}

/* A login and entry too long for one store key: the build refuses. */
static void test_db_long_key(void **state)
{
	char uri[600], text[1200];

	snprintf(uri, sizeof(uri), "lmdb:%s/long.lmdb", dir);
	memset(text, 'a', 300);
	text[300] = ' ';
	memset(text + 301, 'b', 300);
	memcpy(text + 601, "@x\n", 4);
	assert_int_equal(build(text, uri), -1);
}

static int setup(void **state)
{
	FILE *f;

	dir = test_tmpdir();
	snprintf(map_path, sizeof(map_path), "%s/login.map", dir);
	f = fopen(map_path, "w");
	fputs(map_text, f);
	fclose(f);
	snprintf(db_uri, sizeof(db_uri), "lmdb:%s/login.lmdb", dir);
	return build(map_text, db_uri) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	test_rmtree(&dir);
	return 0;
}

int main(void)
{
	struct test_list l = { 0 };

	log_init("test_rules", 1, LOG_LEVEL_ERROR);
	tests_add_table(&l, cases, test_rule);
	static char names[sizeof(cases) / sizeof(cases[0])][200];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "lmdb map: %s", cases[i].name);
		tests_add(&l, names[i], test_rule_db, (void *) &cases[i]);
	}
	tests_add_table(&l, rebuilds, test_db_rebuild);
	tests_add(&l, "lmdb map: never built, or removed: DEFER 4.3.0", test_db_unreadable, NULL);
	tests_add(&l, "lmdb map: login and entry over a store key refused", test_db_long_key, NULL);
	tests_add(&l, "explain: every rule in order, the decider marked", test_explain, NULL);
	tests_add_table(&l, actions, test_action);
	tests_add_table(&l, bad, test_bad);
	tests_add_table(&l, maps, test_map);
	tests_add(&l, "map: over-long line refused", test_map_long_line, NULL);
	return tests_run(&l, "rules", setup, teardown);
}
