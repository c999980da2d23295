/*++
 * NAME
 *	fuzz_addr 1
 * SUMMARY
 *	libFuzzer target for common/cidr.c and the sock.c address parser
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_addr -max_len=4096 tests/fuzz/corpus/addr
 * DESCRIPTION
 *	The input is cut at its first NUL and then at its first newline:
 *	the first line is a CIDR list (and a socket address), the second an
 *	address to match. Called: cidr_parse(), cidr_list_parse(),
 *	cidr_list_match_str(), cidr_format(), sock_addr_parse(),
 *	sock_addr_format(), sock_addr_milter(). Checks:
 *	- a parsed prefix is within 0..32 / 0..128 and has no host bits;
 *	- cidr_format() output parses back to the same entry;
 *	- cidr_list_match_str() agrees with cidr_match() over the entries
 *	  for a plain IPv4 or IPv6 address (inet_pton);
 *	- sock_addr_format() output parses back to the same address.
 *	A violation aborts.
 *--*/
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messec/cidr.h"
#include "messec/sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cidr(const struct cidr *c)
{
	struct cidr back;
	const char *error;
	char text[128];
	unsigned bits = c->family == AF_INET ? 32 : 128, i;

	if ((c->family != AF_INET && c->family != AF_INET6) || c->prefix > bits)
		abort();
	for (i = c->prefix; i < bits; i++) {
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			abort();	/* host bit set past the prefix */
	}
	cidr_format(c, text, sizeof(text));
	if (cidr_parse(text, &back, &error) != 0 || back.family != c->family ||
	    back.prefix != c->prefix || memcmp(back.addr, c->addr, bits / 8) != 0) {
		fprintf(stderr, "fuzz_addr: %s does not parse back\n", text);
		abort();
	}
}

/* The list's answer must be "some entry matches" for a plain address. */
static void check_match(const struct cidr_list *list, const char *addr)
{
	uint8_t bytes[16];
	int family, want = 0, got;
	size_t i;
	static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

	got = cidr_list_match_str(list, addr);
	if (got != 0 && got != 1)
		abort();
	if (inet_pton(AF_INET, addr, bytes) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, bytes) == 1 && memcmp(bytes, mapped, 12) != 0)
		family = AF_INET6;
	else
		return;		/* mapped or not an address: no oracle */
	for (i = 0; i < list->count; i++)
		want |= cidr_match(&list->items[i], family, bytes);
	if (want != got) {
		fprintf(stderr, "fuzz_addr: match %s: list says %d, entries %d\n",
			addr, got, want);
		abort();
	}
}

static void check_sock(const char *text)
{
	struct sock_addr a, b;
	const char *error;
	char out[512];

	if (sock_addr_parse(text, &a, &error) != 0)
		return;
	if ((a.kind != SOCK_ADDR_UNIX && a.kind != SOCK_ADDR_INET) ||
	    memchr(a.path, '\0', sizeof(a.path)) == NULL ||
	    memchr(a.host, '\0', sizeof(a.host)) == NULL || a.port > 65535)
		abort();
	sock_addr_milter(&a, out, sizeof(out));
	sock_addr_format(&a, out, sizeof(out));
	if (sock_addr_parse(out, &b, &error) != 0 || a.kind != b.kind ||
	    strcmp(a.path, b.path) != 0 || strcmp(a.host, b.host) != 0 || a.port != b.port) {
		fprintf(stderr, "fuzz_addr: %s -> %s does not parse back\n", text, out);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr one;
	struct cidr_list *list = NULL;
	const char *error, *addr;
	char *text, *nl;
	size_t i;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl = '\0';
	addr = nl != NULL ? nl + 1 : "192.0.2.1";

	if (cidr_parse(text, &one, &error) == 0)
		check_cidr(&one);
	if (cidr_list_parse(text, &list, &error) == 0) {
		if (list == NULL)
			abort();
		for (i = 0; i < list->count; i++)
			check_cidr(&list->items[i]);
		check_match(list, addr);
		cidr_list_free(&list);
		if (list != NULL)
			abort();
	}
	check_sock(text);
	check_sock(addr);
	free(text);
	return 0;
}
