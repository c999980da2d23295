/*++
 * NAME
 *	dkim_dns 3
 * SUMMARY
 *	bounded, thread-safe DNS key lookups for libopendkim
 * SYNOPSIS
 *	#include "dkim_dns.h"
 * DESCRIPTION
 *	Why we do not use libopendkim's own resolver glue (measured on
 *	Debian 12, libopendkim 2.11.0~beta2, which is linked against glibc's
 *	stub resolver, not libunbound: "ldd libopendkim.so.11" shows no
 *	libunbound, "nm -D" shows res_nquery):
 * .IP \(bu
 *	it keeps ONE res_state per DKIM_LIB and calls res_nquery() on it
 *	from whatever thread verifies; a res_state must not be shared
 *	between threads. It also creates that state lazily on the first
 *	lookup, without a lock (two threads can both create it).
 * .IP \(bu
 *	res_nquery() returns -1 for NXDOMAIN, SERVFAIL and timeouts alike;
 *	libopendkim turns all three into DKIM_STAT_KEYFAIL, so a missing key
 *	(permerror, RFC 6376 section 6.1.2) looks like a DNS outage
 *	(temperror).
 * .IP \(bu
 *	it ignores DKIM_OPTS_TIMEOUT with that resolver: the wait is
 *	whatever /etc/resolv.conf says (default 5 s x 2 attempts x each
 *	name server), and a truncated reply makes glibc retry over TCP.
 * .PP
 *	Our resolver service asks through the shared resolver
 *	(common/src/dns.c, dns_query): a private resolver state per query
 *	(so it reads the resolv.conf of the network namespace it runs in,
 *	and no state is shared), EDNS0, the RCODE read from the reply, and
 *	one timeout policy: dkim_dns_timeout bounds the whole lookup in
 *	milliseconds, whatever the number of name servers. A truncated UDP
 *	reply is asked again over TCP within that same budget (it used to
 *	be a temperror: RES_IGNTC, because glibc's TCP retry was unbounded).
 *	NXDOMAIN/NODATA are turned back into DNS replies that libopendkim
 *	maps to DKIM_STAT_NOKEY. A key name that cannot be queried
 *	(DNS_BADNAME) has no key either: NXDOMAIN, permerror (RFC 6376
 *	6.1.2 step 3), never temperror, since d= and s= are the sender's.
 *	SERVFAIL, REFUSED, timeouts and malformed replies stay errors
 *	(temperror).
 *
 *	The file service (tests only) serves the same wire format from a
 *	table read at startup.
 * TRUST BOUNDARY
 *	DNS replies are untrusted; libopendkim parses them (dkim-keys.c).
 *	The key file is trusted test input.
 * SEE ALSO
 *	RFC 6376 section 3.6.2 (TXT key records), RFC 1035 section 4.1.
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <arpa/nameser_compat.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <messec/dns.h>
#include <messec/str.h>

#include "dkim_dns.h"

enum file_kind {
	FILE_RECORD,
	FILE_NXDOMAIN,
	FILE_SERVFAIL,
	FILE_TIMEOUT,
};

struct dns_entry {
	char *name;		/* lower case, no trailing dot */
	char *record;
	enum file_kind kind;
};

struct ma_dkim_dns {
	int use_file;
	unsigned timeout_ms;		/* the whole lookup */
	struct dns_resolver *resolver;	/* NULL: resolv.conf's servers */
	struct dns_entry *entries;
	size_t count;
};

/* One per libopendkim query; freed by query_cancel(). */
struct dns_query {
	int status;		/* DKIM_DNS_* */
	size_t len;
};

#define DNS_TTL 300

static __thread char dns_error[256];
static __thread struct ma_dkim_keyset *dns_capture;

#define KEYREC_MAX 8192

struct ma_dkim_dns *ma_dkim_dns_new_resolver(unsigned timeout_ms, const char *server,
					     const char **error_r)
{
	struct ma_dkim_dns *dns = xcalloc(1, sizeof(*dns));
	const char *error;

	dns->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
	if (server != NULL && (dns->resolver = dns_resolver_new(server, &error)) == NULL) {
		*error_r = "test_dns_server: expected IPv4:port";
		free(dns);
		return NULL;
	}
	return dns;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

int ma_dkim_dns_build_reply(const char *name, int rcode, const char *txt,
			    unsigned char *buf, size_t buflen)
{
	HEADER *hp = (HEADER *)buf;
	size_t off, len, rdlen, done;
	int n;

	/*
	 * Header and question (RFC 1035 section 4.1.1, 4.1.2).
	 */
	if (buflen < HFIXEDSZ + QFIXEDSZ)
		return -1;
	memset(buf, 0, HFIXEDSZ);
	hp->qr = 1;
	hp->rd = 1;
	hp->ra = 1;
	hp->rcode = rcode & 0xf;
	hp->qdcount = htons(1);
	n = dn_comp(name, buf + HFIXEDSZ, (int)(buflen - HFIXEDSZ - QFIXEDSZ), NULL, NULL);
	if (n < 0)
		return -1;
	off = HFIXEDSZ + (size_t)n;
	put16(buf + off, T_TXT);
	put16(buf + off + 2, C_IN);
	off += QFIXEDSZ;
	if (txt == NULL)
		return (int)off;

	/*
	 * One TXT answer: a pointer to the question name, then character
	 * strings of at most 255 bytes each (RFC 1035 section 3.3.14; RFC
	 * 6376 section 3.6.2.2 says the verifier concatenates them).
	 */
	len = strlen(txt);
	rdlen = len + (len == 0 ? 1 : (len + 254) / 255);
	if (rdlen > 0xffff || buflen - off < 12 + rdlen)
		return -1;
	buf[off] = 0xc0;
	buf[off + 1] = HFIXEDSZ;
	put16(buf + off + 2, T_TXT);
	put16(buf + off + 4, C_IN);
	put16(buf + off + 6, 0);
	put16(buf + off + 8, DNS_TTL);
	put16(buf + off + 10, (unsigned)rdlen);
	off += 12;
	done = 0;
	do {
		size_t chunk = len - done > 255 ? 255 : len - done;

		buf[off++] = (unsigned char)chunk;
		memcpy(buf + off, txt + done, chunk);
		off += chunk;
		done += chunk;
	} while (done < len);
	hp->ancount = htons(1);
	return (int)off;
}

/*
 * Key file loading (tests only).
 */
static int parse_line(struct ma_dkim_dns *dns, char *line)
{
	char *name, *record, *end;
	struct dns_entry *e;

	name = str_trim(line);
	if (*name == '\0' || *name == '#')
		return 0;
	record = name + strcspn(name, " \t");
	if (*record == '\0')
		return -1;
	*record++ = '\0';
	record = str_trim(record);
	end = name + strlen(name);
	if (end > name && end[-1] == '.')
		end[-1] = '\0';
	str_lower(name);

	dns->entries = xrealloc(dns->entries, (dns->count + 1) * sizeof(*dns->entries));
	e = &dns->entries[dns->count++];
	e->kind = FILE_RECORD;
	if (strcmp(record, "NXDOMAIN") == 0)
		e->kind = FILE_NXDOMAIN;
	else if (strcmp(record, "~~SERVFAIL~~") == 0)
		e->kind = FILE_SERVFAIL;
	else if (strcmp(record, "~~Query timed out~~") == 0)
		e->kind = FILE_TIMEOUT;
	else if (strlen(record) >= 2 && record[0] == '"' && record[strlen(record) - 1] == '"') {
		record[strlen(record) - 1] = '\0';
		record++;
	}
	e->name = xstrdup(name);
	e->record = xstrdup(record);
	return 0;
}

struct ma_dkim_dns *ma_dkim_dns_new_file(const char *path, const char **error_r)
{
	struct ma_dkim_dns *dns;
	char line[8192];
	unsigned lineno = 0;
	int bad = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(dns_error, sizeof(dns_error), "%s: %s", path, strerror(errno));
		*error_r = dns_error;
		return NULL;
	}
	dns = xcalloc(1, sizeof(*dns));
	dns->use_file = 1;
	while (!bad && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(dns_error, sizeof(dns_error), "%s:%u: line too long", path, lineno);
			bad = 1;
		} else if (parse_line(dns, line) < 0) {
			snprintf(dns_error, sizeof(dns_error),
				 "%s:%u: expected \"name record\"", path, lineno);
			bad = 1;
		}
	}
	if (!bad && ferror(fp)) {
		snprintf(dns_error, sizeof(dns_error), "%s: read error", path);
		bad = 1;
	}
	if (bad) {
		fclose(fp);
		ma_dkim_dns_free(&dns);
		*error_r = dns_error;
		return NULL;
	}
	fclose(fp);
	return dns;
}

void ma_dkim_dns_free(struct ma_dkim_dns **dnsp)
{
	struct ma_dkim_dns *dns = *dnsp;
	size_t i;

	if (dns == NULL)
		return;
	for (i = 0; i < dns->count; i++) {
		free(dns->entries[i].name);
		free(dns->entries[i].record);
	}
	free(dns->entries);
	dns_resolver_free(&dns->resolver);
	free(dns);
	*dnsp = NULL;
}

/*
 * libopendkim callbacks. Queries complete inside query_start() (the
 * resolver is synchronous but bounded), so waitreply only reports.
 */
static void reply_or_error(struct dns_query *q, const char *name, int rcode,
			   const char *txt, unsigned char *buf, size_t buflen)
{
	int n = ma_dkim_dns_build_reply(name, rcode, txt, buf, buflen);

	if (n < 0) {
		q->status = DKIM_DNS_ERROR;
		return;
	}
	q->status = DKIM_DNS_SUCCESS;
	q->len = (size_t)n;
}

static void file_query(struct ma_dkim_dns *dns, struct dns_query *q, const char *query,
		       unsigned char *buf, size_t buflen)
{
	char name[NS_MAXDNAME];
	size_t i, len;

	if (str_copy(name, query, sizeof(name)) >= sizeof(name)) {
		q->status = DKIM_DNS_ERROR;
		return;
	}
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		name[len - 1] = '\0';
	str_lower(name);
	for (i = 0; i < dns->count; i++) {
		if (strcmp(dns->entries[i].name, name) != 0)
			continue;
		switch (dns->entries[i].kind) {
		case FILE_RECORD:
			reply_or_error(q, query, ns_r_noerror, dns->entries[i].record, buf, buflen);
			return;
		case FILE_NXDOMAIN:
			break;
		case FILE_SERVFAIL:
			q->status = DKIM_DNS_ERROR;
			return;
		case FILE_TIMEOUT:
			q->status = DKIM_DNS_EXPIRED;
			return;
		}
		break;
	}
	reply_or_error(q, query, ns_r_nxdomain, NULL, buf, buflen);
}

/*
 * The reply libopendkim reads: our question and only the answers
 * dns_query() took -- the type asked, owned by the question name or the
 * end of its CNAME chain. libopendkim itself takes the first TXT of any
 * owner, so the raw reply is never handed over. 0 ok, -1 over buflen.
 */
static int filtered_reply(const char *query, const struct dns_answer *answer,
			  unsigned char *buf, size_t buflen, size_t *len_r)
{
	int n = ma_dkim_dns_build_reply(query, ns_r_noerror, NULL, buf, buflen);
	size_t off, index = 0;
	unsigned count = 0;
	ns_rr rr;

	if (n < 0)
		return -1;
	off = (size_t)n;
	while (dns_answer_next(answer, &index, &rr) == 1) {
		size_t rdlen = ns_rr_rdlen(rr);

		if (buflen - off < 12 + rdlen)
			return -1;
		buf[off] = 0xc0;			/* owner: the question name */
		buf[off + 1] = HFIXEDSZ;
		put16(buf + off + 2, (unsigned)ns_rr_type(rr));
		put16(buf + off + 4, C_IN);
		put16(buf + off + 6, 0);
		put16(buf + off + 8, DNS_TTL);
		put16(buf + off + 10, (unsigned)rdlen);
		memcpy(buf + off + 12, ns_rr_rdata(rr), rdlen);
		off += 12 + rdlen;
		count++;
	}
	put16(buf + 6, count);			/* ANCOUNT */
	*len_r = off;
	return 0;
}

static void resolver_query(struct ma_dkim_dns *dns, struct dns_query *q, int type,
			   const char *query, unsigned char *buf, size_t buflen)
{
	struct dns_answer answer;

	switch (dns_query(dns->resolver, query, type, dns->timeout_ms, &answer)) {
	case DNS_OK:
		if (filtered_reply(query, &answer, buf, buflen, &q->len) < 0) {
			q->status = DKIM_DNS_ERROR;
			break;
		}
		q->status = DKIM_DNS_SUCCESS;
		break;
	case DNS_NXDOMAIN:
		/* RFC 6376 section 6.1.2 step 3: PERMFAIL (no key) */
		reply_or_error(q, query, ns_r_nxdomain, NULL, buf, buflen);
		break;
	case DNS_BADNAME:
		/* No such name, no key: NXDOMAIN; the question is the root
		   when the name itself cannot be encoded in the reply. */
		if (ma_dkim_dns_build_reply(query, ns_r_nxdomain, NULL, buf, buflen) < 0)
			query = ".";
		reply_or_error(q, query, ns_r_nxdomain, NULL, buf, buflen);
		break;
	case DNS_NODATA:
		reply_or_error(q, query, ns_r_noerror, NULL, buf, buflen);
		break;
	default:
		/* SERVFAIL, REFUSED, timeout, malformed: TEMPFAIL (key unavailable) */
		q->status = DKIM_DNS_ERROR;
		break;
	}
	dns_answer_free(&answer);
}

void ma_dkim_dns_capture(struct ma_dkim_keyset *set)
{
	dns_capture = set;
}

static void lower_name(char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		name[len - 1] = '\0';
	str_lower(name);
}

const char *ma_dkim_keyset_find(const struct ma_dkim_keyset *set, const char *selector,
				const char *domain)
{
	char name[NS_MAXDNAME + 16];
	size_t i;

	if (set == NULL || selector == NULL || domain == NULL)
		return NULL;
	if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain) >=
	    sizeof(name))
		return NULL;
	lower_name(name);
	for (i = set->count; i-- > 0;)
		if (strcmp(set->recs[i].name, name) == 0)
			return set->recs[i].record;
	return NULL;
}

void ma_dkim_keyset_clear(struct ma_dkim_keyset *set)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		free(set->recs[i].name);
		free(set->recs[i].record);
	}
	free(set->recs);
	set->recs = NULL;
	set->count = 0;
}

/*
 * The first TXT answer of a reply, its strings concatenated (RFC 6376
 * section 3.6.2.2). 0 ok, -1 none or malformed or over size.
 */
static int reply_txt(const unsigned char *msg, size_t len, char *out, size_t size)
{
	const unsigned char *p = msg + HFIXEDSZ, *end = msg + len;
	unsigned qd, an, type, rdlen;
	size_t n = 0;
	int skip;

	if (len < HFIXEDSZ)
		return -1;
	qd = (unsigned)(msg[4] << 8 | msg[5]);
	an = (unsigned)(msg[6] << 8 | msg[7]);
	for (; qd > 0; qd--) {
		if ((skip = dn_skipname(p, end)) < 0 || end - p < skip + QFIXEDSZ)
			return -1;
		p += skip + QFIXEDSZ;
	}
	for (; an > 0; an--) {
		if ((skip = dn_skipname(p, end)) < 0 || end - p < skip + RRFIXEDSZ)
			return -1;
		p += skip;
		type = (unsigned)(p[0] << 8 | p[1]);
		rdlen = (unsigned)(p[8] << 8 | p[9]);
		p += RRFIXEDSZ;
		if ((size_t)(end - p) < rdlen)
			return -1;
		if (type == T_TXT) {
			const unsigned char *q = p, *rdend = p + rdlen;

			while (q < rdend) {
				size_t slen = *q++;

				if ((size_t)(rdend - q) < slen || n + slen + 1 > size)
					return -1;
				memcpy(out + n, q, slen);
				n += slen;
				q += slen;
			}
			out[n] = '\0';
			return memchr(out, '\0', n) != NULL ? -1 : 0;
		}
		p += rdlen;
	}
	return -1;
}

static void capture_reply(const char *query, const unsigned char *buf, size_t len)
{
	struct ma_dkim_keyset *set = dns_capture;
	char *txt;

	if (set == NULL)
		return;
	txt = xmalloc(KEYREC_MAX);
	if (reply_txt(buf, len, txt, KEYREC_MAX) == 0) {
		set->recs = xrealloc(set->recs, (set->count + 1) * sizeof(*set->recs));
		set->recs[set->count].name = xstrdup(query);
		lower_name(set->recs[set->count].name);
		set->recs[set->count].record = xstrdup(txt);
		set->count++;
	}
	free(txt);
}

static int query_start(void *srv, int type, unsigned char *query, unsigned char *buf,
		       size_t buflen, void **qh)
{
	struct ma_dkim_dns *dns = srv;
	struct dns_query *q = xcalloc(1, sizeof(*q));

	if (dns->use_file)
		file_query(dns, q, (const char *)query, buf, buflen);
	else
		resolver_query(dns, q, type, (const char *)query, buf, buflen);
	if (q->status == DKIM_DNS_SUCCESS && type == T_TXT)
		capture_reply((const char *)query, buf, q->len);
	*qh = q;
	return 0;
}

static int query_cancel(void *srv, void *qh)
{
	free(qh);
	return 0;
}

static int query_waitreply(void *srv, void *qh, struct timeval *timeout, size_t *bytes,
			   int *error, int *dnssec)
{
	struct dns_query *q = qh;

	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

enum ma_dkim_key_status ma_dkim_dns_lookup(struct ma_dkim_dns *dns, const char *name,
					   char *out, size_t size)
{
	enum { BUFLEN = 65536 };
	unsigned char *buf = xmalloc(BUFLEN), *txt = NULL;
	const unsigned char *p, *end;
	enum ma_dkim_key_status ret = MA_KEY_FAIL;
	unsigned qd, an, type = 0, class = 0, rdlen, txtlen = 0;
	struct dns_query *q;
	void *qh;
	size_t n = 0;
	int skip;

	out[0] = '\0';
	(void)query_start(dns, T_TXT, (unsigned char *)name, buf, BUFLEN, &qh);
	q = qh;
	if (q->status != DKIM_DNS_SUCCESS || q->len < HFIXEDSZ)
		goto done;
	p = buf + HFIXEDSZ;
	end = buf + q->len;
	qd = get16(buf + 4);
	an = get16(buf + 6);
	for (; qd > 0; qd--) {
		if ((skip = dn_skipname(p, end)) < 0 || end - p < skip + QFIXEDSZ)
			goto done;
		p += skip;
		type = get16(p);
		class = get16(p + 2);
		p += QFIXEDSZ;
	}
	if (type != T_TXT || class != C_IN)
		goto done;
	if ((buf[3] & 0x0f) == ns_r_nxdomain) {
		ret = MA_KEY_NONE;
		goto done;
	}
	if ((buf[2] & 0x02) != 0)	/* TC */
		goto done;
	if (an == 0) {
		ret = MA_KEY_NONE;
		goto done;
	}
	for (; an > 0 && p < end; an--) {
		if ((skip = dn_skipname(p, end)) < 0 || end - p < skip + RRFIXEDSZ)
			goto done;
		p += skip;
		type = get16(p);
		rdlen = get16(p + 8);
		p += RRFIXEDSZ;
		if (type == T_CNAME || type == ns_t_rrsig) {
			p += rdlen;
			continue;
		}
		if (type != T_TXT)
			goto done;
		if (txt != NULL) {
			ret = MA_KEY_MULTI;
			goto done;
		}
		txt = (unsigned char *)p;
		txtlen = rdlen;
		p += rdlen;
	}
	if (txt == NULL) {
		ret = MA_KEY_NONE;
		goto done;
	}
	if (txt + txtlen > end)
		goto done;	/* libopendkim: "reply corrupt" (DKIM_STAT_SYNTAX) */
	/* the character strings, joined (RFC 6376 3.6.2.2) */
	while (txtlen > 0 && n + 1 < size) {
		unsigned c = *txt++;

		txtlen--;
		while (c > 0 && txtlen > 0 && n + 1 < size) {
			out[n++] = (char)*txt++;
			c--;
			txtlen--;
		}
	}
	out[n] = '\0';
	ret = MA_KEY_OK;
done:
	free(qh);
	free(buf);
	return ret;
}

/* dkim_close() calls this on the service: we own and free it ourselves. */
static void service_close(void *srv)
{
}

void ma_dkim_dns_attach(struct ma_dkim_dns *dns, DKIM_LIB *lib)
{
	/*
	 * Install the service before any lookup, so libopendkim never
	 * creates (racily) its own shared res_state.
	 */
	dkim_dns_set_init(lib, NULL);
	dkim_dns_set_close(lib, service_close);
	(void)dkim_dns_set_query_service(lib, dns);
	dkim_dns_set_query_start(lib, query_start);
	dkim_dns_set_query_cancel(lib, query_cancel);
	dkim_dns_set_query_waitreply(lib, query_waitreply);
}
