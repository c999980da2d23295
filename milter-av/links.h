/*++
 * NAME
 *	links 3h
 * SUMMARY
 *	the links of a message: URL host names from its text and HTML parts
 * DESCRIPTION
 *	av_links_extract() walks the MIME structure of one message (RFC
 *	2045, 2046), decodes each text/plain and text/html part (base64,
 *	quoted-printable) and collects the host names of the http/https URLs
 *	it finds: in plain text, and in HTML both in href targets (entities
 *	decoded) and in the visible text of the links. It is a pure function
 *	(no DNS, no libclamav): linkcheck.h asks the lists.
 *
 *	Findings made while extracting:
 *	- hosts: distinct host names (lower case, no trailing dot), IP
 *	  literals included, at most limits->max_hosts;
 *	- ip: a URL whose host is an IP address (http://192.0.2.1/,
 *	  http://[2001:db8::1]/, http://3221225985/);
 *	- mismatch: an HTML link whose visible text names another host
 *	  than its href (<a href="http://evil.example">bank.example</a>);
 *	- idn: a host with a Punycode label ("xn--") or non-ASCII bytes (a
 *	  possible lookalike, RFC 3492 / RFC 5890);
 *	- over: a limit cut the analysis short (depth, parts, decoded
 *	  bytes, hosts). What lies past it was not checked, so the caller
 *	  treats it as a finding, never as "no link".
 *
 *	Trust boundary: every byte is the sender's. Each loop is bounded by
 *	the limits below and the input length; names are copied with a cap.
 *--*/
#ifndef AV_LINKS_H
#define AV_LINKS_H

#include <stddef.h>

#define AV_LINKS_HOST_MAX 253		/* RFC 1035 2.3.4 */
#define AV_LINKS_HOSTS_MAX 64		/* upper bound of max_hosts */

struct av_links_limits {
	unsigned max_hosts;		/* 1..AV_LINKS_HOSTS_MAX */
	unsigned max_depth;		/* MIME nesting */
	unsigned max_parts;		/* MIME parts walked */
	size_t max_decoded;		/* decoded text bytes analysed, all parts */
};

struct av_links {
	char hosts[AV_LINKS_HOSTS_MAX][AV_LINKS_HOST_MAX + 1];
	unsigned nhosts;
	unsigned parts;			/* MIME parts walked */
	size_t decoded;			/* decoded bytes analysed */
	int over;			/* a limit was reached */
	char ip[AV_LINKS_HOST_MAX + 1];		/* first IP-literal host */
	char idn[AV_LINKS_HOST_MAX + 1];	/* first Punycode/non-ASCII host */
	char mismatch_href[AV_LINKS_HOST_MAX + 1];	/* first mismatch: href host */
	char mismatch_text[AV_LINKS_HOST_MAX + 1];	/* and the host shown */
};

/* Extract from the message msg[0..len) into *out (overwritten). */
void av_links_extract(const char *msg, size_t len, const struct av_links_limits *limits,
		      struct av_links *out);

/* The host of the URL at url[0..len) ("http://h/...", "https://h",
   "//h", "www.h"), lower case, percent-escapes decoded, in host (size
   AV_LINKS_HOST_MAX + 1). 1 found, 0 not a URL with a host (or an
   ASCII host over 253 octets: no DNS name), -1 a host with non-ASCII
   octets over 253 octets of UTF-8 (its A-labels may be shorter: the
   caller counts it as a limit reached, never as "no link"). */
int av_links_url_host(const char *url, size_t len, char *host);
/* 1 when host is an IP literal (IPv6 in brackets, or a numeric last
   label: 192.0.2.1, 3221225985, 0xc0.0.2.1), else 0. */
int av_links_host_is_ip(const char *host);

#endif
