/*++
 * NAME
 *	engine 3h
 * SUMMARY
 *	the libclamav engine of the process: load, share, scan, swap
 * DESCRIPTION
 *	av_engine_load() builds and compiles one engine from a database
 *	directory with the configured limits. The process has one current
 *	engine (av_engine_install), shared by every milter thread: a scan
 *	holds a reference (av_engine_acquire/av_engine_release), so a new
 *	engine can be installed while scans run; the old one is freed when
 *	its last scan ends. libclamav allows concurrent scans on one
 *	compiled engine.
 *
 *	av_engine_scan() scans one descriptor as a mail message (parse
 *	options: all, so MIME, base64, quoted-printable, HTML and archives
 *	are decoded and each part scanned). A file inspection callback
 *	applies the attachment policy (policy.h) to every file libclamav
 *	meets, at any depth; a hit stops the scan.
 *
 *	Trust boundary: the scanned bytes, and every name libclamav reports
 *	from them, are the sender's. Names in the result are sanitised
 *	(av_engine_sanitize) and bounded.
 * DIAGNOSTICS
 *	av_engine_load: NULL and the reason in error (never fatal here).
 *	av_engine_scan: AV_OUT_ERROR with libclamav's error text.
 *--*/
#ifndef AV_ENGINE_H
#define AV_ENGINE_H

#include <stddef.h>
#include "config.h"
#include "policy.h"
#include "verdict.h"

struct av_engine;

#define AV_NAME_MAX 160

struct av_scan_result {
	struct av_outcome outcome;	/* name/detail point into this struct */
	char name[AV_NAME_MAX];
	char detail[AV_NAME_MAX];
};

struct av_scan_opts {
	const struct av_policy *policy;	/* NULL: no attachment policy */
	int encrypted;			/* report encrypted archives/documents */
	int macros;			/* report Office macros */
};

/* Once per process, before any other call: 0, or -1 with error. */
int av_engine_global_init(char *error, size_t size);
/* One reference; NULL with the reason in error. */
struct av_engine *av_engine_load(const char *dir, const struct av_engine_limits *limits,
				 const char *tmpdir, char *error, size_t size);
void av_engine_release(struct av_engine **engine);	/* NULL-safe */
/* Make engine current (takes the caller's reference); the old one is
   released (freed after its last scan). engine may be NULL. */
void av_engine_install(struct av_engine *engine);
/* The current engine with a reference, or NULL when none is loaded. */
struct av_engine *av_engine_acquire(void);

void av_engine_scan(struct av_engine *engine, int fd, const struct av_scan_opts *opts,
		    struct av_scan_result *result);
/* "ClamAV 1.4.6, database version N (M signatures)" */
const char *av_engine_version(const struct av_engine *engine);
unsigned av_engine_signatures(const struct av_engine *engine);
/* The database directory changed since the engine was loaded: 1, else 0. */
int av_engine_db_changed(const struct av_engine *engine);
const char *av_engine_dir(const struct av_engine *engine);

/* Copy src (at most max_chars characters) to dst, keeping letters,
   digits and "._-+:/@=" and replacing anything else with '_'. */
void av_engine_sanitize(char *dst, size_t size, const char *src, size_t max_chars);

#endif
