/*++
/* NAME
/*	mfa_settings 3h
/* SUMMARY
/*	settings of the MFA passdb and CLI: passdb args and config file
/* SYNOPSIS
/*	#include "mfa_settings.h"
/* DESCRIPTION
/*	One declared table of keys (name, type, default, bounds: common/'s
/*	cfg.h parser), used two ways:
/*	passdb args: "store=/var/lib/messec/mfa.lmdb digits=6 window=1 ..."
/*	(space separated key=value); config file: "key = value" lines with
/*	"#" comments and optional "..." quoting, then the drop-ins
/*	"<file>.d/*.conf" (cfg_load()), named by the args key config=PATH or
/*	the CLI's --config. Args given after config= override the file.
/*
/*	mfa_settings_init() sets the table's defaults. mfa_settings_set()
/*	sets one key (its value taken literally). mfa_settings_parse_args()
/*	parses a passdb args string. mfa_settings_load_file() reads a config
/*	file and its drop-ins (every problem, "path:line: key: ...", joined
/*	by "; "). mfa_settings_finish() checks and derives (key_file defaults
/*	to "<store>.key" for an LMDB store; a Redis store needs key_file).
/*	All return 0, or -1 with *error_r (thread-local text).
/*
/*	mfa_settings_service_covered(): does the service need a code?
/*	mfa_settings_ip_exempt(): is the textual remote IP in exempt_nets
/*	(common/'s cidr.h: an IPv4-mapped IPv6 address matches IPv4 nets)?
/*--*/
#ifndef MFA_SETTINGS_H
#define MFA_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include <messec/cidr.h>

#include "mfa_totp.h"

#define MFA_PATH_MAX 1024
#define MFA_SERVICES_MAX 16
#define MFA_SERVICE_LEN 32
#define MFA_NETS_MAX 32
#define MFA_ISSUER_MAX 64
#define MFA_SEPARATOR_MAX 8
#define MFA_REDIS_TIMEOUT_DEFAULT 20	/* ms */
#define MFA_REDIS_TIMEOUT_MAX 1000	/* ms */

struct mfa_settings {
	char store[MFA_PATH_MAX];
	char key_file[MFA_PATH_MAX];
	char issuer[MFA_ISSUER_MAX];
	char separator[MFA_SEPARATOR_MAX];
	enum mfa_totp_alg algorithm;
	unsigned int digits;
	unsigned int step;
	unsigned int window;
	unsigned int max_failures;
	unsigned int lockout;		/* seconds */
	unsigned int ip_max_failures;
	unsigned int unenrolled_allow;
	unsigned int check_chain;	/* plugin: refuse unsafe passdb chains */
	unsigned int redis_timeout;	/* ms, each Redis connect and round trip */
	unsigned int store_sync;	/* enum mfa_store_sync (plugin, LMDB) */
	size_t services_count;		/* 0 = every service */
	char services[MFA_SERVICES_MAX][MFA_SERVICE_LEN];
	size_t nets_count;
	struct cidr nets[MFA_NETS_MAX];	/* exempt_nets */
};

void mfa_settings_init(struct mfa_settings *set);
int mfa_settings_set(struct mfa_settings *set, const char *key,
		     const char *value, const char **error_r);
int mfa_settings_parse_args(struct mfa_settings *set, const char *args,
			    const char **error_r);
int mfa_settings_load_file(struct mfa_settings *set, const char *path,
			   const char **error_r);
int mfa_settings_finish(struct mfa_settings *set, const char **error_r);

int mfa_settings_service_covered(const struct mfa_settings *set,
				 const char *service);
int mfa_settings_ip_exempt(const struct mfa_settings *set, const char *ip);

#endif
