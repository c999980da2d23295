/*++
 * NAME
 *	config 3h
 * SUMMARY
 *	messec-policyd's configuration object
 * SYNOPSIS
 *	#include "config.h"
 * DESCRIPTION
 *	pd_config_defs is the key table (every key is described in
 *	messec-policyd.conf and docs/policyd.md). pd_conf_load() parses a
 *	file (pd_conf_load_string() a text, for tests) and builds the rules;
 *	the object is reference-counted by the daemon skeleton (daemon.h),
 *	so a SIGHUP swaps in a new one while requests finish on the old.
 *--*/
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <stdio.h>
#include <messec/cfg.h>
#include <messec/daemon.h>
#include "proto.h"
#include "rules.h"

struct pd_conf {
	struct daemon_ref ref;
	struct cfg *cfg;
	struct pd_rules *rules;
	struct pd_limits limits;
	unsigned idle_timeout;		/* seconds */
};

extern const struct cfg_def pd_config_defs[];

struct daemon_ref *pd_conf_load(const char *path, FILE *err);
struct pd_conf *pd_conf_load_string(const char *text, FILE *err);
/* The current config, typed (daemon.h); release is NULL-safe. */
DAEMON_CONF_ACCESSORS_DECL(pd_conf, struct pd_conf);

#endif
