/*++
 * NAME
 *	decide 3h
 * SUMMARY
 *	messec-milter-auth decision logic, free of libmilter types
 * SYNOPSIS
 *	#include "decide.h"
 * DESCRIPTION
 *	ma_decide() maps the authentication results of one message (SPF,
 *	every DKIM signature, DMARC), the message's circumstances (SMTP AUTH,
 *	internal network, allowlist, internal errors, From header count,
 *	limits) and the configured actions to one action plus the SMTP reply
 *	text and the Authentication-Results content (RFC 8601).
 *
 *	Order of precedence (first match wins):
 *	1. outbound (SMTP AUTH or internal network): accept, no A-R;
 *	2. internal error (library failure, out of memory): internal action
 *	   (default tempfail 451 4.7.0), never a silent accept or reject;
 *	3. allowlisted (trusted network or domain): accept + A-R (results
 *	   recorded, nothing enforced);
 *	4. header limits exceeded: limits action (default reject);
 *	5. no From / several From domains (RFC 7489 section 6.6.1):
 *	   missing_from / multiple_from action (default reject);
 *	6. DMARC temperror, or DMARC fail while an aligned SPF/DKIM check
 *	   had a DNS temperror: temperror action (default accept + A-R);
 *	7. DMARC fail: the action for the applied policy (reject,
 *	   quarantine, none), after pct and sp (dmarc.h);
 *	8. otherwise accept + A-R.
 *--*/
#ifndef MA_DECIDE_H
#define MA_DECIDE_H

#include <stddef.h>
#include <messec/spf.h>
#include "dkim_verify.h"
#include "dmarc.h"
#include "authres.h"

enum ma_action {
	MA_ACTION_ACCEPT = 0,	/* deliver, with A-R */
	MA_ACTION_TAG,		/* deliver, with A-R and the tag header */
	MA_ACTION_QUARANTINE,	/* deliver to Postfix's hold queue */
	MA_ACTION_REJECT,	/* 5xx */
	MA_ACTION_TEMPFAIL,	/* 4xx */
};

enum ma_from_state {
	MA_FROM_NONE = 0,	/* no From field or no parsable address */
	MA_FROM_ONE,		/* one From field, one domain */
	MA_FROM_MULTI,		/* several From fields or several domains */
};

/* The configured actions (config.c fills this from the table). */
struct ma_decide_policy {
	enum ma_action dmarc_reject;		/* default reject */
	enum ma_action dmarc_quarantine;	/* default quarantine */
	enum ma_action dmarc_none;		/* default accept */
	enum ma_action temperror;		/* default accept (or tempfail) */
	enum ma_action internal_error;		/* default tempfail (or accept) */
	enum ma_action limits;			/* default reject */
	enum ma_action missing_from;		/* default reject */
	int multiple_from_first;		/* 1: evaluate the first domain */
	enum ma_action multiple_from;		/* when !multiple_from_first */
};

#define MA_DECIDE_MAX_DKIM 32

struct ma_decide_input {
	int authenticated;		/* {auth_authen} was set */
	int internal_network;		/* client in internal_networks */
	int allowlisted;		/* trusted network or domain */
	int internal_error;		/* a library call failed */
	const char *internal_error_text;	/* for the log (may be NULL) */
	int limits_exceeded;		/* header count/bytes over the cap */
	enum ma_from_state from_state;
	const char *from_domain;	/* first From domain (lower case) or "" */
	const struct ma_spf_verdict *spf;	/* NULL: not evaluated */
	const char *spf_property;	/* "smtp.mailfrom" or "smtp.helo" */
	const char *spf_value;
	size_t n_dkim;
	const struct ma_dkim_sig *const *dkim;	/* n_dkim pointers */
	const struct ma_dmarc_verdict *dmarc;	/* NULL: not evaluated */
};

struct ma_decision {
	enum ma_action action;
	int add_ar;			/* insert our A-R header */
	char reply_code[4];		/* "550", "451" ("" when none) */
	char reply_xcode[8];		/* "5.7.1" */
	char reply_text[320];		/* sanitised, no '%', no CR/LF */
	const char *reason;		/* short word for the log */
	struct ma_authres ar;		/* points into input and dkim[] */
	struct ma_authres_dkim dkim[MA_DECIDE_MAX_DKIM];
	char spf_result_text[16];
	char dmarc_from[256];
};

/* Fill *policy_r with the safe defaults listed above. */
void ma_decide_policy_defaults(struct ma_decide_policy *policy_r);

/* authserv_id must outlive *dec_r; max_ar_dkim caps the DKIM entries of
   the A-R (<= MA_DECIDE_MAX_DKIM). Always fills *dec_r. */
void ma_decide(const struct ma_decide_policy *policy, const struct ma_decide_input *in,
	       const char *authserv_id, unsigned max_ar_dkim, struct ma_decision *dec_r);

/* The text of every tempfail that is no DNS temporary failure. */
#define MA_TEMPFAIL_TEXT "temporary authentication failure, try again later"

/* Turn dec into a tempfail (451 4.7.0, MA_TEMPFAIL_TEXT) with reason, e.g.
   when applying an accepted decision failed. The one tempfail reply of
   the milter, with set_reply's in decide.c. */
void ma_decide_tempfail(struct ma_decision *dec, const char *reason);

/* The one name function of enum ma_action (log, metrics, config words). */
const char *ma_action_name(enum ma_action action);
/* Parse "accept", "tag", "quarantine", "reject", "tempfail"; 0 ok, -1. */
int ma_action_parse(const char *name, enum ma_action *action_r);

/* 1 when domain equals an entry of the NULL-terminated list or is a
   subdomain of one (case-insensitive); 0 otherwise or for NULL/"" input. */
int ma_decide_domain_listed(const char *const *list, const char *domain);
/* 1 when auth_domain is org_domain or a subdomain of it (relaxed
   alignment once org_domain is known, RFC 7489 section 3.1). */
int ma_decide_relaxed_aligned(const char *org_domain, const char *auth_domain);

#endif
