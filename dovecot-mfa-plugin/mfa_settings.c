/*++
/* NAME
/*	mfa_settings 3
/* SUMMARY
/*	MFA passdb settings: one declared table, bounds checked once
/* DESCRIPTION
/*	See mfa_settings.h. Callers: passdb_mfa.c (preinit, as root, before
/*	Dovecot drops privileges), mfa_cli.c.
/*
/*	The table (mfa_defs) goes through common/'s parser (cfg.h): types,
/*	defaults and bounds, unknown keys, "path:line: key: problem
/*	(expected ...)". What the table cannot say is checked here when a
/*	value is applied to struct mfa_settings: the store address, a
/*	non-empty issuer and key_file, no digit in the separator, the TOTP
/*	algorithm name, at most MFA_SERVICES_MAX services and MFA_NETS_MAX
/*	networks. A passdb args word is handed to the parser as one quoted
/*	line, so its value is taken literally (no "#" comment, no quotes).
/* TRUST BOUNDARY
/*	Input is the administrator's (dovecot.conf, config file); still every
/*	value is bounded and an unknown key is an error, never ignored.
/*--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <messec/cfg.h>
#include <messec/log.h>
#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_settings.h"
#include "mfa_store.h"

/* Errors collected from cfg, joined into one line (mfa_error's size). */
#define MFA_SETTINGS_ERRORS_MAX 480

static const struct cfg_def mfa_defs[] = {
	{ "store", CFG_STR, "", 0, MFA_PATH_MAX - 1, NULL,
	  "LMDB file (absolute path) or redis:// address; required" },
	{ "key_file", CFG_PATH, "", 0, 0, NULL,
	  "AES-256-GCM key, 64 hex digits (default <store>.key)" },
	/* LMDB store in the plugin only; the CLI always syncs
	   (docs/mfa.md "Durability"). Order: enum mfa_store_sync. */
	{ "store_sync", CFG_ENUM, "periodic", 0, 0, "always|periodic|data",
	  "when LMDB commits reach the disk" },
	/* The auth process waits this long at most per round trip: keep it
	   a few ms (docs/mfa.md). */
	{ "redis_timeout", CFG_INT, "20", 1, MFA_REDIS_TIMEOUT_MAX, NULL,
	  "ms per Redis connect and round trip" },
	{ "issuer", CFG_STR, "messec", 0, MFA_ISSUER_MAX - 1, NULL,
	  "name shown in authenticator apps" },
	{ "separator", CFG_STR, "", 0, MFA_SEPARATOR_MAX - 1, NULL,
	  "text between password and code (no digits)" },
	{ "algorithm", CFG_STR, "SHA1", 0, 16, NULL,
	  "SHA1, SHA256 or SHA512, for new enrolments" },
	{ "digits", CFG_INT, "6", MFA_DIGITS_MIN, MFA_DIGITS_MAX, NULL,
	  "digits of a code" },
	/* RFC 6238 5.2 recommends at most one step back; 2 is our cap. */
	{ "window", CFG_INT, "1", 0, MFA_WINDOW_MAX, NULL,
	  "accepted skew in time steps" },
	{ "max_failures", CFG_INT, "5", 1, 1000, NULL,
	  "consecutive failures before the user is locked" },
	{ "ip_max_failures", CFG_INT, "20", 1, 100000, NULL,
	  "failures from one IP within lockout before it is refused" },
	{ "lockout", CFG_TIME, "15m", 1, 30 * 86400, NULL,
	  "lock duration" },
	{ "unenrolled", CFG_ENUM, "deny", 0, 0, "deny|allow",
	  "users without a secret" },
	{ "check_chain", CFG_BOOL, "yes", 0, 0, NULL,
	  "refuse passdb chains that let a login in without a code" },
	{ "services", CFG_LIST, "*", 0, MFA_SERVICES_MAX * MFA_SERVICE_LEN, NULL,
	  "services that need a code (* = all)" },
	{ "exempt_nets", CFG_CIDRS, "", 0, 0, NULL,
	  "networks that log in with the bare password" },
	CFG_END
};

static int apply_services(struct mfa_settings *set, const struct cfg *cfg,
			  const char *origin, const char **error_r)
{
	size_t count;
	const char *const *words = cfg_list(cfg, "services", &count);

	set->services_count = 0;
	if (count == 1 && strcmp(words[0], "*") == 0)
		return 0;
	if (count > MFA_SERVICES_MAX) {
		*error_r = mfa_error("%s: services: %zu services (expected at most %d)",
				     origin, count, MFA_SERVICES_MAX);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (str_copy(set->services[i], words[i], MFA_SERVICE_LEN) >=
		    MFA_SERVICE_LEN) {
			*error_r = mfa_error("%s: services: service name too long "
					     "(expected at most %d bytes)",
					     origin, MFA_SERVICE_LEN - 1);
			return -1;
		}
	}
	set->services_count = count;
	return 0;
}

static int apply_nets(struct mfa_settings *set, const struct cfg *cfg,
		      const char *origin, const char **error_r)
{
	const struct cidr_list *list = cfg_cidrs(cfg, "exempt_nets");

	set->nets_count = 0;
	if (list == NULL || list->count == 0)
		return 0;
	if (list->count > MFA_NETS_MAX) {
		*error_r = mfa_error("%s: exempt_nets: %zu networks (expected at most %d)",
				     origin, list->count, MFA_NETS_MAX);
		return -1;
	}
	memcpy(set->nets, list->items, list->count * sizeof(set->nets[0]));
	set->nets_count = list->count;
	return 0;
}

/* Apply the parsed value of key to set; checks the table cannot make. */
static int apply_key(struct mfa_settings *set, const struct cfg *cfg,
		     const char *key, const char **error_r)
{
	const char *origin = cfg_origin(cfg, key), *v = cfg_str(cfg, key);
	const char *error;
	int bad = 0;

	if (strcmp(key, "store") == 0) {
		if (mfa_store_spec_check(v, &error) < 0) {
			*error_r = mfa_error("%s: store: %s", origin, error);
			return -1;
		}
		bad = str_copy(set->store, v, sizeof(set->store)) >= sizeof(set->store);
	} else if (strcmp(key, "key_file") == 0) {
		bad = v[0] == '\0' ||
		      str_copy(set->key_file, v, sizeof(set->key_file)) >=
		      sizeof(set->key_file);
	} else if (strcmp(key, "store_sync") == 0) {
		set->store_sync = (unsigned int)cfg_enum(cfg, key);
	} else if (strcmp(key, "redis_timeout") == 0) {
		set->redis_timeout = (unsigned int)cfg_int(cfg, key);
	} else if (strcmp(key, "issuer") == 0) {
		bad = v[0] == '\0';
		(void)str_copy(set->issuer, v, sizeof(set->issuer));
	} else if (strcmp(key, "separator") == 0) {
		bad = strpbrk(v, "0123456789") != NULL;
		(void)str_copy(set->separator, v, sizeof(set->separator));
	} else if (strcmp(key, "algorithm") == 0) {
		bad = mfa_totp_alg_parse(v, &set->algorithm) < 0;
	} else if (strcmp(key, "digits") == 0) {
		set->digits = (unsigned int)cfg_int(cfg, key);
	} else if (strcmp(key, "window") == 0) {
		set->window = (unsigned int)cfg_int(cfg, key);
	} else if (strcmp(key, "max_failures") == 0) {
		set->max_failures = (unsigned int)cfg_int(cfg, key);
	} else if (strcmp(key, "ip_max_failures") == 0) {
		set->ip_max_failures = (unsigned int)cfg_int(cfg, key);
	} else if (strcmp(key, "lockout") == 0) {
		set->lockout = (unsigned int)cfg_time(cfg, key);
	} else if (strcmp(key, "unenrolled") == 0) {
		set->unenrolled_allow = cfg_enum(cfg, key) == 1;
	} else if (strcmp(key, "check_chain") == 0) {
		set->check_chain = cfg_bool(cfg, key) != 0;
	} else if (strcmp(key, "services") == 0) {
		return apply_services(set, cfg, origin, error_r);
	} else if (strcmp(key, "exempt_nets") == 0) {
		return apply_nets(set, cfg, origin, error_r);
	} else {
		log_panic("mfa_settings: key '%s' declared but not applied", key);
	}
	if (bad) {
		char clean[72];

		*error_r = mfa_error("%s: %s: bad value '%s'", origin, key,
				     ms_str_sanitize(clean, sizeof(clean), v, 64));
		return -1;
	}
	return 0;
}

/* Apply every key of cfg that is not at its default (all = 1: every
   key but store and key_file, which have no default). */
static int apply_cfg(struct mfa_settings *set, const struct cfg *cfg, int all,
		     const char **error_r)
{
	for (const struct cfg_def *d = mfa_defs; d->name != NULL; d++) {
		int is_default = strcmp(cfg_origin(cfg, d->name), "default") == 0;

		if (all ? (strcmp(d->name, "store") == 0 ||
			   strcmp(d->name, "key_file") == 0) : is_default)
			continue;
		if (apply_key(set, cfg, d->name, error_r) < 0)
			return -1;
	}
	return 0;
}

/* cfg's error lines (err, a memstream's text) as one line: "; " joined,
   cut to fit. */
static const char *join_errors(char *text, size_t len)
{
	char line[MFA_SETTINGS_ERRORS_MAX];
	size_t out = 0;

	for (size_t i = 0; i < len && out + 4 < sizeof(line); i++) {
		if (text[i] == '\n') {
			if (i + 1 < len) {
				line[out++] = ';';
				line[out++] = ' ';
			}
		} else {
			line[out++] = text[i];
		}
	}
	line[out] = '\0';
	return mfa_error("%s", line);
}

/* cfg_load() or cfg_load_string() with the errors caught in memory. */
static struct cfg *load(const char *path, const char *name, const char *text,
			const char **error_r)
{
	struct cfg *cfg;
	char *errors = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&errors, &len);

	if (err == NULL) {
		*error_r = "settings: out of memory";
		return NULL;
	}
	cfg = path != NULL ? cfg_load(mfa_defs, path, 0, err, NULL) :
		cfg_load_string(mfa_defs, name, text, err, NULL);
	(void)fclose(err);
	if (cfg == NULL)
		*error_r = join_errors(errors, len);
	free(errors);
	return cfg;
}

void mfa_settings_init(struct mfa_settings *set)
{
	const char *error;
	struct cfg *cfg;

	memset(set, 0, sizeof(*set));
	set->step = 30;			/* RFC 6238 4.1: X = 30 s; not a key */
	cfg = load(NULL, "default", "", &error);
	if (cfg == NULL || apply_cfg(set, cfg, 1, &error) < 0)
		log_panic("mfa_settings: bad default: %s", error);
	cfg_free(&cfg);
}

int mfa_settings_set(struct mfa_settings *set, const char *key,
		     const char *value, const char **error_r)
{
	char line[MFA_PATH_MAX * 2 + 64];
	size_t out = 0, klen = strlen(key);
	struct cfg *cfg;
	int ret;

	/* key = "value", with " and \ escaped: the value is literal. A
	   control character could end the line (and start another key). */
	if (klen > 64 || klen + 8 >= sizeof(line)) {
		*error_r = "passdb args: key too long";
		return -1;
	}
	memcpy(line, key, klen);
	out = klen;
	memcpy(line + out, " = \"", 4);
	out += 4;
	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*error_r = mfa_error("%s: control character in value", key);
			return -1;
		}
		if (out + 4 >= sizeof(line)) {
			*error_r = mfa_error("%s: value too long", key);
			return -1;
		}
		if (*p == '"' || *p == '\\')
			line[out++] = '\\';
		line[out++] = *p;
	}
	line[out++] = '"';
	line[out] = '\0';
	cfg = load(NULL, "passdb args", line, error_r);
	if (cfg == NULL)
		return -1;
	ret = apply_cfg(set, cfg, 0, error_r);
	cfg_free(&cfg);
	return ret;
}

int mfa_settings_parse_args(struct mfa_settings *set, const char *args,
			    const char **error_r)
{
	char word[MFA_PATH_MAX + 32];
	const char *p = args;

	while (*p != '\0') {
		size_t len = strcspn(p, " \t");
		char *eq;

		if (len >= sizeof(word)) {
			*error_r = "passdb args: word too long";
			return -1;
		}
		if (len > 0) {
			memcpy(word, p, len);
			word[len] = '\0';
			eq = strchr(word, '=');
			if (eq == NULL) {
				*error_r = mfa_error("passdb args: '%s' is not key=value", word);
				return -1;
			}
			*eq = '\0';
			if (strcmp(word, "config") == 0) {
				if (mfa_settings_load_file(set, eq + 1, error_r) < 0)
					return -1;
			} else if (mfa_settings_set(set, word, eq + 1, error_r) < 0) {
				return -1;
			}
		}
		p += len;
		p += strspn(p, " \t");
	}
	return 0;
}

int mfa_settings_load_file(struct mfa_settings *set, const char *path,
			   const char **error_r)
{
	struct cfg *cfg = load(path, NULL, NULL, error_r);
	int ret;

	if (cfg == NULL)
		return -1;
	ret = apply_cfg(set, cfg, 0, error_r);
	cfg_free(&cfg);
	return ret;
}

int mfa_settings_finish(struct mfa_settings *set, const char **error_r)
{
	if (set->store[0] == '\0') {
		*error_r = "store=PATH is required";
		return -1;
	}
	if (set->key_file[0] == '\0' && mfa_store_is_redis(set->store)) {
		*error_r = "key_file=PATH is required with a redis store "
			   "(the same key file on every host sharing it)";
		return -1;
	}
	if (set->key_file[0] == '\0') {
		int n = snprintf(set->key_file, sizeof(set->key_file), "%s.key",
				 set->store);

		if (n < 0 || (size_t)n >= sizeof(set->key_file)) {
			*error_r = "store path too long for the default key_file";
			return -1;
		}
	}
	return 0;
}

int mfa_settings_service_covered(const struct mfa_settings *set,
				 const char *service)
{
	if (set->services_count == 0)
		return 1;
	for (size_t i = 0; i < set->services_count; i++) {
		if (strcasecmp(set->services[i], service) == 0)
			return 1;
	}
	return 0;
}

int mfa_settings_ip_exempt(const struct mfa_settings *set, const char *ip)
{
	/* A view of the fixed array as common/'s list type; the match only
	   reads it. */
	const struct cidr_list nets = {
		.count = set->nets_count,
		.items = (struct cidr *)(uintptr_t)set->nets,
	};

	if (ip == NULL || set->nets_count == 0)
		return 0;
	return cidr_list_match_str(&nets, ip) == 1;
}
