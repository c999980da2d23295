/*++
 * NAME
 *	dmarc_from 3
 * SUMMARY
 *	RFC5322.From domain extraction for DMARC (RFC 7489 section 6.6.1)
 * SYNOPSIS
 *	#include "dmarc.h"
 *
 *	int ma_dmarc_from_domain(const char *from_value, char *domain_r,
 *				 size_t size, int *multi_domain_r);
 * DESCRIPTION
 *	Walks one From header field value as an RFC 5322 section 3.4
 *	address-list: mailboxes separated by ",", optional display names,
 *	angle-addr ("Name <local@domain>"), quoted strings, nested comments
 *	with quoted-pairs, groups ("name: a@x, b@y;") and the obsolete route
 *	form ("<@relay:local@domain>", RFC 5322 section 4.4). The domain of
 *	each mailbox is the text after the last "@" outside quotes.
 *
 *	Returns the number of mailboxes (0: none, e.g. "undisclosed:;", or the
 *	first mailbox has no usable domain). *domain_r gets the first
 *	mailbox's domain, lower-cased; *multi_domain_r is set when another
 *	mailbox has a different domain (or none usable). RFC 7489 section
 *	6.6.1 leaves the policy for several From domains to the receiver: the
 *	daemon rejects or evaluates the first, as configured; several From
 *	header fields are the daemon's to count (one call per field).
 * LIMITS
 *	Domains must be LDH names (ms_psl_domain_normalise): domain literals
 *	("[192.0.2.1]") and non-ASCII (RFC 6532) domains are not usable. A
 *	mailbox longer than 512 octets is not usable.
 * TRUST BOUNDARY
 *	The value comes straight from the peer: any bytes, unbalanced quotes,
 *	comments and brackets, NUL-free C string of any length. Nothing here
 *	can overflow: every copy is bounded.
 *--*/
#include <string.h>

#include "messec/str.h"
#include "dmarc_int.h"

#define MAILBOX_MAX 512

struct mailbox {
	char text[MAILBOX_MAX + 1];	/* addr-spec without CFWS, quotes kept */
	size_t len;
	int overflow;
	int in_angle, angle_done;
};

static void mbox_reset(struct mailbox *mb)
{
	mb->len = 0;
	mb->overflow = 0;
}

static void mbox_put(struct mailbox *mb, char ch)
{
	if (mb->angle_done)
		return;		/* text after "<...>" is not the address */
	if (mb->len >= MAILBOX_MAX) {
		mb->overflow = 1;
		return;
	}
	mb->text[mb->len++] = ch;
}

/* Skip a comment starting at p ("(" ... ")", nested, with quoted-pairs). */
static const char *skip_comment(const char *p)
{
	unsigned depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;		/* unterminated: runs to the end */
}

/* Copy a quoted string starting at p into mb (quotes kept); return the end. */
static const char *copy_quoted(const char *p, struct mailbox *mb)
{
	mbox_put(mb, *p++);
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			mbox_put(mb, *p++);
			mbox_put(mb, *p);
		} else if (*p == '"') {
			mbox_put(mb, *p);
			return p + 1;
		} else {
			mbox_put(mb, *p);
		}
	}
	return p;
}

/* Domain of a collected addr-spec; 0 ok, -1 none usable. */
static int mbox_domain(const struct mailbox *mb, char *domain_r, size_t size)
{
	const char *at = NULL;
	int quoted = 0;
	size_t i;

	if (mb->overflow)
		return -1;
	for (i = 0; i < mb->len; i++) {
		if (mb->text[i] == '\\' && quoted)
			i++;
		else if (mb->text[i] == '"')
			quoted = !quoted;
		else if (mb->text[i] == '@' && !quoted)
			at = mb->text + i;
	}
	if (at == NULL)
		return -1;
	at++;
	return ms_psl_domain_normalise(at, (size_t)(mb->text + mb->len - at), domain_r, size);
}

/* One finished mailbox: count it and compare its domain with the first. */
static void mbox_done(struct mailbox *mb, int *count, char *first, size_t size,
		      int *first_ok, int *multi)
{
	char domain[DMARC_DOMAIN_MAX + 1];
	int ok;

	if (mb->len == 0 && !mb->overflow)
		goto reset;	/* empty list element ("a@x, , b@y") or group end */
	ok = mbox_domain(mb, domain, sizeof(domain)) == 0;
	if ((*count)++ == 0) {
		*first_ok = ok && str_copy(first, domain, size) < size;
	} else if (!ok || !*first_ok || strcmp(domain, first) != 0) {
		*multi = 1;
	}
reset:
	mbox_reset(mb);
	mb->in_angle = mb->angle_done = 0;
}

int ma_dmarc_from_domain(const char *from_value, char *domain_r, size_t size,
			 int *multi_domain_r)
{
	struct mailbox mb;
	const char *p = from_value;
	int count = 0, first_ok = 0, multi = 0;

	memset(&mb, 0, sizeof(mb));
	if (size > 0)
		domain_r[0] = '\0';
	while (*p != '\0') {
		switch (*p) {
		case '(':
			p = skip_comment(p);
			continue;
		case '"':
			p = copy_quoted(p, &mb);
			continue;
		case '<':
			/* The display name before "<" is not the address. */
			mbox_reset(&mb);
			mb.in_angle = 1;
			break;
		case '>':
			if (mb.in_angle)
				mb.angle_done = 1;
			mb.in_angle = 0;
			break;
		case ':':
			/* In "<...>": end of an obsolete route; outside: group name. */
			if (!mb.angle_done)
				mbox_reset(&mb);
			break;
		case ',':
			if (mb.in_angle)
				mbox_reset(&mb);	/* obsolete route list "@a,@b:" */
			else
				mbox_done(&mb, &count, domain_r, size, &first_ok, &multi);
			break;
		case ';':
			if (!mb.in_angle)
				mbox_done(&mb, &count, domain_r, size, &first_ok, &multi);
			break;
		case ' ': case '\t': case '\r': case '\n':
			break;		/* FWS */
		default:
			mbox_put(&mb, *p);
			break;
		}
		p++;
	}
	mbox_done(&mb, &count, domain_r, size, &first_ok, &multi);
	*multi_domain_r = multi;
	if (!first_ok) {
		if (size > 0)
			domain_r[0] = '\0';
		return 0;
	}
	return count;
}
