/*++
 * NAME
 *	grey_allow 3
 * SUMMARY
 *	the greylist allowlist: large senders that are never greylisted
 * DESCRIPTION
 *	See grey_allow.h. Domains are kept in two sorted arrays ("it and
 *	its subdomains", "subdomains only"); a name is looked up at each
 *	of its label boundaries: O(labels x log n), no I/O, so it runs
 *	wherever the greylist rule runs. Networks are a cidr_list.
 * TRUST BOUNDARY
 *	The files are the admin's; the names compared with them come from
 *	Postfix (client_name is verified by Postfix) or from our own SPF
 *	check, never from the sender's say-so.
 * DIAGNOSTICS
 *	Load problems on err as "path:line: what"; lookups never fail.
 *--*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <messec/cidr.h>
#include <messec/str.h>
#include "grey_allow.h"
#include "textfile.h"

#define ALLOW_LINE_MAX 1024
#define ALLOW_LINES_MAX 100000
#define ALLOW_FILES_MAX 16
#define ALLOW_FILE_MAX ((size_t) ALLOW_LINES_MAX * (ALLOW_LINE_MAX + 1))

struct names {
	char **v;
	size_t n, cap;
};

struct pd_grey_allow {
	struct names domains;		/* the name and its subdomains */
	struct names subs;		/* subdomains only (written ".x") */
	struct cidr_list *nets;
	char *net_text;			/* CIDR words, blank-separated */
	size_t net_len;
};

static void names_add(struct names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		ns->v = xrealloc(ns->v, ns->cap * sizeof(*ns->v));
	}
	ns->v[ns->n++] = xstrdup(s);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int names_has(const struct names *ns, const char *s)
{
	return ns->n > 0 && bsearch(&s, ns->v, ns->n, sizeof(*ns->v), str_cmp) != NULL;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* A domain entry: LDH labels joined by dots, at least two labels, at
   most 253 octets (RFC 1035 2.3.1, RFC 1123 2.1). */
static int domain_ok(const char *d)
{
	size_t len = strlen(d), label = 0;
	int dots = 0;

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
		return 0;
	for (const char *p = d; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			dots++;
		} else if (isalnum((unsigned char) *p) || *p == '-' || *p == '_') {
			if (label == 0 && *p == '-')
				return 0;
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return dots > 0;
}

static int add_word(struct pd_grey_allow *l, const char *name, unsigned lineno, char *w, FILE *err)
{
	struct cidr c;
	const char *e;

	if (strchr(w, ':') != NULL || strchr(w, '/') != NULL ||
	    strspn(w, "0123456789.") == strlen(w)) {
		if (cidr_parse(w, &c, &e) < 0) {
			fprintf(err, "%s:%u: %s: %s\n", name, lineno, w, e);
			return -1;
		}
		size_t wl = strlen(w);

		l->net_text = xrealloc(l->net_text, l->net_len + wl + 2);
		memcpy(l->net_text + l->net_len, w, wl);
		l->net_len += wl;
		l->net_text[l->net_len++] = ' ';
		l->net_text[l->net_len] = '\0';
		return 0;
	}
	str_lower(w);
	if (!domain_ok(w[0] == '.' ? w + 1 : w)) {
		fprintf(err, "%s:%u: %s: not a domain (example.com, .example.com) or a network\n",
			name, lineno, w);
		return -1;
	}
	if (w[0] == '.')
		names_add(&l->subs, w + 1);
	else
		names_add(&l->domains, w);
	return 0;
}

static int allow_line(void *ctx, const char *name, unsigned lineno, char *line, FILE *err)
{
	char *save = NULL;
	int bad = 0;

	line[strcspn(line, "#")] = '\0';
	for (char *w = strtok_r(line, " \t\r", &save); w != NULL; w = strtok_r(NULL, " \t\r", &save))
		if (add_word(ctx, name, lineno, w, err) < 0)
			bad = 1;
	return bad ? -1 : 0;
}

static int parse_into(struct pd_grey_allow *l, const char *name, const char *text, FILE *err)
{
	return pd_textfile_lines(name, text, ALLOW_LINE_MAX, ALLOW_LINES_MAX, allow_line, l, err) ? -1 : 0;
}

static struct pd_grey_allow *finish(struct pd_grey_allow *l, int bad, FILE *err)
{
	const char *e;

	if (!bad && cidr_list_parse(l->net_text != NULL ? l->net_text : "", &l->nets, &e) < 0) {
		fprintf(err, "greylist allowlist: %s\n", e);
		bad = 1;
	}
	if (bad) {
		pd_grey_allow_free(&l);
		return NULL;
	}
	if (l->domains.n > 0)
		qsort(l->domains.v, l->domains.n, sizeof(char *), str_cmp);
	if (l->subs.n > 0)
		qsort(l->subs.v, l->subs.n, sizeof(char *), str_cmp);
	return l;
}

struct pd_grey_allow *pd_grey_allow_parse(const char *name, const char *text, FILE *err)
{
	struct pd_grey_allow *l = xcalloc(1, sizeof(*l));

	return finish(l, parse_into(l, name, text, err) < 0, err);
}

struct pd_grey_allow *pd_grey_allow_load(const char *const *paths, size_t n, FILE *err)
{
	struct pd_grey_allow *l = xcalloc(1, sizeof(*l));
	int bad = 0;

	if (n > ALLOW_FILES_MAX) {
		fprintf(err, "greylist_allow_files: more than %d files\n", ALLOW_FILES_MAX);
		bad = 1;
	}
	for (size_t i = 0; i < n && !bad; i++) {
		char *text = pd_textfile_read(paths[i], ALLOW_FILE_MAX, err);

		if (text == NULL || parse_into(l, paths[i], text, err) < 0)
			bad = 1;
		free(text);
	}
	return finish(l, bad, err);
}

void pd_grey_allow_free(struct pd_grey_allow **list)
{
	struct pd_grey_allow *l = *list;

	if (l == NULL)
		return;
	names_free(&l->domains);
	names_free(&l->subs);
	cidr_list_free(&l->nets);
	free(l->net_text);
	free(l);
	*list = NULL;
}

size_t pd_grey_allow_size(const struct pd_grey_allow *l)
{
	return l->domains.n + l->subs.n + (l->nets != NULL ? l->nets->count : 0);
}

/* The listed domain that name is, or is under; NULL. */
static const char *domain_hit(const struct pd_grey_allow *l, const char *in, char *buf, size_t size)
{
	if (in == NULL || in[0] == '\0' || strcmp(in, "unknown") == 0 ||
	    str_copy(buf, in, size) >= size)
		return NULL;
	str_lower(buf);
	size_t len = strlen(buf);

	if (len > 0 && buf[len - 1] == '.')
		buf[len - 1] = '\0';	/* a root-terminated name is the same name */
	for (const char *s = buf; s != NULL; s = strchr(s, '.') != NULL ? strchr(s, '.') + 1 : NULL) {
		if (names_has(&l->domains, s) || (s != buf && names_has(&l->subs, s)))
			return s;
	}
	return NULL;
}

int pd_grey_allow_match(const struct pd_grey_allow *l, const char *client_address,
			const char *client_name, const char *spf_domain, char *why, size_t size)
{
	char buf[300];
	const char *hit;

	if (l == NULL)
		return 0;
	if (client_address != NULL && client_address[0] != '\0' && l->nets != NULL &&
	    cidr_list_match_str(l->nets, client_address)) {
		snprintf(why, size, "client %s in the greylist allowlist", client_address);
		return 1;
	}
	if ((hit = domain_hit(l, client_name, buf, sizeof(buf))) != NULL) {
		snprintf(why, size, "client name %s in the greylist allowlist (%s)", buf, hit);
		return 1;
	}
	if ((hit = domain_hit(l, spf_domain, buf, sizeof(buf))) != NULL) {
		snprintf(why, size, "SPF-validated sender domain %s in the greylist allowlist (%s)", buf, hit);
		return 1;
	}
	return 0;
}
