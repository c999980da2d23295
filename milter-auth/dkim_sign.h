/*++
 * NAME
 *	dkim_sign 3h
 * SUMMARY
 *	DKIM signing (RFC 6376, RFC 8463) of outbound mail (own path on
 *	OpenSSL, or libopendkim)
 * SYNOPSIS
 *	#include "dkim_sign.h"
 * DESCRIPTION
 *	An ma_dkim_signer holds the key table (domain, selector, private
 *	key: read, checked and parsed once when the config is loaded, so a
 *	SIGHUP reload reads them again) and the signing table (the From
 *	domains we sign for). It is immutable and shared by all threads.
 *
 *	Key table entries are "domain:selector:/path/to/key.pem"; a domain
 *	may have several (one RSA and one Ed25519 gives two signatures,
 *	RFC 8463 section 4). A key file must be a regular file owned by
 *	root or by the daemon's user, with no group or other permission;
 *	RSA keys must have at least 2048 bits (RFC 8301 section 3.2 allows
 *	1024; we sign with more).
 *
 *	Signing table entries: "example.org" signs mail whose From domain
 *	is exactly example.org; "*.example.org" signs mail from its
 *	subdomains (with d=example.org). Every signing-table domain needs at
 *	least one key.
 *
 *	One ma_dkim_sign per message. The header fields are kept (joined,
 *	CRLF, up to max_header_bytes) until the end of the header, because
 *	the key depends on the From domain: ma_dkim_sign_eoh() gets the d=
 *	(from ma_dkim_signer_match(); NULL: nothing to sign). Engine messec
 *	hashes the body once and signs each key of that domain at eom;
 *	engine opendkim starts one libopendkim handle per key and replays
 *	the fields.
 *	Then body chunks, eom, and the DKIM-Signature values to insert
 *	(ma_dkim_sign_value(): folded with LF, without the field name).
 *
 *	Only the header fields named in the header list are signed; those in
 *	the oversign list are listed once more than they occur (RFC 6376
 *	section 8.15), so one added later breaks the signature.
 * DIAGNOSTICS
 *	ma_dkim_signer_new() writes one "origin: problem" line per problem
 *	to err and returns NULL.
 *--*/
#ifndef MA_DKIM_SIGN_H
#define MA_DKIM_SIGN_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct ma_dkim_sign_config {
	const char *const *keys;	/* "domain:selector:/path", NULL-terminated */
	const char *const *domains;	/* "d.example" or "*.d.example" */
	const char *const *headers;	/* names signed; NULL = RFC 6376 5.4.1 list */
	const char *const *oversign;	/* names oversigned; NULL = default list */
	int engine;			/* MA_DKIM_ENGINE_*: who canonicalizes and signs */
	int relaxed_header;		/* 1 relaxed, 0 simple */
	int relaxed_body;
	uid_t key_owner;		/* owner allowed besides root */
	const char *keys_origin;	/* "path:line" of the key table, for messages */
	const char *domains_origin;
	unsigned long long fixed_time;	/* TESTING ONLY: t= (0: now) */
	int no_fold;			/* TESTING ONLY: one-line values (libopendkim margin 0) */
};

/* messec (default): dkim_canon.c + OpenSSL with the keys parsed once
   (dkim_sign_ossl.c); opendkim: libopendkim, which parses the PEM key for
   every signature and cannot do Ed25519 with simple header
   canonicalization (docs/dkim.md). */
enum { MA_DKIM_ENGINE_MESSEC = 0, MA_DKIM_ENGINE_OPENDKIM = 1 };

/* The defaults (RFC 6376 section 5.4.1 plus the MIME fields). */
extern const char *const ma_dkim_sign_default_headers[];
extern const char *const ma_dkim_sign_default_oversign[];

struct ma_dkim_signer;
struct ma_dkim_sign;

/* NULL with the problems on err. An empty key table gives a signer that
   matches nothing. */
struct ma_dkim_signer *ma_dkim_signer_new(const struct ma_dkim_sign_config *cfg, FILE *err);
void ma_dkim_signer_free(struct ma_dkim_signer **signer);
/* Number of keys loaded. */
size_t ma_dkim_signer_key_count(const struct ma_dkim_signer *signer);

/* The d= for mail whose From domain is from_domain (any case), or NULL.
   Borrowed from the signer. */
const char *ma_dkim_signer_match(const struct ma_dkim_signer *signer, const char *from_domain);

/* id: queue id for logs (copied). max_header_bytes: cap of the kept
   header block. */
struct ma_dkim_sign *ma_dkim_sign_new(const struct ma_dkim_signer *signer, const char *id,
				      size_t max_header_bytes);
void ma_dkim_sign_free(struct ma_dkim_sign **sign);
/* name, and value: the field's exact bytes after the colon, leading
   white space included (" foo" for "Subject: foo"; LF or CRLF folding),
   as libmilter gives them with SMFIP_HDR_LEADSPC: the field is signed as
   "name:" + value, so simple header canonicalization (RFC 6376 section
   3.4.1) hashes what the recipient sees. 0 ok, -1 with *error_r. */
int ma_dkim_sign_header(struct ma_dkim_sign *sign, const char *name, const char *value,
			const char **error_r);
/* domain: the d= (borrowed from the signer), or NULL: sign nothing. */
int ma_dkim_sign_eoh(struct ma_dkim_sign *sign, const char *domain, const char **error_r);
/* Body chunks as libmilter gives them (CRLF lines). */
int ma_dkim_sign_body(struct ma_dkim_sign *sign, const unsigned char *data, size_t len,
		      const char **error_r);
int ma_dkim_sign_eom(struct ma_dkim_sign *sign, const char **error_r);
/* After eom: the signatures, in key-table order. */
size_t ma_dkim_sign_count(const struct ma_dkim_sign *sign);
const char *ma_dkim_sign_value(const struct ma_dkim_sign *sign, size_t i);

#endif
