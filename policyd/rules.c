/*++
 * NAME
 *	rules 3
 * SUMMARY
 *	policyd's rules: built from the config, evaluated per request
 * DESCRIPTION
 *	See rules.h. A rule is a function that looks at the request and
 *	either decides (fills the verdict, returns 1) or passes (returns 0,
 *	with what it saw for --explain). Everything a request is compared
 *	with was lower-cased once at build time.
 * DIAGNOSTICS
 *	Build problems on err; evaluation never fails (no I/O).
 *--*/
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <messec/cidr.h>
#include <messec/log.h>
#include <messec/str.h>
#include "rules.h"
#include "sender_login.h"
#include "state.h"

const char pd_rule_names[] = "allow|deny|sender_login|ratelimit|greylist|none";

enum rule_kind { R_ALLOW, R_DENY, R_SENDER_LOGIN, R_RATELIMIT, R_GREYLIST };
static const char *const kind_names[] = { "allow", "deny", "sender_login", "ratelimit", "greylist" };

#define MAX_RULES 16

/* One allow or deny list. */
struct list {
	const struct cidr_list *clients;	/* owned by the cfg */
	char **client_names;			/* NULL-terminated, lower case */
	char **senders, **recipients, **sasl_users;
	char action[PD_ACTION_MAX];
};

struct pd_rules {
	struct list allow, deny;
	struct pd_login_map *login_map;		/* NULL: no map file */
	struct pd_login_db *login_db;		/* NULL: no LMDB map */
	struct pd_state *state;
	int null_sender_reject;
	char delim[16];
	char **local_domains;
	const struct cidr_list *trusted;
	enum rule_kind rcpt[MAX_RULES], eom[MAX_RULES];
	unsigned nrcpt, neom;
};

/* ---- building ---- */

static char **words_lower(const struct cfg *cfg, const char *key)
{
	size_t n = 0;
	const char *const *w = cfg_list(cfg, key, &n);
	char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		out[i] = xstrdup(w[i]);
		str_lower(out[i]);
	}
	return out;
}

static void words_free(char ***words)
{
	if (*words == NULL)
		return;
	for (char **w = *words; *w != NULL; w++)
		free(*w);
	free(*words);
	*words = NULL;
}

int pd_action_check(const char *action, const char **error_r)
{
	static const char *const verbs[] = { "DUNNO", "OK", "REJECT", "DEFER", "DEFER_IF_PERMIT",
		"DEFER_IF_REJECT", "HOLD", "PREPEND", "WARN", "DISCARD", NULL };
	size_t vlen = strcspn(action, " \t");
	const char *text = action + vlen;
	int known = 0;

	for (int i = 0; verbs[i] != NULL; i++)
		if (strlen(verbs[i]) == vlen && strncmp(verbs[i], action, vlen) == 0)
			known = 1;
	if (!known) {
		*error_r = "unknown action (expected DUNNO, OK, REJECT, DEFER, DEFER_IF_PERMIT, "
			"DEFER_IF_REJECT, HOLD, PREPEND, WARN or DISCARD)";
		return -1;
	}
	while (*text == ' ' || *text == '\t')
		text++;
	/* RFC 3463 section 3.1: the class digit of a permanent failure is
	   5, of a transient one 4; Postfix keeps the code we give. */
	char want = strncmp(action, "REJECT", vlen) == 0 && vlen == 6 ? '5' :
		strncmp(action, "DEFER", 5) == 0 ? '4' : 0;
	if (want && *text != '\0') {
		if (text[0] != want || text[1] != '.') {
			*error_r = want == '5' ? "REJECT text must start with a 5.x.x code (RFC 3463)" :
				"DEFER text must start with a 4.x.x code (RFC 3463)";
			return -1;
		}
	}
	if (vlen == 7 && strncmp(action, "PREPEND", 7) == 0 && *text == '\0') {
		*error_r = "PREPEND needs a header";
		return -1;
	}
	return 0;
}

static int build_list(struct list *l, const struct cfg *cfg, const char *pfx, FILE *err)
{
	char key[64];
	const char *e;

	snprintf(key, sizeof(key), "%s_clients", pfx);
	l->clients = cfg_cidrs(cfg, key);
	snprintf(key, sizeof(key), "%s_client_names", pfx);
	l->client_names = words_lower(cfg, key);
	snprintf(key, sizeof(key), "%s_senders", pfx);
	l->senders = words_lower(cfg, key);
	snprintf(key, sizeof(key), "%s_recipients", pfx);
	l->recipients = words_lower(cfg, key);
	snprintf(key, sizeof(key), "%s_sasl_users", pfx);
	l->sasl_users = words_lower(cfg, key);
	snprintf(key, sizeof(key), "%s_action", pfx);
	if (str_copy(l->action, cfg_str(cfg, key), sizeof(l->action)) >= sizeof(l->action)) {
		fprintf(err, "%s: longer than %d bytes\n", key, PD_ACTION_MAX - 1);
		return -1;
	}
	if (pd_action_check(l->action, &e) < 0) {
		fprintf(err, "%s: %s\n", key, e);
		return -1;
	}
	return 0;
}

static int build_order(const struct cfg *cfg, const char *key, enum rule_kind *out,
		       unsigned *n_r, FILE *err)
{
	size_t n = 0;
	const char *const *w = cfg_list(cfg, key, &n);
	int bad = 0;

	*n_r = 0;
	if (n > MAX_RULES) {
		fprintf(err, "%s: more than %d rules\n", key, MAX_RULES);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int k = -1;

		for (int j = 0; j < (int) (sizeof(kind_names) / sizeof(kind_names[0])); j++)
			if (strcmp(w[i], kind_names[j]) == 0)
				k = j;
		if (k < 0) {
			fprintf(err, "%s: %s: unknown rule (expected allow, deny, sender_login, ratelimit, greylist)\n", key, w[i]);
			bad = 1;
			continue;
		}
		out[(*n_r)++] = (enum rule_kind) k;
	}
	return bad ? -1 : 0;
}

static int uses(const struct pd_rules *r, enum rule_kind k)
{
	for (unsigned i = 0; i < r->nrcpt; i++)
		if (r->rcpt[i] == k)
			return 1;
	for (unsigned i = 0; i < r->neom; i++)
		if (r->eom[i] == k)
			return 1;
	return 0;
}

struct pd_rules *pd_rules_build(const struct cfg *cfg, FILE *err)
{
	struct pd_rules *r = xcalloc(1, sizeof(*r));
	int bad = 0;
	const char *map = cfg_path(cfg, "sender_login_map");
	const char *db = cfg_str(cfg, "sender_login_db");

	bad |= build_list(&r->allow, cfg, "allow", err) < 0;
	bad |= build_list(&r->deny, cfg, "deny", err) < 0;
	bad |= build_order(cfg, "rcpt_rules", r->rcpt, &r->nrcpt, err) < 0;
	bad |= build_order(cfg, "eom_rules", r->eom, &r->neom, err) < 0;
	r->null_sender_reject = cfg_enum(cfg, "sender_login_null_sender") == 1;
	if (str_copy(r->delim, cfg_str(cfg, "recipient_delimiter"), sizeof(r->delim)) >= sizeof(r->delim)) {
		fprintf(err, "recipient_delimiter: too long\n");
		bad = 1;
	}
	r->local_domains = words_lower(cfg, "sender_login_local_domains");
	r->trusted = cfg_cidrs(cfg, "sender_login_trusted_clients");
	if (map[0] != '\0' && db[0] != '\0') {
		fprintf(err, "sender_login_db: set together with sender_login_map (use one)\n");
		bad = 1;
	} else if (db[0] != '\0') {
		if ((r->login_db = pd_login_db_new(db, err)) == NULL) {
			fprintf(err, "sender_login_db: %s: not usable\n", db);
			bad = 1;
		}
	} else if (map[0] != '\0') {
		r->login_map = pd_login_map_load(map, err);
		if (r->login_map == NULL) {
			fprintf(err, "sender_login_map: %s: not loaded\n", map);
			bad = 1;
		}
	} else if (!bad && uses(r, R_SENDER_LOGIN)) {
		/* Never fail open: a sender_login rule without a map would
		   let every login use every sender. */
		fprintf(err, "sender_login_map (or sender_login_db): required by the sender_login rule\n");
		bad = 1;
	}
	if (!bad && (r->state = pd_state_build(cfg, err)) == NULL)
		bad = 1;
	if (!bad && (uses(r, R_RATELIMIT) || uses(r, R_GREYLIST)) && cfg_str(cfg, "store")[0] == '\0') {
		fprintf(err, "store: required by the ratelimit and greylist rules\n");
		bad = 1;
	}
	/* store_workers = 0 runs the store calls in the event loop: fine
	   for LMDB (local transactions), not for Redis (network waits). */
	if (!bad && (uses(r, R_RATELIMIT) || uses(r, R_GREYLIST)) && cfg_int(cfg, "store_workers") == 0 &&
	    strncmp(cfg_str(cfg, "store"), "redis:", 6) == 0) {
		fprintf(err, "store_workers: 0 runs the store calls in the event loop: only with an lmdb: "
			"store (a Redis call waits on the network)\n");
		bad = 1;
	}
	if (bad) {
		pd_rules_free(&r);
		return NULL;
	}
	return r;
}

static void list_free(struct list *l)
{
	words_free(&l->client_names);
	words_free(&l->senders);
	words_free(&l->recipients);
	words_free(&l->sasl_users);
}

void pd_rules_free(struct pd_rules **rules)
{
	struct pd_rules *r = *rules;

	if (r == NULL)
		return;
	list_free(&r->allow);
	list_free(&r->deny);
	words_free(&r->local_domains);
	pd_login_map_free(&r->login_map);
	pd_login_db_free(&r->login_db);
	pd_state_free(&r->state);
	free(r);
	*rules = NULL;
}

/* ---- matching ---- */

/* name equals suffix, or ends with "." suffix; a suffix written ".x"
   matches subdomains only. Both lower case. */
static int suffix_match(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (suffix[0] == '.')
		return n > s && strcmp(name + n - s, suffix) == 0;
	if (n == s)
		return strcmp(name, suffix) == 0;
	return n > s && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0;
}

/*
 * An address list entry: "user@domain" (that address), "@domain" or
 * "domain" (every address in the domain), ".domain" (its subdomains),
 * "<>" (the null sender). addr is lower case.
 */
static int addr_match(const char *addr, const char *entry)
{
	const char *at = strrchr(addr, '@');

	if (strcmp(entry, "<>") == 0)
		return addr[0] == '\0';
	if (addr[0] == '\0')
		return 0;
	if (strchr(entry, '@') != NULL && entry[0] != '@')
		return strcmp(addr, entry) == 0;
	if (at == NULL)
		return 0;
	if (entry[0] == '@')
		return strcmp(at + 1, entry + 1) == 0;
	if (entry[0] == '.')
		return suffix_match(at + 1, entry);
	return strcmp(at + 1, entry) == 0;
}

static const char *lower_copy(const char *s, char *buf, size_t size)
{
	if (str_copy(buf, s, size) >= size)
		return NULL;	/* too long to be anything we list */
	str_lower(buf);
	return buf;
}

/* Which item of the list matches (for the verdict log), or NULL. */
static const char *list_match(const struct list *l, const struct pd_request *req,
			      char *why, size_t size)
{
	char buf[1024];
	const char *v;
	const char *client = pd_req_get(req, PD_A_CLIENT_ADDRESS);

	if (client[0] != '\0' && l->clients != NULL && cidr_list_match_str(l->clients, client)) {
		snprintf(why, size, "client %s", client);
		return why;
	}
	struct { char **words; enum pd_attr a; const char *label; int addr; } k[] = {
		{ l->client_names, PD_A_CLIENT_NAME, "client name", 0 },
		{ l->senders, PD_A_SENDER, "sender", 1 },
		{ l->recipients, PD_A_RECIPIENT, "recipient", 1 },
		{ l->sasl_users, PD_A_SASL_USERNAME, "sasl_username", 2 },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (k[i].words[0] == NULL || req->attr[k[i].a] == NULL)
			continue;
		if ((v = lower_copy(req->attr[k[i].a], buf, sizeof(buf))) == NULL)
			continue;
		if (k[i].addr != 1 && v[0] == '\0')
			continue;	/* no name, no login: nothing to list */
		for (char **w = k[i].words; *w != NULL; w++) {
			int hit = k[i].addr == 1 ? addr_match(v, *w) :
				k[i].addr == 2 ? strcmp(v, *w) == 0 :
				strcmp(v, "unknown") != 0 && suffix_match(v, *w);

			if (hit) {
				snprintf(why, size, "%s %s", k[i].label, *w);
				return why;
			}
		}
	}
	return NULL;
}

static int rule_list(const struct list *l, const char *name, const struct pd_request *req,
		     struct pd_verdict *v, char *said, size_t size)
{
	char why[300];

	if (list_match(l, req, why, sizeof(why)) == NULL) {
		PD_SAID(said, size, "no %s entry matches", name);
		return 0;
	}
	str_copy(v->action, l->action, sizeof(v->action));
	PD_SAID(said, size, "%s listed: %s", why, l->action);
	return 1;
}

static int in_words(char **words, const char *s)
{
	for (char **w = words; *w != NULL; w++)
		if (strcmp(*w, s) == 0)
			return 1;
	return 0;
}

static int rule_sender_login(const struct pd_rules *r, const struct pd_request *req,
			     struct pd_verdict *v, char *said, size_t size)
{
	const char *login = pd_req_get(req, PD_A_SASL_USERNAME);
	const char *sender = pd_req_get(req, PD_A_SENDER);
	char clean[210], lc[600];

	ms_str_sanitize(clean, sizeof(clean), sender, 200);
	if (login[0] == '\0') {
		/* Unauthenticated: only a sender in a local domain from a
		   client outside the trusted networks is refused. */
		const char *at = strrchr(sender, '@');
		const char *client = pd_req_get(req, PD_A_CLIENT_ADDRESS);

		if (at == NULL || r->local_domains[0] == NULL ||
		    lower_copy(at + 1, lc, sizeof(lc)) == NULL || !in_words(r->local_domains, lc)) {
			PD_SAID(said, size, "not authenticated, sender not in a local domain");
			return 0;
		}
		if (r->trusted != NULL && cidr_list_match_str(r->trusted, client)) {
			PD_SAID(said, size, "not authenticated, local sender from a trusted client");
			return 0;
		}
		snprintf(v->action, sizeof(v->action),
			 "REJECT 5.7.1 Sender address <%s> in a local domain needs authentication",
			 clean);
		PD_SAID(said, size, "not authenticated, local sender <%s> from outside: reject", clean);
		return 1;
	}
	if (sender[0] == '\0' && !r->null_sender_reject) {
		PD_SAID(said, size, "null sender allowed (sender_login_null_sender = allow)");
		return 0;
	}
	int own = sender[0] == '\0' ? 0 : r->login_db != NULL ?
		pd_login_db_owns(r->login_db, login, sender, r->delim) :
		pd_login_map_owns(r->login_map, login, sender, r->delim);
	char user[210];

	ms_str_sanitize(user, sizeof(user), login, 200);
	if (own == 1) {
		PD_SAID(said, size, "login owns <%s>", clean);
		return 0;
	}
	if (own < 0) {
		/* The map could not be read: never an accept, never a
		   reject for what we could not check. RFC 3463 4.3.0:
		   other mail system status, transient. */
		str_copy(v->action, "DEFER 4.3.0 Sender login map unavailable, try again later",
			 sizeof(v->action));
		PD_SAID(said, size, "login map unreadable for %s <%s>: defer", user, clean);
		return 1;
	}
	snprintf(v->action, sizeof(v->action),
		 "REJECT 5.7.1 Sender address <%s> is not owned by login %s", clean, user);
	PD_SAID(said, size, "login %s does not own <%s>: reject", user, clean);
	return 1;
}

int pd_rules_batchable(const struct pd_rules *r)
{
	return pd_state_batchable(r->state);
}

int pd_rules_stateful(const struct pd_rules *r, const char *state)
{
	const enum rule_kind *order = NULL;
	unsigned n = 0;

	if (strcmp(state, "RCPT") == 0) {
		order = r->rcpt;
		n = r->nrcpt;
	} else if (strcmp(state, "END-OF-MESSAGE") == 0) {
		order = r->eom;
		n = r->neom;
	}
	for (unsigned i = 0; i < n; i++)
		if (order[i] == R_RATELIMIT || order[i] == R_GREYLIST)
			return 1;
	return 0;
}

void pd_rules_eval(const struct pd_rules *r, struct store *store, const struct pd_request *req,
		   struct pd_verdict *v, pd_explain_fn *explain, void *ctx)
{
	const char *state = pd_req_get(req, PD_A_PROTOCOL_STATE);
	const enum rule_kind *order = NULL;
	unsigned n = 0;
	char said[2 * PD_ACTION_MAX];
	size_t ssize = explain != NULL ? sizeof(said) : 0;	/* 0: no text */

	str_copy(v->action, "DUNNO", sizeof(v->action));
	v->rule = "none";
	if (strcmp(state, "RCPT") == 0) {
		order = r->rcpt;
		n = r->nrcpt;
	} else if (strcmp(state, "END-OF-MESSAGE") == 0) {
		order = r->eom;
		n = r->neom;
	}
	for (unsigned i = 0; i < n; i++) {
		int d = 0;

		switch (order[i]) {
		case R_ALLOW:
			d = rule_list(&r->allow, "allow", req, v, said, ssize);
			break;
		case R_DENY:
			d = rule_list(&r->deny, "deny", req, v, said, ssize);
			break;
		case R_SENDER_LOGIN:
			d = rule_sender_login(r, req, v, said, ssize);
			break;
		case R_RATELIMIT:
			d = pd_rate_check(r->state, store, req, v->action, sizeof(v->action), said, ssize);
			break;
		case R_GREYLIST:
			d = pd_greylist_check(r->state, store, req, v->action, sizeof(v->action), said, ssize);
			break;
		}
		if (explain != NULL)
			explain(ctx, kind_names[order[i]], said, d);
		if (d) {
			v->rule = kind_names[order[i]];
			return;
		}
	}
	if (explain != NULL && n == 0)
		explain(ctx, "none", "no rule for this protocol_state", 0);
}
