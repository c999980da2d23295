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
/*	common/'s own log lines (log_*(), messec/log.h) go to Dovecot's
/*	i_*() through mfa_log.c's handler, set when the module is loaded.
/*
/*	A Dovecot 2.4 glue (settings module, new preinit) would be another
/*	file of this size; mfa_policy.c and below have no Dovecot types.
/* THREADS
/*	The store work (LMDB commits; Redis round trips bounded by
/*	redis_timeout; the periodic LMDB flush; the app-password HMAC is
/*	microseconds, one yescrypt only for a record from before issue 19)
/*	run in one worker thread (mfa_worker.c), started at the
/*	first verify_plain (after Dovecot dropped root) and joined at the
/*	last deinit, so Dovecot's single-threaded auth event loop never
/*	waits for them. verify_plain answers the store-free cases at once
/*	(mfa_policy_precheck: user name length, service not covered, exempt
/*	network, password too long); otherwise it copies the login into a
/*	malloc'd job (never a Dovecot pool: the thread must not call any
/*	Dovecot API), takes a reference on the request (like passdb-sql.c:
/*	auth_request_ref before the query, unref after the callback) and
/*	returns. The thread signals finished jobs through a pipe watched by
/*	io_add(); mfa_worker_input() then does, in the main thread, what the
/*	synchronous code did after mfa_policy_check(): log, cut the code off
/*	request->mech_password, call the callback exactly once, unref.
/*	A request whose client went away is still referenced and completes
/*	normally (Dovecot drops the reply). One worker serves every mfa
/*	passdb of the process: the kept LMDB environment is process-wide
/*	and must have one user at a time. docs/mfa.md "Threads".
/* TRUST BOUNDARY
/*	Runs inside Dovecot's auth process (user $default_internal_user after
/*	init; preinit runs as root). Its input is the client's login.
/*	The callback is called exactly once per verify_plain: at once for a
/*	store-free decision or a failure to queue (internal failure, never
/*	success), else from mfa_worker_input(); at deinit, jobs finished are
/*	answered with their verdict and jobs never started with internal
/*	failure.
/*--*/
#include "auth-common.h"
#include "array.h"
#include "ioloop.h"
#include "net.h"
#include "safe-memset.h"
#include "str-sanitize.h"
#include "passdb.h"
#include "auth.h"

#include "mfa_log.h"
#include "mfa_policy.h"
#include "mfa_worker.h"

#define MFA_EXPORT __attribute__((visibility("default")))

struct mfa_passdb_module {
	struct passdb_module module;
	struct mfa_settings set;
};

/* One login waiting for the worker; in the request's pool (the request
   is referenced until the job is answered). */
struct mfa_pending {
	struct auth_request *request;
	const char *password;		/* request->mech_password when queued */
	size_t password_len;
	verify_plain_callback_t *callback;
};

/* The process's worker, shared by every mfa passdb (see THREADS). */
static struct {
	unsigned int modules;		/* initialised mfa passdbs */
	struct mfa_worker *worker;
	struct io *io;
} mfa_async;

static struct passdb_module *mfa_preinit(pool_t pool, const char *args)
{
	struct mfa_passdb_module *module;
	const char *error;

	module = p_new(pool, struct mfa_passdb_module, 1);
	mfa_settings_init(&module->set);
	if (mfa_settings_parse_args(&module->set, args, &error) < 0 ||
	    mfa_settings_finish(&module->set, &error) < 0)
		i_fatal("passdb mfa: %s", error);
	/* Never cache: every login must consume a code. Not blocking (no
	   auth worker processes): the slow part runs in the plugin's own
	   thread (see THREADS in the file header). */
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

	mfa_async.modules++;
	if (module->set.check_chain)
		mfa_check_chains(_module);
	else
		i_warning("passdb mfa: check_chain=no: passdb chain not checked");
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

/* Log d and answer the request: the callback, exactly once. */
static void mfa_answer(struct auth_request *request, const char *password,
		       size_t len, const struct mfa_decision *d,
		       verify_plain_callback_t *callback)
{
	mfa_log(request, d);
	switch (d->verdict) {
	case MFA_VERDICT_NEXT:
		/* 2.3 re-runs verify_plain for the next passdb with
		   request->mech_password: cut the code off in place. It is
		   the same pointer as when the job was queued (set once per
		   request, auth_request_verify_plain; freed only with the
		   request, which our reference keeps). */
		i_assert(password == request->mech_password &&
			 d->password_len <= len);
		safe_memset(request->mech_password + d->password_len, 0,
			    len - d->password_len);
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

/* A job back from the worker (or never started: stopped at deinit). */
static void mfa_job_finish(struct mfa_job *job)
{
	struct mfa_pending *pending = job->context;
	struct auth_request *request = pending->request;
	struct mfa_decision d;

	if (job->ran) {
		d = job->d;
	} else {
		i_zero(&d);
		d.verdict = MFA_VERDICT_INTERNAL;
		(void)i_strocpy(d.reason, "auth process shutting down before the check",
				sizeof(d.reason));
	}
	mfa_job_free(&job);
	mfa_answer(request, pending->password, pending->password_len, &d,
		   pending->callback);
	safe_memset(&d, 0, sizeof(d));
	auth_request_unref(&request);
}

/* The worker's pipe is readable: answer every finished job. */
static void mfa_worker_input(void *context ATTR_UNUSED)
{
	struct mfa_job *jobs, *job;
	char error[256];

	if (mfa_worker_take_error(mfa_async.worker, error, sizeof(error)))
		i_error("passdb mfa: %s", error);
	mfa_log_drain();
	jobs = mfa_worker_done(mfa_async.worker);
	while ((job = jobs) != NULL) {
		jobs = job->next;
		mfa_job_finish(job);
	}
}

/* Lazily, at the first login that needs the store: in the auth process
   proper (not in auth workers, which never get our requests), after the
   privilege drop. 0, or -1 (logged; the login fails as internal). */
static int mfa_worker_init(void)
{
	const char *error;

	if (mfa_async.worker != NULL)
		return 0;
	mfa_async.worker = mfa_worker_start(mfa_worker_run_policy, NULL, &error);
	if (mfa_async.worker == NULL) {
		i_error("passdb mfa: cannot start the worker thread: %s", error);
		return -1;
	}
	mfa_async.io = io_add(mfa_worker_fd(mfa_async.worker), IO_READ,
			      mfa_worker_input, NULL);
	return 0;
}

static void mfa_deinit(struct passdb_module *_module ATTR_UNUSED)
{
	const char *error;

	/* Only the last mfa passdb stops the worker: jobs of the others
	   still use their settings, which live until auths_free(). */
	i_assert(mfa_async.modules > 0);
	if (--mfa_async.modules > 0)
		return;
	if (mfa_async.worker != NULL) {
		/* Join first (the running job finishes), then answer what
		   is left: finished jobs with their verdict, queued ones as
		   internal failures (main.c: passdb deinit "aborts any
		   pending async requests"). The store is ours again. */
		mfa_worker_stop(mfa_async.worker);
		io_remove(&mfa_async.io);
		mfa_worker_input(NULL);
		mfa_worker_free(&mfa_async.worker);
	}
	/* The LMDB environment kept between logins (flushed first) and the
	   Redis connection of this thread, if any. */
	if (mfa_store_sync_cached(1, &error) < 0)
		i_error("passdb mfa: %s", error);
	mfa_store_close_cached();
	mfa_store_release_cached();
	mfa_log_drain();
}

static void mfa_verify_plain(struct auth_request *request,
			     const char *password,
			     verify_plain_callback_t *callback)
{
	struct mfa_passdb_module *module =
		container_of(request->passdb->passdb, struct mfa_passdb_module, module);
	struct mfa_pending *pending;
	struct mfa_request req;
	struct mfa_decision d;
	struct mfa_job *job;
	const char *error;
	size_t len = strlen(password);

	i_zero(&req);
	req.user = request->fields.user;
	req.password = password;
	req.password_len = len;
	req.service = request->fields.service;
	req.remote_ip = request->fields.remote_ip.family == 0 ? NULL :
		net_ip2addr(&request->fields.remote_ip);
	req.now = time(NULL);
	if (mfa_policy_precheck(&module->set, &req, &d)) {
		mfa_answer(request, password, len, &d, callback);
		return;
	}
	if (mfa_worker_init() < 0) {
		i_zero(&d);
		d.verdict = MFA_VERDICT_INTERNAL;
		(void)i_strocpy(d.reason, "no worker thread", sizeof(d.reason));
		mfa_answer(request, password, len, &d, callback);
		return;
	}
	pending = p_new(request->pool, struct mfa_pending, 1);
	pending->request = request;
	pending->password = password;
	pending->password_len = len;
	pending->callback = callback;
	/* Referenced until mfa_job_finish() answered it, as passdb-sql.c
	   does around its query. */
	auth_request_ref(request);
	job = mfa_job_new(&module->set, &req, pending);
	if (job == NULL || mfa_worker_submit(mfa_async.worker, job, &error) < 0) {
		i_zero(&d);
		d.verdict = MFA_VERDICT_INTERNAL;
		(void)i_strocpy(d.reason, job == NULL ? "out of memory" : error,
				sizeof(d.reason));
		mfa_job_free(&job);
		mfa_answer(request, password, len, &d, callback);
		auth_request_unref(&request);
	}
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

/* common/'s log_*() lines, into Dovecot's log (mfa_log.c queues the
   worker thread's lines for mfa_worker_input()). */
static void mfa_log_emit(enum log_level level, const char *text)
{
	switch (level) {
	case LOG_LEVEL_DEBUG:
		i_debug("passdb mfa: %s", text);
		return;
	case LOG_LEVEL_INFO:
	case LOG_LEVEL_NOTICE:
		i_info("passdb mfa: %s", text);
		return;
	case LOG_LEVEL_WARNING:
		i_warning("passdb mfa: %s", text);
		return;
	case LOG_LEVEL_ERROR:
	case LOG_LEVEL_CRIT:
		break;
	}
	i_error("passdb mfa: %s", text);
}

void authdb_mfa_init(void)
{
	mfa_log_route(mfa_log_emit);
	passdb_register_module(&passdb_mfa);
}

void authdb_mfa_deinit(void)
{
	passdb_unregister_module(&passdb_mfa);
	mfa_log_unroute();
}
