/*++
 * NAME
 *	messec-milter-auth 8
 * SUMMARY
 *	SPF, DKIM and DMARC verifying milter with Authentication-Results
 * SYNOPSIS
 *	messec-milter-auth [-f] [-t] [-c config_file]
 * DESCRIPTION
 *	main() only parses options, loads the config, opens the socket, drops
 *	privileges and runs libmilter; the work is in milter.c, evaluate.c and
 *	decide.c, the checks in the spf/dkim/dmarc/authres modules.
 *
 *	-c file	config file (default /etc/messec/milter-auth.conf, plus
 *		its ".d/" drop-ins).
 *	-t	check the config, print the effective values, exit 0 (valid)
 *		or 1 (invalid).
 *	-f	stay in the foreground and log to stderr.
 *
 *	Signals. libmilter's own signal thread treats SIGHUP as "stop" (it
 *	sigwait()s on HUP, TERM and INT in the thread that calls smfi_main()
 *	and every thread that one creates). So smfi_main() runs in a second
 *	thread, and the main thread keeps HUP/TERM/INT unblocked with
 *	flag-setting handlers (common/priv.h): Linux delivers a signal sent
 *	to the process to its main thread when that thread does not block
 *	it, so SIGHUP reloads the config (built beside the old one, swapped
 *	only when it loads completely) and SIGTERM stops libmilter cleanly.
 *
 *	Trust boundary: runs as root only until the socket, pid file and
 *	metrics port are open, then as the configured user. Everything it
 *	reads from the socket is untrusted (see milter.c).
 * DIAGNOSTICS
 *	Config problems: "path:line: key: problem" on stderr, exit 78
 *	(EX_CONFIG) at startup; on SIGHUP they are logged and the old config
 *	stays. Socket or privilege trouble at startup: exit 1.
 *--*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>
#include <grp.h>
#include "messec/log.h"
#include "messec/metrics.h"
#include "messec/priv.h"
#include "messec/sock.h"
#include "messec/str.h"
#include "config.h"
#include "milter.h"

#define DEFAULT_CONFIG "/etc/messec/milter-auth.conf"
#define EX_CONFIG 78

static const char *config_path = DEFAULT_CONFIG;
static volatile int milter_done;
static int milter_status;

static void usage(void)
{
	fprintf(stderr, "usage: messec-milter-auth [-f] [-t] [-c config_file]\n");
	exit(2);
}

static void apply_log_level(const struct ma_config *mc)
{
	enum log_level level;

	if (log_level_parse(cfg_str(mc->cfg, "log_level"), &level) == 0)
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

/* SIGHUP: build a new config beside the old one; swap only on success. */
static void reload(void)
{
	struct ma_config *mc, *old;
	char *errors = NULL;
	size_t errors_len = 0;
	FILE *err = open_memstream(&errors, &errors_len);

	if (err == NULL) {
		log_warn("reload: open_memstream");
		return;
	}
	mc = ma_config_load(config_path, 0, 1, err);
	fclose(err);
	if (mc == NULL) {
		if (errors != NULL)
			log_lines(errors);
		log_error("reload of %s failed: keeping the previous configuration",
			  config_path);
		free(errors);
		return;
	}
	free(errors);
	old = ma_config_acquire();
	if (old != NULL) {
		if (strcmp(cfg_str(old->cfg, "socket"), cfg_str(mc->cfg, "socket")) != 0 ||
		    strcmp(cfg_str(old->cfg, "user"), cfg_str(mc->cfg, "user")) != 0 ||
		    strcmp(cfg_str(old->cfg, "metrics_listen"),
			   cfg_str(mc->cfg, "metrics_listen")) != 0)
			log_warnx("reload: socket, user and metrics_listen changes need a restart");
		ma_config_release(&old);
	}
	apply_log_level(mc);
	ma_config_install(mc);
	log_info("configuration reloaded from %s", config_path);
}

static void *milter_thread(void *arg)
{
	(void) arg;
	milter_status = smfi_main();
	milter_done = 1;
	return NULL;
}

/* Bind the milter socket now (as root), so privileges can drop before
   smfi_main() and the MTA can connect with the configured mode. */
static void open_socket(const struct ma_config *mc)
{
	const struct sock_addr *addr = cfg_socket(mc->cfg, "socket");
	const char *user = cfg_str(mc->cfg, "user");
	const char *group = cfg_str(mc->cfg, "group");
	char conn[300];
	mode_t mode = (mode_t) strtoul(cfg_str(mc->cfg, "socket_mode"), NULL, 8);

	sock_addr_milter(addr, conn, sizeof(conn));
	if (smfi_setconn(conn) != MI_SUCCESS)
		log_fatalx("smfi_setconn %s failed", conn);
	if (smfi_settimeout((int) cfg_time(mc->cfg, "milter_timeout")) != MI_SUCCESS)
		log_fatalx("smfi_settimeout failed");
	if (smfi_register(*ma_milter_desc()) != MI_SUCCESS)
		log_fatalx("smfi_register failed");
	if (smfi_opensocket(1) != MI_SUCCESS)
		log_fatalx("cannot open the milter socket %s", conn);
	if (addr->kind != SOCK_ADDR_UNIX)
		return;
	if (chmod(addr->path, mode) != 0)
		log_fatal("chmod %s", addr->path);
	if (geteuid() == 0 && *user != '\0') {
		struct passwd *pw = getpwnam(user);
		gid_t gid;

		if (pw == NULL)
			log_fatalx("unknown user %s", user);
		gid = pw->pw_gid;
		if (*group != '\0') {
			struct group *gr = getgrnam(group);

			if (gr == NULL)
				log_fatalx("unknown group %s", group);
			gid = gr->gr_gid;
		}
		if (chown(addr->path, pw->pw_uid, gid) != 0)
			log_fatal("chown %s", addr->path);
	}
}

static void start_metrics(const struct ma_config *mc)
{
	const char *listen = cfg_str(mc->cfg, "metrics_listen");
	struct sock_addr addr;
	const char *error;

	if (*listen == '\0')
		return;
	if (sock_addr_parse(listen, &addr, &error) != 0)
		log_fatalx("metrics_listen: %s", error);
	if (metrics_start(&addr, &error) != 0)
		log_fatalx("metrics_listen %s: %s", listen, error);
}

static void drop_privileges(const struct ma_config *mc)
{
	const char *user = cfg_str(mc->cfg, "user");
	const char *error;

	if (*user == '\0') {
		if (geteuid() == 0)
			log_warnx("user is empty: running as root");
		return;
	}
	if (priv_drop(user, cfg_str(mc->cfg, "group"), NULL, &error) != 0)
		log_fatalx("cannot drop privileges to %s: %s", user, error);
}

/*
 * libmilter starts a thread per MTA connection (two per message with
 * Postfix: smtpd's and cleanup's) with default attributes, so their stack
 * size is RLIMIT_STACK: 8 MiB. glibc keeps a 40 MiB cache of freed stacks;
 * at 20 concurrent SMTP sessions most 8 MiB stacks miss it and cost an
 * mmap, an munmap (a TLB shootdown on every CPU) and page faults per
 * thread. MA_THREAD_STACK keeps them in the cache (docs/bench-milter-auth.md).
 * The deepest path (SPF include recursion, libopendkim, OpenSSL) stays far
 * below it; the sanitizer build keeps the default (its frames are larger).
 */
#define MA_THREAD_STACK	(512 * 1024)

static void set_thread_stack(void)
{
#if !defined(__SANITIZE_ADDRESS__)
	pthread_attr_t attr;

	if (pthread_attr_init(&attr) != 0)
		return;
	if (pthread_attr_setstacksize(&attr, MA_THREAD_STACK) == 0 &&
	    pthread_setattr_default_np(&attr) != 0)
		log_warnx("cannot set the default thread stack size: keeping the default");
	pthread_attr_destroy(&attr);
#endif
}

/* The main thread: wait for signals, reload or stop. */
static int run(void)
{
	pthread_t tid;
	struct timespec tick = { 0, 200 * 1000 * 1000 };

	set_thread_stack();
	if (pthread_create(&tid, NULL, milter_thread, NULL) != 0)
		log_fatalx("cannot start the milter thread");
	while (!milter_done) {
		nanosleep(&tick, NULL);
		if (sig_term_requested()) {
			log_info("stopping");
			smfi_stop();
			break;
		}
		if (sig_hup_take())
			reload();
	}
	pthread_join(tid, NULL);
	return milter_status == MI_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ma_config *mc;
	int ch, test_only = 0, foreground = 0, status;
	const char *error;
	char pid_file[1100];	/* a copy: a reload frees the old config */

	while ((ch = getopt(argc, argv, "c:fth")) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'f': foreground = 1; break;
		case 't': test_only = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("messec-milter-auth", foreground || test_only, LOG_LEVEL_INFO);

	mc = ma_config_load(config_path, 0, 1, stderr);
	if (test_only) {
		if (mc == NULL)
			return 1;
		cfg_dump(mc->cfg, stdout);
		if (*cfg_str(mc->cfg, "authserv_id") == '\0')
			printf("# authserv_id in use: %s (host name)\n", mc->authserv_id);
		ma_config_release(&mc);
		return 0;
	}
	if (mc == NULL)
		log_fatal_code(EX_CONFIG, "%s: configuration errors, not starting", config_path);
	apply_log_level(mc);

	/* Order matters: bind as root, fork, then drop, then threads. */
	ma_milter_metrics_init();
	open_socket(mc);
	if (!foreground && daemon(0, 0) != 0)
		log_fatal("daemon");
	if (str_copy(pid_file, cfg_str(mc->cfg, "pid_file"), sizeof(pid_file)) >= sizeof(pid_file))
		log_fatalx("pid_file too long");
	if (*pid_file != '\0' && priv_pidfile_write(pid_file, &error) != 0)
		log_fatalx("pid file %s: %s", pid_file, error);
	start_metrics(mc);
	drop_privileges(mc);
	sig_setup();
	ma_config_install(mc);
	log_info("started, authserv-id %s, config %s", mc->authserv_id, config_path);

	status = run();
	if (*pid_file != '\0')
		priv_pidfile_remove(pid_file);
	log_info("stopped");
	metrics_stop();
	return status;
}
