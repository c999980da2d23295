/*++
 * NAME
 *	linkcheck 3h
 * SUMMARY
 *	link analysis: the links of a message against deny lists and
 *	URIBL/SURBL-style DNS lists, and what is done about them
 * DESCRIPTION
 *	av_linkcheck_config() reads the link_* keys. av_linkcheck_run()
 *	checks what links.h extracted: each host name against the local
 *	deny list and every DNS list, plus the findings of the extractor
 *	(IP-literal host, href/text mismatch, Punycode/non-ASCII host,
 *	limits). Each kind of finding, and each DNS list, has its action
 *	(reject, discard, quarantine, tag, off). av_linkcheck_apply() folds
 *	the strongest one into the antivirus verdict (pure, tested in
 *	tests/test_linkcheck.c). av_linkcheck_message() is the milter's
 *	hook: read the spool, extract, run, apply, log.
 *
 *	DNS lists (URIBL/SURBL convention): the query is the host's
 *	registered domain with the list zone appended, type A; an answer in
 *	127.0.0.0/8 means listed, except 127.255.255.0/24 (the lists' "query
 *	refused" codes: a configuration problem, handled as a DNS error).
 *	The registered domain is the public suffix plus one label, from the
 *	public suffix list (psl_path, common/psl/): "a.b.evil.co.uk" is
 *	asked as "evil.co.uk.zone", never "co.uk" nor "b.evil.co.uk". A
 *	host the list code cannot use as a domain (a label over 63 octets,
 *	an empty label) is not asked: no list could hold it. An IPv4 literal
 *	is asked reversed (SURBL: "4.3.2.1.zone" for 1.2.3.4). A non-ASCII
 *	host is first converted to its A-labels as a browser does
 *	(av_linkcheck_ascii_host(), libidn2, UTS #46 non-transitional),
 *	for the lists and the deny list; one that does not convert (invalid
 *	IDNA, over 253 octets) is not asked: no browser resolves it. The idn
 *	finding names the host either way.
 *
 *	DNS results: NXDOMAIN, NODATA and DNS_BADNAME (a name the sender
 *	made too long or malformed) are "not listed"; a timeout, SERVFAIL
 *	or local resolver trouble, or the time budget spent, is an error:
 *	link_dns_error_action (tempfail by default, or accept with the
 *	header "unchecked"). The sender cannot turn a listed link into an
 *	error by shaping a name: every query is independent, and a bad
 *	name is never an error.
 *--*/
#ifndef AV_LINKCHECK_H
#define AV_LINKCHECK_H

#include <stdio.h>
#include "messec/cfg.h"
#include "messec/dns.h"
#include "links.h"
#include "verdict.h"

#define AV_LINK_LISTS_MAX 8
#define AV_LINK_ZONE_MAX 200

struct av_link_list {
	char zone[AV_LINK_ZONE_MAX + 1];
	enum av_hit_action action;
};

struct ms_psl;

/* host (lower case, UTF-8) as the ASCII name a browser resolves: itself
   if ASCII, else its A-labels (UTS #46 non-transitional, NFC). 1 done,
   0 when it does not convert or is over 253 octets: nothing to ask. */
int av_linkcheck_ascii_host(const char *host, char out[AV_LINKS_HOST_MAX + 1]);

struct av_link_config {
	int enabled;			/* some check is not off */
	struct ms_psl *psl;		/* loaded when a DNS list is configured */
	struct av_link_list lists[AV_LINK_LISTS_MAX];
	unsigned nlists;
	const char *const *deny_domains;	/* borrowed from cfg, lower case */
	enum av_hit_action deny, ip, mismatch, idn, limits;
	enum av_unscanned_action error;
	unsigned dns_budget_ms;		/* all queries of one message */
	size_t max_bytes;		/* message bytes read */
	struct av_links_limits extract;
};

/* The link_* keys (and psl_path) into *lc. 0, or -1 with "origin: key:
   problem" lines written to err. av_linkcheck_free() releases what it
   loaded (after a failure too). */
int av_linkcheck_config(const struct cfg *cfg, struct av_link_config *lc, FILE *err);
void av_linkcheck_free(struct av_link_config *lc);

#define AV_LINK_TEXT_MAX 300

/* Kinds of findings (av_link_result.kinds), for the metrics. */
#define AV_LINK_LISTED	0x01
#define AV_LINK_DENIED	0x02
#define AV_LINK_IP	0x04
#define AV_LINK_MISMATCH 0x08
#define AV_LINK_IDN	0x10
#define AV_LINK_LIMITS	0x20
#define AV_LINK_DNS_ERROR 0x40

struct av_link_result {
	enum av_hit_action action;	/* strongest finding; OFF: none */
	unsigned kinds;			/* AV_LINK_* found (action not off) */
	int dns_error;			/* a list could not be asked */
	char first[AV_LINK_TEXT_MAX];	/* the finding of that action */
	char status[AV_LINK_TEXT_MAX];	/* every finding, "; " between */
	char error[120];		/* what failed */
	unsigned queries;		/* DNS queries sent */
};

/* Check links (res NULL: resolv.conf's servers). */
void av_linkcheck_run(const struct av_link_config *lc, const struct dns_resolver *res,
		      const struct av_links *links, struct av_link_result *r);

#define AV_LINK_HEADER "X-Link-Status"

/* Fold r into v: only an accepted or quarantined verdict changes. The
   X-Link-Status value goes to header ("" for none). */
void av_linkcheck_apply(const struct av_link_config *lc, const struct av_link_result *r,
			struct av_verdict *v, char *header, size_t size);

/* Register messec_milter_av_link_findings_total{finding} (at startup). */
void av_linkcheck_metrics_init(void);

struct av_spool;
/* The milter's hook at end of message. */
void av_linkcheck_message(const struct av_link_config *lc, struct av_spool *spool,
			  const char *queue_id, struct av_verdict *v, char *header, size_t size);

#endif
