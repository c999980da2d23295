/*++
 * NAME
 *	messec-milter-auth 8
 * SUMMARY
 *	SPF, DKIM and DMARC verifying milter with Authentication-Results
 * SYNOPSIS
 *	messec-milter-auth [-f] [-t] [-c config_file] [-h] [-V]
 * DESCRIPTION
 *	main() fills the daemon and milter skeletons (common/daemon.h,
 *	common/milter.h) with what is milter-auth's own: its config
 *	(config.c), its callbacks (milter.c) and the -t output. The options,
 *	startup order, signals (SIGHUP reloads, SIGTERM stops libmilter
 *	cleanly), pid file, metrics listener and privilege drop are the
 *	skeleton's; the work is in milter.c, evaluate.c and decide.c, the
 *	checks in the spf/dkim/dmarc/authres modules.
 *
 *	-c file	config file (default /etc/messec/milter-auth.conf, plus
 *		its ".d/" drop-ins).
 *	-t	check the config, print the effective values, exit 0 (valid)
 *		or 1 (invalid).
 *	-f	stay in the foreground and log to stderr.
 *	-h, --help, -V, --version.
 *
 *	Trust boundary: runs as root only until the socket, pid file and
 *	metrics port are open, then as the configured user. Everything it
 *	reads from the socket is untrusted (see milter.c).
 * DIAGNOSTICS
 *	Config problems: "path:line: key: problem" on stderr, exit 78
 *	(EX_CONFIG) at startup; on SIGHUP they are logged and the old config
 *	stays. Socket or privilege trouble at startup: exit 1.
 *--*/
#include <stdio.h>
#include "messec/daemon.h"
#include "messec/milter.h"
#include "messec/str.h"
#include "config.h"
#include "milter.h"

static struct daemon_ref *load(const char *path, FILE *err)
{
	struct ma_config *mc = ma_config_load(path, 0, 1, err);

	return mc != NULL ? &mc->ref : NULL;
}

static const struct cfg *conf_cfg(struct daemon_ref *ref)
{
	return DAEMON_CONF(ref, struct ma_config, ref)->cfg;
}

static void dump(struct daemon_ref *ref, FILE *out)
{
	const struct ma_config *mc = DAEMON_CONF(ref, struct ma_config, ref);

	cfg_dump(mc->cfg, out);
	if (*cfg_str(mc->cfg, "authserv_id") == '\0')
		fprintf(out, "# authserv_id in use: %s (host name)\n", mc->authserv_id);
}

static void open_milter(struct daemon_ref *ref)
{
	ma_milter_metrics_init();
	milter_open(conf_cfg(ref), ma_milter_def());
}

static void describe(struct daemon_ref *ref, char *buf, size_t size)
{
	snprintf(buf, size, "authserv-id %s",
		 DAEMON_CONF(ref, struct ma_config, ref)->authserv_id);
}

int main(int argc, char **argv)
{
	static const char *const restart_keys[] = { "socket", NULL };
	static const struct daemon_def def = {
		.name = "messec-milter-auth",
		.config_path = "/etc/messec/milter-auth.conf",
		.load = load,
		.cfg = conf_cfg,
		.dump = dump,
		.open = open_milter,
		.describe = describe,
		.run = milter_run,
		.stop = milter_stop,
		.restart_keys = restart_keys,
		.thread_stack = MILTER_THREAD_STACK,
	};

	return daemon_main(&def, argc, argv);
}
