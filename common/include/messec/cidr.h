/*++
 * NAME
 *	cidr 3h
 * SUMMARY
 *	IPv4/IPv6 address and prefix matching
 * DESCRIPTION
 *	cidr_list_parse() takes "192.0.2.0/24, 2001:db8::/32 10.1.2.3" (comma
 *	and/or space separated; a bare address is /32 or /128). Host bits set
 *	beyond the prefix are an error ("192.0.2.1/24"), as Postfix's cidr
 *	tables say. IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) match IPv4
 *	entries. Caller frees with cidr_list_free().
 *--*/
#ifndef MESSEC_CIDR_H
#define MESSEC_CIDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network byte order; 4 bytes used for v4 */
	unsigned prefix;
};

struct cidr_list {
	size_t count;
	struct cidr *items;
};

/* One entry. 0 ok, -1 with *error_r. */
int cidr_parse(const char *text, struct cidr *cidr_r, const char **error_r);
/* A list; an empty string gives an empty list. 0 ok, -1 with *error_r. */
int cidr_list_parse(const char *text, struct cidr_list **list_r, const char **error_r);
void cidr_list_free(struct cidr_list **list);
/* Match an address given as text ("192.0.2.1", "2001:db8::1", "::ffff:1.2.3.4").
   1 match, 0 no match or unparsable address. */
int cidr_list_match_str(const struct cidr_list *list, const char *addr);
int cidr_list_match_sa(const struct cidr_list *list, const struct sockaddr *sa);
int cidr_match(const struct cidr *cidr, int family, const uint8_t *addr);
/* Render "192.0.2.0/24" / "2001:db8::/32" (for logs and cfg_dump). */
void cidr_format(const struct cidr *cidr, char *buf, size_t size);

#endif
