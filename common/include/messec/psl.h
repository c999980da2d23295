/*++
 * NAME
 *	psl 3h
 * SUMMARY
 *	public suffix list and registered domains (libmessec-psl.a)
 * DESCRIPTION
 *	The Mozilla public suffix list (publicsuffix.org), loaded once into
 *	a read-only table that any number of threads may ask. Used by
 *	milter-auth (DMARC organizational domains, RFC 7489 section 3.2) and
 *	milter-av (the registered domain asked to URIBL/SURBL-style lists).
 *	Built from common/psl/ into its own archive (common/psl/psl.mk):
 *	link $(LIBMESSEC_PSL) after the objects that call it.
 *
 *	Prefix ms_psl_: libclamav pulls libpsl (through libcurl) into
 *	messec-milter-av, and libpsl exports psl_load_file(), psl_free()...;
 *	our names must never interpose on its.
 * DIAGNOSTICS
 *	ms_psl_load(): NULL with *error_r (static text). Lookups: -1 for a
 *	domain that is not a usable LDH name.
 *--*/
#ifndef MESSEC_PSL_H
#define MESSEC_PSL_H

#include <stddef.h>

/* RFC 1035 section 2.3.4: 255 octets on the wire, 253 in text form. */
#define MS_PSL_DOMAIN_MAX 253
/* Debian's package "publicsuffix" installs the list here. */
#define MS_PSL_PATH_DEFAULT "/usr/share/publicsuffix/public_suffix_list.dat"

struct ms_psl;

/* Load the list at path. NULL with *error_r (static text) on failure,
   an empty list included. */
struct ms_psl *ms_psl_load(const char *path, const char **error_r);
void ms_psl_free(struct ms_psl **psl);
/* Number of rules loaded (for tests and startup log lines). */
size_t ms_psl_count(const struct ms_psl *psl);

/*
 * The registered domain of domain (normalised first: case, one trailing
 * dot): its public suffix plus one label; a domain that is itself a
 * public suffix is its own. Into org_r (org_size bytes). 0 ok, -1 bad
 * input (ms_psl_domain_normalise) or no room.
 */
int ms_psl_registered_domain(const struct ms_psl *psl, const char *domain,
			     char *org_r, size_t org_size);

/*
 * Normalise a domain: copy lower-cased into out_r, drop one trailing dot,
 * check RFC 1035 shape (labels 1..63 octets of [a-z0-9_-], total <= 253).
 * 0 ok, -1 unusable (empty, too long, bad character, empty label).
 */
int ms_psl_domain_normalise(const char *in, size_t len, char *out_r, size_t size);

#endif
