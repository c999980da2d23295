/*++
 * NAME
 *	messec-policyd 8
 * SUMMARY
 *	Postfix policy delegation daemon: lists, sender-login ownership
 * SYNOPSIS
 *	messec-policyd [-f] [-t] [-c file]
 *	messec-policyd [-c file] --explain 'name=value ...' | --explain FILE
 *	messec-policyd --build-login-map MAPFILE lmdb:/path
 * DESCRIPTION
 *	main() wires the skeleton (daemon.h) to the config (config.c) and
 *	the event loop (loop.c). --explain is a dry run: it evaluates one
 *	request (given as words "name=value" or as a file of request lines)
 *	against the config and prints what every rule said, then the
 *	action; it opens no socket and changes no state.
 *	--build-login-map checks a sender-login map file (the
 *	sender_login_map format) and replaces the content of an LMDB login
 *	map (sender_login_db) with it, in one transaction: a running daemon
 *	uses the new map at its next request, without a reload.
 *
 *	Trust boundary: binds its sockets as root, then runs as the
 *	configured user; reads only requests from Postfix (or anyone who
 *	may connect to its sockets: protect them with socket_mode and
 *	socket_group, or a loopback address).
 * DIAGNOSTICS
 *	Exit 78 on a bad config, 2 on usage errors, 1 when --explain's
 *	request does not parse or the map cannot be built.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <messec/daemon.h>
#include <messec/log.h>
#include <messec/str.h>
#include "config.h"
#include "loop.h"
#include "sender_login.h"

static const struct cfg *conf_cfg(struct daemon_ref *r)
{
	return DAEMON_CONF(r, struct pd_conf, ref)->cfg;
}

static void dump(struct daemon_ref *r, FILE *out)
{
	cfg_dump(conf_cfg(r), out);
}

static void open_listeners(struct daemon_ref *r)
{
	pd_loop_open(DAEMON_CONF(r, struct pd_conf, ref));
}

static void describe(struct daemon_ref *r, char *buf, size_t size)
{
	pd_loop_describe(buf, size);
}

static void explain_line(void *ctx, const char *rule, const char *said, int decisive)
{
	printf("%-13s %s%s\n", rule, said, decisive ? "  [decides]" : "");
}

/* The request text: a file's content, or the words of arg as lines. */
static char *request_text(const char *arg, size_t *len_r)
{
	FILE *f = strchr(arg, '=') == NULL ? fopen(arg, "re") : NULL;
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);

	if (f != NULL) {
		char line[8192];

		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] != '\0')
				fprintf(mem, "%s\n", line);
		}
		fclose(f);
	} else {
		char *copy = xstrdup(arg), *save = NULL;

		for (char *w = strtok_r(copy, " \t\n", &save); w != NULL; w = strtok_r(NULL, " \t\n", &save))
			fprintf(mem, "%s\n", w);
		free(copy);
	}
	fclose(mem);
	/* request=smtpd_access_policy may be left out on the command line. */
	if (strstr(text, "request=") == NULL) {
		char *with = NULL;
		size_t wsize = 0;

		mem = open_memstream(&with, &wsize);
		fprintf(mem, "request=smtpd_access_policy\n%s\n", text);
		fclose(mem);
		free(text);
		*len_r = wsize;
		return with;
	}
	text = xrealloc(text, size + 2);
	text[size] = '\n';
	text[size + 1] = '\0';
	*len_r = size + 1;
	return text;
}

static int explain(const char *path, const char *arg)
{
	struct daemon_ref *ref = pd_conf_load(path, stderr);
	struct pd_request req;
	struct pd_verdict v;
	size_t len, used;
	const char *err = NULL;

	if (ref == NULL)
		return DAEMON_EX_CONFIG;
	struct pd_conf *conf = DAEMON_CONF(ref, struct pd_conf, ref);
	char *text = request_text(arg, &len);

	if (pd_proto_parse(text, len, &conf->limits, &req, &used, &err) != PD_PARSE_DONE) {
		fprintf(stderr, "messec-policyd: --explain: request: %s\n",
			err != NULL ? err : "incomplete");
		free(text);
		daemon_ref_release(&ref);
		return 1;
	}
	printf("protocol_state=%s\n", pd_req_get(&req, PD_A_PROTOCOL_STATE));
	/* No store: a dry run must not count or greylist anything; the
	   stateful rules say what they would answer without their state. */
	pd_rules_eval(conf->rules, NULL, &req, &v, explain_line, NULL);
	printf("decided by: %s\naction=%s\n", v.rule, v.action);
	free(text);
	daemon_ref_release(&ref);
	return 0;
}

/* --build-login-map MAPFILE lmdb:/path: 0, or 1 with the problems said. */
static int build_login_map(const char *src, const char *uri)
{
	struct pd_login_map *map = pd_login_map_load(src, stderr);
	int rc;

	if (map == NULL) {
		fprintf(stderr, "messec-policyd: %s: left as it was\n", uri);
		return 1;
	}
	rc = pd_login_db_build(map, uri, stdout, stderr) == 0 ? 0 : 1;
	pd_login_map_free(&map);
	return rc;
}

int main(int argc, char **argv)
{
	static const char *const restart[] = { "listen", "socket_mode", "socket_group", "store",
		"store_workers", NULL };
	static const struct daemon_def def = {
		.name = "messec-policyd",
		.config_path = "/etc/messec/policyd.conf",
		.load = pd_conf_load, .cfg = conf_cfg, .dump = dump,
		.open = open_listeners, .describe = describe,
		.run = pd_loop_run, .stop = pd_loop_stop,
		.restart_keys = restart,
	};
	const char *path = def.config_path;

	if (argc >= 2 && strcmp(argv[1], "--build-login-map") == 0) {
		if (argc != 4) {
			fprintf(stderr, "usage: messec-policyd --build-login-map MAPFILE lmdb:/path\n");
			return 2;
		}
		log_init("messec-policyd", 1, LOG_LEVEL_WARNING);
		return build_login_map(argv[2], argv[3]);
	}

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--explain") != 0)
			continue;
		if (i + 1 >= argc || argc > 5) {
			fprintf(stderr, "usage: messec-policyd [-c file] --explain 'name=value ...'|FILE\n");
			return 2;
		}
		for (int j = 1; j < argc; j++)
			if (strcmp(argv[j], "-c") == 0 && j + 1 < argc)
				path = argv[j + 1];
		log_init("messec-policyd", 1, LOG_LEVEL_WARNING);
		return explain(path, argv[i + 1]);
	}
	return daemon_main(&def, argc, argv);
}
