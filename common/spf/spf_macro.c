/*++
 * NAME
 *	spf_macro 3
 * SUMMARY
 *	SPF macro expansion (RFC 7208 section 7)
 * SYNOPSIS
 *	#include "spf_internal.h"
 *
 *	int spf_macro_expand(ctx, s, len, explain, out, out_size, error_r)
 *	const char *spf_ptr_validated(ctx, target, temperror_r)
 * DESCRIPTION
 *	Expands domain-specs and exp text. Syntax is checked again while
 *	expanding (the record was validated, exp text was not). %{p} does the
 *	PTR + forward validation of RFC 7208 5.5 on first use.
 * TRUST BOUNDARY
 *	The macro text comes from DNS, the values from the SMTP client
 *	(sender, HELO) and DNS (PTR names). The output is bounded by out_size
 *	(an overflow is an error, never a truncation, except the RFC 7208 7.3
 *	left-label trimming of domains longer than 253 characters).
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_internal.h"

struct out_buf {
	char *p;
	size_t size, len;
	bool overflow;
};

static void
put(struct out_buf *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->size - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* RFC 7208 7.3: upper-case macro letters are URL-escaped (RFC 3986
 * unreserved characters stay). */
static void
put_escaped(struct out_buf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char hex[4];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			put(o, s + i, 1);
			continue;
		}
		snprintf(hex, sizeof(hex), "%%%02X", c);
		put(o, hex, 3);
	}
}

/* %{i}: dotted quad, or dot-separated nibbles for IPv6 (RFC 7208 7.3) */
static void
ip_macro(const struct spf_ip *ip, bool readable, char *buf, size_t size)
{
	if (ip->family == AF_INET || readable) {
		if (inet_ntop(ip->family, ip->addr, buf, (socklen_t)size) == NULL)
			buf[0] = '\0';
		return;
	}
	for (size_t i = 0, o = 0; i < 16 && o + 4 <= size; i++) {
		static const char hex[] = "0123456789abcdef";
		buf[o++] = hex[ip->addr[i] >> 4];
		buf[o++] = '.';
		buf[o++] = hex[ip->addr[i] & 15];
		buf[o++] = i == 15 ? '\0' : '.';
	}
}

/* Reverse-lookup name of the client: in-addr.arpa / ip6.arpa */
static void
reverse_name(const struct spf_ip *ip, char *buf, size_t size)
{
	if (ip->family == AF_INET) {
		snprintf(buf, size, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3],
			 ip->addr[2], ip->addr[1], ip->addr[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 15; i >= 0 && o + 4 < size; i--) {
		buf[o++] = hex[ip->addr[i] & 15];
		buf[o++] = '.';
		buf[o++] = hex[ip->addr[i] >> 4];
		buf[o++] = '.';
	}
	buf[o] = '\0';
	strncat(buf, "ip6.arpa", size - o - 1);
}

static bool
name_in_domain(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcasecmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' &&
	    strcasecmp(name + n - d, domain) == 0;
}

/*
 * RFC 7208 5.5: PTR names of the client whose A/AAAA includes the client.
 * At most 10 names are tried (4.6.4). With target, a name equal to or under
 * target wins; without, the first validated name.
 */
const char *
spf_ptr_validated(struct spf_macro_ctx *ctx, const char *target,
		  bool *temperror_r)
{
	char rev[80];
	struct spf_rrset ptrs;
	const char *found = NULL;
	enum spf_dns_status st;

	*temperror_r = false;
	if (ctx->dns == NULL)	/* no resolver (tests, fuzzing): unknown */
		return NULL;
	reverse_name(ctx->ip, rev, sizeof(rev));
	st = spf_dns_query(ctx->dns, rev, ns_t_ptr, &ptrs);
	if (st != SPF_DNS_OK) {
		*temperror_r = st == SPF_DNS_TEMPERROR;
		return NULL;
	}
	for (size_t i = 0; i < ptrs.count && i < SPF_MAX_PTR_NAMES; i++) {
		struct spf_rrset addrs;
		const char *name = ptrs.rr[i].text;
		bool ok = false;

		if (target != NULL && !name_in_domain(name, target))
			continue;
		if (spf_dns_query(ctx->dns, name,
				  ctx->ip->family == AF_INET ? ns_t_a : ns_t_aaaa,
				  &addrs) == SPF_DNS_OK) {
			for (size_t j = 0; j < addrs.count && !ok; j++)
				ok = memcmp(addrs.rr[j].addr, ctx->ip->addr,
					    ctx->ip->family == AF_INET ? 4 : 16) == 0;
		}
		spf_rrset_free(&addrs);
		if (ok && strlen(name) < sizeof(ctx->ptr_name)) {
			memcpy(ctx->ptr_name, name, strlen(name) + 1);
			found = ctx->ptr_name;
			break;
		}
	}
	spf_rrset_free(&ptrs);
	return found;
}

static const char *
letter_value(struct spf_macro_ctx *ctx, char letter, char *buf, size_t size)
{
	bool temperror;

	switch (letter) {
	case 's': return ctx->sender;
	case 'l': return ctx->local;
	case 'o': return ctx->sender_domain;
	case 'd': return ctx->domain;
	case 'h': return ctx->helo;
	case 'i':
		ip_macro(ctx->ip, false, buf, size);
		return buf;
	case 'c':
		ip_macro(ctx->ip, true, buf, size);
		return buf;
	case 'v': return ctx->ip->family == AF_INET ? "in-addr" : "ip6";
	case 'r': return ctx->receiver ? ctx->receiver : "unknown";
	case 't':
		snprintf(buf, size, "%lld", (long long)time(NULL));
		return buf;
	case 'p':
		if (!ctx->ptr_done) {
			ctx->ptr_done = true;
			if (spf_ptr_validated(ctx, ctx->domain, &temperror) == NULL &&
			    spf_ptr_validated(ctx, NULL, &temperror) == NULL)
				ctx->ptr_name[0] = '\0';
		}
		return ctx->ptr_name[0] ? ctx->ptr_name : "unknown";
	}
	return NULL;
}

/* RFC 7208 7.3: "reverse" happens before keeping the rightmost parts. */
static void
transform_ordered(struct out_buf *o, const char *value, unsigned keep,
		  bool reverse, const char *delims, bool escape)
{
	const char *parts[128];
	size_t lens[128], n = 0, start = 0, vlen = strlen(value);
	const char *order[128];
	size_t olen[128];

	for (size_t i = 0; i <= vlen && n < 128; i++) {
		if (i == vlen || strchr(delims, value[i]) != NULL) {
			parts[n] = value + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	}
	for (size_t k = 0; k < n; k++) {
		order[k] = reverse ? parts[n - 1 - k] : parts[k];
		olen[k] = reverse ? lens[n - 1 - k] : lens[k];
	}
	size_t first = keep > 0 && keep < n ? n - keep : 0;
	for (size_t k = first; k < n; k++) {
		if (k > first)
			put(o, ".", 1);
		if (escape)
			put_escaped(o, order[k], olen[k]);
		else
			put(o, order[k], olen[k]);
	}
}

/* RFC 7208 7.3: drop left-hand labels until the domain fits in 253. */
static void
trim_domain(char *out)
{
	size_t len = strlen(out);

	while (len > SPF_MAX_DOMAIN) {
		char *dot = strchr(out, '.');
		if (dot == NULL) {
			out[0] = '\0';
			return;
		}
		memmove(out, dot + 1, strlen(dot + 1) + 1);
		len = strlen(out);
	}
}

int
spf_macro_expand(struct spf_macro_ctx *ctx, const char *s, size_t len,
		 bool explain, char *out, size_t out_size, const char **error_r)
{
	struct out_buf o = { out, out_size, 0, false };
	size_t i = 0;

	if (out_size == 0) {
		*error_r = "no room";
		return -1;
	}
	out[0] = '\0';
	if (spf_macro_check(s, len, explain, error_r) < 0)
		return -1;
	while (i < len) {
		char value_buf[128], delims[8];
		const char *value;
		unsigned keep = 0;
		bool reverse = false, escape;
		char letter;
		size_t nd = 0;

		if (s[i] != '%') {
			put(&o, s + i++, 1);
			continue;
		}
		/* validated above: a macro-expand follows */
		switch (s[i + 1]) {
		case '%': put(&o, "%", 1); i += 2; continue;
		case '_': put(&o, " ", 1); i += 2; continue;
		case '-': put(&o, "%20", 3); i += 2; continue;
		}
		i += 2;
		letter = s[i];
		escape = letter >= 'A' && letter <= 'Z';
		letter = (char)(letter | 0x20);
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			keep = keep * 10 + (unsigned)(s[i++] - '0');
			if (keep > 128)
				keep = 128;
		}
		if (i > 0 && s[i - 1] == '0' && keep == 0) {
			/* RFC 7208 7.1: a zero digit transformer is an error */
			*error_r = "macro transformer of zero";
			return -1;
		}
		if (s[i] == 'r' || s[i] == 'R') {
			reverse = true;
			i++;
		}
		while (s[i] != '}' && nd < sizeof(delims) - 1)
			delims[nd++] = s[i++];
		delims[nd] = '\0';
		while (s[i] != '}')
			i++;
		i++;
		value = letter_value(ctx, letter, value_buf, sizeof(value_buf));
		if (value == NULL)
			value = "";
		transform_ordered(&o, value, keep, reverse, nd ? delims : ".",
				  escape);
	}
	if (o.overflow) {
		*error_r = "macro expansion too long";
		return -1;
	}
	if (!explain)
		trim_domain(out);
	return 0;
}
