/*++
 * NAME
 *	spf 3
 * SUMMARY
 *	SPF check of one identity (RFC 7208), shared by the milter, messec-spf
 *	and messec-policyd
 * SYNOPSIS
 *	#include <messec/spf.h>
 *
 *	struct ma_spf *ma_spf_new(cfg, error_r)
 *	void ma_spf_free(&spf)
 *	enum ma_spf_result ma_spf_check(spf, client_ip, helo, mail_from,
 *					identity, verdict_r)
 * DESCRIPTION
 *	ma_spf_check() builds the identity (RFC 7208 2.3, 2.4, 4.3: sender,
 *	local-part, domain; the null sender becomes postmaster@HELO), checks
 *	the client address (IPv4-mapped IPv6 is IPv4), opens a private
 *	resolver state with bounded timeouts and runs check_host()
 *	(spf_eval.c).
 *
 *	Threads: the context is read-only after ma_spf_new(); every call has
 *	its own resolver state (res_ninit, spf_dns.c) and evaluation state on
 *	the stack, so calls from many libmilter threads need no lock.
 * DIAGNOSTICS
 *	Bad input from the SMTP client (garbage IP, NUL or non-ASCII domain,
 *	overlong MAIL FROM) gives a clear result: an unusable client address
 *	is permerror (no check is possible, RFC 7208 2.6.7 "could not be
 *	correctly interpreted"), an unusable domain is none (4.3).
 *	MA_SPF_INTERNAL only for resolver initialisation failure.
 * TRUST BOUNDARY
 *	client_ip, helo and mail_from come from the SMTP client.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <messec/spf.h>
#include "spf_internal.h"

/* RFC 5321 4.5.3.1.3: a reverse-path is at most 256 octets with its <>. */
#define SPF_MAX_PATH	256
#define SPF_MAX_SENDER	1024	/* buffers: room for postmaster@HELO too */

struct ma_spf {
	struct ma_spf_config cfg;
	char *default_explanation;
	char *receiver;
};

static const char *const result_names[] = {
	[MA_SPF_NONE] = "none",
	[MA_SPF_NEUTRAL] = "neutral",
	[MA_SPF_PASS] = "pass",
	[MA_SPF_FAIL] = "fail",
	[MA_SPF_SOFTFAIL] = "softfail",
	[MA_SPF_TEMPERROR] = "temperror",
	[MA_SPF_PERMERROR] = "permerror",
};

const char *
ma_spf_result_name(enum ma_spf_result result)
{
	if (result < MA_SPF_NONE || result > MA_SPF_PERMERROR)
		return "internal";
	return result_names[result];
}

int
ma_spf_result_parse(const char *name)
{
	for (int i = MA_SPF_NONE; i <= MA_SPF_PERMERROR; i++)
		if (strcasecmp(name, result_names[i]) == 0)
			return i;
	if (strcasecmp(name, "internal") == 0)
		return MA_SPF_INTERNAL;
	return -2;
}

struct ma_spf *
ma_spf_new(const struct ma_spf_config *cfg, const char **error_r)
{
	struct ma_spf *spf = calloc(1, sizeof(*spf));

	if (spf == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	if (cfg != NULL)
		spf->cfg = *cfg;
	if (spf->cfg.dns_timeout_ms == 0)
		spf->cfg.dns_timeout_ms = 3000;
	if (spf->cfg.total_timeout_ms == 0)
		spf->cfg.total_timeout_ms = 10000;
	if (spf->cfg.dns_term_limit == 0)
		spf->cfg.dns_term_limit = SPF_MAX_DNS_TERMS;
	if (spf->cfg.void_limit == 0)
		spf->cfg.void_limit = SPF_MAX_VOID;
	if (spf->cfg.engine == MA_SPF_ENGINE_LIBSPF2 && spf->cfg.libspf2_check == NULL) {
		free(spf);
		*error_r = "the libspf2 engine needs its entry point (libspf2_check)";
		return NULL;
	}
	if (spf->cfg.dns_term_limit > 100 || spf->cfg.void_limit > 100 ||
	    spf->cfg.dns_timeout_ms > 600000 ||
	    spf->cfg.total_timeout_ms > 600000) {
		free(spf);
		*error_r = "SPF limits out of range (terms and voids 1..100, "
		    "timeouts up to 600000 ms)";
		return NULL;
	}
	/* own copies: the caller's strings may go away after a reload */
	spf->default_explanation = strdup(spf->cfg.default_explanation ?
					  spf->cfg.default_explanation : "");
	spf->receiver = strdup(spf->cfg.receiver ? spf->cfg.receiver :
			       "unknown");
	if (spf->default_explanation == NULL || spf->receiver == NULL) {
		ma_spf_free(&spf);
		*error_r = "out of memory";
		return NULL;
	}
	spf->cfg.default_explanation = spf->default_explanation;
	spf->cfg.receiver = spf->receiver;
	return spf;
}

void
ma_spf_free(struct ma_spf **spfp)
{
	struct ma_spf *spf = *spfp;

	if (spf == NULL)
		return;
	free(spf->default_explanation);
	free(spf->receiver);
	free(spf);
	*spfp = NULL;
}

static enum ma_spf_result
finish(struct ma_spf_verdict *v, enum ma_spf_result r, const char *why)
{
	v->result = r;
	if (why != NULL)
		snprintf(v->reason, sizeof(v->reason), "%s", why);
	return r;
}

/*
 * Printable ASCII only (and SP: a quoted local-part may hold spaces,
 * RFC 5321 4.1.2), no NUL before len: what can be an SMTP identity. The
 * domain is checked more strictly later.
 */
static bool
clean_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/*
 * RFC 7208 2.4 / 4.3: split the sender into local-part and domain. A
 * missing local-part is "postmaster"; the null sender is postmaster@HELO.
 */
static int
build_identity(const char *helo, const char *mail_from,
	       enum ma_spf_identity identity, char *sender, size_t sender_size,
	       char *local, size_t local_size, const char **domain_r)
{
	const char *at;
	size_t len;

	if (identity == MA_SPF_ID_HELO || mail_from == NULL ||
	    mail_from[0] == '\0' || strcmp(mail_from, "<>") == 0) {
		if (snprintf(sender, sender_size, "postmaster@%s", helo) >=
		    (int)sender_size)
			return -1;
		snprintf(local, local_size, "postmaster");
		*domain_r = helo;
		return 0;
	}
	len = strlen(mail_from);
	if (len >= 2 && mail_from[0] == '<' && mail_from[len - 1] == '>') {
		mail_from++;
		len -= 2;
	}
	if (len + 2 > SPF_MAX_PATH || len >= sender_size ||
	    !clean_ascii(mail_from, len))
		return -1;
	at = memrchr(mail_from, '@', len);
	if (at == NULL || at == mail_from) {
		const char *dom = at ? at + 1 : mail_from;
		size_t dlen = len - (size_t)(dom - mail_from);
		snprintf(local, local_size, "postmaster");
		if (snprintf(sender, sender_size, "postmaster@%.*s", (int)dlen,
			     dom) >= (int)sender_size)
			return -1;
	} else {
		size_t llen = (size_t)(at - mail_from);
		if (llen >= local_size)
			return -1;
		memcpy(local, mail_from, llen);
		local[llen] = '\0';
		memcpy(sender, mail_from, len);
		sender[len] = '\0';
	}
	*domain_r = strrchr(sender, '@') + 1;
	return 0;
}

enum ma_spf_result
ma_spf_check(struct ma_spf *spf, const char *client_ip, const char *helo,
	     const char *mail_from, enum ma_spf_identity identity,
	     struct ma_spf_verdict *v)
{
	char sender[SPF_MAX_SENDER], local[SPF_MAX_SENDER];
	const char *domain, *error;
	struct spf_ip ip;
	struct spf_query q;
	struct spf_dns dns;
	enum ma_spf_result r;

	memset(v, 0, sizeof(*v));
	v->identity = identity;
	if (helo == NULL)
		helo = "";
	if (strlen(helo) > SPF_MAX_SENDER / 2 || !clean_ascii(helo, strlen(helo)))
		helo = "";
	if (spf == NULL)
		return finish(v, MA_SPF_INTERNAL, "no SPF context");

	/* Sanity check: no address, no check (RFC 7208 2.6.7). */
	if (spf_ip_parse(client_ip, &ip) < 0)
		return finish(v, MA_SPF_PERMERROR, "unparsable client address");

	if (build_identity(helo, mail_from, identity, sender, sizeof(sender),
			   local, sizeof(local), &domain) < 0)
		return finish(v, MA_SPF_NONE,
			      "unusable sender (over RFC 5321 256 octets, or not ASCII)");
	snprintf(v->domain, sizeof(v->domain), "%s", domain);

	/* RFC 7208 4.3: malformed or single-label domain, domain literal */
	if (!spf_domain_valid(domain, strlen(domain)) ||
	    strspn(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_.") != strlen(domain))
		return finish(v, MA_SPF_NONE, "no usable domain (RFC 7208 4.3)");

	if (spf->cfg.engine == MA_SPF_ENGINE_LIBSPF2) {
		r = spf->cfg.libspf2_check(&ip, helo, sender,
					   spf->cfg.default_explanation, v);
		if (r != MA_SPF_FAIL)
			v->explanation[0] = '\0';
		return r;
	}
	if (spf_dns_open(&dns, spf->cfg.dns_timeout_ms,
			 spf->cfg.total_timeout_ms, &error) < 0)
		return finish(v, MA_SPF_INTERNAL, error);
	q = (struct spf_query) {
		.ip = &ip,
		.sender = sender,
		.local = local,
		.sender_domain = domain,
		.helo = helo,
		.receiver = spf->cfg.receiver,
		.default_explanation = spf->cfg.default_explanation,
		.limits = { spf->cfg.dns_term_limit, spf->cfg.void_limit },
	};
	r = spf_eval_check_host(&dns, &q, domain, v);
	spf_dns_close(&dns);
	if (r != MA_SPF_FAIL)
		v->explanation[0] = '\0';
	return r;
}
