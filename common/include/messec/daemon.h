/*++
 * NAME
 *	daemon 3h
 * SUMMARY
 *	the skeleton every messec daemon runs on
 * SYNOPSIS
 *	#include <messec/daemon.h>
 * DESCRIPTION
 *	daemon_main() is a daemon's whole main(): the options, the config,
 *	the order of startup (bind as root, fork, pid file, metrics, drop
 *	privileges, threads), the signals, the reload and the stop. A daemon
 *	fills a struct daemon_def with what is its own and calls it.
 *
 *	Options: -c file (default def->config_path, plus its ".d/"
 *	drop-ins), -f (foreground, log to stderr), -t (load the config, print
 *	the effective values with def->dump, exit 0, or 1 when invalid),
 *	-h/--help, -V/--version.
 *
 *	Config. def->load returns a new config object (NULL with every
 *	problem written to err). The object embeds a struct daemon_ref (its
 *	reference count) and def->cfg gives its parsed struct cfg, where the
 *	skeleton reads the keys every daemon declares: user, group,
 *	pid_file, log_level, metrics_listen. daemon_conf_install() makes an
 *	object current; daemon_conf_acquire() takes a reference on the
 *	current one (a worker holds it for one unit of work, e.g. a message)
 *	and daemon_ref_release() drops it, freeing the object with its last
 *	user. SIGHUP builds a new object beside the old one and installs it
 *	only when it loaded completely; otherwise it logs every problem and
 *	"keeping the previous configuration". Keys in def->restart_keys (and
 *	user, metrics_listen) are only read at startup: a reload that changes
 *	them logs that they need a restart.
 *
 *	Threads and signals. def->run (e.g. smfi_main) runs in a second
 *	thread; the main thread keeps HUP, TERM and INT unblocked with
 *	flag-setting handlers (priv.h) and polls them: SIGHUP reloads,
 *	SIGTERM/SIGINT call def->stop and wait for def->run to return. A
 *	library that sigwait()s in its own threads (libmilter) then never
 *	sees a signal meant for the process: Linux delivers a process signal
 *	to the main thread when that thread does not block it.
 *	def->thread_stack, when not 0, becomes the default stack size of
 *	every thread created after the metrics listener (not in sanitizer
 *	builds, whose frames are larger).
 *
 *	Trust boundary: runs as root only until def->open, the pid file and
 *	the metrics port are done, then as the configured user (priv_drop).
 * DIAGNOSTICS
 *	Config problems at startup: "path:line: key: problem" on stderr, exit
 *	78 (EX_CONFIG). Usage errors exit 2. Other startup trouble (socket,
 *	pid file, privileges): a log line, exit 1. daemon_main returns the
 *	exit status: 0 when def->run returned 0.
 *--*/
#ifndef MESSEC_DAEMON_H
#define MESSEC_DAEMON_H

#include <stddef.h>
#include <stdio.h>
#include "cfg.h"

#define MESSEC_VERSION "0.1.0"
#define DAEMON_EX_CONFIG 78	/* sysexits.h EX_CONFIG */

/* Embedded in a daemon's config object; refs and free are the skeleton's. */
struct daemon_ref {
	unsigned refs;			/* under the swap mutex */
	void (*free)(struct daemon_ref *ref);	/* at zero */
};

/* The object that embeds ref (member: the name of the struct daemon_ref). */
#define DAEMON_CONF(ref, type, member) \
	((type *) (void *) ((char *) (ref) - offsetof(type, member)))

struct daemon_def {
	const char *name;		/* program name: log ident, usage, -V */
	const char *config_path;	/* default for -c */
	/* A new config object with one reference; NULL: problems on err. */
	struct daemon_ref *(*load)(const char *path, FILE *err);
	const struct cfg *(*cfg)(struct daemon_ref *conf);
	/* -t: print the effective config. */
	void (*dump)(struct daemon_ref *conf, FILE *out);
	/* As root, before the fork: register metrics, bind listeners. */
	void (*open)(struct daemon_ref *conf);
	/* The "started, ..." log line's middle part (may be NULL). */
	void (*describe)(struct daemon_ref *conf, char *buf, size_t size);
	/* The service, in its own thread: 0 on a clean stop. */
	int (*run)(void);
	/* From the main thread on SIGTERM: make run() return. */
	void (*stop)(void);
	const char *const *restart_keys;	/* NULL-terminated; read once */
	size_t thread_stack;		/* 0: the system default */
};

int daemon_main(const struct daemon_def *def, int argc, char **argv);

/* The config swap (usable without daemon_main, e.g. in tests). */
void daemon_conf_install(struct daemon_ref *conf);	/* takes the caller's ref */
struct daemon_ref *daemon_conf_acquire(void);		/* NULL before install */
void daemon_ref_release(struct daemon_ref **conf);	/* NULL-safe */

/*
 * The same swap seen through the daemon's own config type: conf is the
 * object, offset that of its struct daemon_ref (offsetof). NULL-safe.
 * A daemon does not call these: one line in its config.c,
 *	DAEMON_CONF_ACCESSORS(av_config, struct av_config, ref)
 * defines av_config_install(), av_config_acquire() and
 * av_config_release() (which sets the caller's pointer to NULL), and
 * DAEMON_CONF_ACCESSORS_DECL(av_config, struct av_config) in its
 * config.h declares them.
 */
void daemon_conf_install_at(void *conf, size_t offset);
void *daemon_conf_acquire_at(size_t offset);
void daemon_conf_release_at(void *conf, size_t offset);

#define DAEMON_CONF_ACCESSORS_DECL(prefix, type) \
	void prefix##_install(type *conf); \
	type *prefix##_acquire(void); \
	void prefix##_release(type **confp)

#define DAEMON_CONF_ACCESSORS(prefix, type, member) \
	void prefix##_install(type *conf) \
	{ daemon_conf_install_at(conf, offsetof(type, member)); } \
	type *prefix##_acquire(void) \
	{ return daemon_conf_acquire_at(offsetof(type, member)); } \
	void prefix##_release(type **confp) \
	{ daemon_conf_release_at(*confp, offsetof(type, member)); *confp = NULL; }

#endif
