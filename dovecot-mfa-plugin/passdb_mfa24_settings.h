/*++
/* NAME
/*	passdb_mfa24_settings 3h
/* SUMMARY
/*	Dovecot 2.4 settings of passdb "mfa" (filter passdb_mfa)
/* SYNOPSIS
/*	#include "passdb_mfa24_settings.h"
/* DESCRIPTION
/*	mfa24_setting_parser_info declares mfa_config and one string
/*	setting mfa_<key> per key of mfa_settings.c's table (all default
/*	"": not set). Strings, so mfa_settings.c alone checks the values
/*	(the same bounds and messages as 2.3 args). mfa24_setting_keys maps
/*	each setting's offset to its mfa_settings key.
/*	A key added to mfa_settings.c's table must be added here too (struct
/*	field, DEF and KEY in passdb_mfa24_settings.c), or Dovecot 2.4 admins
/*	can set it only in the mfa_config file: nothing checks the two lists
/*	against each other without 2.4 headers in the unit tests.
/*
/*	The same object goes into two modules: the auth plugin (settings_get()
/*	in preinit) and libmessec_mfa_settings.so in $moduledir/settings/,
/*	which doveconf and the config process load to accept the settings
/*	(config-parser.c: "<module name>_set_infos").
/*--*/
#ifndef PASSDB_MFA24_SETTINGS_H
#define PASSDB_MFA24_SETTINGS_H

struct mfa24_settings {
	pool_t pool;
	const char *mfa_config;
	const char *mfa_store;
	const char *mfa_key_file;
	const char *mfa_store_sync;
	const char *mfa_redis_timeout;
	const char *mfa_issuer;
	const char *mfa_separator;
	const char *mfa_algorithm;
	const char *mfa_digits;
	const char *mfa_window;
	const char *mfa_max_failures;
	const char *mfa_ip_max_failures;
	const char *mfa_lockout;
	const char *mfa_unenrolled;
	const char *mfa_check_chain;
	const char *mfa_services;
	const char *mfa_exempt_nets;
};

struct mfa24_setting_key {
	const char *key;	/* mfa_settings.c's name */
	size_t offset;		/* in struct mfa24_settings */
};

extern const struct setting_parser_info mfa24_setting_parser_info;
extern const struct mfa24_setting_key mfa24_setting_keys[];

#endif
