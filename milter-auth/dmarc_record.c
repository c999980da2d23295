/*++
 * NAME
 *	dmarc_record 3
 * SUMMARY
 *	DMARC record parser (RFC 7489 sections 6.3, 6.4, 6.6.3)
 * SYNOPSIS
 *	#include "dmarc.h"
 *
 *	int ma_dmarc_record_parse(const char *record, size_t len,
 *				  struct ma_dmarc_record *rec_r,
 *				  const char **error_r);
 *	int ma_dmarc_record_valid(const char *record, size_t len);
 * DESCRIPTION
 *	A DMARC record is a DKIM-style tag list (RFC 7489 section 6.4, RFC
 *	6376 section 3.2): "tag = value" separated by ";", white space around
 *	either allowed. The rules applied, in order:
 *	- the record starts with the tag "v" and its value is exactly
 *	  "DMARC1" (section 6.3: "MUST match precisely", "MUST be the first
 *	  tag"); otherwise the record is ignored;
 *	- a malformed tag-spec or a tag seen twice makes the tag list invalid
 *	  (RFC 6376 section 3.2), so the record is ignored;
 *	- unknown tags are ignored (section 6.3);
 *	- adkim/aspf other than r/s, pct other than 0..100: record ignored;
 *	- p missing or invalid, or sp invalid: with a syntactically valid rua
 *	  URI the record acts as "p=none", else it is ignored (section
 *	  6.6.3);
 *	- tag names and keyword values compare case-insensitively (ABNF
 *	  strings), the version value case-sensitively (%x44 %x4d ...).
 * DIAGNOSTICS
 *	-1 with *error_r (static text) for an ignored record.
 * TRUST BOUNDARY
 *	The record text comes from any DNS zone: any bytes, bounded length.
 *--*/
#include <string.h>
#include <strings.h>

#include "dmarc_int.h"

struct tag {
	const char *name, *value;
	size_t name_len, value_len;
};

static int is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* RFC 6376 section 3.2: VALCHAR = %x21-3A / %x3C-7E (no ";"); plus WSP inside. */
static int is_valchar(char ch)
{
	return (ch >= 0x21 && ch <= 0x7e && ch != ';') || is_wsp(ch);
}

/* Case-insensitive comparison of a counted string with a keyword. */
static int word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/*
 * Split the next tag-spec from [*pos, end): 1 got one, 0 empty spec, -1
 * malformed. *pos moves past the ";".
 */
static int next_tag(const char **pos, const char *end, struct tag *tag_r)
{
	const char *p = *pos, *spec_end, *eq;

	spec_end = memchr(p, ';', (size_t)(end - p));
	if (spec_end == NULL)
		spec_end = end;
	*pos = spec_end < end ? spec_end + 1 : end;
	while (p < spec_end && is_wsp(*p))
		p++;
	while (spec_end > p && is_wsp(spec_end[-1]))
		spec_end--;
	if (p == spec_end)
		return 0;
	/* tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_") */
	tag_r->name = p;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return -1;
	while (p < spec_end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				(*p >= '0' && *p <= '9') || *p == '_'))
		p++;
	tag_r->name_len = (size_t)(p - tag_r->name);
	while (p < spec_end && is_wsp(*p))
		p++;
	eq = p;
	if (eq >= spec_end || *eq != '=')
		return -1;
	p = eq + 1;
	while (p < spec_end && is_wsp(*p))
		p++;
	tag_r->value = p;
	tag_r->value_len = (size_t)(spec_end - p);
	for (; p < spec_end; p++) {
		if (!is_valchar(*p))
			return -1;
	}
	return 1;
}

static enum ma_dmarc_policy policy_word(const struct tag *tag)
{
	if (word_is(tag->value, tag->value_len, "none"))
		return MA_DMARC_POLICY_NONE;
	if (word_is(tag->value, tag->value_len, "quarantine"))
		return MA_DMARC_POLICY_QUARANTINE;
	if (word_is(tag->value, tag->value_len, "reject"))
		return MA_DMARC_POLICY_REJECT;
	return MA_DMARC_POLICY_UNSPECIFIED;
}

/*
 * rua: comma-separated dmarc-uri list (section 6.4), each an RFC 3986 URI
 * with an optional "!size". Valid when at least one has a scheme (ALPHA
 * *(ALPHA / DIGIT / "+" / "-" / ".")), ":", and something after it.
 */
static int rua_has_valid_uri(const char *v, size_t len)
{
	const char *end = v + len, *uri, *uri_end, *p;

	for (uri = v; uri < end; uri = uri_end + 1) {
		uri_end = memchr(uri, ',', (size_t)(end - uri));
		if (uri_end == NULL)
			uri_end = end;
		p = uri;
		while (p < uri_end && is_wsp(*p))
			p++;
		if (p < uri_end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
			while (p < uri_end && (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
					       (*p >= '0' && *p <= '9') ||
					       *p == '+' || *p == '-' || *p == '.'))
				p++;
			if (p + 1 < uri_end && *p == ':' && !is_wsp(p[1]) && p[1] != '!')
				return 1;
		}
		if (uri_end == end)
			break;
	}
	return 0;
}

/* pct = 1*3DIGIT, 0..100 */
static int pct_value(const struct tag *tag, int *pct_r)
{
	int n = 0;
	size_t i;

	if (tag->value_len == 0 || tag->value_len > 3)
		return -1;
	for (i = 0; i < tag->value_len; i++) {
		if (tag->value[i] < '0' || tag->value[i] > '9')
			return -1;
		n = n * 10 + (tag->value[i] - '0');
	}
	if (n > 100)
		return -1;
	*pct_r = n;
	return 0;
}

/* Check "v=DMARC1" as the first tag; *pos moves past it. 0 ok, -1 not DMARC. */
static int version_tag(const char **pos, const char *end)
{
	struct tag tag;

	/* RFC 7489 section 6.6.3 step 3: the record must start with v=. */
	if (*pos >= end || (**pos != 'v' && **pos != 'V'))
		return -1;
	if (next_tag(pos, end, &tag) != 1 || !word_is(tag.name, tag.name_len, "v"))
		return -1;
	if (tag.value_len != 6 || memcmp(tag.value, "DMARC1", 6) != 0)
		return -1;
	return 0;
}

/* Bit per known tag, to see duplicates. */
enum { SEEN_P = 1, SEEN_SP = 2, SEEN_ADKIM = 4, SEEN_ASPF = 8, SEEN_PCT = 16, SEEN_RUA = 32,
       SEEN_V = 64 };

/* What the tag loop has seen, for the p/sp/rua rule after it. */
struct parse_state {
	unsigned seen;
	int p_bad, sp_bad, rua_ok;
};

/* One known tag into rec_r. 0 ok, -1 record invalid (*error_r). */
static int apply_tag(const struct tag *tag, unsigned bit, struct ma_dmarc_record *rec_r,
		     struct parse_state *st, const char **error_r)
{
	switch (bit) {
	case SEEN_P:
		rec_r->p = policy_word(tag);
		st->p_bad = rec_r->p == MA_DMARC_POLICY_UNSPECIFIED;
		break;
	case SEEN_SP:
		rec_r->sp = policy_word(tag);
		rec_r->sp_present = 1;
		st->sp_bad = rec_r->sp == MA_DMARC_POLICY_UNSPECIFIED;
		break;
	case SEEN_ADKIM:
	case SEEN_ASPF:
		if (!word_is(tag->value, tag->value_len, "r") &&
		    !word_is(tag->value, tag->value_len, "s")) {
			*error_r = "invalid adkim/aspf (expected r or s)";
			return -1;
		}
		*(bit == SEEN_ADKIM ? &rec_r->adkim_strict : &rec_r->aspf_strict) =
		    word_is(tag->value, tag->value_len, "s");
		break;
	case SEEN_PCT:
		if (pct_value(tag, &rec_r->pct) < 0) {
			*error_r = "invalid pct (expected 0..100)";
			return -1;
		}
		break;
	case SEEN_RUA:
		st->rua_ok = rua_has_valid_uri(tag->value, tag->value_len);
		break;
	}
	return 0;
}

static unsigned tag_bit(const struct tag *tag)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "p", SEEN_P }, { "sp", SEEN_SP }, { "adkim", SEEN_ADKIM }, { "aspf", SEEN_ASPF },
		{ "pct", SEEN_PCT }, { "rua", SEEN_RUA }, { "v", SEEN_V },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (word_is(tag->name, tag->name_len, known[i].name))
			return known[i].bit;
	}
	return 0;	/* unknown tags (and ruf, fo, rf, ri) are ignored */
}

int ma_dmarc_record_parse(const char *record, size_t len, struct ma_dmarc_record *rec_r,
			  const char **error_r)
{
	const char *pos = record, *end = record + len;
	struct parse_state st = { SEEN_V, 0, 0, 0 };
	struct tag tag;
	unsigned bit;
	int rc;

	memset(rec_r, 0, sizeof(*rec_r));
	rec_r->pct = 100;
	if (version_tag(&pos, end) < 0) {
		*error_r = "not a DMARC record (v=DMARC1 must be the first tag)";
		return -1;
	}
	while (pos < end) {
		if ((rc = next_tag(&pos, end, &tag)) == 0)
			continue;
		if (rc < 0) {
			*error_r = "malformed tag list";
			return -1;
		}
		if ((bit = tag_bit(&tag)) == 0)
			continue;
		if (st.seen & bit) {
			*error_r = "duplicate tag";	/* RFC 6376 section 3.2 */
			return -1;
		}
		st.seen |= bit;
		if (apply_tag(&tag, bit, rec_r, &st, error_r) < 0)
			return -1;
	}
	/* RFC 7489 section 6.6.3: bad or missing p, or bad sp. */
	if (!(st.seen & SEEN_P) || st.p_bad || st.sp_bad) {
		if (!st.rua_ok) {
			*error_r = (st.seen & SEEN_P) ? "invalid p or sp, and no valid rua" :
			    "no p tag, and no valid rua";
			return -1;
		}
		rec_r->p = MA_DMARC_POLICY_NONE;
		rec_r->sp = MA_DMARC_POLICY_NONE;
		rec_r->sp_present = 0;
		rec_r->p_assumed_none = 1;
	}
	if (!rec_r->sp_present)
		rec_r->sp = rec_r->p;
	return 0;
}

int ma_dmarc_record_valid(const char *record, size_t len)
{
	struct ma_dmarc_record rec;
	const char *error;

	return ma_dmarc_record_parse(record, len, &rec, &error);
}

/* For the record selection of RFC 7489 section 6.6.3 (dmarc.c). */
int dmarc_record_is_dmarc(const char *record)
{
	const char *pos = record;

	return version_tag(&pos, record + strlen(record)) == 0;
}

/*
 * The raw value of one tag of a "v=DMARC1; tag=value..." list, whatever
 * its other tags (a verification record of RFC 7489 section 7.1 has no
 * p=): 1 copied, 0 absent or not v=DMARC1 first, -1 value longer than
 * size - 1 (never cut: a cut URI list could name another address).
 */
int dmarc_record_tag_any(const char *record, size_t len, const char *name, char *out,
			 size_t size)
{
	const char *pos = record, *end = record + len;
	struct tag tag;
	int rc;

	if (size == 0 || version_tag(&pos, end) != 0)
		return 0;
	while (pos < end) {
		if ((rc = next_tag(&pos, end, &tag)) <= 0)
			continue;
		if (!word_is(tag.name, tag.name_len, name))
			continue;
		if (tag.value_len >= size)
			return -1;
		memcpy(out, tag.value, tag.value_len);
		out[tag.value_len] = '\0';
		return 1;
	}
	return 0;
}

/*
 * The raw value of one tag (aggregate reports read "rua", RFC 7489
 * section 6.3), for a record ma_dmarc_record_parse() accepts: 1 copied,
 * 0 absent, -1 record ignored or value longer than size - 1.
 */
int ma_dmarc_record_tag(const char *record, size_t len, const char *name, char *out,
			size_t size)
{
	struct ma_dmarc_record rec;
	const char *error;

	if (size == 0 || ma_dmarc_record_parse(record, len, &rec, &error) != 0)
		return -1;
	return dmarc_record_tag_any(record, len, name, out, size);
}
