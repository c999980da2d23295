/*++
 * NAME
 *	ar_parse 3h
 * SUMMARY
 *	test-only reader of an Authentication-Results value: resinfo count
 *	and methods, as a receiving MUA or filter would split it
 * SYNOPSIS
 *	#include "ar_parse.h"	(milter-auth/tests/, also tests/fuzz/)
 *
 *	int ar_parse(const char *value, size_t len, struct ar_parsed *r);
 * DESCRIPTION
 *	Reads the value ma_authres_build() wrote, with RFC 8601 section 2.2's
 *	grammar as a reader applies it: units are separated by white space
 *	(SP, TAB, the LF of a fold) outside quoted-strings; an unquoted ";"
 *	ends the authserv-id or a resinfo. The first unit is the authserv-id
 *	(token or quoted-string); each resinfo then starts with
 *	"method=result" (lower-case method, result a keyword: [A-Za-z0-9-]) followed by
 *	"reason=value" or "ptype.property=value" units. A value is one whole
 *	quoted-string or bare text holding no '"', '(', ')', '\\', ";" or
 *	white space: anything else means peer text escaped its quotes, so a
 *	reader would see a unit, a comment or a resinfo we did not write.
 *	Test code only: it checks our builder's output; it is not a general
 *	A-R parser (no comments, no version, no "none").
 * DIAGNOSTICS
 *	Returns the number of resinfos (methods in r->method[], results in
 *	r->result[]), or -1 when the value breaks the structure above (r->why
 *	says where).
 *--*/
#ifndef MA_TESTS_AR_PARSE_H
#define MA_TESTS_AR_PARSE_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define AR_PARSE_MAX 16		/* resinfos */

struct ar_parsed {
	size_t n;
	char method[AR_PARSE_MAX][16];
	char result[AR_PARSE_MAX][40];
	const char *why;
};

/* Next unit of s[*pos..len): its bounds, or ";" alone; 0 at the end, -1 on a bad quote. */
static int ar_parse_unit(const char *s, size_t len, size_t *pos, size_t *start, size_t *end)
{
	size_t p = *pos;
	int quoted = 0;

	while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n'))
		p++;
	if (p >= len)
		return 0;
	*start = p;
	if (s[p] == ';') {
		*pos = *end = p + 1;
		return 1;
	}
	for (; p < len; p++) {
		if (quoted) {
			if (s[p] == '\\' && p + 1 < len)
				p++;
			else if (s[p] == '"')
				quoted = 0;
		} else if (s[p] == '"') {
			quoted = 1;
		} else if (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == ';') {
			break;
		}
	}
	if (quoted)
		return -1;
	*pos = *end = p;
	return 1;
}

/* A value: one whole quoted-string, or bare text without specials. */
static int ar_parse_value(const char *v, size_t len)
{
	size_t i;

	if (len >= 2 && v[0] == '"') {
		for (i = 1; i + 1 < len; i++) {
			if (v[i] == '\\')
				i++;
			else if (v[i] == '"')
				return -1;	/* the quoted-string ended early */
		}
		return i + 1 == len && v[len - 1] == '"' ? 0 : -1;
	}
	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch <= 0x20 || ch >= 0x7f || strchr("\"()\\;", ch) != NULL)
			return -1;
	}
	return 0;
}

static int ar_parse(const char *s, size_t len, struct ar_parsed *r)
{
	size_t pos = 0, a, b, i;
	int rc, want_method = 0, after_unit = 0;

	memset(r, 0, sizeof(*r));
	/* authserv-id, then ";" */
	if (ar_parse_unit(s, len, &pos, &a, &b) != 1 || s[a] == ';' || ar_parse_value(s + a, b - a) < 0)
		return r->why = "authserv-id", -1;
	if (ar_parse_unit(s, len, &pos, &a, &b) != 1 || s[a] != ';')
		return r->why = "no ';' after the authserv-id", -1;
	want_method = 1;
	while ((rc = ar_parse_unit(s, len, &pos, &a, &b)) == 1) {
		const char *u = s + a, *eq = memchr(u, '=', b - a);
		size_t n = b - a;

		if (*u == ';') {
			if (want_method || !after_unit)
				return r->why = "empty resinfo", -1;
			want_method = 1;
			continue;
		}
		if (eq == NULL || eq == u)
			return r->why = "unit without name=", -1;
		if (want_method) {
			if (r->n == AR_PARSE_MAX || (size_t)(eq - u) >= sizeof(r->method[0]) ||
			    n - (size_t)(eq - u) - 1 >= sizeof(r->result[0]))
				return r->why = "too many resinfos or a long method", -1;
			for (i = 0; u + i < eq; i++) {
				if (u[i] < 'a' || u[i] > 'z')
					return r->why = "method not a keyword", -1;
			}
			for (i = (size_t)(eq - u) + 1; i < n; i++) {
				if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
				      (u[i] >= '0' && u[i] <= '9') || u[i] == '-'))
					return r->why = "result not a keyword", -1;
			}
			if ((size_t)(eq - u) + 1 == n)
				return r->why = "empty result", -1;
			memcpy(r->method[r->n], u, (size_t)(eq - u));
			memcpy(r->result[r->n], eq + 1, n - (size_t)(eq - u) - 1);
			r->n++;
			want_method = 0;
		} else {
			int dot = 0;

			for (i = 0; u + i < eq; i++) {
				if (u[i] == '.')
					dot = 1;
				else if (u[i] < 'a' || u[i] > 'z')
					return r->why = "property name not ptype.property", -1;
			}
			if (!dot && !(eq - u == 6 && memcmp(u, "reason", 6) == 0))
				return r->why = "property neither reason nor ptype.property", -1;
			if (ar_parse_value(eq + 1, n - (size_t)(eq - u) - 1) < 0)
				return r->why = "property value escaped its quoting", -1;
		}
		after_unit = 1;
	}
	if (rc < 0)
		return r->why = "unterminated quoted-string", -1;
	if (want_method)
		return r->why = "ends with ';' or has no resinfo", -1;
	return (int)r->n;
}

#endif
