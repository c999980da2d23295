/*++
 * NAME
 *	config 3
 * SUMMARY
 *	messec-milter-av's key table and config object (see config.h)
 * DESCRIPTION
 *	Every key is declared once here, with its default and bounds; the
 *	sample config (messec-milter-av.conf), the man page and
 *	docs/milter-av.md document the same keys. Values are checked by
 *	common/'s parser; this file only copies them into the object.
 *
 *	Trust boundary: the config file is the administrator's.
 *--*/
#include <stdlib.h>
#include "messec/psl.h"
#include "messec/str.h"
#include "config.h"

#define DEFAULT_EXTENSIONS "ade adp app bat chm cmd com cpl exe hta inf ins iso img " \
	"jar js jse lnk msc msi msp pif ps1 reg scr sct shb shs vb vbe vbs wsc wsf wsh"

const struct cfg_def av_config_defs[] = {
	/* The skeleton's keys (daemon.h, milter.h). */
	{"socket", CFG_SOCKET, "unix:/run/messec/milter-av.sock", 0, 0, NULL, "milter socket"},
	{"socket_mode", CFG_STR, "0660", 0, 4, NULL, "octal mode of a unix socket"},
	{"user", CFG_STR, "messec", 0, 64, NULL, "run as this user after binding"},
	{"group", CFG_STR, "", 0, 64, NULL, "group of the socket (default: the user's)"},
	{"pid_file", CFG_STR, "", 0, 1024, NULL, "pid file (empty: none)"},
	{"log_level", CFG_ENUM, "info", 0, 0, "debug|info|notice|warning|error", "log level"},
	{"metrics_listen", CFG_STR, "", 0, 300, NULL, "inet:host:port of /metrics (empty: off)"},
	{"milter_timeout", CFG_TIME, "600s", 10, 7200, NULL, "I/O timeout towards the MTA"},
	/* The engine. */
	{"database_dir", CFG_PATH, "/var/lib/clamav", 0, 0, NULL, "signature databases (freshclam's)"},
	{"max_scan_size", CFG_SIZE, "100M", 1024, 4096LL << 20, NULL, "bytes scanned per message, all layers"},
	{"max_file_size", CFG_SIZE, "25M", 1024, 4096LL << 20, NULL, "largest file (attachment, archive member) scanned"},
	{"max_files", CFG_INT, "10000", 1, 1000000, NULL, "files scanned per message"},
	{"max_recursion", CFG_INT, "17", 1, 100, NULL, "nesting depth (MIME, archives)"},
	{"max_scan_time", CFG_TIME, "120s", 1, 3600, NULL, "scan time per message"},
	{"reload_mode", CFG_ENUM, "parallel", 0, 0, "parallel|low_memory",
	 "parallel: new engine beside the old; low_memory: old freed first"},
	{"reload_check_interval", CFG_TIME, "60s", 0, 86400, NULL, "database change polling (0: off)"},
	/* The spool. */
	{"spool_dir", CFG_PATH, "/var/tmp", 0, 0, NULL, "directory of the private temp files"},
	{"memory_spool_max", CFG_SIZE, "1M", 0, 1LL << 30, NULL, "bytes kept in memory before a temp file"},
	{"max_message_size", CFG_SIZE, "50M", 1024, 4096LL << 20, NULL, "larger messages are not scanned"},
	/* Actions. */
	{"infected_action", CFG_ENUM, "reject", 0, 0, AV_HIT_ACTIONS, "a signature matched"},
	{"policy_action", CFG_ENUM, "reject", 0, 0, AV_HIT_ACTIONS_OFF, "blocked extension or type"},
	{"encrypted_action", CFG_ENUM, "reject", 0, 0, AV_HIT_ACTIONS_OFF, "encrypted archive or document"},
	{"macro_action", CFG_ENUM, "off", 0, 0, AV_HIT_ACTIONS_OFF, "Office document with macros"},
	{"oversize_action", CFG_ENUM, "tempfail", 0, 0, AV_UNSCANNED_ACTIONS, "over max_message_size"},
	{"limits_action", CFG_ENUM, "tempfail", 0, 0, AV_UNSCANNED_ACTIONS,
	 "a scan limit (recursion, files, sizes, time) cut the scan short"},
	{"error_action", CFG_ENUM, "tempfail", 0, 0, AV_UNSCANNED_ACTIONS, "engine missing or scan error"},
	/* Attachment policy. */
	{"blocked_extensions", CFG_LIST, DEFAULT_EXTENSIONS, 0, 4096, NULL, "file name extensions refused"},
	{"double_extensions", CFG_BOOL, "yes", 0, 0, NULL, "refuse name.doc.exe (a blocked last extension after another)"},
	{"blocked_types", CFG_LIST, "CL_TYPE_MSEXE CL_TYPE_ELF CL_TYPE_MACHO", 0, 4096, NULL,
	 "libclamav file types refused, whatever the name"},
	/* Link analysis (linkcheck.h). Off unless a check is configured. */
	{"link_dns_lists", CFG_LIST, "", 0, 4096, NULL,
	 "URIBL/SURBL-style DNS list zones, each zone[:action] (action default tag)"},
	{"link_deny_domains", CFG_LIST, "", 0, 65536, NULL, "link host names refused (and their subdomains)"},
	{"link_deny_action", CFG_ENUM, "reject", 0, 0, AV_HIT_ACTIONS_OFF, "a link to a denied domain"},
	{"link_ip_action", CFG_ENUM, "off", 0, 0, AV_HIT_ACTIONS_OFF, "a link to an IP address"},
	{"link_mismatch_action", CFG_ENUM, "off", 0, 0, AV_HIT_ACTIONS_OFF,
	 "an HTML link whose text shows another host than its target"},
	{"link_idn_action", CFG_ENUM, "off", 0, 0, AV_HIT_ACTIONS_OFF,
	 "a link host in Punycode (xn--) or non-ASCII: a possible lookalike"},
	{"link_limits_action", CFG_ENUM, "tag", 0, 0, AV_HIT_ACTIONS_OFF,
	 "links not all checked (link_max_hosts, link_max_bytes, MIME depth)"},
	{"link_dns_error_action", CFG_ENUM, "tempfail", 0, 0, AV_UNSCANNED_ACTIONS,
	 "a DNS list could not be asked (timeout, SERVFAIL, budget spent)"},
	{"psl_path", CFG_PATH, MS_PSL_PATH_DEFAULT, 0, 0, NULL,
	 "public suffix list: link hosts are asked to DNS lists as their registered domain"},
	{"link_dns_timeout", CFG_TIME, "5s", 1, 60, NULL, "DNS time budget per message, all lists"},
	{"link_max_hosts", CFG_INT, "20", 1, AV_LINKS_HOSTS_MAX, NULL, "distinct link hosts checked per message"},
	{"link_max_bytes", CFG_SIZE, "4M", 1024, 256LL << 20, NULL, "message bytes searched for links"},
	CFG_END
};

static void conf_free(struct daemon_ref *ref)
{
	struct av_config *c = DAEMON_CONF(ref, struct av_config, ref);

	av_linkcheck_free(&c->links);
	cfg_free(&c->cfg);
	free(c);
}

static struct av_config *from_cfg(struct cfg *cfg, FILE *err)
{
	struct av_config *c;

	if (cfg == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->ref.refs = 1;
	c->ref.free = conf_free;
	c->database_dir = cfg_path(cfg, "database_dir");
	c->spool_dir = cfg_path(cfg, "spool_dir");
	c->memory_spool_max = cfg_size(cfg, "memory_spool_max");
	c->max_message_size = cfg_size(cfg, "max_message_size");
	c->limits.max_scan_size = cfg_size(cfg, "max_scan_size");
	c->limits.max_file_size = cfg_size(cfg, "max_file_size");
	c->limits.max_files = (uint32_t) cfg_int(cfg, "max_files");
	c->limits.max_recursion = (uint32_t) cfg_int(cfg, "max_recursion");
	c->limits.max_scan_time_ms = (uint32_t) cfg_time(cfg, "max_scan_time") * 1000;
	c->actions.infected = (enum av_hit_action) cfg_enum(cfg, "infected_action");
	c->actions.policy = (enum av_hit_action) cfg_enum(cfg, "policy_action");
	c->actions.encrypted = (enum av_hit_action) cfg_enum(cfg, "encrypted_action");
	c->actions.macro = (enum av_hit_action) cfg_enum(cfg, "macro_action");
	c->actions.oversize = (enum av_unscanned_action) cfg_enum(cfg, "oversize_action");
	c->actions.error = (enum av_unscanned_action) cfg_enum(cfg, "error_action");
	c->actions.limits = (enum av_unscanned_action) cfg_enum(cfg, "limits_action");
	c->blocked_extensions = cfg_list(cfg, "blocked_extensions", NULL);
	c->blocked_types = cfg_list(cfg, "blocked_types", NULL);
	c->double_extensions = cfg_bool(cfg, "double_extensions");
	c->reload_poll_seconds = (int) cfg_time(cfg, "reload_check_interval");
	c->reload_low_memory = cfg_enum(cfg, "reload_mode") == 1;
	if (av_linkcheck_config(cfg, &c->links, err) != 0) {
		conf_free(&c->ref);
		return NULL;
	}
	return c;
}

struct av_config *av_config_load(const char *path, int allow_missing, FILE *err)
{
	int n = 0;

	return from_cfg(cfg_load(av_config_defs, path, allow_missing, err, &n), err);
}

struct av_config *av_config_load_string(const char *text, FILE *err)
{
	int n = 0;

	return from_cfg(cfg_load_string(av_config_defs, "test", text, err, &n), err);
}

/* av_config_install/acquire/release: the skeleton's swap (daemon.h). */
DAEMON_CONF_ACCESSORS(av_config, struct av_config, ref)
