/*++
 * NAME
 *	test_dkim_util 3h
 * SUMMARY
 *	helpers for the DKIM unit tests
 * DESCRIPTION
 *	td_conformance() is the conformance directory: $MESSEC_CONFORMANCE or
 *	../shared/conformance (relative to the repository root, where make
 *	runs the tests). td_read() reads a file (NUL-terminated, caller
 *	frees; NULL if missing).
 *
 *	td_lib() builds an ma_dkim_lib whose keys come from the key-file text
 *	keys (written to a private temp file for ma_dkim_lib_new()); cfg NULL
 *	means defaults.
 *
 *	td_run() parses an RFC 5322 message (CRLF or LF) and feeds it to a
 *	new ma_dkim_verify through ma_dkim_verify_header_raw(), eoh, body in
 *	small chunks (LF made CRLF, as Postfix gives it), eom; caller frees.
 *
 *	td_sign() signs msg with libopendkim (key PEM text, selector, domain,
 *	DKIM_SIGN_* algorithm, relaxed or simple canonicalization) and
 *	returns a new message with the DKIM-Signature on top (caller frees).
 *	td_sig_tag() copies one tag value out of that message's first
 *	DKIM-Signature.
 *
 *	td_best() is the message-level summary in Mail::DKIM's words: "pass"
 *	if a signature passed, else "fail" if one failed, else "invalid" if
 *	there was one, else "none".
 *--*/
#ifndef TEST_DKIM_UTIL_H
#define TEST_DKIM_UTIL_H

#include <stddef.h>

#include "dkim_verify.h"

/* The engine td_lib() and the resolver tests use (main() runs every
   group once per engine). */
extern enum ma_dkim_verify_engine td_engine;
const char *td_engine_name(void);

const char *td_conformance(void);
char *td_read(const char *path, size_t *len_r);
char *td_conf_read(const char *rel, size_t *len_r);
struct ma_dkim_lib *td_lib(const char *keys, const struct ma_dkim_config *cfg);
struct ma_dkim_verify *td_run(struct ma_dkim_lib *lib, const char *msg, size_t len);
/* Same without cmocka (usable from threads): NULL with *error_r. */
struct ma_dkim_verify *td_run_quiet(struct ma_dkim_lib *lib, const char *msg, size_t len,
				    const char **error_r);
char *td_sign(const char *msg, const char *key_pem, const char *selector, const char *domain,
	      int alg, int relaxed);
void td_sig_tag(const char *msg, const char *tag, char *out, size_t size);
const char *td_best(const struct ma_dkim_verify *v);
/* test_dkim_diff.c: both engines on one corpus. */
int td_diff_tests(void);
/* test_dkim_resolver.c: the glibc path against a fake DNS server. */
int td_resolver_tests(void);
/* Concatenate NULL-terminated list of strings (caller frees). */
char *td_cat(const char *first, ...);

#endif
