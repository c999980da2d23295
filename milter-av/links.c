/*++
 * NAME
 *	links 3
 * SUMMARY
 *	URL host names of a message's text and HTML parts (see links.h)
 * DESCRIPTION
 *	A small MIME walker, not a full parser: headers up to the first
 *	empty line, Content-Type (media type and boundary parameter) and
 *	Content-Transfer-Encoding; multipart bodies split on their
 *	delimiter lines (a missing close delimiter ends the part at the end
 *	of the data); message/rfc822 walked as a message. Every part without
 *	a Content-Type is text/plain (RFC 2045 5.2). Other types are not
 *	read: attachments are libclamav's.
 *
 *	HTML is not parsed into a tree. Anchors are found as "<a" tags:
 *	the href value (quoted or not, entities decoded, RFC 3986 3.2 for
 *	the authority) and the text up to "</a" with tags removed. Any
 *	other "http://" in the HTML (src=, form action=, plain text) is
 *	found by the plain-text pass over the same part.
 *
 *	Every loop is bounded by its input; decoded bytes by
 *	max_decoded over all parts, the walk by max_depth and max_parts.
 * STANDARDS
 *	RFC 2045 (6.7 quoted-printable, 6.8 base64, 5.1 Content-Type),
 *	RFC 2046 5.1.1 (boundaries), RFC 3986 3.2 (authority: userinfo@host:port),
 *	HTML character references (numeric and the five XML ones).
 *--*/
#include <stdlib.h>
#include <string.h>
#include "messec/codec.h"
#include "messec/str.h"
#include "links.h"

#define CTYPE_MAX 1024		/* unfolded Content-Type kept */
#define BOUNDARY_MAX 200	/* RFC 2046 5.1.1 says 70; be lenient */
#define HREF_MAX 2048		/* decoded href / anchor text kept */
#define ANCHOR_TEXT_SCAN 4096	/* bytes after <a ...> searched for </a */

struct walk {
	const struct av_links_limits *lim;
	struct av_links *out;
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int prefix_ci(const char *p, size_t len, const char *word)
{
	size_t n = strlen(word), i;

	if (len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char) p[i]) != word[i])
			return 0;
	return 1;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static void add_host(struct walk *w, const char *host)
{
	struct av_links *o = w->out;
	unsigned i;
	const char *p;

	for (i = 0; i < o->nhosts; i++)
		if (strcmp(o->hosts[i], host) == 0)
			return;
	if (o->nhosts >= w->lim->max_hosts || o->nhosts >= AV_LINKS_HOSTS_MAX) {
		o->over = 1;
		return;
	}
	str_copy(o->hosts[o->nhosts++], host, sizeof(o->hosts[0]));
	if (av_links_host_is_ip(host)) {
		if (o->ip[0] == '\0')
			str_copy(o->ip, host, sizeof(o->ip));
		return;
	}
	for (p = host; *p != '\0'; p++)
		if ((unsigned char) *p >= 0x80 ||
		    ((p == host || p[-1] == '.') && strncmp(p, "xn--", 4) == 0)) {
			if (o->idn[0] == '\0')
				str_copy(o->idn, host, sizeof(o->idn));
			break;
		}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int av_links_host_is_ip(const char *host)
{
	const char *last = strrchr(host, '.');
	const char *p;

	if (host[0] == '[')
		return 1;
	last = last != NULL ? last + 1 : host;
	if (*last == '\0')
		return 0;
	/* A top-level label is never all digits: browsers read such a
	   host as an IPv4 address (decimal, octal or hex parts). */
	if (last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
		for (p = last + 2; *p != '\0'; p++)
			if (hexval((unsigned char) *p) < 0)
				return 0;
		return 1;
	}
	for (p = last; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/*
 * Browsers map some non-ASCII host characters to ASCII before resolving
 * (UTS #46 mapping; RFC 3490 3.1 names the dots): the ideographic full
 * stop U+3002 and halfwidth U+FF61 are ".", the fullwidth forms
 * U+FF01-U+FF5E are ASCII 0x21-0x7E ("ｅｖｉｌ．example" is evil.example);
 * only letters, digits, "-", "." and "_" are folded (a fullwidth "/"
 * stays as it is: it must not end up inside a host).
 * Fold them in host[0..n) (UTF-8, lower-cased after), so a list still
 * sees the name; other non-ASCII stays (the idn finding). Returns the
 * new length (never longer).
 */
static size_t fold_width(char *host, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		const unsigned char *u = (const unsigned char *) host + i;

		if (i + 2 < n && u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x82) {
			host[o++] = '.';	/* U+3002 */
			i += 3;
		} else if (i + 2 < n && u[0] == 0xef && u[1] == 0xbd && u[2] == 0xa1) {
			host[o++] = '.';	/* U+FF61 */
			i += 3;
		} else if (i + 2 < n && u[0] == 0xef && (u[1] == 0xbc || u[1] == 0xbd) &&
			   u[2] >= 0x80 && u[2] <= 0xbf) {
			unsigned cp = 0xf000u | ((unsigned) (u[1] & 0x3f) << 6) | (u[2] & 0x3fu);

			int a = cp >= 0xff01 && cp <= 0xff5e ? lower((int) (cp - 0xff01 + 0x21)) : 0;

			/* Only what a host name may hold; other forms stay
			   non-ASCII (the idn finding). */
			if ((a >= 'a' && a <= 'z') || (a >= '0' && a <= '9') || a == '-' || a == '.' ||
			    a == '_') {
				host[o++] = (char) a;
				i += 3;
			} else {
				host[o++] = host[i++];
			}
		} else {
			host[o++] = host[i++];
		}
	}
	return o;
}

static int url_end(int c)
{
	return is_space(c) || c == '<' || c == '>' || c == '"' || c == '\'' || c == '`' ||
	       (unsigned char) c < 0x20 || c == 0x7f;
}

int av_links_url_host(const char *url, size_t len, char *host)
{
	size_t i, start, end, at, n = 0;

	if (prefix_ci(url, len, "http://"))
		start = 7;
	else if (prefix_ci(url, len, "https://"))
		start = 8;
	else if (prefix_ci(url, len, "//"))
		start = 2;
	else if (prefix_ci(url, len, "www."))
		start = 0;
	else
		return 0;
	/* RFC 3986 3.2: the authority ends at "/", "?" or "#"; browsers
	   also end it at "\". */
	for (end = start; end < len; end++) {
		int c = (unsigned char) url[end];

		if (c == '/' || c == '?' || c == '#' || c == '\\' || url_end(c))
			break;
	}
	at = start;
	for (i = start; i < end; i++)
		if (url[i] == '@')	/* userinfo@host: the last "@" */
			at = i + 1;
	for (i = at; i < end; i++) {
		int c = (unsigned char) url[i];

		if (c == '%' && i + 2 < end && hexval((unsigned char) url[i + 1]) >= 0 &&
		    hexval((unsigned char) url[i + 2]) >= 0) {
			c = hexval((unsigned char) url[i + 1]) * 16 + hexval((unsigned char) url[i + 2]);
			i += 2;
		}
		if (c == ']' && n > 0 && host[0] == '[') {
			host[n++] = ']';
			break;
		}
		if (c == ':' && (n == 0 || host[0] != '['))
			break;		/* port */
		if (c == '\0' || url_end(c))
			return 0;
		/* Punctuation after a link in text ("see http://x.example, or
		   (http://y.example)") is not part of its host: the host ends
		   at the first byte no host name has (RFC 3986 3.2.2 reg-name
		   without sub-delims; non-ASCII kept for the IDN finding). */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c >= 0x80 || (n > 0 && host[0] == '[') ||
		      (n == 0 && c == '[')))
			break;
		if (n >= AV_LINKS_HOST_MAX) {
			/* No DNS name is that long, but a Unicode host can be:
			   its A-labels (what a browser resolves) may fit in
			   253 octets where the UTF-8 does not (Cyrillic: 2
			   octets a letter, about 1 as Punycode; a fullwidth
			   letter: 3 octets, 1 once folded). Not "no link":
			   the limits finding. An all-ASCII host only grows. */
			size_t k;

			for (k = 0; k < n && (unsigned char) host[k] < 0x80; k++)
				;
			return k < n || c >= 0x80 ? -1 : 0;
		}
		host[n++] = (char) lower(c);
	}
	n = fold_width(host, n);
	while (n > 0 && host[n - 1] == '.')
		n--;
	host[n] = '\0';
	return n > 0 && host[0] != '.';
}

static int word_char(int c)
{
	c = lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/';
}

/* A URL starts at t[i]: "http://", "https://", or "www." starting a word. */
static int url_start(const char *t, size_t len, size_t i)
{
	int c = lower((unsigned char) t[i]);

	if (c == 'h')
		return prefix_ci(t + i, len - i, "http://") || prefix_ci(t + i, len - i, "https://");
	if (c == 'w')
		return prefix_ci(t + i, len - i, "www.") &&
		       (i == 0 || !word_char((unsigned char) t[i - 1]));
	return 0;
}

/* Plain text: every http://, https:// and www. token. */
static void scan_text(struct walk *w, const char *t, size_t len)
{
	char host[AV_LINKS_HOST_MAX + 1];
	size_t i = 0, end;

	while (i < len) {
		if (!url_start(t, len, i)) {
			i++;
			continue;
		}
		for (end = i; end < len && !url_end((unsigned char) t[end]); end++)
			;
		switch (av_links_url_host(t + i, end - i, host)) {
		case 1:
			add_host(w, host);
			break;
		case -1:
			w->out->over = 1;
			break;
		}
		i = end > i ? end : i + 1;
	}
}

/* Decode HTML character references in s[0..len) into out (size > 0);
   non-ASCII code points become byte 0x80 (shown as IDN). */
static size_t entities(const char *s, size_t len, char *out, size_t size)
{
	static const struct { const char *name; char c; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	size_t i = 0, n = 0, k;

	while (i < len && n + 1 < size) {
		if (s[i] != '&') {
			out[n++] = s[i++];
			continue;
		}
		if (i + 2 < len && s[i + 1] == '#') {
			unsigned long v = 0;
			size_t j = i + 2, digits = 0;
			int hex = j < len && lower((unsigned char) s[j]) == 'x';

			if (hex)
				j++;
			for (; j < len && digits < 8; j++, digits++) {
				int d = hex ? hexval((unsigned char) s[j]) :
					(s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);

				if (d < 0)
					break;
				v = v * (hex ? 16 : 10) + (unsigned long) d;
			}
			if (digits > 0) {
				if (j < len && s[j] == ';')
					j++;
				if (v != 0)
					out[n++] = v < 0x80 ? (char) v : (char) 0x80;
				i = j;
				continue;
			}
		}
		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			if (prefix_ci(s + i + 1, len - i - 1, named[k].name))
				break;
		if (k < sizeof(named) / sizeof(named[0])) {
			out[n++] = named[k].c;
			i += 1 + strlen(named[k].name);
		} else {
			out[n++] = s[i++];
		}
	}
	out[n] = '\0';
	return n;
}

/* The host a link's visible text names: a URL, or one word that looks
   like a domain name ("bank.example"). 1 found, -1 a Unicode host too
   long to keep (av_links_url_host), else 0. */
static int text_host(const char *t, char *host)
{
	const char *p, *dot;
	size_t len, i;

	while (is_space((unsigned char) *t))
		t++;
	len = strlen(t);
	while (len > 0 && is_space((unsigned char) t[len - 1]))
		len--;
	for (p = t; p < t + len; p++)
		if (prefix_ci(p, (size_t) (t + len - p), "http://") ||
		    prefix_ci(p, (size_t) (t + len - p), "https://") ||
		    prefix_ci(p, (size_t) (t + len - p), "www."))
			return av_links_url_host(p, (size_t) (t + len - p), host);
	if (len == 0 || len > AV_LINKS_HOST_MAX)
		return 0;
	for (p = t; p < t + len; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return 0;
	dot = memrchr(t, '.', len);
	if (dot == NULL || t + len - dot < 3)	/* a TLD of 2+ letters */
		return 0;
	for (p = dot + 1; p < t + len; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return 0;
	for (i = 0; i < len; i++)
		host[i] = (char) lower((unsigned char) t[i]);
	host[len] = '\0';
	return 1;
}

/* One is the other or a subdomain of it. */
static int same_site(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return strcmp(a, b) == 0;
	if (la > lb)
		return a[la - lb - 1] == '.' && strcmp(a + la - lb, b) == 0;
	return b[lb - la - 1] == '.' && strcmp(b + lb - la, a) == 0;
}

/* The href value in the tag t[0..len): its bytes in *v, *vlen. */
static int find_href(const char *t, size_t len, const char **v, size_t *vlen)
{
	size_t i, j;

	for (i = 1; i + 4 <= len; i++) {
		if (!is_space((unsigned char) t[i - 1]) || !prefix_ci(t + i, len - i, "href"))
			continue;
		for (j = i + 4; j < len && is_space((unsigned char) t[j]); j++)
			;
		if (j >= len || t[j] != '=')
			continue;
		for (j++; j < len && is_space((unsigned char) t[j]); j++)
			;
		if (j < len && (t[j] == '"' || t[j] == '\'')) {
			const char *q = memchr(t + j + 1, t[j], len - j - 1);

			*v = t + j + 1;
			*vlen = q != NULL ? (size_t) (q - *v) : len - j - 1;
		} else {
			size_t k = j;

			while (k < len && !is_space((unsigned char) t[k]) && t[k] != '>')
				k++;
			*v = t + j;
			*vlen = k - j;
		}
		return 1;
	}
	return 0;
}

/* One anchor: tag t[0..tag_len) ('>' excluded), then its content. */
static void anchor(struct walk *w, const char *t, size_t tag_len, const char *after,
		   size_t after_len)
{
	char buf[HREF_MAX], href_host[AV_LINKS_HOST_MAX + 1], shown_host[AV_LINKS_HOST_MAX + 1];
	const char *v;
	size_t vlen, i, n = 0, scan = after_len < ANCHOR_TEXT_SCAN ? after_len : ANCHOR_TEXT_SCAN;
	int in_tag = 0, r;
	char raw[ANCHOR_TEXT_SCAN + 1];

	if (!find_href(t, tag_len, &v, &vlen))
		return;
	entities(v, vlen, buf, sizeof(buf));
	for (i = 0; buf[i] != '\0' && is_space((unsigned char) buf[i]); i++)
		;
	r = av_links_url_host(buf + i, strlen(buf + i), href_host);
	if (r < 0)
		w->out->over = 1;
	if (r <= 0)
		return;
	add_host(w, href_host);
	/* The visible text: up to "</a", tags dropped. */
	for (i = 0; i < scan; i++) {
		if (after[i] == '<' && prefix_ci(after + i, scan - i, "</a"))
			break;
		if (after[i] == '<')
			in_tag = 1;
		else if (after[i] == '>')
			in_tag = 0;
		else if (!in_tag)
			raw[n++] = after[i];
	}
	entities(raw, n, buf, sizeof(buf));
	r = text_host(buf, shown_host);
	if (r < 0)
		w->out->over = 1;
	if (r > 0) {
		add_host(w, shown_host);
		if (!same_site(href_host, shown_host) && w->out->mismatch_href[0] == '\0') {
			str_copy(w->out->mismatch_href, href_host, sizeof(w->out->mismatch_href));
			str_copy(w->out->mismatch_text, shown_host, sizeof(w->out->mismatch_text));
		}
	}
}

static void scan_html(struct walk *w, const char *h, size_t len)
{
	size_t i = 0;

	scan_text(w, h, len);
	while (i + 2 < len) {
		const char *gt;

		if (h[i] != '<' || lower((unsigned char) h[i + 1]) != 'a' ||
		    !is_space((unsigned char) h[i + 2])) {
			i++;
			continue;
		}
		if ((gt = memchr(h + i, '>', len - i)) == NULL)
			return;
		anchor(w, h + i, (size_t) (gt - h - i), gt + 1, len - (size_t) (gt + 1 - h));
		i = (size_t) (gt + 1 - h);
	}
}

/* RFC 2045 6.8; characters outside the alphabet are skipped. */
static size_t base64(const char *s, size_t len, char *out, size_t size)
{
	unsigned bits = 0, nbits = 0;
	size_t i, n = 0;

	for (i = 0; i < len && n < size; i++) {
		int v = codec_base64_value((unsigned char) s[i]);

		if (s[i] == '=')
			break;
		if (v < 0)
			continue;
		bits = (bits << 6) | (unsigned) v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			out[n++] = (char) ((bits >> nbits) & 0xff);
		}
	}
	return n;
}

/* RFC 2045 6.7: "=XX", soft line breaks "=" CRLF; a bad "=" is kept. */
static size_t quoted_printable(const char *s, size_t len, char *out, size_t size)
{
	size_t i = 0, n = 0;

	while (i < len && n < size) {
		if (s[i] != '=') {
			out[n++] = s[i++];
			continue;
		}
		if (i + 2 < len && hexval((unsigned char) s[i + 1]) >= 0 &&
		    hexval((unsigned char) s[i + 2]) >= 0) {
			out[n++] = (char) (hexval((unsigned char) s[i + 1]) * 16 +
					   hexval((unsigned char) s[i + 2]));
			i += 3;
			continue;
		}
		/* soft line break: "=", optional blanks, line end */
		{
			size_t j = i + 1;

			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < len && s[j] == '\r')
				j++;
			if (j < len && s[j] == '\n') {
				i = j + 1;
				continue;
			}
		}
		out[n++] = s[i++];
	}
	return n;
}

enum cte { CTE_IDENTITY, CTE_BASE64, CTE_QP };

struct part_head {
	char ctype[CTYPE_MAX];		/* unfolded value, lower case */
	enum cte cte;
	size_t body;			/* offset of the body */
};

/* The headers of p[0..len): Content-Type and -Transfer-Encoding. */
static void headers(const char *p, size_t len, struct part_head *h)
{
	size_t i = 0;

	memset(h, 0, sizeof(*h));
	h->body = len;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t) (nl - p) : len, next = nl != NULL ? end + 1 : len;
		size_t vend = end, k, n;
		char *dst;
		size_t cap;

		if (end == i || (end == i + 1 && p[i] == '\r')) {
			h->body = next;		/* the empty line */
			return;
		}
		if (prefix_ci(p + i, end - i, "content-type:")) {
			k = i + 13;
			dst = h->ctype;
			cap = sizeof(h->ctype);
		} else if (prefix_ci(p + i, end - i, "content-transfer-encoding:")) {
			k = i + 26;
			dst = NULL;
			cap = 0;
		} else {
			i = next;
			continue;
		}
		/* RFC 5322 2.2.3: unfold the continuation lines. */
		while (vend < len && vend + 1 < len && (p[vend + 1] == ' ' || p[vend + 1] == '\t')) {
			nl = memchr(p + vend + 1, '\n', len - vend - 1);
			vend = nl != NULL ? (size_t) (nl - p) : len;
		}
		next = vend < len ? vend + 1 : len;
		if (dst != NULL) {
			for (n = 0; k < vend && n + 1 < cap; k++)
				if (p[k] != '\r' && p[k] != '\n')
					dst[n++] = (char) lower((unsigned char) p[k]);
			dst[n] = '\0';
		} else {
			while (k < vend && is_space((unsigned char) p[k]))
				k++;
			if (prefix_ci(p + k, vend - k, "base64"))
				h->cte = CTE_BASE64;
			else if (prefix_ci(p + k, vend - k, "quoted-printable"))
				h->cte = CTE_QP;
		}
		i = next;
	}
}

/* The boundary parameter of a lower-cased Content-Type value, from the
   original bytes (boundaries are case-sensitive): 1 found. */
static int boundary_param(const char *p, size_t len, char *out)
{
	size_t i = 0, n = 0;
	const char *ct = NULL;

	/* Find the Content-Type header again, in the original case. */
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t) (nl - p) : len;

		if (end == i || (end == i + 1 && p[i] == '\r'))
			return 0;
		if (prefix_ci(p + i, end - i, "content-type:")) {
			ct = p + i + 13;
			break;
		}
		i = nl != NULL ? end + 1 : len;
	}
	if (ct == NULL)
		return 0;
	/* Search the (folded) value, up to the next header or the body. */
	for (i = (size_t) (ct - p); i + 9 <= len; i++) {
		if (p[i] == '\n' && (i + 1 >= len || (p[i + 1] != ' ' && p[i + 1] != '\t')))
			return 0;
		if ((i == 0 || p[i - 1] == ';' || is_space((unsigned char) p[i - 1])) &&
		    prefix_ci(p + i, len - i, "boundary")) {
			size_t j = i + 8;

			while (j < len && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j >= len || p[j] != '=')
				continue;
			j++;
			while (j < len && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < len && p[j] == '"') {
				for (j++; j < len && p[j] != '"' && p[j] != '\n' && n < BOUNDARY_MAX; j++)
					out[n++] = p[j];
			} else {
				for (; j < len && !is_space((unsigned char) p[j]) && p[j] != ';' &&
				       n < BOUNDARY_MAX; j++)
					out[n++] = p[j];
			}
			out[n] = '\0';
			return n > 0;
		}
	}
	return 0;
}

static void walk(struct walk *w, const char *p, size_t len, unsigned depth);

static void multipart(struct walk *w, const char *p, size_t len, const char *b, unsigned depth)
{
	size_t blen = strlen(b), pos = 0, start = 0;
	int in_part = 0;

	while (pos < len && !w->out->over) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t) (nl - p) : len, next = nl != NULL ? end + 1 : len;

		/* RFC 2046 5.1.1: "--" boundary, "--" at the close, then
		   only blanks on the line. */
		if (end - pos >= 2 + blen && p[pos] == '-' && p[pos + 1] == '-' &&
		    memcmp(p + pos + 2, b, blen) == 0) {
			size_t k = pos + 2 + blen;
			int close = k + 1 < end && p[k] == '-' && p[k + 1] == '-';

			if (close)
				k += 2;
			while (k < end && is_space((unsigned char) p[k]))
				k++;
			if (k == end) {
				if (in_part)
					walk(w, p + start, pos - start, depth + 1);
				if (close)
					return;
				in_part = 1;
				start = next;
			}
		}
		pos = next;
	}
	if (in_part && !w->out->over)
		walk(w, p + start, len - start, depth + 1);	/* no close delimiter */
}

static void text_part(struct walk *w, const char *p, size_t len, const struct part_head *h,
		      int html)
{
	struct av_links *o = w->out;
	size_t room = w->lim->max_decoded - o->decoded, n;
	char *buf;

	if (len > room)
		o->over = 1;		/* the rest is not analysed */
	if (room == 0)
		return;
	if (h->cte == CTE_IDENTITY) {
		n = len < room ? len : room;
		o->decoded += n;
		if (html)
			scan_html(w, p, n);
		else
			scan_text(w, p, n);
		return;
	}
	buf = xmalloc(room < len ? room : (len > 0 ? len : 1));
	n = h->cte == CTE_BASE64 ? base64(p, len, buf, room < len ? room : len) :
		quoted_printable(p, len, buf, room < len ? room : len);
	o->decoded += n;
	if (html)
		scan_html(w, buf, n);
	else
		scan_text(w, buf, n);
	free(buf);
}

static void walk(struct walk *w, const char *p, size_t len, unsigned depth)
{
	struct av_links *o = w->out;
	struct part_head h;
	char b[BOUNDARY_MAX + 1];
	const char *ct;

	if (o->over)
		return;
	if (depth > w->lim->max_depth || ++o->parts > w->lim->max_parts) {
		o->over = 1;
		return;
	}
	headers(p, len, &h);
	ct = h.ctype + strspn(h.ctype, " \t");
	if (strncmp(ct, "multipart/", 10) == 0) {
		if (!boundary_param(p, h.body, b)) {
			o->over = 1;	/* cannot be split: not analysed */
			return;
		}
		multipart(w, p + h.body, len - h.body, b, depth);
	} else if (strncmp(ct, "message/rfc822", 14) == 0) {
		walk(w, p + h.body, len - h.body, depth + 1);
	} else if (*ct == '\0' || strncmp(ct, "text/plain", 10) == 0) {
		text_part(w, p + h.body, len - h.body, &h, 0);	/* RFC 2045 5.2: default */
	} else if (strncmp(ct, "text/html", 9) == 0) {
		text_part(w, p + h.body, len - h.body, &h, 1);
	}
}

void av_links_extract(const char *msg, size_t len, const struct av_links_limits *limits,
		      struct av_links *out)
{
	struct walk w = { limits, out };

	memset(out, 0, sizeof(*out));
	walk(&w, msg, len, 0);
}
