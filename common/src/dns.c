/*++
 * NAME
 *	dns 3
 * SUMMARY
 *	one bounded, thread-safe DNS stub resolver for SPF, DKIM and DMARC
 * SYNOPSIS
 *	#include <messec/dns.h>
 *
 *	dns_resolver_new(), dns_resolver_new_at(), dns_resolver_free(),
 *	dns_resolver_set_tcp(), dns_query(), dns_answer_free(),
 *	dns_answer_next(), dns_txt_join(), dns_rdata_name(),
 *	dns_name_valid(), dns_result_name()
 * DESCRIPTION
 *	Used by milter-auth's spf_dns.c, dkim_dns.c and dmarc_dns.c (one
 *	call per DNS question, from libmilter threads).
 *
 *	Why not res_nquery()/res_nsend(): glibc's transport waits whole
 *	seconds (retrans) per server and per attempt, so the total wait
 *	grows with the number of nameserver lines and the attempts: option
 *	(about timeout x attempts x servers), and res_nquery() returns -1
 *	for NXDOMAIN, SERVFAIL and timeouts alike (h_errno tells them apart
 *	only partly, and reads the header of a truncated reply as an answer).
 *	So glibc builds the query (res_nmkquery) and gives the server list
 *	(res_ninit on a private state per call), and the exchange is ours:
 *
 *	Timeout policy: a deadline of timeout_ms from the call. There are
 *	two rounds over the servers (RFC 1035 4.2.1: a resolver retries and
 *	moves to the next server); each UDP attempt waits its share of the
 *	time left (time left / attempts left, in milliseconds). A server
 *	answering SERVFAIL, REFUSED or another error RCODE, or refusing the
 *	port, is not asked again; the next one is. A truncated reply (TC) is
 *	asked again over TCP to the same server (RFC 7766 5) with all the
 *	time left, unless dns_resolver_set_tcp(res, false). Whatever happens,
 *	the call returns by the deadline (plus scheduling jitter).
 *
 *	The query asks for recursion and carries an EDNS0 OPT RR offering
 *	1232-octet UDP replies (RFC 6891 6.1.2; the size of DNS flag day
 *	2020, no IP fragmentation), so most key and policy records fit in
 *	UDP. An extended RCODE (BADVERS) is a temporary failure.
 * TRUST BOUNDARY
 *	Replies come from the network and may be spoofed or broken: a reply
 *	is taken only from the server asked (connected socket), with our
 *	ID (16 bits from getrandom(), not glibc's clock-derived one) and
 *	our question (RFC 5452 9.1); ns_initparse() checks every section's
 *	bounds and every RR is parsed before DNS_OK; only answer RRs owned
 *	by the question name, or by the end of a CNAME chain starting there
 *	inside the answer, count (others are ignored, RFC 1034 4.3.2); TXT
 *	and name rdata are decoded with their lengths checked.
 * DIAGNOSTICS
 *	Results only (enum dns_result); nothing is logged here.
 * SEE ALSO
 *	RFC 1035 4.1 (message format), RFC 2308 2 (NXDOMAIN vs NODATA),
 *	RFC 6891 (EDNS0), RFC 7766 (TCP), RFC 5452 (spoofing resilience).
 *--*/
#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "messec/dns.h"
#include "messec/str.h"

#define DNS_DEFAULT_TIMEOUT_MS	5000
#define DNS_ROUNDS		2
#define DNS_EDNS_UDP_SIZE	1232
#define DNS_QUERY_MAX		(HFIXEDSZ + NS_MAXCDNAME + QFIXEDSZ + RRFIXEDSZ + 1)
#define DNS_REPLY_MAX		65535	/* RFC 1035 4.2.2: 16-bit length */

struct dns_resolver {
	bool tcp;
	int nservers;			/* 0: resolv.conf's servers */
	struct sockaddr_in server[MAXNS];
};

/* The name servers of one query, and which have failed. */
struct dns_servers {
	struct sockaddr_storage addr[MAXNS];
	socklen_t len[MAXNS];
	bool failed[MAXNS];
	int count;
};

/* One query in flight: wire query, deadline, where the question ends. */
struct dns_exchange {
	uint8_t query[DNS_QUERY_MAX];
	size_t qlen;
	size_t qend;		/* header + question */
	struct timespec deadline;
	uint8_t *reply;		/* DNS_REPLY_MAX */
	size_t rlen;
};

/* One "IPv4:port" of len octets into *sin. 0 ok, -1 bad. */
static int parse_server(const char *text, size_t len, struct sockaddr_in *sin)
{
	char item[INET_ADDRSTRLEN + 8];
	char *colon;
	uint64_t port;

	if (len >= sizeof(item))
		return -1;
	memcpy(item, text, len);
	item[len] = '\0';
	if ((colon = strrchr(item, ':')) == NULL ||
	    ms_str_parse_uint(colon + 1, 1, 65535, &port) < 0)
		return -1;
	*colon = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, item, &sin->sin_addr) == 1 ? 0 : -1;
}

struct dns_resolver *dns_resolver_new(const char *servers, const char **error_r)
{
	struct dns_resolver *res = xcalloc(1, sizeof(*res));
	const char *p = servers;

	res->tcp = true;
	while (p != NULL) {
		size_t len = strcspn(p, ",");

		if (res->nservers == MAXNS ||
		    parse_server(p, len, &res->server[res->nservers]) < 0) {
			*error_r = "expected IPv4:port[,IPv4:port...] (at most 3)";
			free(res);
			return NULL;
		}
		res->nservers++;
		p = p[len] == ',' ? p + len + 1 : NULL;
	}
	return res;
}

struct dns_resolver *dns_resolver_new_at(const struct sockaddr_in *server)
{
	struct dns_resolver *res = xcalloc(1, sizeof(*res));

	res->tcp = true;
	res->nservers = 1;
	res->server[0] = *server;
	return res;
}

void dns_resolver_free(struct dns_resolver **resp)
{
	free(*resp);
	*resp = NULL;
}

void dns_resolver_set_tcp(struct dns_resolver *res, bool tcp)
{
	res->tcp = tcp;
}

const char *dns_result_name(enum dns_result result)
{
	switch (result) {
	case DNS_OK: return "ok";
	case DNS_NODATA: return "no data";
	case DNS_NXDOMAIN: return "NXDOMAIN";
	case DNS_TEMPFAIL: return "temporary failure";
	case DNS_ERROR: return "local error";
	case DNS_BADNAME: return "name cannot be queried";
	}
	return "?";
}

bool dns_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;
	u_char wire[NS_MAXCDNAME];

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (label == 0 || label > DNS_LABEL_MAX)
				return false;
			label = 0;
		} else {
			label++;
		}
	}
	/*
	 * What res_nmkquery() will do with it: ns_name_pton() reads "\DDD"
	 * and "\X" escapes, and refuses a bad escape or a wire name over
	 * 255 octets. A name it refuses is never sent, so it is invalid here.
	 */
	return ns_name_pton(name, wire, sizeof(wire)) >= 0;
}

/*
 * Time.
 */
static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

static void deadline_in(struct timespec *deadline, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

/* Wait for events on fd until deadline: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, const struct timespec *deadline)
{
	for (;;) {
		struct pollfd pfd = { fd, events, 0 };
		long left = ms_left(deadline);
		int n;

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return (pfd.revents & (events | POLLERR | POLLHUP)) ? 1 : 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * Servers and the query, from a private resolver state.
 */
static int load_servers(const struct dns_resolver *res, struct __res_state *rs,
			struct dns_servers *srv)
{
	memset(srv, 0, sizeof(*srv));
	if (res != NULL && res->nservers > 0) {
		for (int i = 0; i < res->nservers; i++) {
			memcpy(&srv->addr[i], &res->server[i], sizeof(res->server[i]));
			srv->len[i] = sizeof(res->server[i]);
		}
		srv->count = res->nservers;
		return 0;
	}
	for (int i = 0; i < rs->nscount && i < MAXNS; i++) {
		/* glibc keeps IPv6 servers in _u._ext.nsaddrs (resolv.h). */
		const struct sockaddr_in6 *in6 = rs->_u._ext.nsaddrs[i];

		if (in6 != NULL && in6->sin6_family == AF_INET6) {
			memcpy(&srv->addr[srv->count], in6, sizeof(*in6));
			srv->len[srv->count++] = sizeof(*in6);
		} else if (rs->nsaddr_list[i].sin_family == AF_INET) {
			memcpy(&srv->addr[srv->count], &rs->nsaddr_list[i],
			       sizeof(rs->nsaddr_list[i]));
			srv->len[srv->count++] = sizeof(rs->nsaddr_list[i]);
		}
	}
	return srv->count > 0 ? 0 : -1;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * The query ID (RFC 5452 9.2: unpredictable). glibc's res_nmkquery()
 * derives it from the clock; ours comes from the kernel's CSPRNG.
 * 0 ok, -1 when getrandom() fails (a local error, no query sent).
 */
static int random_id(uint8_t id[2])
{
	return getrandom(id, 2, 0) == 2 ? 0 : -1;
}

static int make_query(struct __res_state *rs, const char *name, int type,
		      struct dns_exchange *ex)
{
	int n;

	/* RFC 1035 4.1.1/4.1.2: header, RD, one question; ID set below. */
	n = res_nmkquery(rs, ns_o_query, name, ns_c_in, type, NULL, 0, NULL,
			 ex->query, (int)(sizeof(ex->query) - RRFIXEDSZ - 1));
	if (n < HFIXEDSZ)
		return -1;
	ex->qlen = ex->qend = (size_t)n;

	/* RFC 6891 6.1.2: OPT RR, root owner, CLASS = UDP payload size. */
	ex->query[ex->qlen] = 0;
	put16(ex->query + ex->qlen + 1, ns_t_opt);
	put16(ex->query + ex->qlen + 3, DNS_EDNS_UDP_SIZE);
	memset(ex->query + ex->qlen + 5, 0, 6);	/* ext. RCODE, version, flags, RDLEN */
	ex->qlen += RRFIXEDSZ + 1;
	put16(ex->query + 10, 1);		/* ARCOUNT */
	return 0;
}

/*
 * Is this reply ours: our ID, QR set, the same question (RFC 5452 9.1)?
 * Names are compared without case (RFC 4343).
 */
static bool reply_matches(const struct dns_exchange *ex, const uint8_t *r, size_t rlen)
{
	if (rlen < ex->qend || r[0] != ex->query[0] || r[1] != ex->query[1] ||
	    (r[2] & 0x80) == 0 || r[4] != 0 || r[5] != 1)
		return false;
	for (size_t i = HFIXEDSZ; i < ex->qend; i++)
		if (tolower(r[i]) != tolower(ex->query[i]))
			return false;
	return true;
}

enum xfer { XFER_REPLY, XFER_TIMEOUT, XFER_FAILED };

/* One UDP attempt to srv, waiting until slice. */
static enum xfer udp_ask(struct dns_exchange *ex, const struct sockaddr *sa, socklen_t salen,
			 const struct timespec *slice)
{
	enum xfer out = XFER_TIMEOUT;
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return XFER_FAILED;
	if (connect(fd, sa, salen) < 0 || send(fd, ex->query, ex->qlen, 0) != (ssize_t)ex->qlen) {
		close(fd);
		return XFER_FAILED;
	}
	while (wait_fd(fd, POLLIN, slice) > 0) {
		ssize_t n = recv(fd, ex->reply, DNS_REPLY_MAX, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {		/* ECONNREFUSED: ICMP port unreachable */
			out = XFER_FAILED;
			break;
		}
		if (reply_matches(ex, ex->reply, (size_t)n)) {
			ex->rlen = (size_t)n;
			out = XFER_REPLY;
			break;
		}
		/* not ours (late or spoofed): keep listening */
	}
	close(fd);
	return out;
}

/* Read or write exactly len octets on a non-blocking stream before deadline. */
static int stream_io(int fd, uint8_t *buf, size_t len, bool writing,
		     const struct timespec *deadline)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (wait_fd(fd, writing ? POLLOUT : POLLIN, deadline) <= 0)
			return -1;
		n = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL) :
		    recv(fd, buf + done, len - done, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* RFC 7766 8: the same query over TCP, with a 2-octet length prefix. */
static enum xfer tcp_ask(struct dns_exchange *ex, const struct sockaddr *sa, socklen_t salen)
{
	uint8_t len2[2];
	size_t rlen;
	int fd, err = 0;
	socklen_t errlen = sizeof(err);

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return XFER_FAILED;
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS)
		goto failed;
	if (wait_fd(fd, POLLOUT, &ex->deadline) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0 || err != 0)
		goto failed;
	put16(len2, (unsigned)ex->qlen);
	if (stream_io(fd, len2, 2, true, &ex->deadline) < 0 ||
	    stream_io(fd, ex->query, ex->qlen, true, &ex->deadline) < 0 ||
	    stream_io(fd, len2, 2, false, &ex->deadline) < 0)
		goto failed;
	rlen = (size_t)len2[0] << 8 | len2[1];
	if (stream_io(fd, ex->reply, rlen, false, &ex->deadline) < 0 ||
	    !reply_matches(ex, ex->reply, rlen))
		goto failed;
	close(fd);
	ex->rlen = rlen;
	return XFER_REPLY;
failed:
	close(fd);
	return XFER_FAILED;
}

/*
 * Get one usable reply: rounds of UDP attempts over the servers, each
 * waiting its share of the time left; TCP after TC. Returns XFER_REPLY
 * with ex->reply holding a NOERROR or NXDOMAIN reply, else why not.
 */
static enum xfer exchange(const struct dns_resolver *res, struct dns_servers *srv,
			  struct dns_exchange *ex)
{
	int attempts = srv->count * DNS_ROUNDS;

	for (int a = 0; a < attempts; a++) {
		int i = a % srv->count, left_attempts = 0, rcode;
		const struct sockaddr *sa = (const struct sockaddr *)&srv->addr[i];
		struct timespec slice;
		enum xfer x;

		if (srv->failed[i])
			continue;
		for (int b = a; b < attempts; b++)
			left_attempts += !srv->failed[b % srv->count];
		deadline_in(&slice, ms_left(&ex->deadline) / left_attempts);
		if (ms_left(&ex->deadline) <= 0)
			return XFER_TIMEOUT;
		x = udp_ask(ex, sa, srv->len[i], &slice);
		if (x == XFER_REPLY && (ex->reply[2] & 0x02) != 0) {
			/* TC (RFC 1035 4.1.1): the answer did not fit in UDP. */
			x = res == NULL || res->tcp ? tcp_ask(ex, sa, srv->len[i]) : XFER_FAILED;
			/* TC over TCP would be a broken server: no partial answers */
			if (x != XFER_REPLY || (ex->reply[2] & 0x02) != 0)
				return XFER_FAILED;
		}
		if (x == XFER_TIMEOUT)
			continue;
		if (x == XFER_REPLY) {
			rcode = ex->reply[3] & 0x0f;
			if (rcode == ns_r_noerror || rcode == ns_r_nxdomain)
				return XFER_REPLY;
		}
		/* SERVFAIL, REFUSED, FORMERR, NOTIMP, port closed: next server */
		srv->failed[i] = true;
	}
	return XFER_FAILED;
}

/* RFC 6891 6.1.3: an OPT RR in the reply may extend the RCODE. */
static bool extended_rcode(ns_msg *msg)
{
	ns_rr rr;

	for (int i = 0; i < ns_msg_count(*msg, ns_s_ar); i++) {
		if (ns_parserr(msg, ns_s_ar, i, &rr) < 0)
			return true;
		if (ns_rr_type(rr) == ns_t_opt && (ns_rr_ttl(rr) >> 24) != 0)
			return true;
	}
	return false;
}

/* Two names equal in text form, without case, one final dot ignored. */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * The owner name the answers must have (RFC 1034 3.6.2, 4.3.2 step 3a):
 * the question name, or the end of a CNAME chain starting there inside
 * the answer section (in any order, at most DNS_CNAME_MAX links). RRs of
 * other owners are not the answer to our question: ignored, whatever
 * the server put there. 0 ok, -1 malformed.
 */
#define DNS_CNAME_MAX 16

static int answer_owner(struct dns_answer *answer)
{
	ns_msg msg = answer->parsed;
	ns_rr rr;
	int count = ns_msg_count(msg, ns_s_an);

	if (ns_msg_count(msg, ns_s_qd) != 1 || ns_parserr(&msg, ns_s_qd, 0, &rr) < 0 ||
	    str_copy(answer->owner, ns_rr_name(rr), sizeof(answer->owner)) >=
	    sizeof(answer->owner))
		return -1;
	for (int link = 0; link < DNS_CNAME_MAX; link++) {
		bool moved = false;

		for (int i = 0; i < count && !moved; i++) {
			char target[NS_MAXDNAME];

			if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
				return -1;
			if (ns_rr_type(rr) != ns_t_cname || ns_rr_class(rr) != ns_c_in ||
			    !same_name(ns_rr_name(rr), answer->owner))
				continue;
			if (ns_name_uncompress(answer->msg, answer->msg + answer->len,
					       ns_rr_rdata(rr), target, sizeof(target)) < 0)
				return -1;
			str_copy(answer->owner, target, sizeof(answer->owner));
			moved = true;
		}
		if (!moved)
			break;
	}
	return 0;
}

/* An answer RR we take: class IN, the type asked, owned by answer->owner. */
static bool rr_wanted(const struct dns_answer *answer, const ns_rr *rr)
{
	return ns_rr_class(*rr) == ns_c_in && (int)ns_rr_type(*rr) == answer->type &&
	    same_name(ns_rr_name(*rr), answer->owner);
}

/* Parse a NOERROR reply: OK when an RR of the type asked is there. */
static enum dns_result classify(struct dns_answer *answer)
{
	int count, found = 0;
	ns_rr rr;

	if (ns_initparse(answer->msg, (int)answer->len, &answer->parsed) < 0 ||
	    extended_rcode(&answer->parsed))
		return DNS_TEMPFAIL;
	count = ns_msg_count(answer->parsed, ns_s_an);
	for (int i = 0; i < count; i++) {
		if (ns_parserr(&answer->parsed, ns_s_an, i, &rr) < 0)
			return DNS_TEMPFAIL;
	}
	if (answer_owner(answer) < 0)
		return DNS_TEMPFAIL;
	for (int i = 0; i < count; i++) {
		ns_msg msg = answer->parsed;

		if (ns_parserr(&msg, ns_s_an, i, &rr) == 0 && rr_wanted(answer, &rr))
			found++;
	}
	return found > 0 ? DNS_OK : DNS_NODATA;
}

enum dns_result dns_query(const struct dns_resolver *res, const char *name, int type,
			  unsigned timeout_ms, struct dns_answer *answer_r)
{
	struct __res_state rs;
	struct dns_servers srv;
	struct dns_exchange *ex;
	enum dns_result result;

	memset(answer_r, 0, sizeof(*answer_r));
	answer_r->rcode = -1;
	answer_r->type = type;
	/* Sender-shaped names land here: no query, no such name (dns.h). */
	if (!dns_name_valid(name))
		return DNS_BADNAME;

	/* A private state per call: threads never share one. */
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0) {
		res_nclose(&rs);
		return DNS_ERROR;
	}
	/* Only the name as given: no search list (names here are FQDNs). */
	rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	ex = xcalloc(1, sizeof(*ex));
	deadline_in(&ex->deadline, timeout_ms > 0 ? timeout_ms : DNS_DEFAULT_TIMEOUT_MS);
	if (load_servers(res, &rs, &srv) < 0) {
		res_nclose(&rs);
		free(ex);
		return DNS_ERROR;
	}
	/* The name is the only input res_nmkquery() can refuse. */
	if (make_query(&rs, name, type, ex) < 0) {
		res_nclose(&rs);
		free(ex);
		return DNS_BADNAME;
	}
	res_nclose(&rs);
	if (random_id(ex->query) < 0) {
		free(ex);
		return DNS_ERROR;
	}

	ex->reply = xmalloc(DNS_REPLY_MAX);
	if (exchange(res, &srv, ex) != XFER_REPLY) {
		free(ex->reply);
		free(ex);
		return DNS_TEMPFAIL;
	}
	answer_r->msg = ex->reply;
	answer_r->len = ex->rlen;
	answer_r->rcode = ex->reply[3] & 0x0f;
	free(ex);
	if (answer_r->rcode == ns_r_nxdomain)
		return DNS_NXDOMAIN;
	result = classify(answer_r);
	return result;
}

void dns_answer_free(struct dns_answer *answer)
{
	free(answer->msg);
	memset(answer, 0, sizeof(*answer));
	answer->rcode = -1;
}

int dns_answer_next(const struct dns_answer *answer, size_t *index, ns_rr *rr_r)
{
	ns_msg msg = answer->parsed;	/* ns_parserr moves a cursor in it */

	if (answer->msg == NULL || answer->rcode != ns_r_noerror)
		return 0;
	while (*index < (size_t)ns_msg_count(msg, ns_s_an)) {
		int i = (int)(*index)++;

		if (ns_parserr(&msg, ns_s_an, i, rr_r) < 0)
			return 0;
		if (rr_wanted(answer, rr_r))
			return 1;
	}
	return 0;
}

int dns_txt_join(const ns_rr *rr, char *out, size_t size, size_t *len_r)
{
	const uint8_t *rd = ns_rr_rdata(*rr);
	size_t rdlen = ns_rr_rdlen(*rr), pos = 0, n = 0;

	if (size == 0)
		return -1;
	while (pos < rdlen) {
		size_t slen = rd[pos++];

		/* RFC 1035 3.3.14: <character-string> = length octet + data */
		if (slen > rdlen - pos || slen >= size - n)
			return -1;
		memcpy(out + n, rd + pos, slen);
		n += slen;
		pos += slen;
	}
	out[n] = '\0';
	if (len_r != NULL)
		*len_r = n;
	return 0;
}

int dns_rdata_name(const struct dns_answer *answer, const uint8_t *rd, char *out,
		   size_t size)
{
	char name[NS_MAXDNAME];
	size_t len;

	if (answer->msg == NULL ||
	    ns_name_uncompress(answer->msg, answer->msg + answer->len, rd, name,
			       sizeof(name)) < 0)
		return -1;
	len = strlen(name);
	/* ns_name_uncompress() writes "." for the root; drop a final dot */
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	return str_copy(out, name, size) < size ? 0 : -1;
}
