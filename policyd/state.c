/*++
 * NAME
 *	state 3
 * SUMMARY
 *	policyd's stateful rules: rate limits and greylisting
 * DESCRIPTION
 *	See state.h. Keys in the store:
 *	  pd:rl:<KEY>:<WHAT>:<WINDOW>:<index>:<value>   counter, TTL WINDOW
 *	  pd:rl:alert:<KEY>:...                        one alert per window
 *	  pd:gl:t:<net>/<sender>/<recipient>           first-seen time, or "p"
 *	  pd:gl:n:<net>                                passed triplets of a net
 *	Values from the request are lower-cased and cut to 200 bytes, so a
 *	key stays under STORE_KEY_MAX.
 * DIAGNOSTICS
 *	Config problems on err; a store error is one warning line per call
 *	and the configured store_fail_action.
 *--*/
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <messec/log.h>
#include <messec/spf.h>
#include <messec/str.h>
#include "grey_allow.h"
#include "rules.h"
#include "state.h"

enum rl_key { RK_SASL, RK_CLIENT, RK_NET, RK_SENDER };
enum rl_what { RW_MESSAGES, RW_RECIPIENTS };
enum rl_scope { RS_ANY, RS_AUTH, RS_ANON };
static const char *const key_names[] = { "sasl_username", "client_address", "client_net", "sender" };
static const char *const what_names[] = { "messages", "recipients" };

#define MAX_LIMITS 32

struct limit {
	enum rl_key key;
	enum rl_what what;
	enum rl_scope scope;
	uint64_t count;
	uint64_t window;	/* seconds */
	char prefix[64];	/* "pd:rl:KEY:WHAT:WINDOW:", built once */
	size_t plen;
};

struct pd_state {
	struct limit limits[MAX_LIMITS];
	unsigned nlimits;
	char rate_action[PD_ACTION_MAX];
	char fail_action[PD_ACTION_MAX];
	uint64_t gl_delay, gl_window, gl_expiry;
	uint64_t gl_auto;
	char gl_action[PD_ACTION_MAX];
	struct pd_grey_allow *gl_allow;	/* greylist_allow_files */
	struct ma_spf *spf;		/* greylist_spf: key on the SPF domain */
};

static time_t (*clock_fn)(void);

void pd_state_set_clock(time_t (*now_fn)(void))
{
	clock_fn = now_fn;
}

static time_t now(void)
{
	return clock_fn != NULL ? clock_fn() : time(NULL);
}

static int pick(const char *s, size_t len, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(s, names[i], len) == 0)
			return i;
	return -1;
}

/* "KEY:WHAT:N/WINDOW[:SCOPE]" */
static int parse_limit(const char *spec, struct limit *l, const char **error_r)
{
	char buf[128], *f[4] = { NULL }, *save = NULL, *p;
	int n = 0;

	if (str_copy(buf, spec, sizeof(buf)) >= sizeof(buf)) {
		*error_r = "too long";
		return -1;
	}
	for (p = strtok_r(buf, ":", &save); p != NULL && n < 4; p = strtok_r(NULL, ":", &save))
		f[n++] = p;
	if (n < 3 || p != NULL) {
		*error_r = "expected KEY:WHAT:N/WINDOW[:auth|anon|any]";
		return -1;
	}
	int k = pick(f[0], strlen(f[0]), key_names, 4);
	int w = pick(f[1], strlen(f[1]), what_names, 2);

	if (k < 0 || w < 0) {
		*error_r = k < 0 ? "KEY: sasl_username, client_address, client_net or sender" :
			"WHAT: messages or recipients";
		return -1;
	}
	l->key = (enum rl_key) k;
	l->what = (enum rl_what) w;
	char *slash = strchr(f[2], '/');

	if (slash == NULL) {
		*error_r = "expected N/WINDOW (e.g. 100/1h)";
		return -1;
	}
	*slash = '\0';
	if (ms_str_parse_uint(f[2], 1, 100000000, &l->count) < 0 ||
	    cfg_parse_time(slash + 1, &l->window, error_r) < 0 || l->window < 1 || l->window > 90 * 86400) {
		*error_r = "N: 1..100000000, WINDOW: 1s..90d";
		return -1;
	}
	l->plen = (size_t) snprintf(l->prefix, sizeof(l->prefix), "pd:rl:%s:%s:%llu:", key_names[l->key],
				    what_names[l->what], (unsigned long long) l->window);
	l->scope = RS_ANY;
	if (f[3] != NULL) {
		static const char *const scopes[] = { "any", "auth", "anon" };
		int s = pick(f[3], strlen(f[3]), scopes, 3);

		if (s < 0) {
			*error_r = "SCOPE: auth, anon or any";
			return -1;
		}
		l->scope = (enum rl_scope) s;
	}
	return 0;
}

static int copy_action(const struct cfg *cfg, const char *key, char *out, size_t size, FILE *err)
{
	const char *e;

	if (str_copy(out, cfg_str(cfg, key), size) >= size || pd_action_check(out, &e) < 0) {
		fprintf(err, "%s: %s\n", key, str_copy(out, cfg_str(cfg, key), size) >= size ? "too long" : e);
		return -1;
	}
	return 0;
}

struct pd_state *pd_state_build(const struct cfg *cfg, FILE *err)
{
	struct pd_state *st = xcalloc(1, sizeof(*st));
	size_t n = 0;
	const char *const *specs = cfg_list(cfg, "ratelimit_limits", &n);
	int bad = 0;

	if (n > MAX_LIMITS) {
		fprintf(err, "ratelimit_limits: more than %d limits\n", MAX_LIMITS);
		bad = 1;
	}
	for (size_t i = 0; i < n && i < MAX_LIMITS; i++) {
		const char *e;

		if (parse_limit(specs[i], &st->limits[st->nlimits], &e) < 0) {
			fprintf(err, "ratelimit_limits: %s: %s\n", specs[i], e);
			bad = 1;
		} else {
			st->nlimits++;
		}
	}
	bad |= copy_action(cfg, "ratelimit_action", st->rate_action, sizeof(st->rate_action), err) < 0;
	bad |= copy_action(cfg, "store_fail_action", st->fail_action, sizeof(st->fail_action), err) < 0;
	bad |= copy_action(cfg, "greylist_action", st->gl_action, sizeof(st->gl_action), err) < 0;
	st->gl_delay = cfg_time(cfg, "greylist_delay");
	st->gl_window = cfg_time(cfg, "greylist_retry_window");
	st->gl_expiry = cfg_time(cfg, "greylist_expiry");
	st->gl_auto = (uint64_t) cfg_int(cfg, "greylist_auto_allow");
	size_t nf = 0;
	const char *const *files = cfg_list(cfg, "greylist_allow_files", &nf);

	if ((st->gl_allow = pd_grey_allow_load(files, nf, err)) == NULL) {
		fprintf(err, "greylist_allow_files: not loaded\n");
		bad = 1;
	}
	if (cfg_bool(cfg, "greylist_spf")) {
		/* SPF asks DNS: only on the store workers, never in the
		   event loop (store_workers = 0 runs the rule there). */
		if (cfg_int(cfg, "store_workers") == 0) {
			fprintf(err, "greylist_spf: needs store_workers of 1 or more (SPF's DNS "
				"queries must not run in the event loop)\n");
			bad = 1;
		} else {
			unsigned ms = (unsigned) cfg_time(cfg, "greylist_spf_timeout") * 1000;
			struct ma_spf_config sc = { .dns_timeout_ms = ms, .total_timeout_ms = ms };
			const char *e;

			if ((st->spf = ma_spf_new(&sc, &e)) == NULL) {
				fprintf(err, "greylist_spf: %s\n", e);
				bad = 1;
			}
		}
	}
	if (st->gl_window <= st->gl_delay) {
		fprintf(err, "greylist_retry_window: must be longer than greylist_delay\n");
		bad = 1;
	}
	if (bad) {
		pd_state_free(&st);
		return NULL;
	}
	return st;
}

int pd_state_batchable(const struct pd_state *st)
{
	return st == NULL || st->spf == NULL;
}

void pd_state_free(struct pd_state **st)
{
	if (*st != NULL) {
		pd_grey_allow_free(&(*st)->gl_allow);
		ma_spf_free(&(*st)->spf);
	}
	free(*st);
	*st = NULL;
}

/* The store failed: log, answer the fail action (decisive unless DUNNO). */
static int store_failed_(const struct pd_state *st, const struct store *store, const char *what,
			 char *v, size_t vsize, char *said, size_t ssize)
{
	log_warnx("%s: store error (%s): answering store_fail_action %s", what,
		  store != NULL ? store_error() : "store not open", st->fail_action);
	PD_SAID(said, ssize, "store error: store_fail_action %s", st->fail_action);
	if (strcmp(st->fail_action, "DUNNO") == 0)
		return 0;	/* not decisive: the next rules still run */
	str_copy(v, st->fail_action, vsize);
	return 1;
}

#define store_failed(st, what, v, vsize, said, ssize) \
	store_failed_((st), store, (what), (v), (vsize), (said), (ssize))

/* Lower-cased, cut, cleaned request value for a key. */
static void keyval(const char *in, char *out, size_t size)
{
	ms_str_sanitize(out, size, in, 200);
	str_lower(out);
}

/* "a.b.c.0/24" of an IPv4 address (per request: no snprintf). */
static void net24(const unsigned char *b, char *out, size_t size)
{
	char t[24], *p = t;

	for (int i = 0; i < 3; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*p++ = (char) ('0' + v / 100);
		if (v >= 10)
			*p++ = (char) ('0' + v / 10 % 10);
		*p++ = (char) ('0' + v % 10);
		*p++ = '.';
	}
	memcpy(p, "0/24", 5);
	str_copy(out, t, size);
}

/* The client's /24 (IPv4) or /64 (IPv6) network as text. */
static void client_net(const char *addr, char *out, size_t size)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, addr, b) == 1) {
		net24(b, out, size);
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		char t[INET6_ADDRSTRLEN];

		if (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			net24(b + 12, out, size);
			return;
		}
		memset(b + 8, 0, 8);
		inet_ntop(AF_INET6, b, t, sizeof(t));
		snprintf(out, size, "%s/64", t);
	} else {
		keyval(addr, out, size);
	}
}

static int limit_applies(const struct limit *l, const struct pd_request *req, char *val, size_t size)
{
	int authed = pd_req_get(req, PD_A_SASL_USERNAME)[0] != '\0';

	if ((l->scope == RS_AUTH && !authed) || (l->scope == RS_ANON && authed))
		return 0;
	switch (l->key) {
	case RK_SASL:
		keyval(pd_req_get(req, PD_A_SASL_USERNAME), val, size);
		break;
	case RK_CLIENT:
		keyval(pd_req_get(req, PD_A_CLIENT_ADDRESS), val, size);
		break;
	case RK_NET:
		client_net(pd_req_get(req, PD_A_CLIENT_ADDRESS), val, size);
		break;
	case RK_SENDER:
		keyval(pd_req_get(req, PD_A_SENDER), val, size);
		break;
	}
	return val[0] != '\0';
}

int pd_rate_check(const struct pd_state *st, struct store *store, const struct pd_request *req,
		  char *v, size_t vsize, char *said, size_t ssize)
{
	int eom = strcmp(pd_req_get(req, PD_A_PROTOCOL_STATE), "END-OF-MESSAGE") == 0;
	uint64_t rcpts = 0;
	time_t t = now();

	if (eom && ms_str_parse_uint(pd_req_get(req, PD_A_RECIPIENT_COUNT), 0, 1000000, &rcpts) < 0)
		rcpts = 1;	/* missing or odd: count at least one */
	PD_SAID(said, ssize, "%u limits, none exceeded", st->nlimits);
	if (store == NULL && st->nlimits > 0)
		return store_failed(st, "ratelimit", v, vsize, said, ssize);
	for (unsigned i = 0; i < st->nlimits; i++) {
		const struct limit *l = &st->limits[i];
		char val[220], key[STORE_KEY_MAX + 1];
		int64_t cur = 0;
		int64_t delta = l->what == RW_MESSAGES ? 1 : (int64_t) rcpts;
		enum store_result r;

		if (!limit_applies(l, req, val, sizeof(val)))
			continue;
		/* "pd:rl:KEY:WHAT:WINDOW:INDEX:VALUE", per request without
		   snprintf: the prefix is the limit's, INDEX the window's. */
		char num[24], *np = num + sizeof(num);
		uint64_t idx = (uint64_t) t / l->window;
		size_t vlen = strlen(val);

		do {
			*--np = (char) ('0' + idx % 10);
			idx /= 10;
		} while (idx > 0);
		size_t nlen = (size_t) (num + sizeof(num) - np);
		int klen = (int) (l->plen + nlen + 1 + vlen);

		if ((size_t) klen >= sizeof(key))
			continue;
		memcpy(key, l->prefix, l->plen);
		memcpy(key + l->plen, np, nlen);
		key[l->plen + nlen] = ':';
		memcpy(key + l->plen + nlen + 1, val, vlen + 1);
		if (eom) {
			r = store_incr(store, key, (size_t) klen, delta, (uint32_t) l->window, &cur);
		} else {
			void *val_r = NULL;

			r = store_get(store, key, (size_t) klen, &val_r, NULL);
			if (r == STORE_OK) {
				cur = strtoll(val_r, NULL, 10);
				free(val_r);
			} else if (r == STORE_NOTFOUND) {
				r = STORE_OK;
			}
			delta = 0;
		}
		if (r != STORE_OK)
			return store_failed(st, "ratelimit", v, vsize, said, ssize);
		/* At RCPT a count already at the limit means the next message
		   would go over; at END-OF-MESSAGE the new count is compared. */
		if ((eom && (uint64_t) cur > l->count) || (!eom && (uint64_t) cur >= l->count)) {
			/* One alert per key and window, from whichever state
			   sees it first, on every host sharing the store. */
			char akey[STORE_KEY_MAX + 1];
			int alen = snprintf(akey, sizeof(akey), "pd:rl:alert:%s", key + 6);

			if (alen > 0 && (size_t) alen < sizeof(akey) &&
			    store_put_new(store, akey, (size_t) alen, "1", 1, (uint32_t) l->window) == STORE_OK)
				log_warnx("ratelimit: %s %s exceeded %llu %s per %llus (possible compromised "
					  "account or spam run)", key_names[l->key], val,
					  (unsigned long long) l->count, what_names[l->what],
					  (unsigned long long) l->window);
			str_copy(v, st->rate_action, vsize);
			PD_SAID(said, ssize, "%s %s: %lld %s in this %llus window, limit %llu: %s",
				 key_names[l->key], val, (long long) cur, what_names[l->what],
				 (unsigned long long) l->window, (unsigned long long) l->count, st->rate_action);
			return 1;
		}
	}
	return 0;
}

/*
 * greylist_spf: the sender domain SPF validated for this client (RFC 7208
 * check_host() on MAIL FROM, or postmaster@HELO for the null sender,
 * section 2.4), lower case, into dom; NULL when SPF did not pass. Any
 * other result (fail, none, temperror after the time budget, ...) keeps
 * the client network as the key: never weaker than without SPF.
 */
static const char *spf_domain(const struct pd_state *st, const struct pd_request *req,
			      char *dom, size_t size)
{
	struct ma_spf_verdict sv;
	enum ma_spf_result r;

	if (st->spf == NULL)
		return NULL;
	r = ma_spf_check(st->spf, pd_req_get(req, PD_A_CLIENT_ADDRESS), pd_req_get(req, PD_A_HELO_NAME),
			 pd_req_get(req, PD_A_SENDER), MA_SPF_ID_MAILFROM, &sv);
	log_debug("greylist: spf=%s domain=%s (%s)", ma_spf_result_name(r), sv.domain, sv.reason);
	if (r != MA_SPF_PASS || sv.domain[0] == '\0')
		return NULL;
	keyval(sv.domain, dom, size);
	return dom;
}

int pd_greylist_check(const struct pd_state *st, struct store *store, const struct pd_request *req,
		      char *v, size_t vsize, char *said, size_t ssize)
{
	char net[300], snd[220], rcpt[220], key[STORE_KEY_MAX + 1], nkey[STORE_KEY_MAX + 1], tv[32];
	char dom[256];
	void *val = NULL;
	time_t t = now();
	enum store_result r;
	const char *spf;

	if (pd_req_get(req, PD_A_SASL_USERNAME)[0] != '\0') {
		PD_SAID(said, ssize, "authenticated: never greylisted");
		return 0;
	}
	/* Large senders (rotating pools) by verified name or network,
	   before any DNS or store call. */
	if (pd_grey_allow_match(st->gl_allow, pd_req_get(req, PD_A_CLIENT_ADDRESS),
				pd_req_get(req, PD_A_CLIENT_NAME), NULL, said, ssize))
		return 0;
	/* A big sender retries from another member of its pool: with SPF
	   passing, the domain that authorised every member is the key, so
	   the retry is the same triplet (and the allowlist may name it). */
	spf = spf_domain(st, req, dom, sizeof(dom));
	if (spf != NULL && pd_grey_allow_match(st->gl_allow, NULL, NULL, spf, said, ssize))
		return 0;
	if (store == NULL)
		return store_failed(st, "greylist", v, vsize, said, ssize);
	client_net(pd_req_get(req, PD_A_CLIENT_ADDRESS), net, sizeof(net));
	keyval(pd_req_get(req, PD_A_SENDER), snd, sizeof(snd));
	keyval(pd_req_get(req, PD_A_RECIPIENT), rcpt, sizeof(rcpt));
	int klen = spf != NULL ? snprintf(key, sizeof(key), "pd:gl:t:spf:%s/%s/%s", spf, snd, rcpt) : -1;

	if (spf == NULL || klen < 0 || (size_t) klen >= sizeof(key)) {
		/* No SPF pass, or a key too long with the domain: the
		   network, as without greylist_spf. */
		klen = snprintf(key, sizeof(key), "pd:gl:t:%s/%s/%s", net, snd, rcpt);
	} else {
		snprintf(net, sizeof(net), "spf:%s", spf);
	}
	int nklen = snprintf(nkey, sizeof(nkey), "pd:gl:n:%s", net);

	if (st->gl_auto > 0) {
		r = store_get(store, nkey, (size_t) nklen, &val, NULL);
		if (r == STORE_ERROR)
			return store_failed(st, "greylist", v, vsize, said, ssize);
		if (r == STORE_OK && strtoull(val, NULL, 10) >= st->gl_auto) {
			free(val);
			PD_SAID(said, ssize, "%s %s auto-allowed", strncmp(net, "spf:", 4) == 0 ? "sender domain" : "client network", net);
			return 0;
		}
		free(val);
		val = NULL;
	}
	/* One call, new or known (store_put_new_get): put-if-absent, so two
	   MX hosts seeing the first attempt at once both defer and neither
	   resets the other's first-seen time; a known triplet's value comes
	   back from the same call (one Redis round trip, one LMDB lookup). */
	int n = snprintf(tv, sizeof(tv), "%lld", (long long) t);

	r = store_put_new_get(store, key, (size_t) klen, tv, (size_t) n, (uint32_t) st->gl_window,
			      &val, NULL);
	if (r == STORE_OK) {
		str_copy(v, st->gl_action, vsize);
		PD_SAID(said, ssize, "new triplet %s <%s> <%s>: %s", net, snd, rcpt, st->gl_action);
		return 1;
	}
	if (r != STORE_EXISTS)
		return store_failed(st, "greylist", v, vsize, said, ssize);
	if (strcmp(val, "p") == 0) {
		free(val);
		PD_SAID(said, ssize, "triplet passed before");
		return 0;
	}
	long long first = strtoll(val, NULL, 10);

	free(val);
	if (t - first < (time_t) st->gl_delay) {
		str_copy(v, st->gl_action, vsize);
		PD_SAID(said, ssize, "retry after %llds, before the %llus delay: %s", t - first,
			 (unsigned long long) st->gl_delay, st->gl_action);
		return 1;
	}
	r = store_put(store, key, (size_t) klen, "p", 1, (uint32_t) st->gl_expiry);
	if (r == STORE_OK && st->gl_auto > 0)
		r = store_incr(store, nkey, (size_t) nklen, 1, (uint32_t) st->gl_expiry, NULL);
	if (r != STORE_OK)
		return store_failed(st, "greylist", v, vsize, said, ssize);
	PD_SAID(said, ssize, "retry after %llds: passes", t - first);
	return 0;
}
