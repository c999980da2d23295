/*++
 * NAME
 *	dkim_dns 3h
 * SUMMARY
 *	bounded, thread-safe DNS key lookups for libopendkim
 * SYNOPSIS
 *	#include "dkim_dns.h"
 * DESCRIPTION
 *	Replaces libopendkim's stock resolver glue (see dkim_dns.c for the
 *	measured reasons) with one of two query services:
 *
 *	ma_dkim_dns_new_resolver() asks through common/src/dns.c (from
 *	/etc/resolv.conf, read per query) with a bounded timeout;
 *
 *	ma_dkim_dns_new_file() answers from a key file, TESTING ONLY: one
 *	"name<white space>record" per line, '#' comments; the record may be
 *	NXDOMAIN, ~~SERVFAIL~~ or ~~Query timed out~~ (the format of
 *	Mail::DKIM's FAKE_DNS.dat and of libopendkim's DKIM_QUERY_FILE).
 *	The answers go through the same DNS-wire path as real ones.
 *
 *	ma_dkim_dns_attach() installs the service in a DKIM_LIB. The service
 *	must outlive the DKIM_LIB (free it after dkim_close()).
 * DIAGNOSTICS
 *	Constructors return NULL with *error_r (static storage, valid until
 *	the next call from the same thread).
 *--*/
#ifndef MA_DKIM_DNS_H
#define MA_DKIM_DNS_H

#include <opendkim/dkim.h>

struct ma_dkim_dns;

/* server: NULL, or TESTING ONLY "IPv4:port" to ask instead of
   resolv.conf's servers. NULL with *error_r on a bad server. */
struct ma_dkim_dns *ma_dkim_dns_new_resolver(unsigned timeout_ms, const char *server,
					     const char **error_r);
struct ma_dkim_dns *ma_dkim_dns_new_file(const char *path, const char **error_r);
void ma_dkim_dns_free(struct ma_dkim_dns **dns);
void ma_dkim_dns_attach(struct ma_dkim_dns *dns, DKIM_LIB *lib);

/*
 * Key records seen by this thread's lookups, so the caller can check what
 * libopendkim does not (the key's k= tag): ma_dkim_dns_capture(set)
 * before dkim_eom(), ma_dkim_dns_capture(NULL) after. Names are stored
 * lower case without a trailing dot; records up to 8 KiB.
 */
struct ma_dkim_keyrec {
	char *name;
	char *record;
};

struct ma_dkim_keyset {
	struct ma_dkim_keyrec *recs;
	size_t count;
};

void ma_dkim_dns_capture(struct ma_dkim_keyset *set);
/* The record for selector._domainkey.domain, or NULL (borrowed). */
const char *ma_dkim_keyset_find(const struct ma_dkim_keyset *set, const char *selector,
				const char *domain);
void ma_dkim_keyset_clear(struct ma_dkim_keyset *set);

/*
 * For messec's own verifier (dkim_vossl.c): the key record at name
 * (selector._domainkey.domain), asked through the same service as
 * libopendkim's lookups, and read the way libopendkim's
 * dkim_get_key_dns() reads the reply (so both engines agree):
 * NXDOMAIN, no answer or only CNAMEs -> MA_KEY_NONE; SERVFAIL, timeout,
 * truncated or corrupt reply, other record type -> MA_KEY_FAIL; two TXT
 * records -> MA_KEY_MULTI; else the first TXT, its strings joined, into
 * out (cut at size - 1 bytes and at a NUL byte).
 */
enum ma_dkim_key_status { MA_KEY_OK, MA_KEY_NONE, MA_KEY_FAIL, MA_KEY_MULTI };
enum ma_dkim_key_status ma_dkim_dns_lookup(struct ma_dkim_dns *dns, const char *name,
					   char *out, size_t size);

/* Build a DNS reply for name/TXT into buf: rcode (ns_r_noerror,
   ns_r_nxdomain, ...) and, when txt is not NULL, one TXT answer holding
   txt split in 255-byte strings. Returns the length, or -1 if it does not
   fit. Exposed for the unit tests. */
int ma_dkim_dns_build_reply(const char *name, int rcode, const char *txt,
			    unsigned char *buf, size_t buflen);

#endif
