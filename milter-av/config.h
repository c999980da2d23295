/*++
 * NAME
 *	config 3h
 * SUMMARY
 *	messec-milter-av configuration: the declared key table and its values
 * DESCRIPTION
 *	av_config_load() parses the file (and drop-ins) with common/'s cfg
 *	parser against av_config_defs and copies the values the milter reads
 *	per message into struct av_config. The object is reference counted by
 *	the daemon skeleton (daemon.h); a message holds one reference.
 *--*/
#ifndef AV_CONFIG_H
#define AV_CONFIG_H

#include <stdint.h>
#include <stdio.h>
#include "messec/cfg.h"
#include "messec/daemon.h"
#include "linkcheck.h"
#include "verdict.h"

struct av_config {
	struct daemon_ref ref;
	struct cfg *cfg;
	const char *database_dir;	/* borrowed from cfg */
	const char *spool_dir;
	uint64_t memory_spool_max;	/* bytes kept in the memfd */
	uint64_t max_message_size;	/* bytes spooled at most */
	struct av_engine_limits {
		uint64_t max_scan_size, max_file_size;
		uint32_t max_files, max_recursion, max_scan_time_ms;
	} limits;
	struct av_actions actions;
	const char *const *blocked_extensions;	/* lower case, no dot */
	const char *const *blocked_types;	/* libclamav type names */
	int double_extensions;
	int reload_poll_seconds;	/* 0: no polling */
	int reload_low_memory;		/* drop the old engine before loading */
	struct av_link_config links;	/* link analysis (linkcheck.h) */
};

extern const struct cfg_def av_config_defs[];

/* One reference; NULL with every problem written to err. */
struct av_config *av_config_load(const char *path, int allow_missing, FILE *err);
struct av_config *av_config_load_string(const char *text, FILE *err);
/* The current config: av_config_acquire() takes a reference (NULL
   before the first install), av_config_release() drops it (daemon.h). */
DAEMON_CONF_ACCESSORS_DECL(av_config, struct av_config);

#endif
