/*++
 * NAME
 *	dns 3h
 * SUMMARY
 *	one bounded, thread-safe DNS stub resolver for SPF, DKIM and DMARC
 * SYNOPSIS
 *	#include <messec/dns.h>
 * DESCRIPTION
 *	dns_query() asks one question (class IN) and answers with a
 *	five-way result, so a DNS error never reads as "no such record":
 *
 *	DNS_OK: NOERROR with at least one answer RR of the type asked,
 *	owned by the question name or by the end of the CNAME chain that
 *	starts there inside the answer section (the recursive server
 *	followed it; its CNAME RRs are skipped by dns_answer_next()). RRs
 *	owned by any other name are ignored, as if absent;
 *	DNS_NODATA: NOERROR without an RR of that type (RFC 2308 2.2);
 *	DNS_NXDOMAIN: RCODE 3 (RFC 1035 4.1.1, RFC 6604 for CNAME chains);
 *	DNS_TEMPFAIL: SERVFAIL, REFUSED, any other RCODE, timeout, a reply
 *	that does not parse, or a truncated reply TCP could not replace;
 *	DNS_ERROR: local trouble (no resolver configuration, no server);
 *	DNS_BADNAME: the name cannot be put in a query (over 253 octets,
 *	an empty label or one over 63, a bad escape: anything glibc's
 *	encoder refuses). No query is sent. Such a name has no records:
 *	callers read it as "no record at that name", never as a
 *	temporary failure, because the sender often shaped the name
 *	(docs/milter-auth.md, "DNS results").
 *
 *	Timeout policy (the only one): the whole call, over every name
 *	server and both transports, takes at most timeout_ms of wall time,
 *	whatever resolv.conf says (its timeout:, attempts: and the number of
 *	nameserver lines are not used for timing). See dns.c.
 *
 *	The resolver object is read-only after dns_resolver_new() and may
 *	be shared by threads: each query reads resolv.conf (res_ninit on a
 *	private state, so inside "ip netns exec NS" it is /etc/netns/NS/
 *	resolv.conf) and uses its own sockets.
 *--*/
#ifndef MESSEC_DNS_H
#define MESSEC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

enum dns_result {
	DNS_OK = 0,
	DNS_NODATA,
	DNS_NXDOMAIN,
	DNS_TEMPFAIL,		/* the RETRY value: try again later */
	DNS_ERROR,		/* local error: no configuration, no server */
	DNS_BADNAME,		/* the name cannot be queried: no such name */
};

/* RFC 1035 2.3.4: 255 octets on the wire, 253 characters in text form. */
#define DNS_NAME_MAX	253
#define DNS_LABEL_MAX	63

struct dns_resolver;

/*
 * servers: NULL to use resolv.conf's name servers, or (TESTING ONLY)
 * "IPv4:port[,IPv4:port...]" (at most MAXNS = 3) to ask only those, in
 * that order. Returns NULL with *error_r (static text) on a bad list.
 * Free with dns_resolver_free().
 */
struct dns_resolver *dns_resolver_new(const char *servers, const char **error_r);
/* Same with the test server given as an address (never NULL). */
struct dns_resolver *dns_resolver_new_at(const struct sockaddr_in *server);
void dns_resolver_free(struct dns_resolver **res);
/* Ask over TCP when a UDP reply is truncated (default true). */
void dns_resolver_set_tcp(struct dns_resolver *res, bool tcp);

/* A reply; msg is owned (dns_answer_free), parsed is valid while it lives. */
struct dns_answer {
	uint8_t *msg;
	size_t len;
	int rcode;		/* ns_r_* of the reply, -1 when none */
	int type;		/* the type asked */
	ns_msg parsed;		/* set when rcode is NOERROR */
	char owner[NS_MAXDNAME];	/* owner name the answers must have */
};

/*
 * Ask name/type (ns_t_*). timeout_ms bounds the whole call (0: 5000).
 * res NULL: resolv.conf's servers, TCP after truncation.
 * *answer_r is filled for DNS_OK and DNS_NODATA (and holds the reply for
 * DNS_NXDOMAIN); always free it with dns_answer_free(), whatever the
 * result. A name failing dns_name_valid() is DNS_BADNAME without a query.
 */
enum dns_result dns_query(const struct dns_resolver *res, const char *name, int type,
			  unsigned timeout_ms, struct dns_answer *answer_r);
void dns_answer_free(struct dns_answer *answer);

/*
 * The next answer RR of the asked type and class IN, owned by the
 * question name or the end of its CNAME chain, after *index (start at
 * 0). 1 with *rr_r, 0 at the end. The RRs were checked by dns_query(),
 * so this cannot fail.
 */
int dns_answer_next(const struct dns_answer *answer, size_t *index, ns_rr *rr_r);

/*
 * Join the character-strings of a TXT RR with nothing in between (RFC
 * 7208 3.3, RFC 6376 3.6.2.2, RFC 7489 6.6.3 all concatenate) into out
 * (NUL terminated), *len_r the length. -1 when a string overruns the
 * rdata (RFC 1035 3.3.14) or the text does not fit in size - 1 octets.
 * An RR's joined text is always shorter than its rdlen.
 */
int dns_txt_join(const ns_rr *rr, char *out, size_t size, size_t *len_r);

/*
 * The domain name at rd (in the rdata of an RR of answer, e.g. the MX
 * exchange at rdata + 2, a PTR or CNAME target), uncompressed, without a
 * final dot. -1 when malformed or over size.
 */
int dns_rdata_name(const struct dns_answer *answer, const uint8_t *rd, char *out,
		   size_t size);

/* A name a query can carry: labels of 1..63 octets, at most 253 in text
   form, one optional trailing dot (RFC 1035 2.3.4), and one that glibc's
   encoder (ns_name_pton: backslash escapes) turns into a wire name of at
   most 255 octets. Exactly the names dns_query() sends. */
bool dns_name_valid(const char *name);

/* "ok", "no data", "NXDOMAIN", "temporary failure", "local error",
   "name cannot be queried". */
const char *dns_result_name(enum dns_result result);

#endif
