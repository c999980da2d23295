/*++
 * NAME
 *	cfg_value 3
 * SUMMARY
 *	typed configuration values: parse, get, dump
 * SYNOPSIS
 *	#include <messec/cfg.h>
 *	(cfg_value_parse() and cfg_entry_clear() are private to cfg.c)
 * DESCRIPTION
 *	Each CFG_* type has one parser that turns the text of a line into
 *	the typed value and, on failure, writes one problem sentence of the
 *	form "'value' is not X (expected Y)", which cfg.c prefixes with
 *	"path:line: key: ". Bounds: for CFG_INT/SIZE/TIME, min = max = 0
 *	means unbounded; for CFG_STR and CFG_LIST, max is the length cap
 *	(0 = 4096 bytes).
 *
 *	The getters look a key up by name; a key the table does not
 *	declare, or a getter of the wrong type, is a programming error and
 *	panics (found by the first test that loads the daemon's table).
 *	cfg_str() works for every type and returns the effective text.
 * TRUST BOUNDARY
 *	Values come from root-owned files, but are still parsed strictly and
 *	echoed only sanitized and cut (ms_str_sanitize).
 * DIAGNOSTICS
 *	Parsers return -1 with the problem text; getters panic on misuse.
 *--*/
#include "cfg_int.h"

#include <messec/log.h>
#include <messec/str.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CFG_STR_DEFAULT_MAX 4096
#define CFG_ECHO_MAX 64		/* chars of a bad value quoted back */

int cfg_parse_bool(const char *s, int *value_r, const char **error_r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*value_r = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*value_r = 0;
			return 0;
		}
	}
	*error_r = "is not a boolean (expected yes or no)";
	return -1;
}

/* Digits then an optional one-letter unit from units[] (multipliers). */
static int parse_scaled(const char *s, const char *units,
			const uint64_t *mult, uint64_t *value_r)
{
	char digits[32];
	size_t n = strspn(s, "0123456789");
	uint64_t v, m = 1;
	const char *u;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (ms_str_parse_uint(digits, 0, UINT64_MAX, &v) < 0)
		return -1;
	if (s[n] != '\0') {
		if (s[n + 1] != '\0' || (u = strchr(units, s[n])) == NULL)
			return -1;
		m = mult[u - units];
	}
	if (m != 0 && v > UINT64_MAX / m)
		return -1;
	*value_r = v * m;
	return 0;
}

int cfg_parse_size(const char *s, uint64_t *value_r, const char **error_r)
{
	static const uint64_t mult[] = {
		1, 1024, 1024, 1024ULL * 1024, 1024ULL * 1024,
		1024ULL * 1024 * 1024, 1024ULL * 1024 * 1024,
	};

	if (parse_scaled(s, "bkKmMgG", mult, value_r) < 0) {
		*error_r = "is not a size (expected a number with optional K, M or G)";
		return -1;
	}
	return 0;
}

int cfg_parse_time(const char *s, uint64_t *value_r, const char **error_r)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400, 604800 };

	if (parse_scaled(s, "smhdw", mult, value_r) < 0) {
		*error_r = "is not a time (expected a number with optional s, m, h, d or w)";
		return -1;
	}
	return 0;
}

static int parse_int64(const char *s, int64_t *value_r)
{
	uint64_t v;
	int neg = *s == '-';

	if (ms_str_parse_uint(s + neg, 0, neg ? (uint64_t)INT64_MAX + 1 :
			   (uint64_t)INT64_MAX, &v) < 0)
		return -1;
	*value_r = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* 0 when min <= v <= max, or when the def has no bounds. */
static int in_range(const struct cfg_def *def, int64_t v)
{
	if (def->min == 0 && def->max == 0)
		return 1;
	return v >= def->min && v <= def->max;
}

static int enum_index(const char *choices, const char *s)
{
	size_t slen = strlen(s);
	int idx = 0;
	const char *p = choices;

	for (;;) {
		size_t n = strcspn(p, "|");

		if (n == slen && strncmp(p, s, n) == 0)
			return idx;
		if (p[n] == '\0')
			return -1;
		p += n + 1;
		idx++;
	}
}

static void split_words(const char *text, struct cfg_entry *e)
{
	const char *p = text;
	size_t cap = 4;

	e->words = xcalloc(cap, sizeof(char *));
	for (;;) {
		size_t n;

		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (e->nwords + 1 >= cap) {
			cap *= 2;
			e->words = xrealloc(e->words, cap * sizeof(char *));
		}
		e->words[e->nwords++] = xstrndup(p, n);
		p += n;
	}
	e->words[e->nwords] = NULL;
}

/* Numeric types: syntax, then range; problem text on failure. */
static int parse_number(const struct cfg_def *def, const char *text,
			const char *clean, struct cfg_entry *e,
			char *problem, size_t size)
{
	const char *err = NULL, *unit = "";
	int64_t v = 0;

	if (def->type == CFG_INT) {
		if (parse_int64(text, &v) < 0)
			err = "is not an integer (expected a decimal number)";
		e->i = v;
	} else {
		unit = def->type == CFG_SIZE ? " bytes" : " seconds";
		if ((def->type == CFG_SIZE ? cfg_parse_size(text, &e->u, &err) :
		     cfg_parse_time(text, &e->u, &err)) == 0) {
			/* Bounds are int64_t; a larger value is out of range. */
			v = e->u > INT64_MAX ? INT64_MAX : (int64_t)e->u;
			if (e->u > INT64_MAX && def->min == 0 && def->max == 0)
				err = "is out of range (expected at most 2^63-1)";
		}
	}
	if (err != NULL) {
		snprintf(problem, size, "'%s' %s", clean, err);
		return -1;
	}
	if (!in_range(def, v) || (e->u > INT64_MAX && def->type != CFG_INT)) {
		snprintf(problem, size, "'%s' is out of range (expected %lld..%lld%s)",
			 clean, (long long)def->min, (long long)def->max, unit);
		return -1;
	}
	return 0;
}

int cfg_value_parse(const struct cfg_def *def, const char *text,
		    struct cfg_entry *e, char *problem, size_t size)
{
	char clean[CFG_ECHO_MAX + 4];
	size_t max = def->max > 0 ? (size_t)def->max : CFG_STR_DEFAULT_MAX;
	const char *err = NULL;

	memset(e, 0, sizeof(*e));
	e->def = def;
	ms_str_sanitize(clean, sizeof(clean), text, CFG_ECHO_MAX);
	if ((def->type == CFG_STR || def->type == CFG_LIST) && strlen(text) > max) {
		snprintf(problem, size, "value too long (expected at most %zu bytes)", max);
		return -1;
	}
	if (*text == '\0' && def->type != CFG_STR && def->type != CFG_LIST &&
	    def->type != CFG_CIDRS &&
	    !((def->type == CFG_PATH || def->type == CFG_SOCKET) &&
	      def->def != NULL && *def->def == '\0')) {
		snprintf(problem, size, "empty value (expected %s)",
			 def->type == CFG_ENUM ? def->choices : "a value");
		return -1;
	}
	switch (def->type) {
	case CFG_STR:
		break;
	case CFG_BOOL:
		if (cfg_parse_bool(text, &e->b, &err) < 0) {
			snprintf(problem, size, "'%s' %s", clean, err);
			return -1;
		}
		break;
	case CFG_INT:
	case CFG_SIZE:
	case CFG_TIME:
		if (parse_number(def, text, clean, e, problem, size) < 0)
			return -1;
		break;
	case CFG_LIST:
		split_words(text, e);
		break;
	case CFG_PATH:
		if (*text != '\0' && *text != '/') {
			snprintf(problem, size, "'%s' is not an absolute path (expected /...)", clean);
			return -1;
		}
		if (strlen(text) >= 4096) {
			snprintf(problem, size, "path too long (expected at most 4095 bytes)");
			return -1;
		}
		break;
	case CFG_SOCKET:
		if (*text == '\0')
			break;
		if (sock_addr_parse(text, &e->sock, &err) < 0) {
			snprintf(problem, size, "%s", err);
			return -1;
		}
		e->has_sock = 1;
		break;
	case CFG_CIDRS:
		if (cidr_list_parse(text, &e->cidrs, &err) < 0) {
			snprintf(problem, size, "%s (expected IPv4/IPv6 addresses or prefixes)", err);
			return -1;
		}
		break;
	case CFG_ENUM:
		e->idx = enum_index(def->choices, text);
		if (e->idx < 0) {
			snprintf(problem, size, "'%s' is not a valid choice (expected %s)",
				 clean, def->choices);
			return -1;
		}
		break;
	}
	e->text = xstrdup(text);
	return 0;
}

void cfg_entry_clear(struct cfg_entry *e)
{
	size_t i;

	free(e->text);
	free(e->origin);
	if (e->words != NULL) {
		for (i = 0; i < e->nwords; i++)
			free(e->words[i]);
		free(e->words);
	}
	cidr_list_free(&e->cidrs);
	memset(e, 0, sizeof(*e));
}

long cfg_find(const struct cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->count; i++) {
		if (strcmp(cfg->defs[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

static const struct cfg_entry *entry_get(const struct cfg *cfg, const char *name,
					 enum cfg_type type, const char *getter)
{
	long i = cfg_find(cfg, name);

	if (i < 0)
		log_panic("%s: key '%s' is not declared", getter, name);
	if (cfg->entries[i].def->type != type)
		log_panic("%s: key '%s' has another type", getter, name);
	return &cfg->entries[i];
}

const char *cfg_str(const struct cfg *cfg, const char *name)
{
	long i = cfg_find(cfg, name);

	if (i < 0)
		log_panic("cfg_str: key '%s' is not declared", name);
	return cfg->entries[i].text;
}

int cfg_bool(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_BOOL, "cfg_bool")->b;
}

int64_t cfg_int(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_INT, "cfg_int")->i;
}

uint64_t cfg_size(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_SIZE, "cfg_size")->u;
}

uint64_t cfg_time(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_TIME, "cfg_time")->u;
}

const char *const *cfg_list(const struct cfg *cfg, const char *name, size_t *count_r)
{
	const struct cfg_entry *e = entry_get(cfg, name, CFG_LIST, "cfg_list");

	if (count_r != NULL)
		*count_r = e->nwords;
	return (const char *const *)e->words;
}

const char *cfg_path(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_PATH, "cfg_path")->text;
}

const struct sock_addr *cfg_socket(const struct cfg *cfg, const char *name)
{
	const struct cfg_entry *e = entry_get(cfg, name, CFG_SOCKET, "cfg_socket");

	return e->has_sock ? &e->sock : NULL;
}

const struct cidr_list *cfg_cidrs(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_CIDRS, "cfg_cidrs")->cidrs;
}

int cfg_enum(const struct cfg *cfg, const char *name)
{
	return entry_get(cfg, name, CFG_ENUM, "cfg_enum")->idx;
}

const char *cfg_origin(const struct cfg *cfg, const char *name)
{
	long i = cfg_find(cfg, name);

	if (i < 0)
		log_panic("cfg_origin: key '%s' is not declared", name);
	return cfg->entries[i].origin;
}

/* Quote when the file parser would otherwise read something else. */
/* Characters the parser trims from an unquoted value (str_trim). */
static int trimmed_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Print a value so that it parses back to itself: quoted when it holds a
   character the parser treats specially, or starts or ends with one that
   str_trim() would strip (fuzz_cfg finding F1: CR/LF/VT/FF too). */
static void dump_value(const char *v, FILE *out)
{
	size_t len = strlen(v);

	if (len > 0 && strpbrk(v, "#\"\\") == NULL && !trimmed_char(v[0]) &&
	    !trimmed_char(v[len - 1])) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

void cfg_dump(const struct cfg *cfg, FILE *out)
{
	size_t i;

	for (i = 0; i < cfg->count; i++) {
		fprintf(out, "%s = ", cfg->defs[i].name);
		dump_value(cfg->entries[i].text, out);
		fputc('\n', out);
	}
}
