/*++
 * NAME
 *	linkcheck 3
 * SUMMARY
 *	link analysis: lists, DNS lists, actions (see linkcheck.h)
 * DESCRIPTION
 *	Trust boundary: the host names are the sender's (links.c bounds
 *	and lower-cases them). They are only compared, and sent as DNS
 *	query names under the configured zones; names that cannot be
 *	queried are DNS_BADNAME, i.e. "not listed" (docs/milter-auth.md,
 *	"DNS results"), never an error the sender could provoke.
 *	Queries run one after the other under one time budget per message.
 *--*/
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <idn2.h>
#include "messec/log.h"
#include "messec/metrics.h"
#include "messec/psl.h"
#include "messec/str.h"
#include "engine.h"
#include "linkcheck.h"
#include "spool.h"

#define QUERIED_MAX 128		/* distinct domains asked per message */

static struct metric *m_findings;

void av_linkcheck_metrics_init(void)
{
	m_findings = metrics_counter("messec_milter_av_link_findings_total",
				     "messages with a link finding, by kind", "finding",
				     "listed|denied|ip|mismatch|idn|limits|dns_error");
}

/* One count per kind found in the message. */
static void count(unsigned kinds)
{
	static const char *const names[] = { "listed", "denied", "ip", "mismatch", "idn",
		"limits", "dns_error" };
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (kinds & (1u << i))
			metrics_inc(m_findings, names[i]);
}

static const char *const hit_names[] = { "reject", "discard", "quarantine", "tag", "off" };

static int action_parse(const char *s, enum av_hit_action *a)
{
	unsigned i;

	for (i = 0; i < sizeof(hit_names) / sizeof(hit_names[0]); i++)
		if (strcmp(s, hit_names[i]) == 0) {
			*a = (enum av_hit_action) i;
			return 0;
		}
	return -1;
}

int av_linkcheck_config(const struct cfg *cfg, struct av_link_config *lc, FILE *err)
{
	const char *const *lists = cfg_list(cfg, "link_dns_lists", NULL);
	size_t i;
	int rc = 0;

	memset(lc, 0, sizeof(*lc));
	for (i = 0; lists[i] != NULL; i++) {
		const char *colon = strchr(lists[i], ':');
		size_t zlen = colon != NULL ? (size_t) (colon - lists[i]) : strlen(lists[i]);
		struct av_link_list *l = &lc->lists[lc->nlists];

		if (lc->nlists >= AV_LINK_LISTS_MAX) {
			fprintf(err, "%s: link_dns_lists: more than %d lists\n",
				cfg_origin(cfg, "link_dns_lists"), AV_LINK_LISTS_MAX);
			rc = -1;
			break;
		}
		l->action = AV_HIT_TAG;
		if (zlen > 0 && zlen <= AV_LINK_ZONE_MAX) {
			memcpy(l->zone, lists[i], zlen);
			l->zone[zlen] = '\0';
			str_lower(l->zone);
		}
		if (zlen == 0 || zlen > AV_LINK_ZONE_MAX || !dns_name_valid(l->zone) ||
		    l->zone[zlen - 1] == '.') {
			fprintf(err, "%s: link_dns_lists: %.*s: not a DNS zone (expected zone[:action])\n",
				cfg_origin(cfg, "link_dns_lists"), (int) (zlen > 200 ? 200 : zlen), lists[i]);
			rc = -1;
			continue;
		}
		if (colon != NULL && action_parse(colon + 1, &l->action) != 0) {
			fprintf(err, "%s: link_dns_lists: %s: bad action (expected %s)\n",
				cfg_origin(cfg, "link_dns_lists"), lists[i], AV_HIT_ACTIONS_OFF);
			rc = -1;
			continue;
		}
		if (l->action != AV_HIT_OFF)
			lc->nlists++;
	}
	lc->deny_domains = cfg_list(cfg, "link_deny_domains", NULL);
	for (i = 0; lc->deny_domains[i] != NULL; i++)
		if (!dns_name_valid(lc->deny_domains[i]) ||
		    strpbrk(lc->deny_domains[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL) {
			fprintf(err, "%s: link_deny_domains: %s: not a lower-case domain name\n",
				cfg_origin(cfg, "link_deny_domains"), lc->deny_domains[i]);
			rc = -1;
		}
	lc->deny = (enum av_hit_action) cfg_enum(cfg, "link_deny_action");
	lc->ip = (enum av_hit_action) cfg_enum(cfg, "link_ip_action");
	lc->mismatch = (enum av_hit_action) cfg_enum(cfg, "link_mismatch_action");
	lc->idn = (enum av_hit_action) cfg_enum(cfg, "link_idn_action");
	lc->limits = (enum av_hit_action) cfg_enum(cfg, "link_limits_action");
	lc->error = (enum av_unscanned_action) cfg_enum(cfg, "link_dns_error_action");
	lc->dns_budget_ms = (unsigned) cfg_time(cfg, "link_dns_timeout") * 1000;
	lc->max_bytes = (size_t) cfg_size(cfg, "link_max_bytes");
	lc->extract.max_hosts = (unsigned) cfg_int(cfg, "link_max_hosts");
	lc->extract.max_depth = 20;
	lc->extract.max_parts = 1000;
	lc->extract.max_decoded = lc->max_bytes;
	if (lc->nlists > 0) {
		const char *path = cfg_path(cfg, "psl_path"), *error = NULL;

		/* The list is needed to ask the registered domain: no list, no start. */
		if ((lc->psl = ms_psl_load(path, &error)) == NULL) {
			fprintf(err, "%s: psl_path: %s: %s\n", cfg_origin(cfg, "psl_path"), path, error);
			rc = -1;
		}
	}
	lc->enabled = lc->nlists > 0 ||
		(lc->deny_domains[0] != NULL && lc->deny != AV_HIT_OFF) ||
		lc->ip != AV_HIT_OFF || lc->mismatch != AV_HIT_OFF || lc->idn != AV_HIT_OFF;
	return rc;
}

void av_linkcheck_free(struct av_link_config *lc)
{
	ms_psl_free(&lc->psl);
}

/* Record a finding: the strongest action keeps its text for the reply. */
static void finding(struct av_link_result *r, unsigned kind, enum av_hit_action a,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void finding(struct av_link_result *r, unsigned kind, enum av_hit_action a,
		    const char *fmt, ...)
{
	char text[AV_LINK_TEXT_MAX];
	size_t n = strlen(r->status);
	va_list ap;

	if (a == AV_HIT_OFF)
		return;
	r->kinds |= kind;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (a < r->action) {
		r->action = a;
		str_copy(r->first, text, sizeof(r->first));
	}
	/* The header keeps what fits; the reply names the strongest. */
	if (n > 0 && n + 2 < sizeof(r->status))
		n += str_copy(r->status + n, "; ", sizeof(r->status) - n);
	if (n + 1 < sizeof(r->status))
		str_copy(r->status + n, text, sizeof(r->status) - n);
}

static int is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char) *s >= 0x80)
			return 0;
	return 1;
}

/* host is domain or one of its subdomains. */
static int under(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);

	return h == d ? strcmp(host, domain) == 0 :
		h > d && host[h - d - 1] == '.' && strcmp(host + h - d, domain) == 0;
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

enum listed { NOT_LISTED, LISTED, LIST_ERROR };

/* Ask name (A) under a list: 127/8 = listed. */
static enum listed ask(const struct dns_resolver *res, const char *name,
		       const struct timespec *deadline, struct av_link_result *r)
{
	struct dns_answer a;
	enum dns_result dr;
	enum listed out = NOT_LISTED;
	size_t idx = 0;
	ns_rr rr;
	long ms = remaining_ms(deadline);

	if (ms <= 0) {
		snprintf(r->error, sizeof(r->error), "DNS time budget spent");
		return LIST_ERROR;
	}
	r->queries++;
	memset(&a, 0, sizeof(a));
	dr = dns_query(res, name, ns_t_a, (unsigned) ms, &a);
	switch (dr) {
	case DNS_OK:
		while (dns_answer_next(&a, &idx, &rr))
			if (ns_rr_rdlen(rr) == 4 && ns_rr_rdata(rr)[0] == 127) {
				const uint8_t *ip = ns_rr_rdata(rr);

				if (ip[1] == 255 && ip[2] == 255) {
					/* The list refused to answer (e.g. a
					   public resolver): not the sender's doing. */
					snprintf(r->error, sizeof(r->error),
						 "list refused the query (127.255.255.%u)", ip[3]);
					out = LIST_ERROR;
					break;
				}
				out = LISTED;
			}
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
	case DNS_BADNAME:	/* a name the sender shaped: no record */
		break;
	case DNS_TEMPFAIL:
	case DNS_ERROR:
	default:
		snprintf(r->error, sizeof(r->error), "DNS %s", dns_result_name(dr));
		out = LIST_ERROR;
		break;
	}
	dns_answer_free(&a);
	return out;
}

int av_linkcheck_ascii_host(const char *host, char out[AV_LINKS_HOST_MAX + 1])
{
	char *a = NULL;
	int ok;

	if (is_ascii(host))
		return str_copy(out, host, AV_LINKS_HOST_MAX + 1) <= AV_LINKS_HOST_MAX;
	/* What a browser resolves (WHATWG URL "domain to ASCII" = UTS #46
	   processing, non-transitional, IDNA2008): NFC, the UTS #46 mapping
	   (case folding included), then the A-label of each label (RFC 5891
	   5.5). libidn2's default without these flags has changed across
	   versions: name them. A host libidn2 refuses (a disallowed code
	   point, a bad bidi or joiner context) no browser resolves either:
	   nothing to ask, the idn finding still names it. */
	if (idn2_to_ascii_8z(host, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK || a == NULL) {
		idn2_free(a);
		return 0;
	}
	/* RFC 1035 2.3.4: 253 octets. libidn2 2.3 refuses longer output
	   itself (IDN2_TOO_BIG_DOMAIN); out[] must not depend on that. */
	ok = strlen(a) <= AV_LINKS_HOST_MAX && is_ascii(a);
	if (ok)
		str_copy(out, a, AV_LINKS_HOST_MAX + 1);
	idn2_free(a);
	return ok;
}

/* The name a host is asked under (see linkcheck.h): 1, or 0 for none. */
static int candidate(const struct ms_psl *psl, const char *uhost, char cand[AV_LINKS_HOST_MAX + 1])
{
	char host[AV_LINKS_HOST_MAX + 1];
	struct in_addr ip4;

	if (!av_linkcheck_ascii_host(uhost, host))
		return 0;

	if (inet_pton(AF_INET, host, &ip4) == 1) {
		const uint8_t *b = (const uint8_t *) &ip4;

		snprintf(cand, AV_LINKS_HOST_MAX + 1, "%u.%u.%u.%u", b[3], b[2], b[1], b[0]);
		return 1;
	}
	if (av_links_host_is_ip(host))
		return 0;
	/* The registered domain; a name that is no domain cannot be listed. */
	return ms_psl_registered_domain(psl, host, cand, AV_LINKS_HOST_MAX + 1) == 0;
}

void av_linkcheck_run(const struct av_link_config *lc, const struct dns_resolver *res,
		      const struct av_links *links, struct av_link_result *r)
{
	char (*seen)[AV_LINKS_HOST_MAX + 1] = NULL;
	unsigned nseen = 0, i, j, l;
	struct timespec deadline;

	memset(r, 0, sizeof(*r));
	r->action = AV_HIT_OFF;
	if (links->over)
		finding(r, AV_LINK_LIMITS, lc->limits, "links not all checked (limit reached)");
	if (links->ip[0] != '\0')
		finding(r, AV_LINK_IP, lc->ip, "IP address link (%s)", links->ip);
	if (links->mismatch_href[0] != '\0')
		finding(r, AV_LINK_MISMATCH, lc->mismatch, "link text %s leads to %s", links->mismatch_text,
			links->mismatch_href);
	if (links->idn[0] != '\0')
		finding(r, AV_LINK_IDN, lc->idn, "internationalised link host (%s)", links->idn);
	for (i = 0; i < links->nhosts && lc->deny != AV_HIT_OFF; i++) {
		char host[AV_LINKS_HOST_MAX + 1];

		if (!av_linkcheck_ascii_host(links->hosts[i], host))
			continue;
		for (j = 0; lc->deny_domains[j] != NULL; j++)
			if (under(host, lc->deny_domains[j])) {
				finding(r, AV_LINK_DENIED, lc->deny, "link to denied domain %s", lc->deny_domains[j]);
				break;
			}
	}
	if (lc->nlists == 0)
		return;
	seen = xcalloc(QUERIED_MAX, sizeof(*seen));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += lc->dns_budget_ms / 1000;
	deadline.tv_nsec += (long) (lc->dns_budget_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (i = 0; i < links->nhosts && !r->dns_error; i++) {
		char cand[AV_LINKS_HOST_MAX + 1];
		unsigned k;

		if (!candidate(lc->psl, links->hosts[i], cand))
			continue;
		for (k = 0; k < nseen; k++)
			if (strcmp(seen[k], cand) == 0)
				break;
		if (k < nseen)
			continue;
		if (nseen >= QUERIED_MAX) {
			finding(r, AV_LINK_LIMITS, lc->limits, "links not all checked (limit reached)");
			break;
		}
		str_copy(seen[nseen++], cand, sizeof(seen[0]));
		for (l = 0; l < lc->nlists; l++) {
			char name[2 * AV_LINKS_HOST_MAX + 2];
			enum listed s;

			if (snprintf(name, sizeof(name), "%s.%s", cand,
				     lc->lists[l].zone) >= (int) sizeof(name))
				continue;	/* cannot happen: 253 + 1 + 200 */
			s = ask(res, name, &deadline, r);
			if (s == LIST_ERROR) {
				r->dns_error = 1;
				r->kinds |= AV_LINK_DNS_ERROR;
				break;
			}
			if (s == LISTED)
				finding(r, AV_LINK_LISTED, lc->lists[l].action, "link to %s listed by %s",
					av_links_host_is_ip(links->hosts[i]) ?
					links->hosts[i] : cand, lc->lists[l].zone);
		}
	}
	free(seen);
}

void av_linkcheck_apply(const struct av_link_config *lc, const struct av_link_result *r,
			struct av_verdict *v, char *header, size_t size)
{
	header[0] = '\0';
	if (v->action != AV_ACCEPT && v->action != AV_QUARANTINE)
		return;		/* already refused or deferred */
	/* A link known to be bad refuses the message even when another
	   could not be checked; otherwise an unchecked link defers it. */
	if (r->action == AV_HIT_REJECT || r->action == AV_HIT_DISCARD) {
		v->action = r->action == AV_HIT_REJECT ? AV_REJECT : AV_DISCARD;
		v->tag = 0;
		snprintf(v->reason, sizeof(v->reason), "link: %s", r->first);
		if (v->action == AV_REJECT) {
			str_copy(v->rcode, "554", sizeof(v->rcode));
			str_copy(v->xcode, "5.7.1", sizeof(v->xcode));
			snprintf(v->reply, sizeof(v->reply), "Message refused: %s", r->first);
		}
		return;
	}
	if (r->dns_error && lc->error == AV_UNSCANNED_TEMPFAIL) {
		v->action = AV_TEMPFAIL;
		v->tag = 0;
		str_copy(v->rcode, "451", sizeof(v->rcode));
		str_copy(v->xcode, "4.4.3", sizeof(v->xcode));	/* RFC 3463: directory server failure */
		snprintf(v->reply, sizeof(v->reply), "Links not checked (%s), try again later",
			 r->error);
		snprintf(v->reason, sizeof(v->reason), "links not checked: %s", r->error);
		return;
	}
	if (r->status[0] != '\0' && r->dns_error)
		snprintf(header, size, "%s; unchecked (%s)", r->status, r->error);
	else if (r->status[0] != '\0')
		str_copy(header, r->status, size);
	else if (r->dns_error)
		snprintf(header, size, "unchecked (%s)", r->error);
	if (r->action == AV_HIT_QUARANTINE) {
		if (v->action == AV_ACCEPT)
			snprintf(v->reason, sizeof(v->reason), "link: %s", r->first);
		v->action = AV_QUARANTINE;
	}
}

void av_linkcheck_message(const struct av_link_config *lc, struct av_spool *spool,
			  const char *queue_id, struct av_verdict *v, char *header, size_t size)
{
	struct av_link_result r;
	struct av_links *links;
	const char *error = NULL;
	uint64_t len64;
	size_t len;
	void *map;
	int fd;

	header[0] = '\0';
	if (!lc->enabled || spool == NULL || (v->action != AV_ACCEPT && v->action != AV_QUARANTINE))
		return;
	len64 = av_spool_size(spool);
	len = len64 > lc->max_bytes ? lc->max_bytes : (size_t) len64;
	if (len == 0)
		return;
	if ((fd = av_spool_fd(spool, &error)) < 0 ||
	    (map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		/* Local trouble: the message was not checked. */
		log_warn("%s: links: %s", queue_id, error != NULL ? error : "mmap");
		memset(&r, 0, sizeof(r));
		r.action = AV_HIT_OFF;
		r.dns_error = 1;
		r.kinds = AV_LINK_DNS_ERROR;
		str_copy(r.error, "spool error", sizeof(r.error));
		count(r.kinds);
		av_linkcheck_apply(lc, &r, v, header, size);
		return;
	}
	links = xcalloc(1, sizeof(*links));
	av_links_extract(map, len, &lc->extract, links);
	if (len64 > lc->max_bytes)
		links->over = 1;
	munmap(map, len);
	av_linkcheck_run(lc, NULL, links, &r);
	if (r.status[0] != '\0' || r.dns_error) {
		char clean[AV_LINK_TEXT_MAX + 130];

		av_engine_sanitize(clean, sizeof(clean), r.status, AV_LINK_TEXT_MAX);
		log_info("%s: links=%u queries=%u%s%s%s", queue_id, links->nhosts, r.queries,
			 clean[0] != '\0' ? " " : "", clean, r.dns_error ? " dns-error" : "");
	}
	count(r.kinds);
	av_linkcheck_apply(lc, &r, v, header, size);
	free(links);
}
