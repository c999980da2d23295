/*++
/* NAME
/*	mfa_settings 3
/* SUMMARY
/*	MFA passdb settings: one declared table, bounds checked once
/* DESCRIPTION
/*	See mfa_settings.h. Callers: passdb_mfa.c (preinit, as root, before
/*	Dovecot drops privileges), mfa_cli.c.
/* TRUST BOUNDARY
/*	Input is the administrator's (dovecot.conf, config file); still every
/*	value is bounded and an unknown key is an error, never ignored.
/*--*/
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_settings.h"
#include "mfa_store.h"

void mfa_settings_init(struct mfa_settings *set)
{
	memset(set, 0, sizeof(*set));
	(void)str_copy(set->issuer, "messec", sizeof(set->issuer));
	set->algorithm = MFA_TOTP_SHA1;
	set->digits = 6;
	set->step = 30;			/* RFC 6238 4.1: X = 30 s */
	set->window = 1;
	set->max_failures = 5;
	set->lockout = 15 * 60;
	set->ip_max_failures = 20;
	set->check_chain = 1;
	set->redis_timeout = MFA_REDIS_TIMEOUT_DEFAULT;
	set->store_sync = MFA_STORE_SYNC_PERIODIC;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned int *value_r)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*value_r = (unsigned int)v;
	return 0;
}

static int parse_time(const char *s, unsigned int *value_r)
{
	char number[32];
	size_t len = strlen(s);
	unsigned int mult = 1, v;

	if (len == 0 || len >= sizeof(number))
		return -1;
	memcpy(number, s, len + 1);
	switch (number[len - 1]) {
	case 's': mult = 1; number[len - 1] = '\0'; break;
	case 'm': mult = 60; number[len - 1] = '\0'; break;
	case 'h': mult = 3600; number[len - 1] = '\0'; break;
	case 'd': mult = 86400; number[len - 1] = '\0'; break;
	default: break;
	}
	if (parse_uint(number, 0, 30 * 86400 / mult, &v) < 0)
		return -1;
	*value_r = v * mult;
	return 0;
}

static int parse_bool(const char *s, unsigned int *value_r)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*value_r = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*value_r = 0;
	else
		return -1;
	return 0;
}

int mfa_net_parse(const char *text, struct mfa_net *net_r)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash == NULL ? strlen(text) : (size_t)(slash - text);
	unsigned int max;

	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	memset(net_r, 0, sizeof(*net_r));
	if (inet_pton(AF_INET, addr, net_r->addr) == 1) {
		net_r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net_r->addr) == 1) {
		net_r->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	net_r->prefix = max;
	if (slash != NULL && parse_uint(slash + 1, 0, max, &net_r->prefix) < 0)
		return -1;
	return 0;
}

static int set_list(const char *value, const char *what, size_t max_items,
		    int (*add)(struct mfa_settings *, const char *),
		    struct mfa_settings *set, const char **error_r)
{
	char item[128];
	const char *p = value;

	while (*p != '\0') {
		size_t len = strcspn(p, ", ");

		if (len > 0) {
			if (len >= sizeof(item)) {
				*error_r = mfa_error("%s: item too long", what);
				return -1;
			}
			memcpy(item, p, len);
			item[len] = '\0';
			if (add(set, item) < 0) {
				*error_r = mfa_error("%s: bad item '%s' (at most %zu items)",
						     what, item, max_items);
				return -1;
			}
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	return 0;
}

static int add_service(struct mfa_settings *set, const char *name)
{
	if (set->services_count >= MFA_SERVICES_MAX ||
	    str_copy(set->services[set->services_count], name,
		     MFA_SERVICE_LEN) >= MFA_SERVICE_LEN)
		return -1;
	set->services_count++;
	return 0;
}

static int add_net(struct mfa_settings *set, const char *text)
{
	if (set->nets_count >= MFA_NETS_MAX ||
	    mfa_net_parse(text, &set->nets[set->nets_count]) < 0)
		return -1;
	set->nets_count++;
	return 0;
}

int mfa_settings_set(struct mfa_settings *set, const char *key,
		     const char *value, const char **error_r)
{
	int bad = 0;

	if (strcmp(key, "store") == 0) {
		const char *error;

		if (mfa_store_spec_check(value, &error) < 0) {
			*error_r = mfa_error("store: %s", error);
			return -1;
		}
		bad = str_copy(set->store, value, sizeof(set->store)) >= sizeof(set->store);
	} else if (strcmp(key, "redis_timeout") == 0) {
		/* The auth process waits this long at most per round trip:
		   keep it a few ms (docs/mfa.md). */
		bad = parse_uint(value, 1, MFA_REDIS_TIMEOUT_MAX, &set->redis_timeout) < 0;
	} else if (strcmp(key, "store_sync") == 0) {
		/* LMDB store in the plugin only; the CLI always syncs
		   (docs/mfa.md "Durability"). */
		if (strcmp(value, "always") == 0)
			set->store_sync = MFA_STORE_SYNC_ALWAYS;
		else if (strcmp(value, "periodic") == 0)
			set->store_sync = MFA_STORE_SYNC_PERIODIC;
		else if (strcmp(value, "data") == 0)
			set->store_sync = MFA_STORE_SYNC_DATA;
		else
			bad = 1;
	} else if (strcmp(key, "key_file") == 0) {
		bad = value[0] != '/' ||
		      str_copy(set->key_file, value, sizeof(set->key_file)) >=
		      sizeof(set->key_file);
	} else if (strcmp(key, "issuer") == 0) {
		bad = value[0] == '\0' ||
		      str_copy(set->issuer, value, sizeof(set->issuer)) >=
		      sizeof(set->issuer);
	} else if (strcmp(key, "separator") == 0) {
		bad = strpbrk(value, "0123456789") != NULL ||
		      str_copy(set->separator, value, sizeof(set->separator)) >=
		      sizeof(set->separator);
	} else if (strcmp(key, "algorithm") == 0) {
		bad = mfa_totp_alg_parse(value, &set->algorithm) < 0;
	} else if (strcmp(key, "digits") == 0) {
		bad = parse_uint(value, MFA_DIGITS_MIN, MFA_DIGITS_MAX, &set->digits) < 0;
	} else if (strcmp(key, "window") == 0) {
		/* RFC 6238 5.2 recommends at most one step back; 2 is our cap. */
		bad = parse_uint(value, 0, MFA_WINDOW_MAX, &set->window) < 0;
	} else if (strcmp(key, "max_failures") == 0) {
		bad = parse_uint(value, 1, 1000, &set->max_failures) < 0;
	} else if (strcmp(key, "ip_max_failures") == 0) {
		bad = parse_uint(value, 1, 100000, &set->ip_max_failures) < 0;
	} else if (strcmp(key, "lockout") == 0) {
		bad = parse_time(value, &set->lockout) < 0 || set->lockout == 0;
	} else if (strcmp(key, "unenrolled") == 0) {
		if (strcmp(value, "deny") == 0)
			set->unenrolled_allow = 0;
		else if (strcmp(value, "allow") == 0)
			set->unenrolled_allow = 1;
		else
			bad = 1;
	} else if (strcmp(key, "check_chain") == 0) {
		bad = parse_bool(value, &set->check_chain) < 0;
	} else if (strcmp(key, "services") == 0) {
		set->services_count = 0;
		if (strcmp(value, "*") != 0)
			return set_list(value, "services", MFA_SERVICES_MAX,
					add_service, set, error_r);
	} else if (strcmp(key, "exempt_nets") == 0) {
		set->nets_count = 0;
		return set_list(value, "exempt_nets", MFA_NETS_MAX, add_net,
				set, error_r);
	} else {
		*error_r = mfa_error("unknown setting '%s'", key);
		return -1;
	}
	if (bad) {
		*error_r = mfa_error("%s: bad value '%s'", key, value);
		return -1;
	}
	return 0;
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

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int mfa_settings_load_file(struct mfa_settings *set, const char *path,
			   const char **error_r)
{
	char line[2048];
	unsigned int lineno = 0;
	FILE *fp = fopen(path, "re");

	if (fp == NULL) {
		*error_r = mfa_error("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *key, *value, *eq, *hash;
		const char *error;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			*error_r = mfa_error("%s:%u: line too long", path, lineno);
			goto fail;
		}
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			*error_r = mfa_error("%s:%u: expected 'key = value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		if (mfa_settings_set(set, key, value, &error) < 0) {
			*error_r = mfa_error("%s:%u: %s", path, lineno, error);
			goto fail;
		}
	}
	(void)fclose(fp);
	return 0;
fail:
	(void)fclose(fp);
	return -1;
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

static int net_match(const struct mfa_net *net, int family, const uint8_t *addr)
{
	unsigned int full = net->prefix / 8, rest = net->prefix % 8;

	if (net->family != family)
		return 0;
	if (memcmp(net->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

int mfa_settings_ip_exempt(const struct mfa_settings *set, const char *ip)
{
	uint8_t addr[16];
	int family;

	if (ip == NULL || set->nets_count == 0)
		return 0;
	if (inet_pton(AF_INET, ip, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, addr) == 1)
		family = AF_INET6;
	else
		return 0;
	for (size_t i = 0; i < set->nets_count; i++) {
		if (net_match(&set->nets[i], family, addr))
			return 1;
	}
	return 0;
}
