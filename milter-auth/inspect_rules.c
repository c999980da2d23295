/*++
 * NAME
 *	inspect_rules 3
 * SUMMARY
 *	messec-inspect: the anomaly rules
 * SYNOPSIS
 *	#include "inspect.h"
 * DESCRIPTION
 *	Each rule looks at what the message claims (struct
 *	ma_inspect_facts) and adds at most one flag with a stable code:
 *	  display-name-address  the From display name holds an address of
 *	                        another organizational domain
 *	  lookalike-domain      the From domain resembles a protected domain
 *	                        (same Unicode TR 39 skeleton when a skeleton
 *	                        function is given, same skeleton after
 *	                        folding ASCII confusables, or edit distance
 *	                        1-2 on the part before the public suffix)
 *	  idn-domain            the From domain has an xn-- (IDN) label
 *	                        (with its Unicode form when given)
 *	  reply-to-differs      Reply-To in another organizational domain
 *	  return-path-differs   Return-Path in another organizational domain
 *	                        (common for mailing services; worth a look)
 *	  no-from / several-from, missing-message-id, missing-date
 *	  untrusted-ar          an Authentication-Results field whose
 *	                        authserv-id is not ours (RFC 8601 section 5:
 *	                        only our own may be believed)
 *	  forged-ar             one with our authserv-id that was already in
 *	                        the message when our server received it (below
 *	                        the newest Received: RFC 8601 section 5 says
 *	                        to delete those; messec-milter-auth does)
 *	A flag is a hint for a trainee, never a verdict.
 *--*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "messec/str.h"
#include "inspect.h"

unsigned ma_inspect_edit_distance(const char *a, const char *b, unsigned cap)
{
	/* Damerau-Levenshtein (optimal string alignment), two rows plus
	   the one before; lengths bounded by the callers (domains). */
	unsigned prev2[256], prev[256], cur[256];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > 253 || lb > 253)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = (unsigned) j;
	memset(prev2, 0, sizeof(prev2));
	for (i = 1; i <= la; i++) {
		cur[0] = (unsigned) i;
		for (j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1, v;

			v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		memcpy(prev2, prev, sizeof(prev));
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

void ma_inspect_skeleton(const char *d, char *out, size_t size)
{
	/* ASCII confusables (as in Unicode TR 39's skeleton idea, for the
	   characters an ASCII domain can use) */
	static const struct { const char *from, *to; } fold[] = {
		{ "rn", "m" }, { "vv", "w" }, { "cl", "d" }, { "0", "o" }, { "1", "l" },
		{ "i", "l" }, { "3", "e" }, { "5", "s" }, { "-", "" },
	};
	size_t n = 0, k;

	while (*d != '\0' && n + 1 < size) {
		for (k = 0; k < sizeof(fold) / sizeof(fold[0]); k++) {
			size_t fl = strlen(fold[k].from);

			if (strncasecmp(d, fold[k].from, fl) == 0) {
				size_t tl = strlen(fold[k].to);

				if (n + tl + 1 >= size)
					tl = 0;
				memcpy(out + n, fold[k].to, tl);
				n += tl;
				d += fl;
				break;
			}
		}
		if (k == sizeof(fold) / sizeof(fold[0]))
			out[n++] = (char) ((*d >= 'A' && *d <= 'Z') ? *d++ + 32 : *d++);
	}
	out[n] = '\0';
}

void ma_inspect_display_name(const char *v, char *out, size_t size)
{
	size_t n = 0;
	int depth = 0, quoted = 0;
	const char *lt = NULL, *p;

	/* the display name is what stands before '<' outside quotes */
	for (p = v; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '<') {
			lt = p;
			break;
		} else if (!quoted && *p == ',')
			break;
	}
	out[0] = '\0';
	if (lt == NULL)
		return;
	quoted = 0;
	for (p = v; p < lt && n + 1 < size; p++) {
		if (*p == '\\' && p + 1 < lt) {
			/* a quoted-pair may hide a control character too
			   (fuzz_inspect found it): cleaned like the rest */
			p++;
			out[n++] = ((unsigned char) *p < 0x20 || *p == 0x7f) ? '?' : *p;
			continue;
		}
		if (*p == '(' && !quoted)
			depth++;
		else if (*p == ')' && depth > 0 && !quoted)
			depth--;
		else if (*p == '"')
			quoted = !quoted;
		else if (depth == 0 || quoted)
			out[n++] = ((unsigned char) *p < 0x20 || *p == 0x7f) ? '?' : *p;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
	for (p = out; *p == ' ' || *p == '\t'; p++)
		;
	memmove(out, p, strlen(p) + 1);
}

static void org(const struct ma_inspect_facts *f, const char *d, char *out, size_t size)
{
	const char *p, *last = NULL, *before = NULL;

	if (f->org_domain != NULL && f->org_domain(d, out, size, f->org_ctx) == 0)
		return;
	for (p = d; *p != '\0'; p++)
		if (*p == '.') {
			before = last;
			last = p;
		}
	str_copy(out, before != NULL ? before + 1 : d, size);
}

static void flag(struct ma_inspect_flag *flags, size_t max, size_t *n, const char *code,
		 const char *fmt, const char *a, const char *b)
{
	if (*n >= max)
		return;
	flags[*n].code = code;
	snprintf(flags[*n].text, sizeof(flags[*n].text), fmt, a, b);
	(*n)++;
}

/* A domain-looking "@x.y" inside the display name: its domain in out. */
static int address_in(const char *s, char *out, size_t size)
{
	const char *at = strchr(s, '@'), *e;
	size_t n;

	if (at == NULL)
		return 0;
	for (e = at + 1; *e != '\0' && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789.-", *e) != NULL; e++)
		;
	while (e > at + 1 && e[-1] == '.')
		e--;
	n = (size_t) (e - at - 1);
	if (n == 0 || n >= size || memchr(at + 1, '.', n) == NULL)
		return 0;
	memcpy(out, at + 1, n);
	out[n] = '\0';
	str_lower(out);
	return 1;
}

/* The From domain's part before its public suffix ("paypa1" of
   "paypa1.com"), to compare with the protected domain's. */
static void label_part(const struct ma_inspect_facts *f, const char *d, char *out, size_t size)
{
	char o[256];
	char *dot;

	org(f, d, o, sizeof(o));
	if ((dot = strchr(o, '.')) != NULL)
		*dot = '\0';
	str_copy(out, o, size);
}

static void lookalike(const struct ma_inspect_facts *f, struct ma_inspect_flag *flags,
		      size_t max, size_t *n)
{
	char sf[256], sp[256], lf[256], lp[256], of[256], op[256], uf[1024], up[1024];
	size_t i;

	org(f, f->from_domain, of, sizeof(of));
	ma_inspect_skeleton(of, sf, sizeof(sf));
	label_part(f, f->from_domain, lf, sizeof(lf));
	for (i = 0; i < f->n_protected; i++) {
		const char *p = f->protected_domains[i];
		unsigned dist;

		org(f, p, op, sizeof(op));
		if (strcasecmp(of, op) == 0)
			return;		/* the protected domain itself */
		/* Unicode TR 39 skeletons (IDN homoglyphs: Cyrillic a for a) */
		if (f->skeleton != NULL && f->skeleton(of, uf, sizeof(uf)) == 0 &&
		    f->skeleton(op, up, sizeof(up)) == 0 && strcmp(uf, up) == 0) {
			flag(flags, max, n, "lookalike-domain",
			     "the From domain %s displays like the protected domain %s", f->from_domain, p);
			return;
		}
		ma_inspect_skeleton(op, sp, sizeof(sp));
		label_part(f, p, lp, sizeof(lp));
		dist = ma_inspect_edit_distance(lf, lp, 2);
		if (strcmp(sf, sp) == 0 || (dist >= 1 && dist <= 2 && strlen(lp) >= 4) ||
		    (strcmp(lf, lp) == 0 && strcasecmp(of, op) != 0)) {
			flag(flags, max, n, "lookalike-domain",
			     "the From domain %s looks like the protected domain %s", f->from_domain, p);
			return;
		}
	}
}

size_t ma_inspect_anomalies(const struct ma_inspect_facts *f, struct ma_inspect_flag *flags,
			    size_t max)
{
	char d[256], of[256], o2[256];
	size_t n = 0, i;

	if (f->n_from == 0)
		flag(flags, max, &n, "no-from", "no usable From address%s%s", "", "");
	else if (f->n_from > 1)
		flag(flags, max, &n, "several-from", "several From fields%s%s", "", "");
	if (f->from_domain[0] != '\0') {
		org(f, f->from_domain, of, sizeof(of));
		if (f->from_display != NULL && address_in(f->from_display, d, sizeof(d))) {
			org(f, d, o2, sizeof(o2));
			if (strcmp(o2, of) != 0)
				flag(flags, max, &n, "display-name-address",
				     "the display name shows an address at %s, but the mail is from %s",
				     d, f->from_domain);
		}
		lookalike(f, flags, max, &n);
		if (strncmp(f->from_domain, "xn--", 4) == 0 || strstr(f->from_domain, ".xn--") != NULL)
			flag(flags, max, &n, "idn-domain",
			     "the From domain %s is internationalised: it displays as %s",
			     f->from_domain, f->from_unicode != NULL && f->from_unicode[0] ?
			     f->from_unicode : "(not decodable)");
		if (f->reply_to_domain[0] != '\0') {
			org(f, f->reply_to_domain, o2, sizeof(o2));
			if (strcmp(o2, of) != 0)
				flag(flags, max, &n, "reply-to-differs",
				     "replies go to %s, not to the From domain %s", f->reply_to_domain,
				     f->from_domain);
		}
		if (f->return_path_domain[0] != '\0') {
			org(f, f->return_path_domain, o2, sizeof(o2));
			if (strcmp(o2, of) != 0)
				flag(flags, max, &n, "return-path-differs",
				     "bounces go to %s, not to the From domain %s (normal for mailing "
				     "services)", f->return_path_domain, f->from_domain);
		}
	}
	if (!f->has_message_id)
		flag(flags, max, &n, "missing-message-id", "no Message-ID field%s%s", "", "");
	if (!f->has_date)
		flag(flags, max, &n, "missing-date", "no Date field%s%s", "", "");
	for (i = 0; i < f->n_ar; i++) {
		if (f->trusted_ar_id != NULL && strcasecmp(f->ar_ids[i], f->trusted_ar_id) == 0 &&
		    f->ar_below != NULL && f->ar_below[i]) {
			flag(flags, max, &n, "forged-ar",
			     "an Authentication-Results field claims our server %s but came with the "
			     "message%s: forged", f->trusted_ar_id, "");
			break;
		}
	}
	for (i = 0; i < f->n_ar; i++) {
		if (f->trusted_ar_id == NULL || strcasecmp(f->ar_ids[i], f->trusted_ar_id) != 0) {
			flag(flags, max, &n, "untrusted-ar",
			     "an Authentication-Results field from %s, not from our server %s: "
			     "anyone can write one", f->ar_ids[i][0] ? f->ar_ids[i] : "(unreadable)",
			     f->trusted_ar_id ? f->trusted_ar_id : "(none given)");
			break;
		}
	}
	return n;
}
