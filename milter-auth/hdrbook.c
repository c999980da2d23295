/*++
 * NAME
 *	hdrbook 3
 * SUMMARY
 *	header bookkeeping for messec-milter-auth
 * SYNOPSIS
 *	#include "authres.h"
#include "hdrbook.h"
 * DESCRIPTION
 *	See hdrbook.h. Trust boundary: every name and value comes from the
 *	message (attacker controlled, possibly huge, possibly with bytes
 *	libmilter cut at a NUL). Nothing here trusts a length or a count:
 *	the header count and bytes are checked against the caps, and the
 *	first From value is kept whole when it fits in max_bytes, else not
 *	at all (unusable): never a part of it.
 * STANDARDS
 *	RFC 8601 section 5 (remove A-R fields claiming our authserv-id);
 *	RFC 7489 section 6.6.1 (exactly one From domain).
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "messec/str.h"
#include "authres.h"
#include "hdrbook.h"

struct index_list {
	unsigned *items;
	size_t count, cap;
};

struct ma_hdrbook {
	const char *authserv_id;
	const char *tag_header;
	ma_hdrbook_id_fn *id_fn;
	size_t max_headers, max_bytes;
	size_t n_headers, n_bytes;
	int limits_exceeded;
	unsigned ar_seen, tag_seen;
	struct index_list ar_delete, tag_delete;
	size_t n_from;
	char *first_from;
	int from_cut;		/* first From over max_bytes: not kept */
};

struct ma_hdrbook *ma_hdrbook_new(const char *authserv_id, const char *tag_header,
				  size_t max_headers, size_t max_bytes,
				  ma_hdrbook_id_fn *id_fn)
{
	struct ma_hdrbook *book = xcalloc(1, sizeof(*book));

	book->authserv_id = authserv_id != NULL ? authserv_id : "";
	book->tag_header = tag_header != NULL ? tag_header : "";
	book->max_headers = max_headers;
	book->max_bytes = max_bytes;
	book->id_fn = id_fn;
	return book;
}

void ma_hdrbook_free(struct ma_hdrbook **bookp)
{
	struct ma_hdrbook *book = *bookp;

	if (book == NULL)
		return;
	free(book->ar_delete.items);
	free(book->tag_delete.items);
	free(book->first_from);
	free(book);
	*bookp = NULL;
}

/* Header name equality as the MTA matches it: case-insensitive; trailing
   white space (obsolete "Name :" syntax, RFC 5322 section 4.5) ignored. */
static int name_is(const char *name, const char *want)
{
	size_t n = strlen(name), w = strlen(want);

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	return w > 0 && n == w && strncasecmp(name, want, n) == 0;
}

/*
 * Not capped by max_headers on purpose: every forged A-R must be deleted
 * even past the cap. The list grows with real header fields only (4 bytes
 * each), so Postfix's message_size_limit bounds it.
 */
static void index_add(struct index_list *list, unsigned index)
{
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->items = xrealloc(list->items, list->cap * sizeof(*list->items));
	}
	list->items[list->count++] = index;
}

static int claims_our_id(const struct ma_hdrbook *book, const char *value)
{
	char id[256];

	if (book->id_fn == NULL)
		return 0;
	if (book->id_fn(value, strlen(value), id, sizeof(id)) != 0)
		return 0;	/* unparsable: not ours, kept (RFC 8601 section 5) */
	/* one trailing dot and case ignored (issue 14): authres.c */
	return ma_authres_id_equal(id, book->authserv_id);
}

int ma_hdrbook_add(struct ma_hdrbook *book, const char *name, const char *value)
{
	size_t len;

	if (name == NULL)
		name = "";
	if (value == NULL)
		value = "";

	/*
	 * Caps first: a header past the cap is not fed to DKIM, but it is
	 * still inspected below, so a forged A-R or a second From hidden
	 * behind a thousand filler fields is still found.
	 */
	len = strlen(name) + strlen(value) + 4;		/* ": " + CRLF */
	book->n_headers++;
	if (book->n_bytes <= book->max_bytes)
		book->n_bytes += len;
	if (book->n_headers > book->max_headers || book->n_bytes > book->max_bytes)
		book->limits_exceeded = 1;

	if (name_is(name, MA_AR_NAME)) {
		book->ar_seen++;
		if (claims_our_id(book, value))
			index_add(&book->ar_delete, book->ar_seen);
	} else if (name_is(name, book->tag_header)) {
		book->tag_seen++;
		index_add(&book->tag_delete, book->tag_seen);
	} else if (name_is(name, "From")) {
		/*
		 * RFC 7489 6.6.1 wants every author domain: the whole value, as
		 * mail readers show it. Longer than the header cap: unusable.
		 */
		if (book->n_from++ == 0) {
			if (strlen(value) <= book->max_bytes)
				book->first_from = xstrdup(value);
			else
				book->from_cut = 1;
		}
	}
	return !book->limits_exceeded;
}

int ma_hdrbook_limits_exceeded(const struct ma_hdrbook *book)
{
	return book->limits_exceeded;
}

size_t ma_hdrbook_header_count(const struct ma_hdrbook *book)
{
	return book->n_headers;
}

size_t ma_hdrbook_from_count(const struct ma_hdrbook *book)
{
	return book->n_from;
}

const char *ma_hdrbook_first_from(const struct ma_hdrbook *book)
{
	return book->first_from != NULL ? book->first_from : "";
}

int ma_hdrbook_from_usable(const struct ma_hdrbook *book)
{
	return !book->from_cut;
}

size_t ma_hdrbook_delete_count(const struct ma_hdrbook *book)
{
	return book->ar_delete.count + book->tag_delete.count;
}

/* Highest index first within each name (see hdrbook.h). */
void ma_hdrbook_delete_get(const struct ma_hdrbook *book, size_t i,
			   const char **name_r, unsigned *index_r)
{
	if (i < book->ar_delete.count) {
		*name_r = MA_AR_NAME;
		*index_r = book->ar_delete.items[book->ar_delete.count - 1 - i];
		return;
	}
	i -= book->ar_delete.count;
	*name_r = book->tag_header;
	*index_r = i < book->tag_delete.count ?
	    book->tag_delete.items[book->tag_delete.count - 1 - i] : 0;
}

unsigned ma_hdrbook_ar_seen(const struct ma_hdrbook *book)
{
	return book->ar_seen;
}
