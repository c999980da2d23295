/*++
 * NAME
 *	config 3
 * SUMMARY
 *	messec-policyd's configuration object
 * DESCRIPTION
 *	See config.h. The table declares every key with its bounds (Postfix
 *	style); the rules are built right after the parse, so a config whose
 *	map cannot be read fails as a whole.
 * DIAGNOSTICS
 *	Every problem on err ("path:line: key: ..." or "key: ..."); NULL.
 *--*/
#include <stdlib.h>
#include <messec/str.h>
#include "config.h"

const struct cfg_def pd_config_defs[] = {
	{"listen", CFG_LIST, "unix:/run/messec/policyd.sock", 0, 300, NULL,
		"listening sockets: unix:/path, inet:host:port, inet:[v6]:port"},
	{"socket_mode", CFG_STR, "0660", 0, 4, NULL, "octal mode of unix sockets"},
	{"socket_group", CFG_STR, "", 0, 64, NULL, "group of unix sockets (e.g. postfix)"},
	{"user", CFG_STR, "messec", 0, 64, NULL, "run as this user after binding"},
	{"group", CFG_STR, "", 0, 64, NULL, "run as this group (default: the user's)"},
	{"pid_file", CFG_STR, "", 0, 1024, NULL, "pid file (empty: none)"},
	{"log_level", CFG_ENUM, "info", 0, 0, "debug|info|notice|warning|error", "log level"},
	{"metrics_listen", CFG_STR, "", 0, 300, NULL, "Prometheus endpoint inet:host:port"},
	{"max_connections", CFG_INT, "4096", 1, 100000, NULL, "concurrent client connections"},
	{"idle_timeout", CFG_TIME, "600s", 1, 86400, NULL, "close a connection idle this long"},
	{"max_line", CFG_SIZE, "4096", 256, 65536, NULL, "longest request line"},
	{"max_request", CFG_SIZE, "32K", 1024, 1048576, NULL, "longest request"},
	{"max_attributes", CFG_INT, "100", 8, 1000, NULL, "most lines in a request"},
	{"rcpt_rules", CFG_LIST, "allow deny", 0, 64, NULL,
		"rules at protocol_state=RCPT, in order"},
	{"eom_rules", CFG_LIST, "", 0, 64, NULL, "rules at protocol_state=END-OF-MESSAGE"},
	{"allow_clients", CFG_CIDRS, "", 0, 0, NULL, "allow: client networks"},
	{"allow_client_names", CFG_LIST, "", 0, 4096, NULL, "allow: client name suffixes"},
	{"allow_senders", CFG_LIST, "", 0, 4096, NULL, "allow: sender addresses/domains"},
	{"allow_recipients", CFG_LIST, "", 0, 4096, NULL, "allow: recipient addresses/domains"},
	{"allow_sasl_users", CFG_LIST, "", 0, 4096, NULL, "allow: SASL logins"},
	{"allow_action", CFG_STR, "DUNNO", 0, 512, NULL, "verdict of an allow-list match"},
	{"deny_clients", CFG_CIDRS, "", 0, 0, NULL, "deny: client networks"},
	{"deny_client_names", CFG_LIST, "", 0, 4096, NULL, "deny: client name suffixes"},
	{"deny_senders", CFG_LIST, "", 0, 4096, NULL, "deny: sender addresses/domains"},
	{"deny_recipients", CFG_LIST, "", 0, 4096, NULL, "deny: recipient addresses/domains"},
	{"deny_sasl_users", CFG_LIST, "", 0, 4096, NULL, "deny: SASL logins"},
	{"deny_action", CFG_STR, "REJECT 5.7.1 Access denied", 0, 512, NULL,
		"verdict of a deny-list match"},
	{"sender_login_map", CFG_PATH, "", 0, 0, NULL, "login -> owned senders map file"},
	{"sender_login_db", CFG_STR, "", 0, 1024, NULL,
		"login -> owned senders map in LMDB (lmdb:/path, --build-login-map)"},
	{"sender_login_null_sender", CFG_ENUM, "allow", 0, 0, "allow|reject",
		"authenticated mail with the null sender"},
	{"recipient_delimiter", CFG_STR, "+", 0, 8, NULL, "address extension delimiters"},
	{"sender_login_local_domains", CFG_LIST, "", 0, 4096, NULL,
		"local domains: their senders need authentication"},
	{"sender_login_trusted_clients", CFG_CIDRS, "127.0.0.0/8 ::1", 0, 0, NULL,
		"clients that may use local senders without authentication"},
	{"store", CFG_STR, "lmdb:/var/lib/messec/policyd.lmdb", 0, 1024, NULL,
		"state store: lmdb:/path or redis://host[:port][/db]"},
	{"store_workers", CFG_INT, "4", 0, 64, NULL,
		"threads running the store calls (0: in the event loop)"},
	{"store_fail_action", CFG_STR, "DUNNO", 0, 512, NULL,
		"verdict of ratelimit/greylist when the store fails"},
	{"ratelimit_limits", CFG_LIST, "", 0, 2048, NULL,
		"KEY:WHAT:N/WINDOW[:auth|anon|any] ..."},
	{"ratelimit_action", CFG_STR, "DEFER 4.7.1 Rate limit exceeded, try again later", 0, 512, NULL,
		"verdict over a rate limit"},
	{"greylist_delay", CFG_TIME, "300s", 0, 86400, NULL, "retry not accepted before this"},
	{"greylist_retry_window", CFG_TIME, "2d", 1, 2592000, NULL, "retry accepted until this"},
	{"greylist_expiry", CFG_TIME, "35d", 1, 31536000, NULL, "a passed triplet is remembered this long"},
	{"greylist_auto_allow", CFG_INT, "5", 0, 1000000, NULL,
		"passed triplets that exempt a client network (0: never)"},
	{"greylist_allow_files", CFG_LIST, "", 0, 1024, NULL,
		"files of large senders never greylisted (verified client names, SPF domains, networks)"},
	{"greylist_spf", CFG_BOOL, "no", 0, 0, NULL,
		"key the triplet on the SPF-validated sender domain when SPF passes"},
	{"greylist_spf_timeout", CFG_TIME, "3s", 1, 30, NULL, "DNS time budget of one SPF check"},
	{"greylist_action", CFG_STR, "DEFER_IF_PERMIT 4.7.1 Greylisted, please try again later", 0, 512,
		NULL, "verdict of a greylisted attempt"},
	CFG_END
};

static void conf_free(struct daemon_ref *ref)
{
	struct pd_conf *c = DAEMON_CONF(ref, struct pd_conf, ref);

	pd_rules_free(&c->rules);
	cfg_free(&c->cfg);
	free(c);
}

static struct pd_conf *from_cfg(struct cfg *cfg, FILE *err)
{
	struct pd_conf *c;
	struct pd_rules *rules;

	if (cfg == NULL)
		return NULL;
	/* Every listen address parses (they are bound at startup only). */
	size_t nl = 0;
	const char *const *ls = cfg_list(cfg, "listen", &nl);
	int bad = nl == 0;

	if (nl == 0)
		fprintf(err, "listen: at least one address is needed\n");
	for (size_t i = 0; i < nl; i++) {
		struct sock_addr a;
		const char *e;

		if (sock_addr_parse(ls[i], &a, &e) < 0) {
			fprintf(err, "listen: %s: %s\n", ls[i], e);
			bad = 1;
		}
	}
	if (bad) {
		cfg_free(&cfg);
		return NULL;
	}
	if ((rules = pd_rules_build(cfg, err)) == NULL) {
		cfg_free(&cfg);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->rules = rules;
	c->limits.max_line = cfg_size(cfg, "max_line");
	c->limits.max_request = cfg_size(cfg, "max_request");
	c->limits.max_attributes = (unsigned) cfg_int(cfg, "max_attributes");
	c->idle_timeout = (unsigned) cfg_time(cfg, "idle_timeout");
	c->ref.refs = 1;
	c->ref.free = conf_free;
	return c;
}

struct daemon_ref *pd_conf_load(const char *path, FILE *err)
{
	int n = 0;
	struct pd_conf *c = from_cfg(cfg_load(pd_config_defs, path, 0, err, &n), err);

	return c != NULL ? &c->ref : NULL;
}

struct pd_conf *pd_conf_load_string(const char *text, FILE *err)
{
	int n = 0;

	return from_cfg(cfg_load_string(pd_config_defs, "test.conf", text, err, &n), err);
}

/* pd_conf_install/acquire/release: the skeleton's swap (daemon.h). */
DAEMON_CONF_ACCESSORS(pd_conf, struct pd_conf, ref)
