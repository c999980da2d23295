/*++
 * NAME
 *	daemon 3
 * SUMMARY
 *	the skeleton every messec daemon runs on
 * SYNOPSIS
 *	#include <messec/daemon.h>
 * DESCRIPTION
 *	See daemon.h. The steps of daemon_main() and why they come in this
 *	order:
 *
 *	1. Options and config. "-t" loads, prints and exits; a daemon
 *	   with a bad config never starts (exit 78, every problem printed).
 *	2. def->open as root: privileged ports, socket files chown'ed to
 *	   the service user. Metrics are registered here too, before any
 *	   thread exists.
 *	3. daemon(3) unless -f: threads do not survive fork, so none may
 *	   exist yet.
 *	4. Pid file (locked; a second instance is refused), metrics
 *	   listener (binds as root, its thread starts here), then the
 *	   privilege drop: after it, no file or port of root's is opened.
 *	5. Signals, install the config, run the service thread; the main
 *	   thread polls the signal flags every 200 ms.
 * DIAGNOSTICS
 *	Startup trouble: log_fatal*() (exit 1; 78 for the config).
 *--*/
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "messec/daemon.h"
#include "messec/log.h"
#include "messec/metrics.h"
#include "messec/priv.h"
#include "messec/sock.h"
#include "messec/str.h"

/* --- the config swap ---------------------------------------------------- */

/*
 * RCU would avoid the mutex, but a mutex held for an increment costs
 * nothing next to a DNS lookup, and it is obviously correct.
 */
static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct daemon_ref *current;

void daemon_conf_install(struct daemon_ref *conf)
{
	struct daemon_ref *old;

	pthread_mutex_lock(&swap_lock);
	old = current;
	current = conf;
	pthread_mutex_unlock(&swap_lock);
	daemon_ref_release(&old);
}

struct daemon_ref *daemon_conf_acquire(void)
{
	struct daemon_ref *conf;

	pthread_mutex_lock(&swap_lock);
	conf = current;
	if (conf != NULL)
		conf->refs++;
	pthread_mutex_unlock(&swap_lock);
	return conf;
}

void daemon_ref_release(struct daemon_ref **confp)
{
	struct daemon_ref *conf = *confp;
	unsigned left;

	if (conf == NULL)
		return;
	*confp = NULL;
	pthread_mutex_lock(&swap_lock);
	if (conf->refs == 0)
		log_panic("daemon_ref_release: reference count underflow");
	left = --conf->refs;
	pthread_mutex_unlock(&swap_lock);
	if (left == 0)
		conf->free(conf);
}

/* The typed face (DAEMON_CONF_ACCESSORS): the daemon_ref inside conf. */
void daemon_conf_install_at(void *conf, size_t offset)
{
	daemon_conf_install(conf != NULL ? (struct daemon_ref *) (void *) ((char *) conf + offset)
			    : NULL);
}

void *daemon_conf_acquire_at(size_t offset)
{
	struct daemon_ref *ref = daemon_conf_acquire();

	return ref != NULL ? (char *) ref - offset : NULL;
}

void daemon_conf_release_at(void *conf, size_t offset)
{
	struct daemon_ref *ref;

	if (conf == NULL)
		return;
	ref = (struct daemon_ref *) (void *) ((char *) conf + offset);
	daemon_ref_release(&ref);
}

/* --- startup ------------------------------------------------------------- */

/* Append src to the string in buf (cut at size, always terminated). */
static void append(char *buf, size_t size, const char *src)
{
	size_t len = strlen(buf);

	if (len < size)
		str_copy(buf + len, src, size - len);
}

struct daemon_state {
	const struct daemon_def *def;
	const char *config_path;
	volatile int done;		/* the service thread returned */
	int status;
};

static void usage(const struct daemon_def *def, FILE *out, int status)
{
	fprintf(out, "usage: %s [-f] [-t] [-c config_file] [-h] [-V]\n"
		"  -c file  config file (default %s, plus its .d/ drop-ins)\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -t       check the config, print the effective values, exit 0 or 1\n"
		"  -h, --help     this text\n"
		"  -V, --version  print the version\n",
		def->name, def->config_path);
	exit(status);
}

static void apply_log_level(const struct cfg *cfg)
{
	enum log_level level;

	if (log_level_parse(cfg_str(cfg, "log_level"), &level) == 0)
		log_set_level(level);
}

/* Log each line of a captured error text (config problems on reload). */
static void log_lines(char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		log_error("%s", line);
}

/* "a, b and c" of the keys whose value differs between two configs. */
static void changed_keys(const struct daemon_def *def, const struct cfg *old,
			 const struct cfg *new, char *buf, size_t size)
{
	static const char *const common_keys[] = { "user", "metrics_listen", NULL };
	const char *names[16];
	const char *const *k;
	size_t n = 0, i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		k = pass == 0 ? def->restart_keys : common_keys;
		for (; k != NULL && *k != NULL && n < 16; k++)
			names[n++] = *k;
	}
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strcmp(cfg_str(old, names[i]), cfg_str(new, names[i])) != 0)
			break;
	}
	if (i == n)
		return;
	/* One changed: name them all, as they all need the restart. */
	for (i = 0; i < n; i++) {
		append(buf, size, i == 0 ? "" : i + 1 == n ? " and " : ", ");
		append(buf, size, names[i]);
	}
}

/* SIGHUP: build a new config beside the old one; swap only on success. */
static void reload(const struct daemon_state *st)
{
	const struct daemon_def *def = st->def;
	struct daemon_ref *conf, *old;
	char *errors = NULL, keys[300];
	size_t errors_len = 0;
	FILE *err = open_memstream(&errors, &errors_len);

	if (err == NULL) {
		log_warn("reload: open_memstream");
		return;
	}
	conf = def->load(st->config_path, err);
	fclose(err);
	if (conf == NULL) {
		if (errors != NULL)
			log_lines(errors);
		log_error("reload of %s failed: keeping the previous configuration",
			  st->config_path);
		free(errors);
		return;
	}
	free(errors);
	old = daemon_conf_acquire();
	if (old != NULL) {
		changed_keys(def, def->cfg(old), def->cfg(conf), keys, sizeof(keys));
		if (keys[0] != '\0')
			log_warnx("reload: %s changes need a restart", keys);
		daemon_ref_release(&old);
	}
	apply_log_level(def->cfg(conf));
	daemon_conf_install(conf);
	log_info("configuration reloaded from %s", st->config_path);
}

static void start_metrics(const struct cfg *cfg)
{
	const char *listen = cfg_str(cfg, "metrics_listen");
	struct sock_addr addr;
	const char *error;

	if (*listen == '\0')
		return;
	if (sock_addr_parse(listen, &addr, &error) != 0)
		log_fatalx("metrics_listen: %s", error);
	if (metrics_start(&addr, &error) != 0)
		log_fatalx("metrics_listen %s: %s", listen, error);
}

static void drop_privileges(const struct cfg *cfg)
{
	const char *user = cfg_str(cfg, "user");
	const char *error;

	if (*user == '\0') {
		if (geteuid() == 0)
			log_warnx("user is empty: running as root");
		return;
	}
	if (priv_drop(user, cfg_str(cfg, "group"), NULL, &error) != 0)
		log_fatalx("cannot drop privileges to %s: %s", user, error);
}

static void set_thread_stack(size_t size)
{
#if !defined(__SANITIZE_ADDRESS__)
	pthread_attr_t attr;

	if (size == 0 || pthread_attr_init(&attr) != 0)
		return;
	if (pthread_attr_setstacksize(&attr, size) == 0 &&
	    pthread_setattr_default_np(&attr) != 0)
		log_warnx("cannot set the default thread stack size: keeping the default");
	pthread_attr_destroy(&attr);
#else
	(void) size;
#endif
}

static void *service_thread(void *arg)
{
	struct daemon_state *st = arg;

	st->status = st->def->run();
	__atomic_store_n(&st->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* The main thread: wait for signals, reload or stop. */
static int run(struct daemon_state *st)
{
	pthread_t tid;
	struct timespec tick = { 0, 200 * 1000 * 1000 };

	set_thread_stack(st->def->thread_stack);
	if (pthread_create(&tid, NULL, service_thread, st) != 0)
		log_fatalx("cannot start the service thread");
	while (!__atomic_load_n(&st->done, __ATOMIC_SEQ_CST)) {
		nanosleep(&tick, NULL);
		if (sig_term_requested()) {
			log_info("stopping");
			st->def->stop();
			break;
		}
		if (sig_hup_take())
			reload(st);
	}
	pthread_join(tid, NULL);
	return st->status == 0 ? 0 : 1;
}

int daemon_main(const struct daemon_def *def, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct daemon_state st;	/* the service thread's too */
	struct daemon_ref *conf;
	const struct cfg *cfg;
	int ch, test_only = 0, foreground = 0, status;
	const char *error;
	char pid_file[1100], about[300] = "";	/* copies: a reload frees the old config */

	st.def = def;
	st.config_path = def->config_path;
	while ((ch = getopt_long(argc, argv, "c:fthV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': st.config_path = optarg; break;
		case 'f': foreground = 1; break;
		case 't': test_only = 1; break;
		case 'h': usage(def, stdout, 0); break;
		case 'V': printf("%s %s\n", def->name, MESSEC_VERSION); return 0;
		default: usage(def, stderr, 2);
		}
	}
	if (optind != argc)
		usage(def, stderr, 2);
	log_init(def->name, foreground || test_only, LOG_LEVEL_INFO);

	conf = def->load(st.config_path, stderr);
	if (test_only) {
		if (conf == NULL)
			return 1;
		def->dump(conf, stdout);
		daemon_ref_release(&conf);
		return 0;
	}
	if (conf == NULL)
		log_fatal_code(DAEMON_EX_CONFIG, "%s: configuration errors, not starting",
			       st.config_path);
	cfg = def->cfg(conf);
	apply_log_level(cfg);

	/* Order matters: bind as root, fork, then drop, then threads. */
	if (def->open != NULL)
		def->open(conf);
	if (!foreground && daemon(0, 0) != 0)
		log_fatal("daemon");
	if (str_copy(pid_file, cfg_str(cfg, "pid_file"), sizeof(pid_file)) >= sizeof(pid_file))
		log_fatalx("pid_file too long");
	if (*pid_file != '\0' && priv_pidfile_write(pid_file, &error) != 0)
		log_fatalx("pid file %s: %s", pid_file, error);
	start_metrics(cfg);
	drop_privileges(cfg);
	sig_setup();
	if (def->describe != NULL) {
		def->describe(conf, about, sizeof(about));
		append(about, sizeof(about), ", ");
	}
	daemon_conf_install(conf);	/* conf, cfg: no longer ours */
	log_info("started, %sconfig %s", about, st.config_path);

	status = run(&st);
	if (*pid_file != '\0')
		priv_pidfile_remove(pid_file);
	log_info("stopped");
	metrics_stop();
	return status;
}
