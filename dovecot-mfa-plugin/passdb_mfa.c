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
/*	Dovecot 2.4 has its own glue, passdb_mfa24.c; what both share
/*	(worker, answer, log, deinit) is passdb_mfa_common.inc, included by
/*	each and compiled against that glue's Dovecot headers.
/*	mfa_policy.c and below have no Dovecot types.
/*	THREADS and TRUST BOUNDARY: passdb_mfa_common.inc (shared with
/*	the 2.4 glue, passdb_mfa24.c).
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

/* 2.3: the request's service name. */
#define MFA_REQUEST_PROTOCOL(request) ((request)->fields.service)

static const char *service_name(const struct auth *auth)
{
	return auth->service == NULL || auth->service[0] == '\0' ?
		"(default)" : auth->service;
}

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
	   thread (THREADS in passdb_mfa_common.inc). */
	module->module.default_cache_key = NULL;
	module->module.blocking = FALSE;
	/* Only the plugin keeps the LMDB environment open (opened lazily,
	   after the auth process has dropped root) and defers its syncs;
	   the CLI keeps the defaults. */
	if (!mfa_store_is_redis(module->set.store))
		mfa_store_set_caching(1, (enum mfa_store_sync)module->set.store_sync);
	return &module->module;
}

#include "passdb_mfa_common.inc"

/* Check one chain holding the mfa passdb p; i_fatal on an unsafe one. */
static void mfa_check_passdb(const struct auth *auth,
			     const struct auth_passdb *first,
			     const struct auth_passdb *p)
{
	const char *svc = service_name(auth);

	mfa_check_before(svc, first, p);
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
	mfa_check_results_and_after(svc, p);
}
