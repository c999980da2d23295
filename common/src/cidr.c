/*++
 * NAME
 *	cidr 3
 * SUMMARY
 *	IPv4/IPv6 address and prefix matching
 * SYNOPSIS
 *	#include <messec/cidr.h>
 * DESCRIPTION
 *	Parses "addr" and "addr/prefix" (RFC 4632 for IPv4, RFC 4291 2.3 for
 *	IPv6 prefixes). As Postfix's cidr tables do, an entry with host bits
 *	set beyond the prefix is an error, because "192.0.2.1/24" is almost
 *	always a typo for either /32 or 192.0.2.0/24.
 *
 *	IPv4-mapped IPv6 (RFC 4291 2.5.5.2, "::ffff:192.0.2.1") is what a
 *	dual-stack socket reports for an IPv4 client; such addresses are
 *	matched as IPv4. A mapped entry with a prefix >= 96 is stored as the
 *	IPv4 entry it denotes, so both spellings match the same clients.
 * TRUST BOUNDARY
 *	Entries come from config; addresses to match come from Postfix
 *	(client_address) and sockets. Text is never trusted to be well formed.
 * DIAGNOSTICS
 *	Parsers return -1 with *error_r pointing to a thread-local message
 *	that names the bad entry.
 *--*/
#include <messec/cidr.h>
#include <messec/log.h>
#include <messec/str.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CIDR_TEXT_MAX 64	/* longest IPv6 text + "/128" fits easily */

static __thread char cidr_errbuf[256];

static const char *cidr_err(const char *what, const char *text)
{
	char clean[CIDR_TEXT_MAX + 4];

	ms_str_sanitize(clean, sizeof(clean), text, CIDR_TEXT_MAX);
	snprintf(cidr_errbuf, sizeof(cidr_errbuf), "%s '%s'", what, clean);
	return cidr_errbuf;
}

/* Address literal to family + bytes; mapped IPv6 becomes IPv4. */
static int addr_parse(const char *text, int *family_r, uint8_t *addr_r,
		      int *mapped_r)
{
	struct in6_addr a6;
	struct in_addr a4;

	*mapped_r = 0;
	memset(addr_r, 0, 16);
	if (inet_pton(AF_INET, text, &a4) == 1) {
		*family_r = AF_INET;
		memcpy(addr_r, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			*family_r = AF_INET;
			*mapped_r = 1;
			memcpy(addr_r, a6.s6_addr + 12, 4);
			return 0;
		}
		*family_r = AF_INET6;
		memcpy(addr_r, a6.s6_addr, 16);
		return 0;
	}
	return -1;
}

int cidr_match(const struct cidr *cidr, int family, const uint8_t *addr)
{
	unsigned full, rest;

	if (cidr->family != family)
		return 0;
	full = cidr->prefix / 8;
	rest = cidr->prefix % 8;
	if (memcmp(cidr->addr, addr, full) != 0)
		return 0;
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((cidr->addr[full] & mask) != (addr[full] & mask))
			return 0;
	}
	return 1;
}

/* 1 when a bit beyond the prefix is set. */
static int host_bits_set(const uint8_t *addr, unsigned prefix, unsigned bits)
{
	unsigned i;

	for (i = prefix; i < bits; i++) {
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return 1;
	}
	return 0;
}

int cidr_parse(const char *text, struct cidr *cidr_r, const char **error_r)
{
	char buf[CIDR_TEXT_MAX];
	const char *slash;
	unsigned bits, prefix;
	int mapped;
	uint64_t v;

	if (str_copy(buf, text, sizeof(buf)) >= sizeof(buf)) {
		*error_r = cidr_err("address too long", text);
		return -1;
	}
	slash = strchr(buf, '/');
	if (slash != NULL)
		buf[slash - buf] = '\0';
	memset(cidr_r, 0, sizeof(*cidr_r));
	if (addr_parse(buf, &cidr_r->family, cidr_r->addr, &mapped) < 0) {
		*error_r = cidr_err("invalid address", text);
		return -1;
	}
	bits = cidr_r->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		prefix = bits;
	} else {
		/* A mapped entry is written with its IPv6 prefix length. */
		unsigned max = mapped ? 128 : bits;

		if (ms_str_parse_uint(slash + 1, 0, max, &v) < 0) {
			*error_r = cidr_err("invalid prefix length", text);
			return -1;
		}
		if (mapped && v < 96) {
			*error_r = cidr_err("IPv4-mapped prefix shorter than /96",
					    text);
			return -1;
		}
		prefix = (unsigned)(mapped ? v - 96 : v);
	}
	if (host_bits_set(cidr_r->addr, prefix, bits)) {
		*error_r = cidr_err("host bits set beyond the prefix", text);
		return -1;
	}
	cidr_r->prefix = prefix;
	return 0;
}

static int is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cidr_list_parse(const char *text, struct cidr_list **list_r,
		    const char **error_r)
{
	struct cidr_list *list = xcalloc(1, sizeof(*list));
	size_t cap = 0;
	const char *p = text;

	while (*p != '\0') {
		char word[CIDR_TEXT_MAX];
		size_t len;

		while (is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		for (len = 0; p[len] != '\0' && !is_sep(p[len]); len++)
			;
		if (len >= sizeof(word)) {
			*error_r = cidr_err("address too long", p);
			cidr_list_free(&list);
			return -1;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		if (list->count == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			list->items = xrealloc(list->items,
					       cap * sizeof(*list->items));
		}
		if (cidr_parse(word, &list->items[list->count], error_r) < 0) {
			cidr_list_free(&list);
			return -1;
		}
		list->count++;
	}
	*list_r = list;
	return 0;
}

void cidr_list_free(struct cidr_list **list)
{
	if (*list == NULL)
		return;
	free((*list)->items);
	free(*list);
	*list = NULL;
}

static int list_match(const struct cidr_list *list, int family,
		      const uint8_t *addr)
{
	size_t i;

	if (list == NULL)
		return 0;
	for (i = 0; i < list->count; i++) {
		if (cidr_match(&list->items[i], family, addr))
			return 1;
	}
	return 0;
}

int cidr_list_match_str(const struct cidr_list *list, const char *addr)
{
	uint8_t bytes[16];
	int family, mapped;

	if (addr == NULL || strlen(addr) >= CIDR_TEXT_MAX ||
	    addr_parse(addr, &family, bytes, &mapped) < 0)
		return 0;
	return list_match(list, family, bytes);
}

int cidr_list_match_sa(const struct cidr_list *list, const struct sockaddr *sa)
{
	uint8_t bytes[16];

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(bytes, &sin->sin_addr, 4);
		return list_match(list, AF_INET, bytes);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(bytes, sin6->sin6_addr.s6_addr + 12, 4);
			return list_match(list, AF_INET, bytes);
		}
		memcpy(bytes, sin6->sin6_addr.s6_addr, 16);
		return list_match(list, AF_INET6, bytes);
	}
	return 0;
}

void cidr_format(const struct cidr *cidr, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(cidr->family, cidr->addr, addr, sizeof(addr)) == NULL)
		str_copy(addr, "?", sizeof(addr));
	snprintf(buf, size, "%s/%u", addr, cidr->prefix);
}
