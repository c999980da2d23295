/*++
 * NAME
 *	clean 3
 * SUMMARY
 *	outbound header cleaning: bookkeeping of the fields to delete
 * SYNOPSIS
 *	#include "clean.h"
 * DESCRIPTION
 *	Counts every header field name of interest (the names list and
 *	Received) and records each one to delete with its index among the
 *	fields of that name, counted as Postfix counts for smfi_chgheader():
 *	case-insensitive, among the fields the milter was shown.
 *
 *	Trust boundary: names are the submitting user's; they are compared,
 *	never copied (the recorded name is the rules' own string).
 * STANDARDS
 *	ANSSI, Recommandations de sécurité relatives à la messagerie,
 *	R36 (headers of outgoing mail).
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "messec/str.h"
#include "clean.h"

#define RECEIVED "Received"

struct deletion {
	const char *name;		/* the rules' string, or RECEIVED */
	unsigned index;
};

struct ma_clean {
	const struct ma_clean_rules *rules;
	unsigned *seen;			/* per names[] entry */
	size_t n_names;
	unsigned received_seen;
	struct deletion *del;
	size_t n_del, cap;
};

/* Field name equality as Postfix matches it: no case; trailing blanks
   of the obsolete "Name :" syntax (RFC 5322 section 4.5) ignored. */
static int name_is(const char *name, const char *want)
{
	size_t n = strlen(name), w = strlen(want);

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	return w > 0 && n == w && strncasecmp(name, want, n) == 0;
}

struct ma_clean *ma_clean_new(const struct ma_clean_rules *rules)
{
	struct ma_clean *c = xcalloc(1, sizeof(*c));

	c->rules = rules;
	while (rules->names != NULL && rules->names[c->n_names] != NULL)
		c->n_names++;
	c->seen = xcalloc(c->n_names + 1, sizeof(*c->seen));
	return c;
}

void ma_clean_free(struct ma_clean **cp)
{
	struct ma_clean *c = *cp;

	if (c == NULL)
		return;
	free(c->seen);
	free(c->del);
	free(c);
	*cp = NULL;
}

/*
 * Not capped here: the callbacks stop at max_headers (hdrbook.h), and
 * the stage refuses to send a message whose header went over the caps.
 */
static void add(struct ma_clean *c, const char *name, unsigned index)
{
	if (c->n_del == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->del = xrealloc(c->del, c->cap * sizeof(*c->del));
	}
	c->del[c->n_del].name = name;
	c->del[c->n_del].index = index;
	c->n_del++;
}

int ma_clean_header(struct ma_clean *c, const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	if (name_is(name, RECEIVED)) {
		c->received_seen++;
		if (c->rules->received) {
			add(c, RECEIVED, c->received_seen);
			return 1;
		}
		return 0;
	}
	for (i = 0; i < c->n_names; i++) {
		if (name_is(name, c->rules->names[i])) {
			c->seen[i]++;
			add(c, c->rules->names[i], c->seen[i]);
			return 1;
		}
	}
	return 0;
}

size_t ma_clean_count(const struct ma_clean *c)
{
	return c->n_del;
}

void ma_clean_get(const struct ma_clean *c, size_t i, const char **name_r, unsigned *index_r)
{
	/* last recorded first: within one name, the highest index first */
	const struct deletion *d = &c->del[c->n_del - 1 - i];

	*name_r = d->name;
	*index_r = d->index;
}
