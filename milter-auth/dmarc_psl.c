/*++
 * NAME
 *	dmarc_psl 3
 * SUMMARY
 *	public suffix list and organizational domains (RFC 7489 section 3.2)
 * SYNOPSIS
 *	#include "dmarc_int.h"
 *
 *	struct dmarc_psl *dmarc_psl_load(const char *path, const char **error_r);
 *	int dmarc_psl_org_domain(const struct dmarc_psl *psl, const char *domain,
 *				 char *org_r, size_t org_size);
 * DESCRIPTION
 *	Reads the Mozilla public suffix list format (publicsuffix.org/list/:
 *	one rule per line, "//" comments, "*." wildcard and "!" exception
 *	rules; both the ICANN and the PRIVATE sections are used) into an
 *	open-addressing hash table. The table is read-only after loading, so
 *	any number of threads may look up at once.
 *
 *	The organizational domain is the public suffix plus one label (RFC
 *	7489 section 3.2). Matching follows the list's own algorithm: an
 *	exception rule prevails; otherwise the rule with most labels; no match
 *	means the implicit rule "*" (the TLD is the suffix). A domain that is
 *	itself a public suffix is its own organizational domain (OpenDMARC
 *	does the same).
 *
 *	libopendmarc has a PSL reader too (opendmarc_tld_read_file), but its
 *	lookup is not in its public header and its table is a process global;
 *	we keep our own, small and testable.
 * LIMITS
 *	Rules in Unicode (IDN U-labels) are stored as read; A-label domains
 *	(xn--...) do not match them and fall to the shorter rules. Rule lines
 *	longer than 253 octets are skipped.
 * DIAGNOSTICS
 *	Load: NULL with *error_r (static text). Lookup: -1 for bad input.
 * TRUST BOUNDARY
 *	The list is a root-owned system file; domains come from peers (the
 *	From header) and are normalised (dmarc_domain_normalise) first.
 *--*/
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "messec/str.h"
#include "dmarc_int.h"

#define RULE_NORMAL	0x1	/* "example.com" */
#define RULE_WILDCARD	0x2	/* "*.example.com": stored as "example.com" */
#define RULE_EXCEPTION	0x4	/* "!www.example.com": stored as "www.example.com" */

struct psl_slot {
	char *name;
	unsigned flags;
};

struct dmarc_psl {
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

static struct psl_slot *psl_find(const struct dmarc_psl *psl, const char *name, size_t len)
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

static void psl_grow(struct dmarc_psl *psl)
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

static void psl_add(struct dmarc_psl *psl, const char *name, size_t len, unsigned flags)
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

/* Parse one list line into the table; blank, comment and odd lines are skipped. */
static void psl_line(struct dmarc_psl *psl, char *line)
{
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
	if (len == 0 || len > DMARC_DOMAIN_MAX)
		return;
	for (i = 0; i < len; i++) {
		if (line[i] >= 'A' && line[i] <= 'Z')
			line[i] = (char)(line[i] - 'A' + 'a');
	}
	psl_add(psl, line, len, flags);
}

struct dmarc_psl *dmarc_psl_load(const char *path, const char **error_r)
{
	struct dmarc_psl *psl;
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
		dmarc_psl_free(&psl);
		return NULL;
	}
	fclose(fp);
	return psl;
}

void dmarc_psl_free(struct dmarc_psl **psl_p)
{
	struct dmarc_psl *psl = *psl_p;
	size_t i;

	if (psl == NULL)
		return;
	for (i = 0; i < psl->size; i++)
		free(psl->slots[i].name);
	free(psl->slots);
	free(psl);
	*psl_p = NULL;
}

size_t dmarc_psl_count(const struct dmarc_psl *psl)
{
	return psl->count;
}

static unsigned psl_flags(const struct dmarc_psl *psl, const char *name)
{
	const struct psl_slot *slot = psl_find(psl, name, strlen(name));

	return slot->name ? slot->flags : 0;
}

int dmarc_psl_org_domain(const struct dmarc_psl *psl, const char *domain,
			 char *org_r, size_t org_size)
{
	const char *label[DMARC_DOMAIN_MAX / 2 + 2];
	char norm[DMARC_DOMAIN_MAX + 1];
	size_t nlabels = 0, suffix = 1, i;
	const char *p;

	if (dmarc_domain_normalise(domain, strlen(domain), norm, sizeof(norm)) < 0)
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

int dmarc_domain_normalise(const char *in, size_t len, char *out_r, size_t size)
{
	size_t i, label_len = 0;

	/* One trailing dot (absolute form) is the same domain. */
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > DMARC_DOMAIN_MAX || len >= size)
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
	out_r[len] = '\0';
	return 0;
}
