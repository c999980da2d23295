/*++
 * NAME
 *	fake_dns 3h
 * SUMMARY
 *	a fake DNS server on 127.0.0.1 for unit tests (UDP and TCP)
 * SYNOPSIS
 *	#include "fake_dns.h"
 * DESCRIPTION
 *	fake_dns_start() binds a UDP socket and a TCP listener on one
 *	kernel-chosen port of 127.0.0.1 and serves them from a thread. Each
 *	query goes to the test's answer function, which builds the reply
 *	with the helpers below (or returns 0: no reply, a silent server).
 *	fake_dns_stop() joins the thread and closes the sockets.
 *
 *	Shared by common/tests/test_dns.c and milter-auth's DNS tests, so
 *	there is one fake server, not one per module.
 *--*/
#ifndef MESSEC_FAKE_DNS_H
#define MESSEC_FAKE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* Build the reply to query in reply (size octets); tcp: asked over TCP.
   Returns its length, 0 for no reply. Called from the server thread. */
typedef size_t fake_dns_answer_fn(void *ctx, const uint8_t *query, size_t qlen,
				  uint8_t *reply, size_t size, bool tcp);

struct fake_dns;

/* NULL on failure (socket, bind, thread). */
struct fake_dns *fake_dns_start(fake_dns_answer_fn *fn, void *ctx);
void fake_dns_stop(struct fake_dns **fake);
const struct sockaddr_in *fake_dns_addr(const struct fake_dns *fake);
/* "127.0.0.1:port" (borrowed while fake lives). */
const char *fake_dns_server(const struct fake_dns *fake);
/* Queries seen so far (UDP and TCP). */
unsigned fake_dns_queries(const struct fake_dns *fake);

/* The question of query: name (no trailing dot) and type. 0 ok, -1 bad. */
int fake_dns_question(const uint8_t *query, size_t qlen, char *name, size_t size,
		      int *type_r);
/* Start a reply: header of query with QR, RA and rcode, its question.
   Returns the length, 0 if it does not fit. */
size_t fake_dns_begin(const uint8_t *query, size_t qlen, uint8_t *reply, size_t size,
		      int rcode);
/* Append an answer RR owned by the question name (compression pointer)
   and count it. Returns the new length, 0 if it does not fit. */
size_t fake_dns_add_rr(uint8_t *reply, size_t len, size_t size, int type,
		       const void *rdata, size_t rdlen);
/* Same with the owner name written out in full (no compression): an RR
   of another name, e.g. a CNAME chain's target or a stray record. */
size_t fake_dns_add_rr_owner(uint8_t *reply, size_t len, size_t size, const char *owner,
			     int type, const void *rdata, size_t rdlen);
/* A domain name in wire form (uncompressed) into out. Returns its length,
   0 if it does not fit or is not a name. */
size_t fake_dns_wire_name(const char *name, uint8_t *out, size_t size);
/* TXT rdata from spec, '|' splitting character-strings. Returns rdlen. */
size_t fake_dns_txt_rdata(const char *spec, uint8_t *rd, size_t size);

#endif
