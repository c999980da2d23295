/*++
/* NAME
/*	passdb_mfa24_settings 3
/* SUMMARY
/*	Dovecot 2.4 settings of passdb "mfa"; the settings module
/* SYNOPSIS
/*	passdb mfa { driver = mfa  mfa_config = FILE  mfa_<key> = VALUE ... }
/* DESCRIPTION
/*	See passdb_mfa24_settings.h. As libmessec_mfa_settings.so (module
/*	name "messec_mfa_settings", module-dir.c strips "lib" and ".so")
/*	it exports messec_mfa_settings_set_infos and _version, what
/*	config-parser.c config_parse_load_modules() looks up in
/*	$moduledir/settings/ (compiled with -DMFA24_SETTINGS_MODULE). The
/*	auth plugin links it without them and uses mfa24_setting_parser_info.
/*--*/
#include "lib.h"
#include "settings-parser.h"

#include "passdb_mfa24_settings.h"

#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, struct mfa24_settings)

static const struct setting_define mfa24_setting_defines[] = {
	/* auth.c looks the passdb's settings up under "passdb_<driver>". */
	{ .type = SET_FILTER_NAME, .key = "passdb_mfa", },
	DEF(STR_NOVARS, mfa_config),
	DEF(STR_NOVARS, mfa_store),
	DEF(STR_NOVARS, mfa_key_file),
	DEF(STR_NOVARS, mfa_store_sync),
	DEF(STR_NOVARS, mfa_redis_timeout),
	DEF(STR_NOVARS, mfa_issuer),
	DEF(STR_NOVARS, mfa_separator),
	DEF(STR_NOVARS, mfa_algorithm),
	DEF(STR_NOVARS, mfa_digits),
	DEF(STR_NOVARS, mfa_window),
	DEF(STR_NOVARS, mfa_max_failures),
	DEF(STR_NOVARS, mfa_ip_max_failures),
	DEF(STR_NOVARS, mfa_lockout),
	DEF(STR_NOVARS, mfa_unenrolled),
	DEF(STR_NOVARS, mfa_check_chain),
	DEF(STR_NOVARS, mfa_services),
	DEF(STR_NOVARS, mfa_exempt_nets),

	SETTING_DEFINE_LIST_END
};

static const struct mfa24_settings mfa24_default_settings = {
	.mfa_config = "",
	.mfa_store = "",
	.mfa_key_file = "",
	.mfa_store_sync = "",
	.mfa_redis_timeout = "",
	.mfa_issuer = "",
	.mfa_separator = "",
	.mfa_algorithm = "",
	.mfa_digits = "",
	.mfa_window = "",
	.mfa_max_failures = "",
	.mfa_ip_max_failures = "",
	.mfa_lockout = "",
	.mfa_unenrolled = "",
	.mfa_check_chain = "",
	.mfa_services = "",
	.mfa_exempt_nets = "",
};

const struct setting_parser_info mfa24_setting_parser_info = {
	.name = "passdb_mfa",
	.defines = mfa24_setting_defines,
	.defaults = &mfa24_default_settings,
	.struct_size = sizeof(struct mfa24_settings),
	.pool_offset1 = 1 + offsetof(struct mfa24_settings, pool),
};

#define KEY(name) { #name, offsetof(struct mfa24_settings, mfa_##name) }
const struct mfa24_setting_key mfa24_setting_keys[] = {
	KEY(store),
	KEY(key_file),
	KEY(store_sync),
	KEY(redis_timeout),
	KEY(issuer),
	KEY(separator),
	KEY(algorithm),
	KEY(digits),
	KEY(window),
	KEY(max_failures),
	KEY(ip_max_failures),
	KEY(lockout),
	KEY(unenrolled),
	KEY(check_chain),
	KEY(services),
	KEY(exempt_nets),
	{ NULL, 0 }
};

#ifdef MFA24_SETTINGS_MODULE
#define MFA_EXPORT __attribute__((visibility("default")))

/* The settings module's symbols (config-parser.c, module-dir.c); only in
   libmessec_mfa_settings.so, not in the auth plugin. */
MFA_EXPORT extern const char *messec_mfa_settings_version;
MFA_EXPORT const char *messec_mfa_settings_version = DOVECOT_ABI_VERSION;
MFA_EXPORT extern const struct setting_parser_info *const messec_mfa_settings_set_infos[];
MFA_EXPORT const struct setting_parser_info *const messec_mfa_settings_set_infos[] = {
	&mfa24_setting_parser_info,
	NULL
};
#endif
