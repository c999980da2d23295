/*++
 * NAME
 *	cfg 3
 * SUMMARY
 *	configuration loader: main file, drop-in directory, error reports
 * SYNOPSIS
 *	#include <messec/cfg.h>
 * DESCRIPTION
 *	cfg_load() applies the table's defaults, then reads the main file,
 *	then the "*.conf" files of "<main>.d" in strcmp() order (locale-
 *	independent), line by line. A line is "key = value", blank, or a "#" comment. A value is
 *	either double-quoted (escapes \" and \\ only; "#" inside is literal;
 *	only white space or a "#" comment may follow the closing quote) or
 *	bare (ends at the first "#", white space trimmed at both ends).
 *	A later line for a key replaces the earlier value.
 *
 *	Every line is checked when read, so a bad value is reported even if
 *	a later line overrides it; all problems are reported (OpenSMTPD's
 *	parse.y style: "path:line: key: problem (expected ...)"), then the
 *	load fails. File-level problems read "path: problem".
 *
 *	Hard limits keep a hostile or broken file from exhausting memory:
 *	CFG_LINE_MAX bytes per line (longer: error, rest of line skipped)
 *	and CFG_LINES_MAX lines per file (more: error, file abandoned).
 *	A NUL byte in a line is an error.
 * TRUST BOUNDARY
 *	Config files are root-owned, but are parsed as untrusted text: the
 *	fuzz target feeds cfg_load_string() arbitrary bytes.
 * DIAGNOSTICS
 *	NULL on any error; messages written to err (or log_error when err is
 *	NULL) and counted in *nerrors_r.
 *--*/
#include "cfg_int.h"

#include <messec/log.h>
#include <messec/str.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CFG_LINE_MAX 8192
#define CFG_LINES_MAX 10000
#define CFG_ECHO_MAX 64

struct loader {
	struct cfg *cfg;
	FILE *err;
	int nerrors;
};

/* Where lines come from: a FILE or a string. */
struct line_src {
	FILE *fp;
	const char *mem;
	size_t mem_len, mem_pos;
};

static void report(struct loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct loader *ld, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->nerrors++;
	if (ld->err != NULL)
		fprintf(ld->err, "%s\n", msg);
	else
		log_error("%s", msg);
}

static int src_getc(struct line_src *src)
{
	if (src->fp != NULL)
		return getc_unlocked(src->fp);
	if (src->mem_pos >= src->mem_len)
		return EOF;
	return (unsigned char)src->mem[src->mem_pos++];
}

/*
 * Read one line (without "\n") into buf (CFG_LINE_MAX + 1 bytes).
 * Returns 0 at end of input, 1 for a line; *len_r is its length, or
 * CFG_LINE_MAX + 1 when it was longer (the rest was consumed).
 */
static int read_line(struct line_src *src, char *buf, size_t *len_r)
{
	size_t len = 0;
	int c, any = 0;

	while ((c = src_getc(src)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (len <= CFG_LINE_MAX)
			buf[len++] = (char)c;
	}
	if (!any)
		return 0;
	buf[len > CFG_LINE_MAX ? CFG_LINE_MAX : len] = '\0';
	*len_r = len;
	return 1;
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Unquote a "..." value in place (p points at the opening quote).
 * Returns NULL with *problem_r set, or the value.
 */
static char *unquote(char *p, const char **problem_r)
{
	char *in = p + 1, *out = p;

	for (;;) {
		if (*in == '\0') {
			*problem_r = "unterminated quoted value (expected a closing \")";
			return NULL;
		}
		if (*in == '"')
			break;
		if (*in == '\\') {
			if (in[1] != '"' && in[1] != '\\') {
				*problem_r = "invalid escape in quoted value (expected \\\" or \\\\)";
				return NULL;
			}
			in++;
		}
		*out++ = *in++;
	}
	/* After the closing quote: white space, then end or a comment. */
	for (in++; is_space(*in); in++)
		;
	if (*in != '\0' && *in != '#') {
		*problem_r = "text after the closing quote (expected end of line or # comment)";
		return NULL;
	}
	*out = '\0';
	return p;
}

/* Set key to value from path:line; report the problem if any. */
static void set_value(struct loader *ld, const char *where, const char *key,
		      const char *value)
{
	struct cfg *cfg = ld->cfg;
	struct cfg_entry entry;
	char problem[512];
	long i = cfg_find(cfg, key);

	if (i < 0) {
		report(ld, "%s: %s: unknown key (expected a key this program declares)",
		       where, key);
		return;
	}
	if (cfg_value_parse(&cfg->defs[i], value, &entry, problem, sizeof(problem)) < 0) {
		cfg_entry_clear(&entry);
		report(ld, "%s: %s: %s", where, key, problem);
		return;
	}
	entry.origin = xstrdup(where);
	cfg_entry_clear(&cfg->entries[i]);
	cfg->entries[i] = entry;
}

static void parse_line(struct loader *ld, const char *path, unsigned lineno,
		       char *line, size_t len)
{
	char where[4200], clean[CFG_ECHO_MAX + 4];
	const char *problem = NULL;
	char *p, *eq, *key, *value;

	snprintf(where, sizeof(where), "%s:%u", path, lineno);
	if (len > CFG_LINE_MAX) {
		report(ld, "%s: line too long (expected at most %d bytes)", where, CFG_LINE_MAX);
		return;
	}
	if (memchr(line, '\0', len) != NULL) {
		report(ld, "%s: NUL byte in line (expected text)", where);
		return;
	}
	for (p = line; is_space(*p); p++)
		;
	if (*p == '\0' || *p == '#')
		return;
	eq = strchr(p, '=');
	if (eq == NULL) {
		report(ld, "%s: %s: missing '=' (expected key = value)", where,
		       ms_str_sanitize(clean, sizeof(clean), str_trim(p), CFG_ECHO_MAX));
		return;
	}
	*eq = '\0';
	key = str_trim(p);
	if (*key == '\0') {
		report(ld, "%s: missing key before '=' (expected key = value)", where);
		return;
	}
	for (p = key; *p != '\0'; p++) {
		if (!key_char(*p)) {
			report(ld, "%s: %s: invalid key name (expected letters, digits, '_', '-', '.')",
			       where, ms_str_sanitize(clean, sizeof(clean), key, CFG_ECHO_MAX));
			return;
		}
	}
	for (value = eq + 1; is_space(*value); value++)
		;
	if (*value == '"') {
		if ((value = unquote(value, &problem)) == NULL) {
			report(ld, "%s: %s: %s", where, key, problem);
			return;
		}
	} else {
		value[strcspn(value, "#")] = '\0';
		str_trim(value);
	}
	set_value(ld, where, key, value);
}

static void parse_src(struct loader *ld, const char *path, struct line_src *src)
{
	char *buf = xmalloc(CFG_LINE_MAX + 1);
	unsigned lineno = 0;
	size_t len;

	while (read_line(src, buf, &len)) {
		if (++lineno > CFG_LINES_MAX) {
			report(ld, "%s:%u: too many lines (expected at most %d)",
			       path, lineno, CFG_LINES_MAX);
			break;
		}
		/* CRLF files: the CR is white space, trimmed like any other. */
		parse_line(ld, path, lineno, buf, len);
	}
	if (src->fp != NULL && ferror(src->fp))
		report(ld, "%s: read error: %s", path, strerror(errno));
	free(buf);
}

/* 0 read, -1 could not open (errno set). */
static int parse_file(struct loader *ld, const char *path)
{
	struct line_src src = { 0 };
	struct stat st;

	src.fp = fopen(path, "re");
	if (src.fp == NULL)
		return -1;
	if (fstat(fileno(src.fp), &st) == 0 && !S_ISREG(st.st_mode)) {
		report(ld, "%s: not a regular file", path);
		fclose(src.fp);
		return 0;
	}
	parse_src(ld, path, &src);
	fclose(src.fp);
	return 0;
}

static int conf_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	    strcmp(d->d_name + len - 5, ".conf") == 0;
}

/* Lexical order by bytes, whatever the locale. */
static int conf_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void parse_dropins(struct loader *ld, const char *main_path)
{
	struct dirent **names = NULL;
	char dir[4096], path[4096 + 256];
	int i, n;

	if ((size_t)snprintf(dir, sizeof(dir), "%s.d", main_path) >= sizeof(dir)) {
		report(ld, "%s.d: path too long", main_path);
		return;
	}
	n = scandir(dir, &names, conf_filter, conf_cmp);
	if (n < 0) {
		if (errno != ENOENT)
			report(ld, "%s: cannot read directory: %s", dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (parse_file(ld, path) < 0)
			report(ld, "%s: cannot open: %s", path, strerror(errno));
		free(names[i]);
	}
	free(names);
}

/* New cfg with every key at its default; defaults that fail are reported. */
static struct cfg *cfg_new(struct loader *ld, const struct cfg_def *defs)
{
	struct cfg *cfg = xcalloc(1, sizeof(*cfg));
	size_t i, j;

	for (i = 0; defs[i].name != NULL; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(defs[i].name, defs[j].name) == 0)
				log_panic("cfg: key '%s' declared twice", defs[i].name);
		}
		if (defs[i].type == CFG_ENUM && defs[i].choices == NULL)
			log_panic("cfg: enum key '%s' has no choices", defs[i].name);
	}
	cfg->defs = defs;
	cfg->count = i;
	cfg->entries = xcalloc(i == 0 ? 1 : i, sizeof(*cfg->entries));
	ld->cfg = cfg;
	for (i = 0; i < cfg->count; i++)
		set_value(ld, "default", defs[i].name,
			  defs[i].def != NULL ? defs[i].def : "");
	return cfg;
}

static struct cfg *finish(struct loader *ld, int *nerrors_r)
{
	if (nerrors_r != NULL)
		*nerrors_r = ld->nerrors;
	if (ld->nerrors > 0)
		cfg_free(&ld->cfg);
	return ld->cfg;
}

struct cfg *cfg_load(const struct cfg_def *defs, const char *main_path,
		     int allow_missing_main, FILE *err, int *nerrors_r)
{
	struct loader ld = { .err = err };

	cfg_new(&ld, defs);
	if (parse_file(&ld, main_path) < 0 &&
	    !(errno == ENOENT && allow_missing_main))
		report(&ld, "%s: cannot open: %s", main_path, strerror(errno));
	parse_dropins(&ld, main_path);
	return finish(&ld, nerrors_r);
}

struct cfg *cfg_load_string(const struct cfg_def *defs, const char *name,
			    const char *text, FILE *err, int *nerrors_r)
{
	struct loader ld = { .err = err };
	struct line_src src = { .mem = text, .mem_len = strlen(text) };

	cfg_new(&ld, defs);
	parse_src(&ld, name, &src);
	return finish(&ld, nerrors_r);
}

void cfg_free(struct cfg **cfg)
{
	size_t i;

	if (*cfg == NULL)
		return;
	for (i = 0; i < (*cfg)->count; i++)
		cfg_entry_clear(&(*cfg)->entries[i]);
	free((*cfg)->entries);
	free(*cfg);
	*cfg = NULL;
}
