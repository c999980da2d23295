/*++
 * NAME
 *	psl 3
 * SUMMARY
 *	public suffix list: registered (organizational) domains
 * SYNOPSIS
 *	#include "messec/psl.h"
 *
 *	struct ms_psl *ms_psl_load(const char *path, const char **error_r);
 *	int ms_psl_registered_domain(const struct ms_psl *psl, const char *domain,
 *				     char *org_r, size_t org_size);
 * DESCRIPTION
 *	Reads the Mozilla public suffix list format (publicsuffix.org/list/:
 *	one rule per line, "//" comments, "*." wildcard and "!" exception
 *	rules; both the ICANN and the PRIVATE sections are used) into an
 *	open-addressing hash table. The table is read-only after loading, so
 *	any number of threads may look up at once.
 *
 *	The registered domain is the public suffix plus one label: DMARC's
 *	organizational domain (RFC 7489 section 3.2, milter-auth) and the
 *	name a URIBL/SURBL-style list is asked about (milter-av's link
 *	analysis). Matching follows the list's own algorithm: an
 *	exception rule prevails; otherwise the rule with most labels; no match
 *	means the implicit rule "*" (the TLD is the suffix). A domain that is
 *	itself a public suffix is its own organizational domain (OpenDMARC
 *	does the same).
 *
 *	libopendmarc has a PSL reader too (opendmarc_tld_read_file), but its
 *	lookup is not in its public header and its table is a process global;
 *	we keep our own, small and testable.
 *
 *	The list writes internationalised rules in Unicode (UTF-8 U-labels,
 *	"\u516c\u53f8.hk"); mail carries A-labels ("xn--55qx5d.hk"). Each non-ASCII
 *	label of a rule is converted with Punycode (RFC 3492) and "xn--"
 *	(RFC 5890 section 2.3.2.1) when the list is loaded, so lookups are
 *	plain ASCII. No IDNA2008 mapping is applied: the list is already in
 *	the normalised lower-case form.
 * LIMITS
 *	Rule lines longer than 253 octets (after conversion), or with invalid
 *	UTF-8, are skipped.
 * DIAGNOSTICS
 *	Load: NULL with *error_r (static text). Lookup: -1 for bad input.
 * TRUST BOUNDARY
 *	The list is a root-owned system file; domains come from peers (the
 *	From header, link hosts) and are normalised (ms_psl_domain_normalise)
 *	first.
 *--*/
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "messec/str.h"
#include "messec/psl.h"

#define RULE_NORMAL	0x1	/* "example.com" */
#define RULE_WILDCARD	0x2	/* "*.example.com": stored as "example.com" */
#define RULE_EXCEPTION	0x4	/* "!www.example.com": stored as "www.example.com" */

struct psl_slot {
	char *name;
	unsigned flags;
};

struct ms_psl {
	struct psl_slot *slots;
	size_t size;		/* power of two */
	size_t count;
};

/* FNV-1a over len bytes. */
static uint64_t psl_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct psl_slot *psl_find(const struct ms_psl *psl, const char *name, size_t len)
{
	size_t i = (size_t)psl_hash(name, len) & (psl->size - 1);

	/*
	 * Linear probing; the table is never more than half full, so an
	 * empty slot ends every search.
	 */
	for (;;) {
		struct psl_slot *slot = &psl->slots[i];

		if (slot->name == NULL)
			return slot;
		if (strlen(slot->name) == len && memcmp(slot->name, name, len) == 0)
			return slot;
		i = (i + 1) & (psl->size - 1);
	}
}

static void psl_grow(struct ms_psl *psl)
{
	struct psl_slot *old = psl->slots;
	size_t old_size = psl->size, i;

	psl->size = old_size ? old_size * 2 : 16384;
	psl->slots = xcalloc(psl->size, sizeof(*psl->slots));
	for (i = 0; i < old_size; i++) {
		if (old[i].name != NULL)
			*psl_find(psl, old[i].name, strlen(old[i].name)) = old[i];
	}
	free(old);
}

static void psl_add(struct ms_psl *psl, const char *name, size_t len, unsigned flags)
{
	struct psl_slot *slot;

	if (2 * (psl->count + 1) > psl->size)
		psl_grow(psl);
	slot = psl_find(psl, name, len);
	if (slot->name == NULL) {
		slot->name = xstrndup(name, len);
		psl->count++;
	}
	slot->flags |= flags;
}

/* RFC 3492 section 6.1: bias adaptation. */
static unsigned puny_adapt(unsigned delta, unsigned numpoints, int first)
{
	unsigned k = 0;

	delta = first ? delta / 700 : delta / 2;	/* damp = 700 */
	delta += delta / numpoints;
	while (delta > ((36 - 1) * 26) / 2) {		/* ((base - tmin) * tmax) / 2 */
		delta /= 36 - 1;
		k += 36;
	}
	return k + (36 * delta) / (delta + 38);		/* (base - tmin + 1), skew = 38 */
}

/*
 * RFC 3492 section 6.3: Punycode-encode cp[0..n) after "xn--" into out.
 * 0 ok, -1 overflow or no room. Constants: base 36, tmin 1, tmax 26,
 * initial_bias 72, initial_n 128.
 */
static int puny_encode(const uint32_t *cp, size_t n, char *out, size_t size)
{
	unsigned code = 128, delta = 0, bias = 72, h, b = 0, m, q, k, t;
	size_t len = 0, i;

#define PUT(ch) do { if (len + 1 >= size) return -1; out[len++] = (char)(ch); } while (0)
	PUT('x'); PUT('n'); PUT('-'); PUT('-');
	for (i = 0; i < n; i++) {
		if (cp[i] < 0x80) {
			PUT(cp[i]);
			b++;
		}
	}
	if (b > 0)
		PUT('-');
	for (h = b; h < n; delta++, code++) {
		for (m = UINT32_MAX, i = 0; i < n; i++) {
			if (cp[i] >= code && cp[i] < m)
				m = cp[i];
		}
		if ((m - code) > (UINT32_MAX - delta) / (h + 1))
			return -1;
		delta += (m - code) * (h + 1);
		code = m;
		for (i = 0; i < n; i++) {
			if (cp[i] < code && ++delta == 0)
				return -1;
			if (cp[i] != code)
				continue;
			for (q = delta, k = 36;; k += 36) {
				t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
				if (q < t)
					break;
				PUT("abcdefghijklmnopqrstuvwxyz0123456789"[t + (q - t) % (36 - t)]);
				q = (q - t) / (36 - t);
			}
			PUT("abcdefghijklmnopqrstuvwxyz0123456789"[q]);
			bias = puny_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
	}
#undef PUT
	out[len] = '\0';
	return 0;
}

/* Decode one UTF-8 sequence at s (len left); code point or -1. */
static long utf8_next(const unsigned char *s, size_t len, size_t *used)
{
	unsigned n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*used = 1;
		return s[0];
	}
	n = s[0] >= 0xf0 && s[0] < 0xf5 ? 3 : s[0] >= 0xe0 ? 2 : s[0] >= 0xc2 ? 1 : 0;
	if (n == 0 || s[0] >= 0xf5 || n >= len)
		return -1;
	c = s[0] & (0x3f >> n);
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*used = n + 1;
	return (long)c;
}

/*
 * A rule in UTF-8 to its A-label form (RFC 5890): ASCII labels as they are,
 * others "xn--" + Punycode. 0 ok, -1 invalid UTF-8 or too long.
 */
static int rule_to_ascii(const char *rule, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)rule, *end = p + len;
	uint32_t cp[MS_PSL_DOMAIN_MAX];
	size_t out_len = 0;

	while (p < end) {
		size_t n = 0, used, label_len;
		int ascii = 1;
		char label[MS_PSL_DOMAIN_MAX + 1];

		while (p < end && *p != '.') {
			long c = utf8_next(p, (size_t)(end - p), &used);

			if (c < 0 || n >= MS_PSL_DOMAIN_MAX)
				return -1;
			ascii &= c < 0x80;
			cp[n++] = (uint32_t)c;
			p += used;
		}
		if (ascii) {
			for (label_len = 0; label_len < n; label_len++)
				label[label_len] = (char)cp[label_len];
			label[label_len] = '\0';
		} else if (puny_encode(cp, n, label, sizeof(label)) < 0) {
			return -1;
		}
		label_len = strlen(label);
		if (out_len + label_len + 2 > size)
			return -1;
		memcpy(out + out_len, label, label_len);
		out_len += label_len;
		if (p < end) {
			out[out_len++] = '.';
			p++;
		}
	}
	out[out_len] = '\0';
	return 0;
}

/* Parse one list line into the table; blank, comment and odd lines are skipped. */
static void psl_line(struct ms_psl *psl, char *line)
{
	char ascii[MS_PSL_DOMAIN_MAX + 2];
	unsigned flags = RULE_NORMAL;
	size_t len, i;

	/* The rule is the first white-space delimited word on the line. */
	line += strspn(line, " \t");
	len = strcspn(line, " \t\r\n");
	if (len == 0 || (len >= 2 && line[0] == '/' && line[1] == '/'))
		return;
	if (line[0] == '!') {
		flags = RULE_EXCEPTION;
		line++, len--;
	} else if (len >= 2 && line[0] == '*' && line[1] == '.') {
		flags = RULE_WILDCARD;
		line += 2, len -= 2;
	}
	if (len == 0 || len > 4 * MS_PSL_DOMAIN_MAX)
		return;
	for (i = 0; i < len; i++) {
		if ((unsigned char)line[i] >= 0x80) {
			/* An internationalised rule: store its A-label form. */
			if (rule_to_ascii(line, len, ascii, sizeof(ascii)) < 0)
				return;
			line = ascii;
			len = strlen(ascii);
			for (i = 0; i < len; i++) {
				if (line[i] >= 'A' && line[i] <= 'Z')
					line[i] = (char)(line[i] - 'A' + 'a');
			}
			break;
		}
		if (line[i] >= 'A' && line[i] <= 'Z')
			line[i] = (char)(line[i] - 'A' + 'a');
	}
	if (len > MS_PSL_DOMAIN_MAX)
		return;
	psl_add(psl, line, len, flags);
}

struct ms_psl *ms_psl_load(const char *path, const char **error_r)
{
	struct ms_psl *psl;
	char line[1024];
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		*error_r = "cannot open the public suffix list";
		return NULL;
	}
	psl = xcalloc(1, sizeof(*psl));
	psl_grow(psl);
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* A line longer than the buffer is no rule: skip its rest. */
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int ch;

			while ((ch = getc(fp)) != EOF && ch != '\n')
				;
			continue;
		}
		psl_line(psl, line);
	}
	if (ferror(fp) || psl->count == 0) {
		*error_r = ferror(fp) ? "read error on the public suffix list" :
		    "the public suffix list has no rules";
		fclose(fp);
		ms_psl_free(&psl);
		return NULL;
	}
	fclose(fp);
	return psl;
}

void ms_psl_free(struct ms_psl **psl_p)
{
	struct ms_psl *psl = *psl_p;
	size_t i;

	if (psl == NULL)
		return;
	for (i = 0; i < psl->size; i++)
		free(psl->slots[i].name);
	free(psl->slots);
	free(psl);
	*psl_p = NULL;
}

size_t ms_psl_count(const struct ms_psl *psl)
{
	return psl->count;
}

static unsigned psl_flags(const struct ms_psl *psl, const char *name)
{
	const struct psl_slot *slot = psl_find(psl, name, strlen(name));

	return slot->name ? slot->flags : 0;
}

int ms_psl_registered_domain(const struct ms_psl *psl, const char *domain,
			 char *org_r, size_t org_size)
{
	const char *label[MS_PSL_DOMAIN_MAX / 2 + 2];
	char norm[MS_PSL_DOMAIN_MAX + 1];
	size_t nlabels = 0, suffix = 1, i;
	const char *p;

	if (ms_psl_domain_normalise(domain, strlen(domain), norm, sizeof(norm)) < 0)
		return -1;
	/* label[i] points at the suffix made of labels i..nlabels-1. */
	label[nlabels++] = norm;
	for (p = norm; (p = strchr(p, '.')) != NULL; p++)
		label[nlabels++] = p + 1;

	/*
	 * publicsuffix.org algorithm: if an exception rule matches, it
	 * prevails and the suffix is the rule minus its leftmost label.
	 * Otherwise the matching rule with most labels wins; "*.x" matches
	 * any one label followed by x. Start from the longest suffix.
	 */
	for (i = 0; i < nlabels; i++) {
		if (psl_flags(psl, label[i]) & RULE_EXCEPTION) {
			suffix = nlabels - i - 1;
			goto found;
		}
	}
	for (i = 0; i < nlabels; i++) {
		if ((psl_flags(psl, label[i]) & RULE_NORMAL) ||
		    (i + 1 < nlabels && (psl_flags(psl, label[i + 1]) & RULE_WILDCARD))) {
			suffix = nlabels - i;
			break;
		}
	}
found:
	/* The org domain is one label more than the suffix, or the domain itself. */
	p = suffix < nlabels ? label[nlabels - suffix - 1] : norm;
	if (str_copy(org_r, p, org_size) >= org_size)
		return -1;
	return 0;
}

int ms_psl_domain_normalise(const char *in, size_t len, char *out_r, size_t size)
{
	size_t i, label_len = 0;

	/* One trailing dot (absolute form) is the same domain. */
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > MS_PSL_DOMAIN_MAX || len >= size)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		if (ch == '.') {
			if (label_len == 0)
				return -1;
			label_len = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			   ch == '-' || ch == '_') {
			/* RFC 1035 section 2.3.4: labels of 63 octets or less. */
			if (++label_len > 63)
				return -1;
		} else {
			return -1;
		}
		out_r[i] = (char)ch;
	}
	/* "example.com.." is "example.com." once one dot is dropped: an empty last label. */
	if (label_len == 0)
		return -1;
	out_r[len] = '\0';
	return 0;
}
