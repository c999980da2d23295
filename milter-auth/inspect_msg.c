/*++
 * NAME
 *	inspect_msg 3
 * SUMMARY
 *	messec-inspect: message fields and the Received path
 * SYNOPSIS
 *	#include "inspect.h"
 * DESCRIPTION
 *	Header fields end at the first empty line (RFC 5322 section 2.1);
 *	a line starting with white space continues the field before
 *	(section 2.2.3). Received fields (RFC 5321 section 4.4) are read
 *	loosely, as every MTA words them its own way: "from NAME", the
 *	first "[address]" of the from clause, "by NAME", "with PROTOCOL"
 *	(RFC 3848: ESMTPS/ESMTPSA mean TLS), and the date after the last
 *	';'.
 * TRUST BOUNDARY
 *	The whole message is the sender's; see inspect.h for the bounds.
 *--*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "messec/str.h"
#include "inspect.h"

/* Copy [s, s + n) cut to size, control characters as '?'. */
static void copy_clean(char *out, size_t size, const char *s, size_t n)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
}

int ma_inspect_parse(const char *data, size_t len, struct ma_inspect_msg *msg,
		     const char **error_r)
{
	const char *p = data, *end = data + len;
	size_t cap = 0;

	memset(msg, 0, sizeof(*msg));
	if (len > MA_INSPECT_MSG_MAX) {
		*error_r = "message over 32 MiB";
		return -1;
	}
	while (p < end) {
		const char *start = p, *q;
		struct ma_inspect_field *f;
		size_t n = 0, vlen;
		char *colon;

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\n' ? 1 : 2;
			msg->body = p;
			msg->body_len = (size_t) (end - p);
			return 0;
		}
		/* one field: this line and its continuation lines */
		for (q = p;;) {
			const char *eol = memchr(q, '\n', (size_t) (end - q));

			if (eol == NULL) {
				q = end;
				break;
			}
			q = eol + 1;
			if (q >= end || (*q != ' ' && *q != '\t'))
				break;
		}
		p = q;
		if (msg->n_fields == MA_INSPECT_FIELDS_MAX) {
			ma_inspect_msg_clear(msg);
			*error_r = "over 1000 header fields";
			return -1;
		}
		if (msg->n_fields == cap) {
			cap = cap ? cap * 2 : 32;
			msg->fields = xrealloc(msg->fields, cap * sizeof(msg->fields[0]));
		}
		f = &msg->fields[msg->n_fields++];
		f->raw = start;
		f->raw_len = (size_t) (q - start);
		while (f->raw_len > 0 && (start[f->raw_len - 1] == '\n' || start[f->raw_len - 1] == '\r'))
			f->raw_len--;
		colon = memchr(start, ':', f->raw_len);
		vlen = colon != NULL ? f->raw_len - (size_t) (colon - start) - 1 : 0;
		f->name = xstrndup(start, colon != NULL ? (size_t) (colon - start) : f->raw_len);
		f->value = xmalloc(vlen + 1);
		for (q = colon != NULL ? colon + 1 : start + f->raw_len; q < start + f->raw_len; q++)
			if (*q != '\r' && *q != '\n')
				f->value[n++] = *q;
		f->value[n] = '\0';
		/* the value without its leading white space */
		for (q = f->value; *q == ' ' || *q == '\t'; q++)
			;
		memmove(f->value, q, strlen(q) + 1);
	}
	ma_inspect_msg_clear(msg);
	*error_r = "no empty line after the header (not a message)";
	return -1;
}

void ma_inspect_msg_clear(struct ma_inspect_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->n_fields; i++) {
		free(msg->fields[i].name);
		free(msg->fields[i].value);
	}
	free(msg->fields);
	memset(msg, 0, sizeof(*msg));
}

const char *ma_inspect_get(const struct ma_inspect_msg *msg, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; i < msg->n_fields; i++)
		if (strcasecmp(msg->fields[i].name, name) == 0 && nth-- == 0)
			return msg->fields[i].value;
	return NULL;
}

/* --- dates ------------------------------------------------------------- */

int64_t ma_inspect_date(const char *s)
{
	static const char *const mon[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
					   "aug", "sep", "oct", "nov", "dec" };
	char m[4] = "", zone[8] = "";
	int d, y, hh, mm, ss = 0, i, n = 0;
	struct tm tm;
	long off = 0;
	int64_t t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (isalpha((unsigned char) *s)) {		/* day-of-week "," */
		const char *c = strchr(s, ',');

		if (c == NULL || c - s > 9)
			return -1;
		s = c + 1;
	}
	if (sscanf(s, " %d %3s %d %d:%d%n", &d, m, &y, &hh, &mm, &n) != 5)
		return -1;
	s += n;
	if (*s == ':' && sscanf(s, ":%d%n", &ss, &n) == 1)
		s += n;
	if (sscanf(s, " %7s", zone) == 1) {
		if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5 &&
		    strspn(zone + 1, "0123456789") == 4)
			off = (zone[0] == '-' ? -1 : 1) *
				(((zone[1] - '0') * 10 + zone[2] - '0') * 3600L +
				 ((zone[3] - '0') * 10 + zone[4] - '0') * 60L);
	}
	for (i = 0; i < 12 && strcasecmp(m, mon[i]) != 0; i++)
		;
	if (i == 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 0 || y > 9999)
		return -1;
	if (y < 50)		/* RFC 5322 4.3 obsolete two-digit years */
		y += 2000;
	else if (y < 1000)
		y += 1900;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = i;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = (int64_t) timegm(&tm);
	return t - off;
}

/* --- Received ---------------------------------------------------------- */

/* The word after keyword kw (" kw ", case-insensitive) in [s, end). */
static const char *after_word(const char *s, const char *end, const char *kw)
{
	size_t k = strlen(kw);
	const char *p;

	for (p = s; p + k + 1 < end; p++) {
		if ((p == s || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ')') &&
		    strncasecmp(p, kw, k) == 0 && (p[k] == ' ' || p[k] == '\t')) {
			p += k;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			return p;
		}
	}
	return NULL;
}

static void word(char *out, size_t size, const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ' ' && *q != '\t' && *q != ';' && *q != '(')
		q++;
	copy_clean(out, size, p, (size_t) (q - p));
}

static void one_hop(const char *v, struct ma_inspect_hop *h)
{
	const char *end = v + strlen(v), *semi = strrchr(v, ';'), *clause_end, *p, *b, *e;

	memset(h, 0, sizeof(*h));
	h->time = h->delay = -1;
	if (semi != NULL)
		end = semi;
	clause_end = after_word(v, end, "by");
	if (clause_end == NULL)
		clause_end = end;
	if ((p = after_word(v, clause_end, "from")) != NULL)
		word(h->from, sizeof(h->from), p, clause_end);
	/* the from clause's first [address] (Postfix, Sendmail, Exim) */
	if ((b = memchr(v, '[', (size_t) (clause_end - v))) != NULL &&
	    (e = memchr(b, ']', (size_t) (clause_end - b))) != NULL) {
		b++;
		if (strncasecmp(b, "IPv6:", 5) == 0)
			b += 5;
		if (e > b && strspn(b, "0123456789abcdefABCDEF.:") == (size_t) (e - b))
			copy_clean(h->ip, sizeof(h->ip), b, (size_t) (e - b));
	}
	if ((p = after_word(v, end, "by")) != NULL)
		word(h->by, sizeof(h->by), p, end);
	if ((p = after_word(v, end, "with")) != NULL)
		word(h->with, sizeof(h->with), p, end);
	/* RFC 3848: ESMTPS / ESMTPSA / LMTPS...; Postfix's "(using TLSv1.3" */
	{
		size_t n = strlen(h->with);

		h->tls = (n > 1 && (h->with[n - 1] == 'S' || h->with[n - 1] == 's') &&
			  strncasecmp(h->with, "ESMTP", 5) == 0) ||
			(n > 2 && strcasecmp(h->with + n - 2, "SA") == 0) ||
			strstr(v, "TLSv1") != NULL || strstr(v, "using TLS") != NULL;
	}
	if (semi != NULL)
		h->time = ma_inspect_date(semi + 1);
}

size_t ma_inspect_hops(const struct ma_inspect_msg *msg, struct ma_inspect_hop *hops,
		       size_t max)
{
	const char *v;
	size_t n = 0, i;

	while (n < max && (v = ma_inspect_get(msg, "Received", n)) != NULL)
		one_hop(v, &hops[n++]);
	/* delay of a hop: its time minus the time of the hop below it */
	for (i = 0; i + 1 < n; i++)
		if (hops[i].time >= 0 && hops[i + 1].time >= 0)
			hops[i].delay = hops[i].time - hops[i + 1].time;
	return n;
}
