/*++
 * NAME
 *	dmarc_rua 3
 * SUMMARY
 *	DMARC aggregate report destinations (rua) and their verification
 * SYNOPSIS
 *	#include "dmarc_rua.h"
 * DESCRIPTION
 *	See dmarc_rua.h. Part of the DMARC module: it uses the module's
 *	DNS lookup (dmarc_dns.c) and domain normaliser.
 * STANDARDS
 *	RFC 7489 sections 6.2 (dmarc-uri, size limits), 6.3 (rua), 7.1
 *	(verifying external destinations); RFC 6068 (mailto:).
 * TRUST BOUNDARY
 *	DNS text of any domain; see dmarc_rua.h.
 *--*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "dmarc_int.h"
#include "dmarc_rua.h"

#define NAME_MAX_LEN 253

static enum ma_dmarc_lookup lookup_txt(ma_dmarc_lookup_fn *lookup, void *ctx,
				       unsigned timeout_ms, const char *name,
				       struct ma_dmarc_txt *txt)
{
	if (lookup != NULL)
		return lookup(ctx, name, txt);
	return dmarc_dns_txt(name, timeout_ms ? timeout_ms : MA_DMARC_DNS_TIMEOUT_DEFAULT, txt);
}

enum ma_rua_result ma_rua_fetch(const char *policy_domain, ma_dmarc_lookup_fn *lookup,
				void *ctx, unsigned timeout_ms, char *out, size_t size)
{
	char name[NAME_MAX_LEN + 16];
	struct ma_dmarc_txt txt;
	const char *record = NULL;
	size_t i, n = 0;
	int rc;

	out[0] = '\0';
	if (strlen(policy_domain) > NAME_MAX_LEN - 7)
		return MA_RUA_NONE;
	snprintf(name, sizeof(name), "_dmarc.%s", policy_domain);
	memset(&txt, 0, sizeof(txt));
	switch (lookup_txt(lookup, ctx, timeout_ms, name, &txt)) {
	case MA_DMARC_LOOKUP_FOUND:
		break;
	case MA_DMARC_LOOKUP_NOTFOUND:
		ma_dmarc_txt_clear(&txt);
		return MA_RUA_NONE;
	default:
		ma_dmarc_txt_clear(&txt);
		return MA_RUA_RETRY;
	}
	/* RFC 7489 section 6.6.3 step 3-4: records not starting with
	   v=DMARC1 are discarded; not exactly one left: none. */
	for (i = 0; i < txt.count; i++) {
		if (dmarc_record_is_dmarc(txt.records[i])) {
			record = txt.records[i];
			n++;
		}
	}
	rc = n == 1 ? ma_dmarc_record_tag(record, strlen(record), "rua", out, size) : 0;
	ma_dmarc_txt_clear(&txt);
	if (rc != 1) {
		out[0] = '\0';
		return MA_RUA_NONE;
	}
	return MA_RUA_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) (c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 5322 atext, plus "." between atoms (dot-atom-text). */
static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* "!size": 1*DIGIT ["k" / "m" / "g" / "t"], binary units (section 6.2). */
static const char *parse_size(const char *s, size_t len, uint64_t *size_r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t i;

	if (len > 0 && strchr("kmgtKMGT", s[len - 1]) != NULL) {
		shift = 10u * (unsigned) (strchr("kmgt", s[len - 1] | 0x20) - "kmgt" + 1);
		len--;
	}
	if (len == 0 || len > 15)
		return "bad size limit";
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "bad size limit";
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	/* saturate: a limit over 2^63 is no limit in practice */
	*size_r = v > (UINT64_MAX >> 1) >> shift ? (UINT64_MAX >> 1) : v << shift;
	if (*size_r == 0)
		return "size limit 0";
	return NULL;
}

/* One dmarc-uri [start, end) into d. */
static void parse_one(const char *start, const char *end, struct ma_rua_dest *d)
{
	const char *bang, *p, *at;
	char local[65], dom[NAME_MAX_LEN + 1];
	char addr[sizeof(d->address)];
	size_t n = 0, i;
	int w;

	memset(d, 0, sizeof(*d));
	for (i = 0; start + i < end && i + 1 < sizeof(d->shown); i++)
		d->shown[i] = (start[i] < 0x21 || start[i] > 0x7e) ? '?' : start[i];
	d->shown[i] = '\0';
	/* "!" inside a URI must be %-encoded (section 6.2): the first one
	   starts the size limit. */
	bang = memchr(start, '!', (size_t) (end - start));
	if (bang != NULL) {
		if ((d->error = parse_size(bang + 1, (size_t) (end - bang - 1), &d->max_size)) != NULL)
			return;
		end = bang;
	}
	if (end - start < 7 || strncasecmp(start, "mailto:", 7) != 0) {
		d->error = "not a mailto: URI";
		return;
	}
	/* RFC 6068: addr-spec list, then "?" hfields (ignored). Decode
	   %XX; one address only. */
	for (p = start + 7; p < end && *p != '?'; p++) {
		int c = (unsigned char) *p;

		if (c == '%') {
			int hi = p + 2 < end ? hexval(p[1]) : -1, lo = hi >= 0 ? hexval(p[2]) : -1;

			if (lo < 0) {
				d->error = "bad %-escape";
				return;
			}
			c = hi * 16 + lo;
			p += 2;
		}
		if (n + 1 >= sizeof(addr)) {
			d->error = "address too long";
			return;
		}
		addr[n++] = (char) c;
	}
	addr[n] = '\0';
	if ((p = strrchr(addr, '@')) == NULL || p == addr || (size_t) (p - addr) > 64) {
		d->error = "not one plain address (local@domain)";
		return;
	}
	at = p;
	memcpy(local, addr, (size_t) (at - addr));
	local[at - addr] = '\0';
	for (i = 0; local[i] != '\0'; i++) {
		if (!(is_atext((unsigned char) local[i]) ||
		      (local[i] == '.' && i > 0 && local[i + 1] != '\0' && local[i + 1] != '.'))) {
			d->error = "not one plain address (local@domain)";
			return;
		}
	}
	if (ms_psl_domain_normalise(at + 1, strlen(at + 1), dom, sizeof(dom)) != 0 ||
	    strchr(dom, '.') == NULL) {
		d->error = "unusable domain";
		return;
	}
	w = snprintf(d->address, sizeof(d->address), "%s@%s", local, dom);
	if (w < 0 || (size_t) w >= sizeof(d->address)) {
		d->address[0] = '\0';
		d->error = "address too long";
		return;
	}
	memcpy(d->domain, dom, strlen(dom) + 1);
}

size_t ma_rua_parse(const char *value, struct ma_rua_dest *dests, size_t max)
{
	const char *p = value, *comma, *s, *e;
	size_t n = 0;

	while (*p != '\0' && n < max) {
		comma = strchr(p, ',');
		e = comma != NULL ? comma : p + strlen(p);
		s = p;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s < e)
			parse_one(s, e, &dests[n++]);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return n;
}

/*
 * Section 7.1 steps 5-8 on the records found at the verification name:
 * those not starting with v=DMARC1 are discarded; one left at least:
 * verified. Step 8: a rua tag there replaces the policy record's URI;
 * two records with different rua values: which the Report Receiver
 * meant cannot be told, so nothing is sent (never a guess).
 */
static enum ma_rua_result confirm(const struct ma_dmarc_txt *txt, char *override,
				  size_t override_size, const char **why_r)
{
	char rua[MA_RUA_VALUE_MAX];
	size_t i, valid = 0;
	int rc;

	override[0] = '\0';
	for (i = 0; i < txt->count; i++) {
		if (!dmarc_record_is_dmarc(txt->records[i]))
			continue;
		valid++;
		rc = dmarc_record_tag_any(txt->records[i], strlen(txt->records[i]), "rua",
					  rua, sizeof(rua) < override_size ? sizeof(rua) :
					  override_size);
		if (rc < 0) {
			*why_r = "external destination's rua override too long: not sent";
			override[0] = '\0';
			return MA_RUA_NONE;
		}
		if (rc == 0)
			continue;
		if (override[0] != '\0' && strcmp(override, rua) != 0) {
			*why_r = "external destination publishes two different rua overrides: not sent";
			override[0] = '\0';
			return MA_RUA_NONE;
		}
		memcpy(override, rua, strlen(rua) + 1);
	}
	if (valid == 0) {
		*why_r = txt->count == 0 ? "external destination not verified (no TXT record)" :
			"external destination not verified (no record starts with v=DMARC1)";
		return MA_RUA_NONE;
	}
	*why_r = override[0] != '\0' ? "external destination verified, with its own rua" :
		"external destination verified";
	return MA_RUA_OK;
}

enum ma_rua_result ma_rua_verify(const struct ma_dmarc *dmarc, const char *policy_domain,
				 const char *dest_domain, ma_dmarc_lookup_fn *lookup,
				 void *ctx, unsigned timeout_ms, char *override,
				 size_t override_size, const char **why_r)
{
	char org_p[NAME_MAX_LEN + 1], org_d[NAME_MAX_LEN + 1], name[3 * NAME_MAX_LEN];
	struct ma_dmarc_txt txt;
	enum ma_rua_result rc;
	int n;

	override[0] = '\0';
	if (ma_dmarc_org_domain(dmarc, policy_domain, org_p, sizeof(org_p)) != 0 ||
	    ma_dmarc_org_domain(dmarc, dest_domain, org_d, sizeof(org_d)) != 0) {
		*why_r = "unusable domain";
		return MA_RUA_NONE;
	}
	if (strcmp(org_p, org_d) == 0) {
		*why_r = "same organizational domain";
		return MA_RUA_OK;
	}
	/* Section 7.1 steps 1-3: <policy domain>._report._dmarc.<host>. */
	n = snprintf(name, sizeof(name), "%s._report._dmarc.%s", policy_domain, dest_domain);
	if (n < 0 || n > NAME_MAX_LEN) {
		*why_r = "verification name over 253 octets";
		return MA_RUA_NONE;
	}
	memset(&txt, 0, sizeof(txt));
	switch (lookup_txt(lookup, ctx, timeout_ms, name, &txt)) {
	case MA_DMARC_LOOKUP_FOUND:
		break;
	case MA_DMARC_LOOKUP_NOTFOUND:
		*why_r = "external destination not verified (no _report._dmarc record)";
		return MA_RUA_NONE;
	default:
		/* step 4: a temporary DNS error may be tried again later */
		ma_dmarc_txt_clear(&txt);
		*why_r = "DNS temporary failure verifying the external destination";
		return MA_RUA_RETRY;
	}
	rc = confirm(&txt, override, override_size, why_r);
	ma_dmarc_txt_clear(&txt);
	return rc;
}

size_t ma_rua_override(const char *value, const char *dest_domain, struct ma_rua_dest *dests,
		       size_t max, const char **why_r)
{
	size_t n = ma_rua_parse(value, dests, max), i;

	for (i = 0; i < n; i++) {
		/* step 8: "the overriding URI MUST use the same destination
		   host"; one that does not (or cannot be read): neither the
		   original nor the override gets a report */
		if (dests[i].error != NULL) {
			*why_r = "external destination's rua override is unusable: not sent";
			return 0;
		}
		if (strcasecmp(dests[i].domain, dest_domain) != 0) {
			*why_r = "external destination's rua override names another host: not sent";
			return 0;
		}
	}
	if (n == 0) {
		*why_r = "external destination's rua override is empty: not sent";
		return 0;
	}
	*why_r = "external destination's own rua";
	return n;
}
