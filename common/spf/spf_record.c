/*++
 * NAME
 *	spf_record 3
 * SUMMARY
 *	strict RFC 7208 section 12 parser/validator of an SPF record
 * SYNOPSIS
 *	#include "spf_internal.h"
 *
 *	int spf_record_parse(text, len, rec_r, error_r)
 *	int ma_spf_record_validate(text, len, error_r)
 *	int spf_macro_check(s, len, explain, error_r)
 *	int spf_domain_spec_check(s, len, error_r)
 *	int spf_ip_parse(text, ip_r)
 * DESCRIPTION
 *	The whole record is checked before any term is evaluated (RFC 7208
 *	4.6: a syntax error anywhere is a permerror, even after a term that
 *	would match). This is where libspf2 1.2.10 is lax: it accepts bad
 *	macro letters, missing domain-end top labels, duplicate redirect= and
 *	exp=, non-ASCII, control characters; it refuses valid "/0" prefixes.
 *
 *	ma_spf_record_validate() takes (pointer, length), so it is a ready
 *	libFuzzer entry point; it never reads past len and never needs NUL.
 * TRUST BOUNDARY
 *	The text comes from DNS: anyone can publish anything. Every byte is
 *	checked against the ABNF; lengths are size_t and bounded by len.
 *--*/
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_internal.h"

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

/* Case-insensitive "does [s, s+len) start with word". */
static bool
has_prefix(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && strncasecmp(s, word, n) == 0;
}

bool
spf_record_is_spf(const char *text, size_t len)
{
	/* RFC 7208 4.5: "v=spf1" alone or followed by SP; "v=spf10" is not */
	return has_prefix(text, len, "v=spf1") && (len == 6 || text[6] == ' ');
}

/*
 * macro-string / explain-string (RFC 7208 7.1):
 *	macro-expand = ( "%{" macro-letter transformers *delimiter "}" )
 *		/ "%%" / "%_" / "%-"
 *	macro-literal = %x21-24 / %x26-7E
 * c, r, t are for exp text only (RFC 7208 7.3).
 */
int
spf_macro_check(const char *s, size_t len, bool explain, const char **error_r)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' && explain) {
			i++;
			continue;
		}
		if (c < 0x21 || c > 0x7e) {
			*error_r = "character outside %x21-7E in macro-string";
			return -1;
		}
		if (c != '%') {
			i++;
			continue;
		}
		if (i + 1 >= len) {
			*error_r = "'%' at end of macro-string";
			return -1;
		}
		c = (unsigned char)s[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i += 2;
			continue;
		}
		if (c != '{') {
			*error_r = "'%' not followed by '{', '%', '_' or '-'";
			return -1;
		}
		i += 2;
		if (i >= len || strchr("slodiphcrtvSLODIPHCRTV", s[i]) == NULL ||
		    s[i] == '\0') {
			*error_r = "unknown macro letter";
			return -1;
		}
		if (!explain && strchr("crtCRT", s[i]) != NULL) {
			*error_r = "macro letter c, r or t outside exp text";
			return -1;
		}
		i++;
		/* transformers = *DIGIT [ "r" ] */
		while (i < len && is_digit(s[i]))
			i++;
		if (i < len && (s[i] == 'r' || s[i] == 'R'))
			i++;
		while (i < len && strchr(".-+,/_=", s[i]) != NULL && s[i] != '\0')
			i++;
		if (i >= len || s[i] != '}') {
			*error_r = "bad macro transformer or delimiter";
			return -1;
		}
		i++;
	}
	return 0;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *	( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
toplabel_ok(const char *s, size_t len)
{
	bool alpha = false;

	if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (is_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			alpha = true;	/* second form: a hyphen inside */
		else if (!is_digit(s[i]))
			return false;
	}
	return alpha;
}

/* domain-spec = macro-string domain-end
 * domain-end = ( "." toplabel [ "." ] ) / macro-expand */
int
spf_domain_spec_check(const char *s, size_t len, const char **error_r)
{
	size_t end = len, dot;

	if (len == 0) {
		*error_r = "empty domain-spec";
		return -1;
	}
	if (spf_macro_check(s, len, false, error_r) < 0)
		return -1;
	/* ends with a macro-expand ("%{...}", not "%%"/"%_"/"%-") */
	if (s[len - 1] == '}') {
		size_t i = len - 1;
		while (i > 0 && s[i] != '{')
			i--;
		if (i >= 1 && s[i] == '{' && s[i - 1] == '%') {
			/* "%%{x}" is a literal "%" then "{x}": count '%' */
			size_t pct = 0;
			for (size_t j = i; j > 0 && s[j - 1] == '%'; j--)
				pct++;
			if (pct % 2 == 1)
				return 0;
		}
	}
	if (s[end - 1] == '.')
		end--;
	dot = end;
	while (dot > 0 && s[dot - 1] != '.')
		dot--;
	if (dot == 0) {
		*error_r = "domain-spec without a '.' toplabel";
		return -1;
	}
	if (!toplabel_ok(s + dot, end - dot)) {
		*error_r = "invalid top label in domain-spec";
		return -1;
	}
	return 0;
}

/* "/" ("0" / %x31-39 0*nDIGIT), value <= max; *pos at the '/'. */
static int
parse_cidr(const char *s, size_t len, size_t *pos, int max, int *value_r)
{
	size_t i = *pos + 1, start = i;
	int v = 0;

	while (i < len && is_digit(s[i]) && i - start < 4)
		v = v * 10 + (s[i++] - '0');
	if (i == start || (s[start] == '0' && i - start > 1) || v > max ||
	    (i < len && is_digit(s[i])))
		return -1;
	*pos = i;
	*value_r = v;
	return 0;
}

/* Is [s+from, s+len) "/" 1*DIGIT?  Returns the '/' position or len. */
static size_t
cidr_suffix(const char *s, size_t from, size_t len)
{
	size_t i = len;

	while (i > from && is_digit(s[i - 1]))
		i--;
	if (i == len || i == from || s[i - 1] != '/')
		return len;
	return i - 1;
}

/*
 * [ ":" domain-spec ] [ dual-cidr-length ], dual-cidr-length =
 * [ ip4-cidr-length ] [ "/" ip6-cidr-length ]. The cidr part is taken from
 * the right: a domain-spec may contain "/" (RFC 7208 7.1: any visible
 * character but "%"), e.g. "a:foo:bar/baz.example.com".
 */
static int
parse_domain_cidr(const char *s, size_t len, struct spf_term *t, bool dual,
		  const char **error_r)
{
	size_t end = len, pos;

	pos = cidr_suffix(s, 0, end);
	if (pos < end && pos > 0 && s[pos - 1] == '/') {
		/* "//" ip6-cidr-length */
		size_t at = pos;
		if (parse_cidr(s, end, &at, 128, &t->cidr6) < 0) {
			*error_r = "bad ip6-cidr-length";
			return -1;
		}
		end = pos - 1;
		pos = cidr_suffix(s, 0, end);
	}
	if (pos < end) {
		size_t at = pos;
		if (parse_cidr(s, end, &at, 32, &t->cidr4) < 0) {
			*error_r = "bad ip4-cidr-length";
			return -1;
		}
		end = pos;
	}
	(void)dual;
	if (end == 0)
		return 0;
	if (s[0] != ':') {
		*error_r = "mechanism name followed by neither ':' nor '/'";
		return -1;
	}
	t->spec = s + 1;
	t->spec_len = end - 1;
	return spf_domain_spec_check(t->spec, t->spec_len, error_r);
}

/* ip4 / ip6 ":" network [ "/" length ] */
static int
parse_ipnet(const char *s, size_t len, struct spf_term *t,
	    const char **error_r)
{
	char buf[INET6_ADDRSTRLEN + 1];
	size_t slash = 0;
	int family = t->mech == SPF_M_IP4 ? AF_INET : AF_INET6;

	if (len < 2 || s[0] != ':') {
		*error_r = "ip4/ip6 without ':' network";
		return -1;
	}
	while (slash < len && s[slash] != '/')
		slash++;
	if (slash - 1 >= sizeof(buf) || slash == 1) {
		*error_r = "bad ip4/ip6 network";
		return -1;
	}
	memcpy(buf, s + 1, slash - 1);
	buf[slash - 1] = '\0';
	/* glibc inet_pton(AF_INET) takes only a.b.c.d decimal, no leading 0 */
	if (inet_pton(family, buf, t->net) != 1) {
		*error_r = family == AF_INET ? "bad ip4-network" :
		    "bad ip6-network";
		return -1;
	}
	if (slash < len &&
	    parse_cidr(s, len, &slash, family == AF_INET ? 32 : 128,
		       family == AF_INET ? &t->cidr4 : &t->cidr6) < 0) {
		*error_r = "bad cidr length";
		return -1;
	}
	if (slash != len) {
		*error_r = "junk after the network";
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum spf_mech mech;
} mechanisms[] = {
	{ "all", SPF_M_ALL }, { "include", SPF_M_INCLUDE },
	{ "a", SPF_M_A }, { "mx", SPF_M_MX }, { "ptr", SPF_M_PTR },
	{ "ip4", SPF_M_IP4 }, { "ip6", SPF_M_IP6 }, { "exists", SPF_M_EXISTS },
};

/* One directive: [ qualifier ] mechanism */
static int
parse_directive(const char *s, size_t len, struct spf_term *t,
		const char **error_r)
{
	size_t name_len = 0;
	const char *rest;
	size_t rest_len;

	memset(t, 0, sizeof(*t));
	t->text = s;
	t->text_len = len;
	t->cidr4 = t->cidr6 = -1;
	t->qualifier = '+';
	if (len > 0 && strchr("+-~?", s[0]) != NULL) {
		t->qualifier = s[0];
		s++;
		len--;
	}
	while (name_len < len && is_alnum(s[name_len]))
		name_len++;
	rest = s + name_len;
	rest_len = len - name_len;
	for (size_t i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++) {
		if (strlen(mechanisms[i].name) != name_len ||
		    strncasecmp(s, mechanisms[i].name, name_len) != 0)
			continue;
		t->mech = mechanisms[i].mech;
		switch (t->mech) {
		case SPF_M_ALL:
			if (rest_len != 0)
				break;
			return 0;
		case SPF_M_INCLUDE:
		case SPF_M_EXISTS:
			if (rest_len < 2 || rest[0] != ':')
				break;
			t->spec = rest + 1;
			t->spec_len = rest_len - 1;
			return spf_domain_spec_check(t->spec, t->spec_len,
						     error_r);
		case SPF_M_A:
		case SPF_M_MX:
			return parse_domain_cidr(rest, rest_len, t, true,
						 error_r);
		case SPF_M_PTR:
			if (rest_len == 0)
				return 0;
			if (rest[0] != ':')
				break;
			t->spec = rest + 1;
			t->spec_len = rest_len - 1;
			return spf_domain_spec_check(t->spec, t->spec_len,
						     error_r);
		case SPF_M_IP4:
		case SPF_M_IP6:
			return parse_ipnet(rest, rest_len, t, error_r);
		}
		*error_r = "bad mechanism arguments";
		return -1;
	}
	*error_r = "unknown mechanism";
	return -1;
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=" */
static size_t
modifier_name_len(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_alpha(s[0]))
		return 0;
	while (i < len && (is_alnum(s[i]) || s[i] == '-' || s[i] == '_' ||
			   s[i] == '.'))
		i++;
	return i < len && s[i] == '=' ? i : 0;
}

static int
parse_modifier(const char *s, size_t len, size_t name_len,
	       struct spf_record *rec, const char **error_r)
{
	const char *value = s + name_len + 1;
	size_t vlen = len - name_len - 1;

	if (name_len == 8 && strncasecmp(s, "redirect", 8) == 0) {
		/* RFC 7208 6: each at most once */
		if (rec->redirect != NULL) {
			*error_r = "redirect= given twice";
			return -1;
		}
		rec->redirect = value;
		rec->redirect_len = vlen;
		return spf_domain_spec_check(value, vlen, error_r);
	}
	if (name_len == 3 && strncasecmp(s, "exp", 3) == 0) {
		if (rec->exp != NULL) {
			*error_r = "exp= given twice";
			return -1;
		}
		rec->exp = value;
		rec->exp_len = vlen;
		return spf_domain_spec_check(value, vlen, error_r);
	}
	/* unknown-modifier = name "=" macro-string: ignored, but checked */
	return spf_macro_check(value, vlen, false, error_r);
}

void
spf_record_free(struct spf_record *rec)
{
	free(rec->terms);
	memset(rec, 0, sizeof(*rec));
}

/* record = version terms *SP; terms = *( 1*SP ( directive / modifier ) ) */
int
spf_record_parse(const char *text, size_t len, struct spf_record *rec_r,
		 const char **error_r)
{
	size_t i, nwords = 0;

	memset(rec_r, 0, sizeof(*rec_r));
	if (!spf_record_is_spf(text, len)) {
		*error_r = "not an SPF record";
		return -1;
	}
	/* RFC 7208 3.1 and 4.6.1: 7-bit, SP separated; no TAB, no CR/LF */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c != ' ' && (c < 0x21 || c > 0x7e)) {
			*error_r = "control or non-ASCII character in record";
			return -1;
		}
		if (c == ' ' && (i + 1 == len || text[i + 1] != ' '))
			nwords++;
	}
	rec_r->terms = calloc(nwords + 1, sizeof(*rec_r->terms));
	if (rec_r->terms == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	i = 6;
	while (i < len) {
		size_t start, wlen, name_len;

		while (i < len && text[i] == ' ')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && text[i] != ' ')
			i++;
		wlen = i - start;
		name_len = modifier_name_len(text + start, wlen);
		if (name_len > 0) {
			if (parse_modifier(text + start, wlen, name_len, rec_r,
					   error_r) < 0)
				goto fail;
			continue;
		}
		if (parse_directive(text + start, wlen,
				    &rec_r->terms[rec_r->count], error_r) < 0)
			goto fail;
		rec_r->count++;
	}
	return 0;
fail:
	spf_record_free(rec_r);
	return -1;
}

int
ma_spf_record_validate(const char *text, size_t len, const char **error_r)
{
	struct spf_record rec;

	if (text == NULL) {
		*error_r = "no record";
		return -1;
	}
	if (spf_record_parse(text, len, &rec, error_r) < 0)
		return -1;
	spf_record_free(&rec);
	return 0;
}

int
spf_ip_parse(const char *text, struct spf_ip *ip_r)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };
	uint8_t buf[16];

	memset(ip_r, 0, sizeof(*ip_r));
	if (text == NULL)
		return -1;
	if (inet_pton(AF_INET, text, buf) == 1) {
		ip_r->family = AF_INET;
		memcpy(ip_r->addr, buf, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, buf) != 1)
		return -1;
	/* RFC 7208 5: an IPv4-mapped client is an IPv4 client */
	if (memcmp(buf, mapped, sizeof(mapped)) == 0) {
		ip_r->family = AF_INET;
		memcpy(ip_r->addr, buf + 12, 4);
		return 0;
	}
	ip_r->family = AF_INET6;
	memcpy(ip_r->addr, buf, 16);
	return 0;
}

bool
spf_ip_match(const struct spf_ip *ip, const uint8_t *net, int family,
	     unsigned prefix)
{
	size_t bytes = prefix / 8;
	unsigned bits = prefix % 8;

	if (ip->family != family)
		return false;
	if (prefix > (family == AF_INET ? 32u : 128u))
		return false;
	if (memcmp(ip->addr, net, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((ip->addr[bytes] ^ net[bytes]) & (0xff00 >> bits)) == 0;
}
