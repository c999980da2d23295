/*++
 * NAME
 *	messec-milter-av 8
 * SUMMARY
 *	in-process libclamav antivirus milter with an attachment policy
 * SYNOPSIS
 *	messec-milter-av [-f] [-t] [-c config_file] [-h] [-V]
 * DESCRIPTION
 *	main() fills the daemon and milter skeletons (common/daemon.h,
 *	common/milter.h) with what is milter-av's own: its config
 *	(config.c), its callbacks (milter.c), the engine (engine.c) and the
 *	reloader below.
 *
 *	Engine. The first engine is loaded in the open hook (as root, before
 *	the fork: the database directory need not be readable by the service
 *	user afterwards, though reloads need it). A load that fails does not
 *	stop the daemon: every message is then answered as error_action says
 *	(tempfail by default) and the reloader retries.
 *
 *	Reloader. A thread wakes every second: on SIGHUP (the skeleton calls
 *	load(), which raises a flag), on a database change seen by
 *	cl_statchkdir every reload_check_interval, or while no engine is
 *	loaded, it builds a new engine beside the current one and installs
 *	it; scans in flight finish on the old engine, freed by its last
 *	user (engine.h). A failed load keeps the old engine and logs why.
 *	reload_mode = low_memory drops the old engine before the load
 *	(two engines never coexist: ~1.2 GiB each with the official
 *	databases); messages meanwhile get error_action, and a failed load
 *	leaves no engine until a later poll or SIGHUP loads one.
 *
 *	Trust boundary: root only until the socket, pid file and metrics
 *	port are open; then the configured user.
 * DIAGNOSTICS
 *	Config problems: "path:line: key: problem", exit 78 at startup.
 *--*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "messec/daemon.h"
#include "messec/log.h"
#include "messec/milter.h"
#include "config.h"
#include "engine.h"
#include "milter.h"

static atomic_int reload_requested;
static atomic_int started;
static atomic_int stopping;

static struct daemon_ref *load(const char *path, FILE *err)
{
	struct av_config *c = av_config_load(path, 0, err);

	/* Called again on SIGHUP: the engine is reloaded too. */
	if (c != NULL && atomic_load(&started))
		atomic_store(&reload_requested, 1);
	return c != NULL ? &c->ref : NULL;
}

static const struct cfg *conf_cfg(struct daemon_ref *ref)
{
	return DAEMON_CONF(ref, struct av_config, ref)->cfg;
}

static void dump(struct daemon_ref *ref, FILE *out)
{
	cfg_dump(conf_cfg(ref), out);
}

/* Build an engine from c and install it; 0, or -1 (old engine kept). */
static int engine_reload(const struct av_config *c, const char *why)
{
	char error[512];
	struct av_engine *e;

	/* Low-memory mode: the old engine goes first (freed when its last
	   scan ends), so two never coexist; messages arriving meanwhile
	   find no engine and get error_action (tempfail by default). */
	if (c->reload_low_memory && atomic_load(&started)) {
		log_notice("engine %s: low-memory mode, old engine dropped first", why);
		av_engine_install(NULL);
	}
	e = av_engine_load(c->database_dir, &c->limits, c->spool_dir, error, sizeof(error));

	if (e == NULL) {
		struct av_engine *old = av_engine_acquire();

		log_error("engine %s: %s; %s", why, error, old != NULL ?
			  "keeping the previous engine" : "no engine: messages get error_action");
		av_engine_release(&old);
		av_milter_count_reload("failed");
		return -1;
	}
	/* Installed before it is logged: a test that reads the line may rely
	   on every later scan using it. Only this thread installs engines, so
	   e stays valid for the log line. */
	av_engine_install(e);
	log_notice("engine %s: %s from %s", why, av_engine_version(e), c->database_dir);
	av_milter_count_reload("ok");
	return 0;
}

static void open_milter(struct daemon_ref *ref)
{
	const struct av_config *c = DAEMON_CONF(ref, struct av_config, ref);
	char error[256];

	if (av_engine_global_init(error, sizeof(error)) != 0)
		log_fatalx("%s", error);
	av_milter_metrics_init();
	engine_reload(c, "load");
	milter_open(c->cfg, av_milter_def());
	atomic_store(&started, 1);
}

static void *reloader(void *arg)
{
	time_t last_poll = time(NULL);

	while (!atomic_load(&stopping)) {
		struct av_config *c;
		struct av_engine *e;
		const char *why = NULL;

		sleep(1);
		if ((c = av_config_acquire()) == NULL)
			continue;
		e = av_engine_acquire();
		if (atomic_exchange(&reload_requested, 0))
			why = "reload (SIGHUP)";
		else if (c->reload_poll_seconds > 0 &&
			 time(NULL) - last_poll >= c->reload_poll_seconds) {
			last_poll = time(NULL);
			if (e == NULL)
				why = "load (retry)";
			else if (av_engine_db_changed(e))
				why = "reload (database changed)";
		}
		av_engine_release(&e);
		if (why != NULL)
			engine_reload(c, why);
		av_config_release(&c);
	}
	return NULL;
}

static int run(void)
{
	pthread_t t;
	int have_thread = pthread_create(&t, NULL, reloader, NULL) == 0;
	int rc;

	if (!have_thread)
		log_error("cannot start the reload thread: signatures will not be reloaded");
	rc = milter_run();
	atomic_store(&stopping, 1);
	if (have_thread)
		pthread_join(t, NULL);
	av_engine_install(NULL);
	return rc;
}

static void describe(struct daemon_ref *ref, char *buf, size_t size)
{
	struct av_engine *e = av_engine_acquire();

	snprintf(buf, size, "%s", e != NULL ? av_engine_version(e) : "no engine loaded");
	av_engine_release(&e);
}

int main(int argc, char **argv)
{
	static const char *const restart_keys[] = { "socket", NULL };
	static const struct daemon_def def = {
		.name = "messec-milter-av",
		.config_path = "/etc/messec/milter-av.conf",
		.load = load,
		.cfg = conf_cfg,
		.dump = dump,
		.open = open_milter,
		.describe = describe,
		.run = run,
		.stop = milter_stop,
		.restart_keys = restart_keys,
		/* libclamav parses in the milter threads (nested MIME and
		   archives up to max_recursion, PDF, OLE2): four times the
		   skeleton's default, 2 MiB, still 20 stacks in glibc's 40 MiB
		   cache (milter.h). */
		.thread_stack = 4 * MILTER_THREAD_STACK,
	};

	return daemon_main(&def, argc, argv);
}
