/*++
 * NAME
 *	cfg 3h
 * SUMMARY
 *	the one configuration parser of every messec daemon
 * SYNOPSIS
 *	#include <messec/cfg.h>
 * DESCRIPTION
 *	Format (like main.cf): "key = value" lines, "#" comments (a "#" inside
 *	a double-quoted value is literal), blank lines ignored. A value may be
 *	double-quoted ("a b", with \" and \\ escapes). A later line for the
 *	same key overrides an earlier one (the drop-ins override the main
 *	file). Lists are comma- and/or space-separated.
 *
 *	A daemon declares its keys as a table (name, type, default, min, max,
 *	help), as Postfix does. cfg_load() reads the main file, then every
 *	"*.conf" file in "<main>.d/" in lexical order, then checks every value
 *	against its declaration. Every problem is reported as
 *	"path:line: key: what is wrong (expected ...)" -- all of them, not just
 *	the first -- and cfg_load() returns NULL. The caller then exits 78
 *	(EX_CONFIG) at startup, or keeps its old config on SIGHUP.
 *
 *	Problems that concern a whole file read "path: problem" (cannot
 *	open, not a regular file, cannot read the drop-in directory); a bad
 *	default in the table reads "default: key: problem". Limits: 8192
 *	bytes per line, 10000 lines per file; a NUL byte is an error.
 *
 *	Typed getters return the parsed values. Getting a key the table does
 *	not declare, or with the wrong type, is a programming error: log_panic.
 *	cfg_str() works for every type and returns the effective text.
 *
 *	cfg_dump() prints the effective config ("key = value", one per line,
 *	every declared key, in table order) for the "-t" flag.
 * TYPES
 *	CFG_STR    any text (max = max length, 0 = 4096)
 *	CFG_BOOL   yes/no, true/false, on/off, 1/0
 *	CFG_INT    decimal integer within [min, max]
 *	CFG_SIZE   bytes, with K/M/G suffix (1024-based), within [min, max]
 *	CFG_TIME   seconds, with s/m/h/d/w suffix, within [min, max] seconds
 *	           (INT/SIZE/TIME: min = max = 0 means unbounded)
 *	CFG_LIST   list of words (comma/space separated; max = max length of the whole value)
 *	CFG_PATH   absolute path ("" allowed when the default is "")
 *	CFG_SOCKET "unix:/path", "inet:host:port", "inet6:[addr]:port" (sock.h);
 *	           "" allowed when the default is "" (cfg_socket() gives NULL)
 *	CFG_CIDRS  list of IPv4/IPv6 addresses or prefixes (cidr.h)
 *	CFG_ENUM   one of the words in .choices ("reject|quarantine|tag")
 *--*/
#ifndef MESSEC_CFG_H
#define MESSEC_CFG_H

#include <stdint.h>
#include <stdio.h>
#include "cidr.h"
#include "sock.h"

enum cfg_type {
	CFG_STR, CFG_BOOL, CFG_INT, CFG_SIZE, CFG_TIME, CFG_LIST,
	CFG_PATH, CFG_SOCKET, CFG_CIDRS, CFG_ENUM,
};

struct cfg_def {
	const char *name;
	enum cfg_type type;
	const char *def;	/* default, as text; parsed like a file value */
	int64_t min, max;	/* CFG_INT/SIZE/TIME bounds; CFG_STR max length */
	const char *choices;	/* CFG_ENUM: "a|b|c" */
	const char *help;	/* one line, for the man page and -t */
};
#define CFG_END { NULL, 0, NULL, 0, 0, NULL, NULL }

struct cfg;

/*
 * Load main_path and its drop-in directory main_path".d" (missing dir is
 * fine; a missing main file is an error unless allow_missing_main is set,
 * then defaults apply). On error: NULL, and every message was written to
 * err (one per line, "path:line: ..."); *nerrors_r counts them.
 * Caller frees the result with cfg_free().
 */
struct cfg *cfg_load(const struct cfg_def *defs, const char *main_path,
		     int allow_missing_main, FILE *err, int *nerrors_r);
/* Same, but from a string (for tests and fuzzing); name is used in messages. */
struct cfg *cfg_load_string(const struct cfg_def *defs, const char *name,
			    const char *text, FILE *err, int *nerrors_r);
void cfg_free(struct cfg **cfg);

/* Getters: the returned pointers are owned by cfg, valid until cfg_free. */
const char *cfg_str(const struct cfg *cfg, const char *name);
int cfg_bool(const struct cfg *cfg, const char *name);
int64_t cfg_int(const struct cfg *cfg, const char *name);
uint64_t cfg_size(const struct cfg *cfg, const char *name);
uint64_t cfg_time(const struct cfg *cfg, const char *name);   /* seconds */
/* NULL-terminated array of words; *count_r (may be NULL) gets the count. */
const char *const *cfg_list(const struct cfg *cfg, const char *name, size_t *count_r);
const char *cfg_path(const struct cfg *cfg, const char *name);
const struct sock_addr *cfg_socket(const struct cfg *cfg, const char *name);
const struct cidr_list *cfg_cidrs(const struct cfg *cfg, const char *name);
/* Index of the value in .choices (0-based). */
int cfg_enum(const struct cfg *cfg, const char *name);
/* "path:line" where the key was last set, or "default". */
const char *cfg_origin(const struct cfg *cfg, const char *name);

/* Print the effective configuration (for -t / -n): "key = value" per
   declared key, in table order, quoted when needed so it parses back. */
void cfg_dump(const struct cfg *cfg, FILE *out);

/* Stand-alone value parsers (used by the loader; handy for plugin args).
   0 ok, -1 with *error_r set to a static string. */
int cfg_parse_bool(const char *s, int *value_r, const char **error_r);
int cfg_parse_size(const char *s, uint64_t *value_r, const char **error_r);
int cfg_parse_time(const char *s, uint64_t *value_r, const char **error_r);

#endif
