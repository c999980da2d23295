/*++
 * NAME
 *	config 3h
 * SUMMARY
 *	messec-milter-auth configuration: key table, derived settings, swap
 * SYNOPSIS
 *	#include "config.h"
 * DESCRIPTION
 *	ma_config_load() parses the config file (and its ".d/" drop-ins)
 *	through common/cfg.h with the table ma_config_defs, derives the typed
 *	settings the milter uses (actions, networks, limits) and creates the
 *	library contexts that depend on config (SPF, DKIM, DMARC). The result
 *	is immutable and reference counted.
 *
 *	The current config is the daemon skeleton's (common/daemon.h):
 *	ma_config_acquire() takes a reference under a mutex (a few
 *	instructions, never across I/O), so a SIGHUP reload
 *	(ma_config_install()) can swap in a new object while milter threads
 *	keep using the old one until they release it; the old object is
 *	freed by its last user. These three are the skeleton's typed
 *	accessors (DAEMON_CONF_ACCESSORS in common/daemon.h).
 * DIAGNOSTICS
 *	ma_config_load() writes every config problem as "path:line: ..." to
 *	the err stream and returns NULL.
 *--*/
#ifndef MA_CONFIG_H
#define MA_CONFIG_H

#include <stdio.h>
#include <stdint.h>
#include "messec/cfg.h"
#include "messec/daemon.h"
#include "decide.h"
#include "clean.h"

struct ma_spf;
struct ma_dkim_lib;
struct ma_dmarc;
struct ma_dkim_signer;
struct store;

struct ma_config {
	struct daemon_ref ref;		/* reference count (common/daemon.h) */
	struct cfg *cfg;		/* the parsed file (owns all strings) */
	const char *authserv_id;	/* from config, or the host name */
	char host_name[256];
	struct ma_decide_policy policy;	/* actions (decide.h) */
	const struct cidr_list *internal_networks;	/* borrowed from cfg */
	const struct cidr_list *trusted_networks;	/* borrowed from cfg */
	const char *const *trusted_domains;		/* borrowed from cfg */
	const char *tag_header;
	uint64_t max_headers;
	uint64_t max_header_bytes;
	unsigned max_ar_dkim;		/* DKIM results written into A-R */
	struct ma_clean_rules clean_rules;	/* outbound header cleaning (names borrowed) */
	struct ma_spf *spf;
	struct ma_dkim_lib *dkim;
	struct ma_dmarc *dmarc;
	struct ma_dkim_signer *signer;	/* keys read once per load (dkim_sign.h) */
	struct store *report_store;	/* DMARC reports; process-wide, never freed here */
	uint32_t report_retention;	/* seconds */
	unsigned report_batch_ms;	/* writer queue interval (dmarc_report_writer.h) */
};

extern const struct cfg_def ma_config_defs[];

/*
 * Load and derive. libs: also create the SPF/DKIM/DMARC contexts (0 for
 * "-t", which only checks the file). NULL on error, with the messages on
 * err. Caller owns the result (one reference): ma_config_release().
 */
struct ma_config *ma_config_load(const char *path, int allow_missing, int libs, FILE *err);
/* Same from a string (unit tests); never creates library contexts. */
struct ma_config *ma_config_load_string(const char *name, const char *text, FILE *err);

/* ma_config_install(cfg): the current config (takes over the caller's
   reference; the previous one is released). ma_config_acquire(): a new
   reference to it (NULL before the first install). ma_config_release():
   drops one; frees at zero; sets *cfg to NULL. NULL-safe. */
DAEMON_CONF_ACCESSORS_DECL(ma_config, struct ma_config);

#endif
