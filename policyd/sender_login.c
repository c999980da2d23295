/*++
 * NAME
 *	sender_login 3
 * SUMMARY
 *	which envelope senders a SASL login may use
 * DESCRIPTION
 *	See sender_login.h. The map is a sorted array of (login, entry)
 *	pairs, looked up by binary search: a request costs O(log n + k).
 * DIAGNOSTICS
 *	Load problems on err as "path:line: what"; lookups never fail.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <messec/str.h>
#include "sender_login.h"

#define MAP_LINE_MAX 4096
#define MAP_LINES_MAX 1000000
#define MAP_ENTRIES_PER_LOGIN 1000

struct pair {
	char *login;
	char *entry;
};

struct pd_login_map {
	struct pair *pairs;
	size_t count, cap;
};

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *) a)->login, ((const struct pair *) b)->login);
}

static void add(struct pd_login_map *m, const char *login, const char *entry)
{
	if (m->count == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->pairs = xrealloc(m->pairs, m->cap * sizeof(*m->pairs));
	}
	m->pairs[m->count].login = xstrdup(login);
	m->pairs[m->count].entry = xstrdup(entry);
	m->count++;
}

/* An entry is "*", "@domain" or "local@domain", without blanks. */
static int entry_ok(const char *e)
{
	const char *at = strrchr(e, '@');

	if (strcmp(e, "*") == 0)
		return 1;
	return at != NULL && at[1] != '\0' && strchr(e, '@') == at;
}

static int parse_line(struct pd_login_map *m, const char *name, unsigned lineno,
		      char *line, FILE *err)
{
	char *hash = strchr(line, '#');
	char *save = NULL, *login, *word;
	unsigned n = 0;

	if (hash != NULL)
		*hash = '\0';
	str_lower(line);
	login = strtok_r(line, " \t\r,", &save);
	if (login == NULL)
		return 0;
	while ((word = strtok_r(NULL, " \t\r,", &save)) != NULL) {
		if (!entry_ok(word)) {
			fprintf(err, "%s:%u: %s: not an address, @domain or *\n", name, lineno, word);
			return -1;
		}
		if (++n > MAP_ENTRIES_PER_LOGIN) {
			fprintf(err, "%s:%u: more than %d entries\n", name, lineno, MAP_ENTRIES_PER_LOGIN);
			return -1;
		}
		add(m, login, word);
	}
	if (n == 0) {
		fprintf(err, "%s:%u: %s: login without senders\n", name, lineno, login);
		return -1;
	}
	return 0;
}

struct pd_login_map *pd_login_map_parse(const char *name, const char *text, FILE *err)
{
	struct pd_login_map *m = xcalloc(1, sizeof(*m));
	unsigned lineno = 0;
	int errors = 0;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t) (nl - p) : strlen(p);
		char line[MAP_LINE_MAX + 1];

		if (++lineno > MAP_LINES_MAX) {
			fprintf(err, "%s: more than %d lines\n", name, MAP_LINES_MAX);
			errors++;
			break;
		}
		if (len > MAP_LINE_MAX) {
			fprintf(err, "%s:%u: line longer than %d bytes\n", name, lineno, MAP_LINE_MAX);
			errors++;
		} else {
			memcpy(line, p, len);
			line[len] = '\0';
			if (parse_line(m, name, lineno, line, err) < 0)
				errors++;
		}
		p += len + (nl != NULL);
	}
	if (errors) {
		pd_login_map_free(&m);
		return NULL;
	}
	if (m->count > 0)
		qsort(m->pairs, m->count, sizeof(*m->pairs), pair_cmp);
	return m;
}

struct pd_login_map *pd_login_map_load(const char *path, FILE *err)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;

	if (f == NULL) {
		fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	FILE *mem = open_memstream(&text, &size);
	char chunk[8192];
	size_t n;
	int bad = 0;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (memchr(chunk, '\0', n) != NULL)
			bad = 1;
		fwrite(chunk, 1, n, mem);
	}
	if (ferror(f)) {
		fprintf(err, "%s: read error: %s\n", path, strerror(errno));
		bad = 2;
	}
	fclose(f);
	fclose(mem);
	if (bad == 1)
		fprintf(err, "%s: NUL byte in file\n", path);
	struct pd_login_map *m = bad ? NULL : pd_login_map_parse(path, text, err);

	free(text);
	return m;
}

void pd_login_map_free(struct pd_login_map **map)
{
	if (*map == NULL)
		return;
	for (size_t i = 0; i < (*map)->count; i++) {
		free((*map)->pairs[i].login);
		free((*map)->pairs[i].entry);
	}
	free((*map)->pairs);
	free(*map);
	*map = NULL;
}

size_t pd_login_map_size(const struct pd_login_map *map)
{
	return map->count;
}

/* sender without its address extension ("user+ext@d" -> "user@d"), or "". */
static void strip_ext(const char *sender, const char *delim, char *out, size_t size)
{
	const char *at = strrchr(sender, '@');
	size_t cut;

	out[0] = '\0';
	if (at == NULL || *delim == '\0')
		return;
	cut = strcspn(sender, delim);
	if (cut == 0 || sender + cut >= at)
		return;
	if (cut + strlen(at) + 1 > size)
		return;
	memcpy(out, sender, cut);
	memcpy(out + cut, at, strlen(at) + 1);
}

int pd_login_map_owns(const struct pd_login_map *map, const char *login,
		      const char *sender, const char *delim)
{
	char lkey[512], snd[512], base[512];
	const char *dom;

	if (map == NULL || map->count == 0)
		return 0;
	if (str_copy(lkey, login, sizeof(lkey)) >= sizeof(lkey) ||
	    str_copy(snd, sender, sizeof(snd)) >= sizeof(snd))
		return 0;	/* longer than any SMTP address: owns nothing */
	str_lower(lkey);
	str_lower(snd);
	strip_ext(snd, delim, base, sizeof(base));
	dom = strrchr(snd, '@');

	struct pair key = { .login = lkey };
	struct pair *hit = bsearch(&key, map->pairs, map->count, sizeof(*map->pairs), pair_cmp);

	if (hit == NULL)
		return 0;
	while (hit > map->pairs && strcmp(hit[-1].login, lkey) == 0)
		hit--;
	for (; hit < map->pairs + map->count && strcmp(hit->login, lkey) == 0; hit++) {
		const char *e = hit->entry;

		if (strcmp(e, "*") == 0)
			return 1;
		if (e[0] == '@') {
			if (dom != NULL && dom != snd && strcmp(dom, e) == 0)
				return 1;
		} else if (strcmp(e, snd) == 0 || (base[0] != '\0' && strcmp(e, base) == 0)) {
			return 1;
		}
	}
	return 0;
}
