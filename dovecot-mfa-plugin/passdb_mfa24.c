/*++
/* NAME
/*	passdb_mfa24 3
/* SUMMARY
/*	Dovecot 2.4 glue: passdb driver "mfa" (libauthdb_mfa.so for 2.4)
/* SYNOPSIS
/*	passdb mfa {
/*	  driver = mfa
/*	  mfa_config = /etc/messec/mfa.conf
/*	  result_success = return-ok
/*	  result_failure = return-fail
/*	  result_internalfail = return-fail
/*	}
/*	passdb passwd-file { ... }   # checks the real password
/* DESCRIPTION
/*	The 2.4 counterpart of passdb_mfa.c (2.3); the shared body (worker,
/*	verdict mapping, log line, deinit, verify_plain, chain walk) is
/*	passdb_mfa_common.inc. What differs in 2.4.1 (src/auth/passdb.h,
/*	auth.h, auth-settings.h, passdb-passwd-file.c):
/*	- no "args" string: the settings are Dovecot settings read with
/*	  settings_get() in preinit through passdb_mfa24_settings.c's
/*	  parser info (filter "passdb_mfa"). doveconf only accepts them
/*	  when $moduledir/settings/ has a module exporting them: the second
/*	  .so, libmessec_mfa_settings.so (same source file).
/*	  The keys are the 2.3 args keys with "mfa_" in front (mfa_store,
/*	  mfa_max_failures, ...) plus mfa_config (2.3's config=): the file is
/*	  read first, the mfa_* settings override it, as 2.3's args after
/*	  config= do. Values are strings checked by mfa_settings.c (the same
/*	  bounds and "file:line"-less errors as 2.3 args).
/*	- preinit is int (pool, event, module_r, error_r); a failure is
/*	  fatal ("passdb NAME: error", auth.c). 2.4.3 added a
/*	  passdb_parameters argument: DOVECOT_PREREQ(2, 4, 3) below.
/*	- auth->service is auth->protocol, request->fields.service is
/*	  fields.protocol, auth_passdb.mechanisms is mechanisms_filter,
/*	  passdb settings "pass" is gone.
/*	- passdb_preinit() sets module->blocking = use_worker after our
/*	  preinit: the chain check refuses use_worker = yes on mfa (the
/*	  requests would go to auth worker processes, each with its own
/*	  store handle and thread, which the design does not expect).
/*	- identical passdb blocks are no longer merged: each block is its
/*	  own module (mfa_async counts them, one worker for all).
/*	- the module ABI string is per release (DOVECOT_ABI_VERSION,
/*	  "2.4.ABIv1(2.4.1)" here): build against the target's dovecot-dev.
/* SEE ALSO
/*	passdb_mfa.c, passdb_mfa_common.inc, docs/mfa.md "Dovecot 2.4"
/*--*/
#include "auth-common.h"
#include "array.h"
#include "ioloop.h"
#include "net.h"
#include "safe-memset.h"
#include "str-sanitize.h"
#include "settings.h"
#include "passdb.h"
#include "auth.h"

#include "mfa_log.h"
#include "mfa_policy.h"
#include "mfa_worker.h"
#include "passdb_mfa24_settings.h"

#if !DOVECOT_PREREQ(2, 4, 0)
#error "passdb_mfa24.c is the Dovecot 2.4 glue: build passdb_mfa.c for 2.3"
#endif
/* 2.4.3 added a const struct passdb_parameters * (use_cache) before
   module_r (dovecot/core tags 2.4.3, 2.4.4 src/auth/passdb.h); the
   plugin never caches, so it ignores it. */
#if DOVECOT_PREREQ(2, 4, 3)
#  define MFA_PREINIT_PARAMS const struct passdb_parameters *params ATTR_UNUSED,
#else
#  define MFA_PREINIT_PARAMS
#endif

#define MFA_EXPORT __attribute__((visibility("default")))

struct mfa_passdb_module {
	struct passdb_module module;
	struct mfa_settings set;
};

/* 2.4: the request's protocol (2.3's service). */
#define MFA_REQUEST_PROTOCOL(request) ((request)->fields.protocol)

static const char *service_name(const struct auth *auth)
{
	return auth->protocol == NULL || auth->protocol[0] == '\0' ?
		"(default)" : auth->protocol;
}

/* The Dovecot settings into set: mfa_config first, then every mfa_<key>
   that is not empty, in the table's order. 0, or -1 with *error_r. */
static int mfa24_settings_apply(const struct mfa24_settings *dset,
				struct mfa_settings *set, const char **error_r)
{
	unsigned int i;
	const char *value;

	if (dset->mfa_config[0] != '\0' &&
	    mfa_settings_load_file(set, dset->mfa_config, error_r) < 0)
		return -1;
	for (i = 0; mfa24_setting_keys[i].key != NULL; i++) {
		value = *(const char *const *)CONST_PTR_OFFSET(dset,
			mfa24_setting_keys[i].offset);
		if (value[0] == '\0')
			continue;
		if (mfa_settings_set(set, mfa24_setting_keys[i].key, value, error_r) < 0) {
			*error_r = t_strdup_printf("mfa_%s: %s",
				mfa24_setting_keys[i].key, *error_r);
			return -1;
		}
	}
	return 0;
}

static int mfa_preinit(pool_t pool, struct event *event, MFA_PREINIT_PARAMS
		       struct passdb_module **module_r, const char **error_r)
{
	const struct mfa24_settings *dset;
	struct mfa_passdb_module *module;
	const char *error;
	int ret;

	if (settings_get(event, &mfa24_setting_parser_info, 0, &dset, error_r) < 0)
		return -1;
	module = p_new(pool, struct mfa_passdb_module, 1);
	mfa_settings_init(&module->set);
	ret = mfa24_settings_apply(dset, &module->set, &error);
	if (ret == 0)
		ret = mfa_settings_finish(&module->set, &error);
	settings_free(dset);
	if (ret < 0) {
		/* auth.c makes it fatal: "passdb NAME: mfa: ..." */
		*error_r = t_strdup_printf("mfa: %s", error);
		return -1;
	}
	/* Never cache: every login must consume a code. blocking is
	   overwritten with use_worker by passdb_preinit() (refused in
	   mfa_check_passdb): the slow part runs in the plugin's own
	   thread (THREADS in passdb_mfa_common.inc). */
	module->module.default_cache_key = NULL;
	module->module.blocking = FALSE;
	/* Only the plugin keeps the LMDB environment open (opened lazily,
	   after the auth process has dropped root) and defers its syncs;
	   the CLI keeps the defaults. */
	if (!mfa_store_is_redis(module->set.store))
		mfa_store_set_caching(1, (enum mfa_store_sync)module->set.store_sync);
	*module_r = &module->module;
	return 0;
}

#include "passdb_mfa_common.inc"

/* Check one chain holding the mfa passdb p; i_fatal on an unsafe one.
   The same rules and messages as the 2.3 glue (docs/mfa.md). */
static void mfa_check_passdb(const struct auth *auth,
			     const struct auth_passdb *first,
			     const struct auth_passdb *p)
{
	const char *svc = service_name(auth);

	mfa_check_before(svc, first, p);
	if (p->set->deny || p->set->master)
		i_fatal("passdb mfa: service %s: deny and master must not be set on the mfa passdb", svc);
	if (p->set->use_worker || p->passdb->blocking)
		i_fatal("passdb mfa: service %s: use_worker must not be set on the mfa passdb "
			"(it runs its own thread)", svc);
	if (p->skip != AUTH_PASSDB_SKIP_NEVER || p->mechanisms_filter != NULL ||
	    p->username_filter != NULL)
		i_fatal("passdb mfa: service %s: skip, mechanisms_filter and username_filter must not be "
			"set on the mfa passdb (a skipped mfa passdb leaves the next passdb "
			"to accept the password alone)", svc);
	mfa_check_results_and_after(svc, p);
}
