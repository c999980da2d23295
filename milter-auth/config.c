/*++
 * NAME
 *	config 3
 * SUMMARY
 *	messec-milter-auth configuration table, derivation and swap
 * SYNOPSIS
 *	#include "config.h"
 * DESCRIPTION
 *	ma_config_defs is the one list of keys (name, type, default, bounds,
 *	help); the man page and docs/milter-auth.md list the same keys. The
 *	defaults are the safe ones: DMARC p=reject is rejected, p=quarantine
 *	goes to Postfix's hold queue, internal errors tempfail, DNS
 *	temporary errors are recorded (A-R temperror) and accepted.
 *
 *	Reload: the daemon skeleton (common/daemon.c) loads a new object,
 *	and only when that fully succeeds (file, values, library contexts)
 *	installs it. The swap pointer is guarded by a mutex held for a few
 *	instructions; milter threads hold a reference for the life of one
 *	message.
 * DIAGNOSTICS
 *	"path:line: key: problem (expected ...)" from common/cfg, plus
 *	"path: key: problem" for the checks made here, all on the err stream.
 *--*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include "messec/log.h"
#include "messec/str.h"
#include "config.h"
#include <messec/spf.h>
#include "dkim_verify.h"
#include "dmarc.h"
#include "dkim_sign.h"
#include "messec/store.h"

/* dkim_sign.c's default lists, as config text. */
#define MA_SIGN_HEADERS "From, Reply-To, Subject, Date, To, Cc, Resent-Date, " \
	"Resent-From, Resent-Sender, Resent-To, Resent-Cc, In-Reply-To, References, " \
	"List-Id, List-Help, List-Unsubscribe, List-Subscribe, List-Post, List-Owner, " \
	"List-Archive, Message-ID, Sender, MIME-Version, Content-Type, " \
	"Content-Transfer-Encoding, Content-ID, Content-Description"
#define MA_OVERSIGN_HEADERS "From, To, Cc, Subject, Date, Message-ID, Reply-To, " \
	"In-Reply-To, References, MIME-Version, Content-Type, Content-Transfer-Encoding"

#define KB 1024LL
#define MB (1024LL * 1024LL)

const struct cfg_def ma_config_defs[] = {
	{"socket", CFG_SOCKET, "unix:/run/messec/milter-auth.sock", 0, 0, NULL,
	 "where the milter listens (unix:/path or inet:host:port)"},
	{"socket_mode", CFG_STR, "0660", 0, 4, NULL,
	 "octal mode of a unix socket"},
	{"user", CFG_STR, "messec", 0, 64, NULL,
	 "run as this user after binding the socket (empty: stay)"},
	{"group", CFG_STR, "", 0, 64, NULL,
	 "run as this group (empty: the user's primary group)"},
	{"pid_file", CFG_STR, "/run/messec/milter-auth.pid", 0, 1024, NULL,
	 "pid file (empty: none)"},
	{"log_level", CFG_ENUM, "info", 0, 0, "debug|info|notice|warning|error",
	 "least severe level logged"},
	{"authserv_id", CFG_STR, "", 0, 255, NULL,
	 "authserv-id of our Authentication-Results (empty: host name)"},
	{"internal_networks", CFG_CIDRS, "127.0.0.0/8, ::1", 0, 0, NULL,
	 "clients whose mail is outbound: not verified"},
	{"trusted_networks", CFG_CIDRS, "", 0, 0, NULL,
	 "trusted forwarders: verified and recorded, never enforced"},
	{"trusted_domains", CFG_LIST, "", 0, 0, NULL,
	 "trusted forwarder domains (client host name, SPF-pass MAIL FROM "
	 "or DKIM-pass d=, subdomains included)"},
	{"dmarc_reject_action", CFG_ENUM, "reject", 0, 0, "reject|quarantine|tag|accept",
	 "DMARC fail with p=reject"},
	{"dmarc_quarantine_action", CFG_ENUM, "quarantine", 0, 0,
	 "quarantine|tag|reject|accept", "DMARC fail with p=quarantine"},
	{"dmarc_none_action", CFG_ENUM, "accept", 0, 0, "accept|tag",
	 "DMARC fail with p=none"},
	{"temperror_action", CFG_ENUM, "accept", 0, 0, "accept|tempfail|tag",
	 "DNS temporary error deciding DMARC (A-R temperror either way)"},
	{"internal_error_action", CFG_ENUM, "tempfail", 0, 0, "tempfail|accept",
	 "library failure or out of memory"},
	{"limits_action", CFG_ENUM, "reject", 0, 0, "reject|tempfail|accept",
	 "header count or bytes over max_headers/max_header_bytes"},
	{"missing_from_action", CFG_ENUM, "reject", 0, 0, "reject|accept|tag",
	 "no usable From field (RFC 7489 section 6.6.1)"},
	{"multiple_from_action", CFG_ENUM, "reject", 0, 0, "reject|first|accept|tag",
	 "several From fields or domains (first: evaluate the first)"},
	{"tag_header", CFG_STR, "X-Messec-DMARC", 1, 76, NULL,
	 "header added by the tag action (forged copies are deleted)"},
	{"max_headers", CFG_INT, "1000", 10, 100000, NULL,
	 "header fields verified per message"},
	{"max_header_bytes", CFG_SIZE, "1M", 16 * KB, 64 * MB, NULL,
	 "header bytes verified per message"},
	{"spf_dns_timeout", CFG_TIME, "3s", 1, 60, NULL, "SPF: per DNS query"},
	{"spf_timeout", CFG_TIME, "10s", 1, 120, NULL, "SPF: whole evaluation"},
	{"dkim_dns_timeout", CFG_TIME, "5s", 1, 60, NULL, "DKIM: key lookup"},
	{"dkim_max_signatures", CFG_INT, "8", 1, MA_DECIDE_MAX_DKIM, NULL,
	 "DKIM signatures verified (the rest: policy)"},
	{"dkim_allow_rsa_sha1", CFG_BOOL, "no", 0, 0, NULL,
	 "accept rsa-sha1 signatures (RFC 8301 says no)"},
	{"dkim_min_rsa_bits", CFG_INT, "1024", 512, 8192, NULL,
	 "smallest RSA key accepted (RFC 8301 section 3.2)"},
	{"dkim_verify_engine", CFG_ENUM, "messec", 0, 0, "messec|opendkim",
	 "who verifies: messec (own verifier on the signer's canonicalization and "
	 "OpenSSL, keys parsed once) or opendkim (libopendkim; same results, docs/dkim.md)"},
	{"dkim_sign_keys", CFG_LIST, "", 0, 0, NULL,
	 "DKIM signing keys: domain:selector:/path/key.pem (mode 0600; RSA >= 2048 "
	 "bits or Ed25519; two keys for a domain give two signatures)"},
	{"dkim_sign_domains", CFG_LIST, "", 0, 0, NULL,
	 "sign outbound mail whose From domain is one of these (*.domain: its "
	 "subdomains, signed with d=domain); each needs a key"},
	{"dkim_sign_headers", CFG_LIST, MA_SIGN_HEADERS, 0, 0, NULL,
	 "header fields signed (RFC 6376 section 5.4.1; must include From)"},
	{"dkim_oversign_headers", CFG_LIST, MA_OVERSIGN_HEADERS, 0, 0, NULL,
	 "header fields oversigned: one added later breaks the signature"},
	{"dkim_sign_canonicalization", CFG_ENUM, "relaxed/relaxed", 0, 0,
	 "relaxed/relaxed|relaxed/simple|simple/relaxed|simple/simple",
	 "header/body canonicalization of our signatures (RFC 6376 section 3.4)"},
	{"dkim_sign_engine", CFG_ENUM, "messec", 0, 0, "messec|opendkim",
	 "who signs: messec (own canonicalization on OpenSSL, keys parsed once) or "
	 "opendkim (libopendkim; no Ed25519 with simple header canonicalization)"},
	{"outbound_remove_headers", CFG_LIST,
	 "X-Originating-IP, X-Forwarded-For, User-Agent, X-Mailer, X-MimeOLE", 0, 0, NULL,
	 "header fields deleted from outbound mail (ANSSI R36: client software, "
	 "internal addresses)"},
	{"outbound_remove_received", CFG_BOOL, "yes", 0, 0, NULL,
	 "delete the Received fields of outbound mail that the milter sees (hops "
	 "before our MTA; our MTA's own: Postfix header_checks, docs)"},
	{"dmarc_report_store", CFG_STR, "", 0, 1024, NULL,
	 "record every DMARC evaluation for aggregate reports in this store "
	 "(lmdb:/path or redis://..., common/store.h; empty: off)"},
	{"dmarc_report_retention", CFG_TIME, "31d", 86400, 366 * 86400, NULL,
	 "how long recorded evaluations are kept (the store purges them)"},
	{"dmarc_report_batch_ms", CFG_INT, "200", 10, 60000, NULL,
	 "recorded evaluations wait at most this long (ms) in the writer's queue "
	 "before one commit writes them all (also written at exit)"},
	{"dmarc_dns_timeout", CFG_TIME, "5s", 1, 60, NULL, "DMARC: record lookup"},
	{"psl_path", CFG_PATH, "/usr/share/publicsuffix/public_suffix_list.dat", 0, 0, NULL,
	 "public suffix list (Debian package publicsuffix)"},
	{"milter_timeout", CFG_TIME, "600s", 10, 7200, NULL,
	 "libmilter I/O timeout towards the MTA"},
	{"metrics_listen", CFG_STR, "", 0, 300, NULL,
	 "Prometheus endpoint inet:host:port (empty: off)"},
	CFG_END
};

/* The word cfg_enum() chose, from the table's choices (no allocation). */
static void enum_word(const struct cfg *cfg, const char *name, char *buf, size_t size)
{
	const struct cfg_def *def;
	const char *p, *end;
	int idx = cfg_enum(cfg, name);

	buf[0] = '\0';
	for (def = ma_config_defs; def->name != NULL; def++)
		if (strcmp(def->name, name) == 0)
			break;
	if (def->name == NULL || def->choices == NULL)
		log_panic("enum_word: %s is not an enum", name);
	for (p = def->choices; idx > 0 && p != NULL; idx--) {
		p = strchr(p, '|');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		log_panic("enum_word: %s: index out of range", name);
	end = strchr(p, '|');
	if (end == NULL)
		end = p + strlen(p);
	if ((size_t) (end - p) >= size)
		log_panic("enum_word: %s: word too long", name);
	memcpy(buf, p, (size_t) (end - p));
	buf[end - p] = '\0';
}

static enum ma_action action_of(const struct cfg *cfg, const char *name)
{
	char word[32];
	enum ma_action action;

	enum_word(cfg, name, word, sizeof(word));
	if (ma_action_parse(word, &action) != 0)
		log_panic("action_of: %s: unknown action %s", name, word);
	return action;
}

static void derive_policy(const struct cfg *cfg, struct ma_decide_policy *p)
{
	char word[32];

	ma_decide_policy_defaults(p);
	p->dmarc_reject = action_of(cfg, "dmarc_reject_action");
	p->dmarc_quarantine = action_of(cfg, "dmarc_quarantine_action");
	p->dmarc_none = action_of(cfg, "dmarc_none_action");
	p->temperror = action_of(cfg, "temperror_action");
	p->internal_error = action_of(cfg, "internal_error_action");
	p->limits = action_of(cfg, "limits_action");
	p->missing_from = action_of(cfg, "missing_from_action");
	enum_word(cfg, "multiple_from_action", word, sizeof(word));
	if (strcmp(word, "first") == 0) {
		p->multiple_from_first = 1;
		p->multiple_from = MA_ACTION_ACCEPT;
	} else {
		p->multiple_from = action_of(cfg, "multiple_from_action");
	}
}

/* Checks the table cannot express. Returns the number of problems. */
static int check_values(const struct cfg *cfg, FILE *err)
{
	const char *mode = cfg_str(cfg, "socket_mode");
	const char *pid = cfg_str(cfg, "pid_file");
	const char *metrics = cfg_str(cfg, "metrics_listen");
	const char *tag = cfg_str(cfg, "tag_header");
	struct sock_addr addr;
	const char *error;
	char *end;
	unsigned long m;
	int errors = 0;
	size_t i;

	m = strtoul(mode, &end, 8);
	if (*mode == '\0' || *end != '\0' || m > 0777) {
		fprintf(err, "%s: socket_mode: bad value \"%s\" (expected octal, e.g. 0660)\n",
			cfg_origin(cfg, "socket_mode"), mode);
		errors++;
	}
	if (*pid != '\0' && *pid != '/') {
		fprintf(err, "%s: pid_file: not an absolute path (expected /path or empty)\n",
			cfg_origin(cfg, "pid_file"));
		errors++;
	}
	if (*metrics != '\0' && (sock_addr_parse(metrics, &addr, &error) != 0 ||
				 addr.kind != SOCK_ADDR_INET)) {
		fprintf(err, "%s: metrics_listen: bad address (expected inet:host:port)\n",
			cfg_origin(cfg, "metrics_listen"));
		errors++;
	}
	/* RFC 5322 section 2.2: field name = printable ASCII except ':' */
	for (i = 0; tag[i] != '\0'; i++) {
		if (tag[i] <= ' ' || tag[i] >= 127 || tag[i] == ':') {
			fprintf(err, "%s: tag_header: not a header field name\n",
				cfg_origin(cfg, "tag_header"));
			errors++;
			break;
		}
	}
	return errors;
}

/*
 * The signing keys are read here, once per load: a SIGHUP reload reads
 * them again. A key file may belong to root or to the user we run as.
 */
static int create_signer(struct ma_config *mc, FILE *err)
{
	struct ma_dkim_sign_config sc;
	const char *user = cfg_str(mc->cfg, "user");
	const char *canon = cfg_str(mc->cfg, "dkim_sign_canonicalization");
	struct passwd *pw;

	memset(&sc, 0, sizeof(sc));
	sc.keys = cfg_list(mc->cfg, "dkim_sign_keys", NULL);
	sc.domains = cfg_list(mc->cfg, "dkim_sign_domains", NULL);
	sc.headers = cfg_list(mc->cfg, "dkim_sign_headers", NULL);
	sc.oversign = cfg_list(mc->cfg, "dkim_oversign_headers", NULL);
	sc.engine = strcmp(cfg_str(mc->cfg, "dkim_sign_engine"), "opendkim") == 0 ?
		MA_DKIM_ENGINE_OPENDKIM : MA_DKIM_ENGINE_MESSEC;
	sc.relaxed_header = strncmp(canon, "relaxed/", 8) == 0;
	sc.relaxed_body = strcmp(strchr(canon, '/') + 1, "relaxed") == 0;
	sc.keys_origin = cfg_origin(mc->cfg, "dkim_sign_keys");
	sc.domains_origin = cfg_origin(mc->cfg, "dkim_sign_domains");
	sc.key_owner = geteuid();
	if (*user != '\0' && (pw = getpwnam(user)) != NULL)
		sc.key_owner = pw->pw_uid;
	if ((mc->signer = ma_dkim_signer_new(&sc, err)) == NULL)
		return -1;
	return 0;
}

/*
 * The report store is opened once per process (an LMDB environment must
 * not be opened twice by one process): a reload keeps it, and a reload
 * that changes its address is refused (restart needed).
 */
static struct store *report_store;
static char report_store_addr[1025];

static int open_report_store(struct ma_config *mc, FILE *err)
{
	const char *addr = cfg_str(mc->cfg, "dmarc_report_store");
	const char *error = NULL;

	if (*addr == '\0')
		return 0;
	if (report_store != NULL) {
		if (strcmp(addr, report_store_addr) != 0) {
			fprintf(err, "%s: dmarc_report_store: a change needs a restart\n",
				cfg_origin(mc->cfg, "dmarc_report_store"));
			return -1;
		}
	} else {
		if ((report_store = store_open(addr, &error)) == NULL) {
			fprintf(err, "%s: dmarc_report_store: %s\n",
				cfg_origin(mc->cfg, "dmarc_report_store"), error);
			return -1;
		}
		str_copy(report_store_addr, addr, sizeof(report_store_addr));
	}
	mc->report_store = report_store;
	return 0;
}

static int create_libs(struct ma_config *mc, FILE *err)
{
	struct ma_spf_config spf_cfg;
	struct ma_dkim_config dkim_cfg;
	struct ma_dmarc_config dmarc_cfg;
	const char *error = "unknown error";

	memset(&spf_cfg, 0, sizeof(spf_cfg));	/* zero = module default */
	memset(&dmarc_cfg, 0, sizeof(dmarc_cfg));
	ma_dkim_config_defaults(&dkim_cfg);
	spf_cfg.dns_timeout_ms = (unsigned) cfg_time(mc->cfg, "spf_dns_timeout") * 1000;
	spf_cfg.total_timeout_ms = (unsigned) cfg_time(mc->cfg, "spf_timeout") * 1000;
	spf_cfg.receiver = mc->authserv_id;
	if ((mc->spf = ma_spf_new(&spf_cfg, &error)) == NULL) {
		fprintf(err, "SPF initialisation failed: %s\n", error);
		return -1;
	}
	dkim_cfg.max_signatures = (unsigned) cfg_int(mc->cfg, "dkim_max_signatures");
	dkim_cfg.allow_rsa_sha1 = cfg_bool(mc->cfg, "dkim_allow_rsa_sha1");
	dkim_cfg.min_rsa_bits = (unsigned) cfg_int(mc->cfg, "dkim_min_rsa_bits");
	dkim_cfg.dns_timeout_ms = (unsigned) cfg_time(mc->cfg, "dkim_dns_timeout") * 1000;
	/* mlfi_header hands the verify stage the exact bytes after the
	   colon, whatever was negotiated (milter.c) */
	dkim_cfg.header_leadspc = 1;
	dkim_cfg.engine = strcmp(cfg_str(mc->cfg, "dkim_verify_engine"), "messec") == 0 ?
	    MA_DKIM_VERIFY_MESSEC : MA_DKIM_VERIFY_OPENDKIM;
	if ((mc->dkim = ma_dkim_lib_new(&dkim_cfg, &error)) == NULL) {
		fprintf(err, "DKIM initialisation failed: %s\n", error);
		return -1;
	}
	if (create_signer(mc, err) != 0 || open_report_store(mc, err) != 0)
		return -1;
	dmarc_cfg.psl_path = cfg_path(mc->cfg, "psl_path");
	dmarc_cfg.dns_timeout_ms = (unsigned) cfg_time(mc->cfg, "dmarc_dns_timeout") * 1000;
	if ((mc->dmarc = ma_dmarc_new(&dmarc_cfg, &error)) == NULL) {
		fprintf(err, "DMARC initialisation failed: %s\n", error);
		return -1;
	}
	return 0;
}

static void config_free(struct ma_config *mc)
{
	if (mc->spf != NULL)
		ma_spf_free(&mc->spf);
	if (mc->dkim != NULL)
		ma_dkim_lib_free(&mc->dkim);
	if (mc->dmarc != NULL)
		ma_dmarc_free(&mc->dmarc);
	ma_dkim_signer_free(&mc->signer);
	cfg_free(&mc->cfg);
	free(mc);
}

static void config_ref_free(struct daemon_ref *ref)
{
	config_free(DAEMON_CONF(ref, struct ma_config, ref));
}

static struct ma_config *derive(struct cfg *cfg, int libs, FILE *err)
{
	struct ma_config *mc = xcalloc(1, sizeof(*mc));

	mc->cfg = cfg;
	mc->ref.refs = 1;
	mc->ref.free = config_ref_free;
	if (check_values(cfg, err) > 0) {
		config_free(mc);
		return NULL;
	}
	mc->authserv_id = cfg_str(cfg, "authserv_id");
	if (*mc->authserv_id == '\0') {
		/* RFC 8601 section 2.5: the host name is the usual authserv-id */
		if (gethostname(mc->host_name, sizeof(mc->host_name) - 1) != 0 ||
		    mc->host_name[0] == '\0')
			str_copy(mc->host_name, "localhost", sizeof(mc->host_name));
		mc->host_name[sizeof(mc->host_name) - 1] = '\0';
		mc->authserv_id = mc->host_name;
	}
	derive_policy(cfg, &mc->policy);
	mc->internal_networks = cfg_cidrs(cfg, "internal_networks");
	mc->trusted_networks = cfg_cidrs(cfg, "trusted_networks");
	mc->trusted_domains = cfg_list(cfg, "trusted_domains", NULL);
	mc->tag_header = cfg_str(cfg, "tag_header");
	mc->max_headers = (uint64_t) cfg_int(cfg, "max_headers");
	mc->max_header_bytes = cfg_size(cfg, "max_header_bytes");
	mc->max_ar_dkim = (unsigned) cfg_int(cfg, "dkim_max_signatures");
	mc->clean_rules.names = cfg_list(cfg, "outbound_remove_headers", NULL);
	mc->clean_rules.received = cfg_bool(cfg, "outbound_remove_received");
	mc->report_retention = (uint32_t) cfg_time(cfg, "dmarc_report_retention");
	mc->report_batch_ms = (unsigned) cfg_int(cfg, "dmarc_report_batch_ms");
	if (libs && create_libs(mc, err) != 0) {
		config_free(mc);
		return NULL;
	}
	return mc;
}

struct ma_config *ma_config_load(const char *path, int allow_missing, int libs, FILE *err)
{
	struct cfg *cfg;
	int nerrors = 0;

	if ((cfg = cfg_load(ma_config_defs, path, allow_missing, err, &nerrors)) == NULL)
		return NULL;
	return derive(cfg, libs, err);
}

struct ma_config *ma_config_load_string(const char *name, const char *text, FILE *err)
{
	struct cfg *cfg;
	int nerrors = 0;

	if ((cfg = cfg_load_string(ma_config_defs, name, text, err, &nerrors)) == NULL)
		return NULL;
	return derive(cfg, 0, err);
}

/* ma_config_install/acquire/release: the skeleton's swap (daemon.h). */
DAEMON_CONF_ACCESSORS(ma_config, struct ma_config, ref)
