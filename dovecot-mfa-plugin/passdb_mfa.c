/*++
/* NAME
/*	passdb_mfa 3
/* SUMMARY
/*	Dovecot 2.3 glue: passdb driver "mfa" (libauthdb_mfa.so)
/* SYNOPSIS
/*	passdb {
/*	  driver = mfa
/*	  args = store=/var/lib/messec/mfa.lmdb
/*	  result_success = return-ok
/*	  result_failure = return-fail
/*	  result_internalfail = return-fail
/*	}
/*	passdb { driver = passwd-file ... }   # checks the real password
/* DESCRIPTION
/*	The thin layer between Dovecot 2.3's auth process and mfa_policy.c:
/*	it pulls user, password, service and remote IP out of the request,
/*	calls mfa_policy_check(), logs one line and maps the verdict:
/*	  NEXT (valid code)   -> cut the code off request->mech_password, then
/*	                         PASSDB_RESULT_NEXT: the next passdb checks the
/*	                         real password (2.3 forces "continue" for NEXT,
/*	                         whatever result_* say: auth-request.c
/*	                         auth_request_handle_passdb_callback);
/*	  PASS_THROUGH        -> PASSDB_RESULT_NEXT, password unchanged;
/*	  APP_OK              -> PASSDB_RESULT_OK (result_success applies);
/*	  FAIL                -> PASSDB_RESULT_PASSWORD_MISMATCH (result_failure);
/*	  INTERNAL            -> PASSDB_RESULT_INTERNAL_FAILURE.
/*	Only verify_plain exists: mechanisms that need credentials (CRAM-MD5,
/*	DIGEST-MD5, SCRAM) get "scheme not available" and fail.
/*
/*	init() walks every auth service's passdb chain (the exported "auths"
/*	array) and refuses to start (i_fatal) on a chain that could let a
/*	login through without a code; docs/mfa.md gives the reasoning.
/*
/*	A Dovecot 2.4 glue (settings module, new preinit) would be another
/*	file of this size; mfa_policy.c and below have no Dovecot types.
/* TRUST BOUNDARY
/*	Runs inside Dovecot's auth process (user $default_internal_user after
/*	init; preinit runs as root). Its input is the client's login.
/*	verify_plain blocks only briefly: the store is a local LMDB file
/*	(its environment kept open between logins and re-checked by stat()
/*	each time, mfa_store.h; with store_sync=periodic a commit writes to
/*	the page cache and a timeout flushes it within
/*	MFA_STORE_SYNC_INTERVAL_MS, and at deinit), or Redis with redis_timeout (a few ms) on every
/*	connect and round trip, the first error ending the login as an
/*	internal failure. The callback is called exactly once.
/*--*/
#include "auth-common.h"
#include "array.h"
#include "ioloop.h"
#include "net.h"
#include "safe-memset.h"
#include "str-sanitize.h"
#include "passdb.h"
#include "auth.h"

#include "mfa_policy.h"

#define MFA_EXPORT __attribute__((visibility("default")))

struct mfa_passdb_module {
	struct passdb_module module;
	struct mfa_settings set;
	struct timeout *to_sync;	/* flush of a periodic LMDB store */
};

static struct passdb_module *mfa_preinit(pool_t pool, const char *args)
{
	struct mfa_passdb_module *module;
	const char *error;

	module = p_new(pool, struct mfa_passdb_module, 1);
	mfa_settings_init(&module->set);
	if (mfa_settings_parse_args(&module->set, args, &error) < 0 ||
	    mfa_settings_finish(&module->set, &error) < 0)
		i_fatal("passdb mfa: %s", error);
	/* Never cache: every login must consume a code. Not blocking: the
	   work is local, or bounded by redis_timeout (see the file header). */
	module->module.default_cache_key = NULL;
	module->module.blocking = FALSE;
	/* Only the plugin keeps the LMDB environment open (opened lazily,
	   after the auth process has dropped root) and defers its syncs;
	   the CLI keeps the defaults. */
	if (!mfa_store_is_redis(module->set.store))
		mfa_store_set_caching(1, (enum mfa_store_sync)module->set.store_sync);
	return &module->module;
}

static const char *service_name(const struct auth *auth)
{
	return auth->service == NULL || auth->service[0] == '\0' ?
		"(default)" : auth->service;
}

static bool rule_is_return_fail(enum auth_db_rule rule)
{
	return rule == AUTH_DB_RULE_RETURN_FAIL || rule == AUTH_DB_RULE_RETURN;
}

/* Check one chain holding the mfa passdb p; i_fatal on an unsafe one. */
static void mfa_check_passdb(const struct auth *auth,
			     const struct auth_passdb *first,
			     const struct auth_passdb *p)
{
	const char *svc = service_name(auth);
	const struct auth_passdb *q;

	/* A passdb before mfa that can succeed lets a login in without a
	   code. Only deny passdbs may come first. */
	for (q = first; q != p; q = q->next) {
		if (!q->set->deny)
			i_fatal("passdb mfa: service %s: passdb %s (driver=%s) comes before mfa "
				"and could authenticate without a code; put mfa first",
				svc, q->set->name[0] != '\0' ? q->set->name : "", q->set->driver);
	}
	if (p->set->deny || p->set->master || p->set->pass)
		i_fatal("passdb mfa: service %s: deny, master and pass must not be set on the mfa passdb", svc);
	/* Debian 12's 2.3.19.1+dfsg1-2.1+deb12u7 keeps mechanisms and
	   username_filter in struct auth_passdb (upstream 2.3.19.1 has them
	   in struct passdb_module): build against the installed headers. */
	if (p->skip != AUTH_PASSDB_SKIP_NEVER || p->mechanisms != NULL ||
	    p->username_filter != NULL)
		i_fatal("passdb mfa: service %s: skip, mechanisms and username_filter must not be "
			"set on the mfa passdb (a skipped mfa passdb leaves the next passdb "
			"to accept the password alone)", svc);
	/* A failure or internal failure that continues hands the whole
	   input (password+code, or the bare password) to the next passdb:
	   "right password, no code" would get in. */
	if (!rule_is_return_fail(p->result_failure))
		i_fatal("passdb mfa: service %s: result_failure must be return-fail", svc);
	if (!rule_is_return_fail(p->result_internalfail))
		i_fatal("passdb mfa: service %s: result_internalfail must be return-fail", svc);
	/* OK comes only from an app password; it must end the chain. (A
	   valid code returns NEXT, which continues regardless.) */
	if (p->result_success != AUTH_DB_RULE_RETURN_OK &&
	    p->result_success != AUTH_DB_RULE_RETURN)
		i_fatal("passdb mfa: service %s: result_success must be return-ok", svc);
	for (q = p->next; q != NULL; q = q->next) {
		if (!q->set->deny)
			return;
	}
	i_fatal("passdb mfa: service %s: no passdb after mfa checks the password", svc);
}

static void mfa_check_chains(struct passdb_module *module)
{
	const struct auth_passdb *p;
	struct auth *auth;
	bool found;

	array_foreach_elem(&auths, auth) {
		for (p = auth->masterdbs; p != NULL; p = p->next) {
			if (p->passdb == module)
				i_fatal("passdb mfa: service %s: mfa cannot be a master passdb",
					service_name(auth));
		}
		found = FALSE;
		for (p = auth->passdbs; p != NULL; p = p->next) {
			if (p->passdb == module) {
				mfa_check_passdb(auth, auth->passdbs, p);
				found = TRUE;
			}
		}
		if (!found && auth->passdbs != NULL)
			i_warning("passdb mfa: service %s has a passdb chain without mfa: "
				  "logins there need no code", service_name(auth));
		if (found && auth->masterdbs != NULL)
			i_warning("passdb mfa: service %s: master passdb logins are not "
				  "covered by mfa", service_name(auth));
	}
}

static void mfa_init(struct passdb_module *_module)
{
	struct mfa_passdb_module *module =
		container_of(_module, struct mfa_passdb_module, module);

	if (module->set.check_chain)
		mfa_check_chains(_module);
	else
		i_warning("passdb mfa: check_chain=no: passdb chain not checked");
}

static void mfa_sync_timeout(struct mfa_passdb_module *module)
{
	const char *error;

	timeout_remove(&module->to_sync);
	if (mfa_store_sync_cached(1, &error) < 0)
		i_error("passdb mfa: %s", error);
}

/* After a login: flush its commit within MFA_STORE_SYNC_INTERVAL_MS. */
static void mfa_sync_schedule(struct mfa_passdb_module *module)
{
	if (module->to_sync == NULL && mfa_store_sync_pending())
		module->to_sync = timeout_add(MFA_STORE_SYNC_INTERVAL_MS,
					      mfa_sync_timeout, module);
}

static void mfa_deinit(struct passdb_module *_module)
{
	struct mfa_passdb_module *module =
		container_of(_module, struct mfa_passdb_module, module);

	timeout_remove(&module->to_sync);
	/* The LMDB environment (flushed first) and the Redis connection
	   kept between logins, if any. */
	mfa_store_close_cached();
	mfa_store_release_cached();
}

static void mfa_log(struct auth_request *request, const struct mfa_decision *d)
{
	/* Decisions are logged at info level even without auth_verbose:
	   one line per login (the event filter would hide them). */
	struct event *event = event_create(authdb_event(request));

	event_set_min_log_level(event, LOG_TYPE_INFO);
	if (d->verdict == MFA_VERDICT_INTERNAL)
		e_error(event, "mfa: %s: %s", mfa_verdict_str(d->verdict),
			str_sanitize(d->reason, 200));
	else
		e_info(event, "mfa: %s: %s", mfa_verdict_str(d->verdict),
		       str_sanitize(d->reason, 200));
	event_unref(&event);
}

static void mfa_verify_plain(struct auth_request *request,
			     const char *password,
			     verify_plain_callback_t *callback)
{
	struct mfa_passdb_module *module =
		container_of(request->passdb->passdb, struct mfa_passdb_module, module);
	struct mfa_request req;
	struct mfa_decision d;
	size_t len = strlen(password);

	i_zero(&req);
	req.user = request->fields.user;
	req.password = password;
	req.password_len = len;
	req.service = request->fields.service;
	req.remote_ip = request->fields.remote_ip.family == 0 ? NULL :
		net_ip2addr(&request->fields.remote_ip);
	req.now = time(NULL);
	mfa_policy_check(&module->set, &req, &d);
	mfa_sync_schedule(module);
	mfa_log(request, &d);

	switch (d.verdict) {
	case MFA_VERDICT_NEXT:
		/* 2.3 re-runs verify_plain for the next passdb with
		   request->mech_password: cut the code off in place. */
		i_assert(password == request->mech_password &&
			 d.password_len <= len);
		safe_memset(request->mech_password + d.password_len, 0,
			    len - d.password_len);
		callback(PASSDB_RESULT_NEXT, request);
		return;
	case MFA_VERDICT_PASS_THROUGH:
		callback(PASSDB_RESULT_NEXT, request);
		return;
	case MFA_VERDICT_APP_OK:
		callback(PASSDB_RESULT_OK, request);
		return;
	case MFA_VERDICT_FAIL:
		callback(PASSDB_RESULT_PASSWORD_MISMATCH, request);
		return;
	case MFA_VERDICT_INTERNAL:
		break;
	}
	callback(PASSDB_RESULT_INTERNAL_FAILURE, request);
}

static struct passdb_module_interface passdb_mfa = {
	.name = "mfa",
	.preinit = mfa_preinit,
	.init = mfa_init,
	.deinit = mfa_deinit,
	.verify_plain = mfa_verify_plain,
	.lookup_credentials = NULL,
	.set_credentials = NULL,
};

MFA_EXPORT extern const char *authdb_mfa_version;
MFA_EXPORT const char *authdb_mfa_version = DOVECOT_ABI_VERSION;

MFA_EXPORT void authdb_mfa_init(void);
MFA_EXPORT void authdb_mfa_deinit(void);

void authdb_mfa_init(void)
{
	passdb_register_module(&passdb_mfa);
}

void authdb_mfa_deinit(void)
{
	passdb_unregister_module(&passdb_mfa);
}
