/*++
 * NAME
 *	authres 3
 * SUMMARY
 *	Authentication-Results header field (RFC 8601): build ours, read others'
 * SYNOPSIS
 *	#include "authres.h"
 *
 *	int ma_authres_build(const struct ma_authres *ar, struct sbuf *out);
 *	int ma_authres_authserv_id(const char *value, size_t len,
 *				   char *id_r, size_t size);
 * DESCRIPTION
 *	ma_authres_build() writes the value of one Authentication-Results
 *	field (RFC 8601 section 2.2):
 *	    authserv-id ";" resinfo *(";" resinfo)
 *	with one resinfo for spf (when reported), one per DKIM signature (or
 *	"dkim=none"), and dmarc (when reported). Each resinfo starts a new
 *	line; a line is folded before a unit (method=result, reason=...,
 *	ptype.property=value) that would take it past 78 characters (RFC 5322
 *	section 2.1.1), counting the 24 characters of the field name and its
 *	space on the first line. A single unit longer than that stays whole.
 *	Folds are "\n\t": libmilter/Postfix turn "\n" into the wire's CRLF.
 *
 *	Peer text (domains, selectors, signature prefixes, reasons) never
 *	reaches the output raw (RFC 8601 section 7.5 "header field
 *	injection"): a value that is an RFC 2045 token, or local@domain /
 *	@domain (RFC 8601 pvalue), is written as is; anything else becomes a
 *	quoted-string in which '"' and '\' are escaped and every control
 *	character (CR, LF, NUL, ...) or non-ASCII byte is written as '?'.
 *	Values are cut at AR_VALUE_MAX bytes first. A result that is not a
 *	keyword ([a-z0-9-]) is written as "permerror".
 *
 *	ma_authres_authserv_id() reads the authserv-id of an existing field
 *	value: CFWS (white space, folding, nested comments with quoted-pairs)
 *	first, then a token or a quoted-string (RFC 8601 section 2.2 "value").
 *	The milter deletes every field whose id equals its own (RFC 8601
 *	section 5), compared lower-cased.
 * DIAGNOSTICS
 *	build: -1 when the caller's sbuf cap is exceeded (the buffer then
 *	holds a partial value: reset it) or there is no authserv-id.
 *	authserv_id: -1 when no id can be read, or it does not fit in size
 *	(a cut id must never match ours).
 * TRUST BOUNDARY
 *	Everything but the method names comes from the peer or its DNS:
 *	bounded, sanitised. The parser takes any bytes, NUL included.
 *--*/
#include <string.h>

#include "messec/sbuf.h"
#include "authres.h"

#define AR_LINE_MAX 78		/* RFC 5322 section 2.1.1 SHOULD */
#define AR_NAME_LEN 24		/* strlen("Authentication-Results: ") */
#define AR_VALUE_MAX 256	/* longest peer value written (domains are <= 253) */
#define AR_UNIT_MAX (32 + 2 * AR_VALUE_MAX + 8)	/* UNSAFE: name + "=" + quoted, escaped value + ";" */

struct ar_out {
	struct sbuf *out;
	size_t col;		/* characters on the current line */
	int error;
};

/* RFC 2045 section 5.1: token = 1*<any CHAR except SPACE, CTLs, tspecials> */
static int is_token_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* RFC 5322 section 3.2.3 atext (for the local-part of a pvalue). */
static int is_atext(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

static int is_domain_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

/* RFC 8601 section 2.2 pvalue: [ [ local-part ] "@" ] domain-name, dot-atom forms only. */
static int is_pvalue_address(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t i;

	if (at == NULL || at + 1 == s + len)
		return 0;
	for (i = 0; s + i < at; i++) {
		if (!(is_atext((unsigned char)s[i]) || (s[i] == '.' && i > 0 && s[i - 1] != '.')))
			return 0;
	}
	if (i > 0 && s[i - 1] == '.')
		return 0;
	for (i = (size_t)(at - s) + 1; i < len; i++) {
		if (!is_domain_char((unsigned char)s[i]))
			return 0;
	}
	return at[1] != '.';
}

/*
 * Render a peer value into buf (AR_UNIT_MAX): token, or (pvalue only: the
 * properties) an address form, or quoted-string. The authserv-id and
 * reason are "value" (RFC 8601 section 2.2): token or quoted-string only.
 */
static size_t render_value(const char *value, int pvalue, char *buf)
{
	size_t len = strlen(value), i, out = 0, tokens = 0;

	if (len > AR_VALUE_MAX)
		len = AR_VALUE_MAX;
	for (i = 0; i < len; i++)
		tokens += is_token_char((unsigned char)value[i]);
	if ((len > 0 && tokens == len) || (pvalue && is_pvalue_address(value, len))) {
		memcpy(buf, value, len);
		return len;
	}
	buf[out++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];

		if (ch == '"' || ch == '\\') {
			buf[out++] = '\\';
			buf[out++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			buf[out++] = '?';	/* CR, LF, NUL, TAB, 8-bit: never raw */
		} else {
			buf[out++] = (char)ch;
		}
	}
	buf[out++] = '"';
	return out;
}

static void emit(struct ar_out *o, const char *text, size_t len)
{
	if (sbuf_append(o->out, text, len) < 0)
		o->error = 1;
	o->col += len;
}

/* Write one unit, after a fold or a space; newline forces a fold. */
static void unit(struct ar_out *o, const char *text, size_t len, int newline)
{
	/* + 1 keeps room for the ";" that may end the resinfo. */
	if (newline || (o->col > 1 && o->col + 1 + len + 1 > AR_LINE_MAX)) {
		emit(o, "\n\t", 2);
		o->col = 1;	/* the tab is one character (RFC 5322 counts characters) */
	} else {
		emit(o, " ", 1);
	}
	emit(o, text, len);
}

/* "name=value" unit, value rendered safe; nothing when value is NULL. */
static void prop_unit(struct ar_out *o, const char *name, const char *value)
{
	char buf[AR_UNIT_MAX];
	size_t n = strlen(name);

	if (value == NULL)
		return;
	memcpy(buf, name, n);
	buf[n++] = '=';
	n += render_value(value, strcmp(name, "reason") != 0, buf + n);
	unit(o, buf, n, 0);
}

/* "method=result" unit at the start of a resinfo; result must be a keyword. */
static void method_unit(struct ar_out *o, const char *method, const char *result)
{
	char buf[AR_UNIT_MAX];
	size_t n = strlen(method), len, i;
	int ok = result != NULL && (len = strlen(result)) > 0 && len <= 32;

	for (i = 0; ok && result[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)result[i];

		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-';
	}
	if (!ok)
		result = "permerror";
	memcpy(buf, method, n);
	buf[n++] = '=';
	len = strlen(result);
	memcpy(buf + n, result, len);
	unit(o, buf, n + len, 1);
}

static void end_resinfo(struct ar_out *o, int last)
{
	if (!last)
		emit(o, ";", 1);
}

int ma_authres_build(const struct ma_authres *ar, struct sbuf *out)
{
	struct ar_out o = { out, AR_NAME_LEN, 0 };
	char buf[AR_UNIT_MAX];
	size_t i, n;

	if (ar->authserv_id == NULL || ar->authserv_id[0] == '\0')
		return -1;
	n = render_value(ar->authserv_id, 0, buf);
	emit(&o, buf, n);
	emit(&o, ";", 1);

	if (ar->spf_result != NULL) {
		const char *property = ar->spf_property;

		/* RFC 8601 section 2.7.2 / RFC 7208 section 9.1: only these two. */
		if (property == NULL || strcmp(property, "smtp.helo") != 0)
			property = "smtp.mailfrom";
		method_unit(&o, "spf", ar->spf_result);
		prop_unit(&o, "reason", ar->spf_reason);
		prop_unit(&o, property, ar->spf_value);
		end_resinfo(&o, 0);
	}
	if (ar->n_dkim == 0 || ar->dkim == NULL) {
		method_unit(&o, "dkim", "none");
		end_resinfo(&o, ar->dmarc_result == NULL);
	}
	for (i = 0; ar->dkim != NULL && i < ar->n_dkim; i++) {
		const struct ma_authres_dkim *sig = &ar->dkim[i];

		/* RFC 6008: header.d, header.s, header.a, header.b (a prefix). */
		method_unit(&o, "dkim", sig->result);
		prop_unit(&o, "reason", sig->reason);
		prop_unit(&o, "header.d", sig->domain);
		prop_unit(&o, "header.s", sig->selector);
		prop_unit(&o, "header.a", sig->algorithm);
		prop_unit(&o, "header.b", sig->b_prefix);
		end_resinfo(&o, i + 1 == ar->n_dkim && ar->dmarc_result == NULL);
	}
	if (ar->dmarc_result != NULL) {
		/* RFC 7489 section 11.2: header.from; policy.dmarc is common practice. */
		method_unit(&o, "dmarc", ar->dmarc_result);
		prop_unit(&o, "header.from", ar->dmarc_from);
		prop_unit(&o, "policy.dmarc", ar->dmarc_policy);
		end_resinfo(&o, 1);
	}
	return o.error ? -1 : 0;
}

/* Skip CFWS (RFC 5322 section 3.2.2); -1 on an unterminated comment. */
static int skip_cfws(const char **pos, const char *end)
{
	const char *p = *pos;
	unsigned depth = 0;

	while (p < end) {
		if (depth == 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			p++;
		} else if (*p == '(') {
			depth++, p++;
		} else if (depth > 0 && *p == ')') {
			depth--, p++;
		} else if (depth > 0) {
			/* quoted-pair inside a comment: skip the escaped byte too */
			p += (*p == '\\' && p + 1 < end) ? 2 : 1;
		} else {
			break;
		}
	}
	*pos = p;
	return depth == 0 ? 0 : -1;
}

static char lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

int ma_authres_authserv_id(const char *value, size_t len, char *id_r, size_t size)
{
	const char *p = value, *end = value + len;
	size_t n = 0;

	if (size == 0)
		return -1;
	id_r[0] = '\0';
	if (skip_cfws(&p, end) < 0 || p >= end)
		return -1;
	if (*p == '"') {
		/* quoted-string: qtext, quoted-pairs, FWS (the CRLF of a fold is dropped) */
		for (p++;; p++) {
			if (p >= end)
				return -1;	/* unterminated */
			if (*p == '"')
				break;
			if (*p == '\r' || *p == '\n')
				continue;
			if (*p == '\\' && p + 1 < end)
				p++;
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return -1;	/* NUL and other controls: not a valid id */
			if (n + 1 >= size)
				return -1;
			id_r[n++] = lower(*p);
		}
	} else {
		while (p < end && is_token_char((unsigned char)*p)) {
			if (n + 1 >= size)
				return -1;
			id_r[n++] = lower(*p++);
		}
	}
	id_r[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* Length of an authserv-id without one trailing dot. */
static size_t id_len(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && id[n - 1] == '.' ? n - 1 : n;
}

int ma_authres_id_equal(const char *id, const char *ours)
{
	size_t n, m;

	if (id == NULL || ours == NULL)
		return 0;
	n = id_len(id);
	m = id_len(ours);
	/* RFC 8601 2.5: a host name; names compare without case (RFC 4343) */
	return n > 0 && n == m && strncasecmp(id, ours, n) == 0;
}
