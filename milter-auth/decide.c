/*++
 * NAME
 *	decide 3
 * SUMMARY
 *	messec-milter-auth decision logic (pure: no libmilter, no I/O)
 * SYNOPSIS
 *	#include "messec/str.h"
#include "decide.h"
 *
 *	void ma_decide(policy, in, authserv_id, max_ar_dkim, dec_r)
 * DESCRIPTION
 *	See decide.h for the order of precedence. This file turns verdicts
 *	into an action, an SMTP reply and the Authentication-Results content;
 *	milter.c applies them. Being free of libmilter, it is unit tested
 *	case by case (milter-auth/tests/test_decide.c).
 *
 *	Trust boundary: the From domain and DKIM/SPF domains come from the
 *	message (attacker controlled). They reach the SMTP reply text only
 *	through reply_safe(), which keeps domain characters and drops the
 *	rest ('%' is special to smfi_setreply, CR/LF would split the reply).
 * STANDARDS
 *	RFC 7489 (DMARC) sections 6.6.1, 6.6.2, 6.6.4, 6.7; RFC 8601
 *	(Authentication-Results) section 2.7; RFC 3463/RFC 7372 status codes.
 *--*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "messec/str.h"
#include "decide.h"

static const char *const action_names[] = {
	[MA_ACTION_ACCEPT] = "accept",
	[MA_ACTION_TAG] = "tag",
	[MA_ACTION_QUARANTINE] = "quarantine",
	[MA_ACTION_REJECT] = "reject",
	[MA_ACTION_TEMPFAIL] = "tempfail",
};

const char *ma_action_name(enum ma_action action)
{
	if ((unsigned) action < sizeof(action_names) / sizeof(action_names[0]))
		return action_names[action];
	return "unknown";
}

int ma_action_parse(const char *name, enum ma_action *action_r)
{
	unsigned i;

	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (name != NULL && strcasecmp(name, action_names[i]) == 0) {
			*action_r = (enum ma_action) i;
			return 0;
		}
	}
	return -1;
}

void ma_decide_policy_defaults(struct ma_decide_policy *policy_r)
{
	memset(policy_r, 0, sizeof(*policy_r));
	policy_r->dmarc_reject = MA_ACTION_REJECT;
	policy_r->dmarc_quarantine = MA_ACTION_QUARANTINE;
	policy_r->dmarc_none = MA_ACTION_ACCEPT;
	policy_r->temperror = MA_ACTION_ACCEPT;
	policy_r->internal_error = MA_ACTION_TEMPFAIL;
	policy_r->limits = MA_ACTION_REJECT;
	policy_r->missing_from = MA_ACTION_REJECT;
	policy_r->multiple_from_first = 0;
	policy_r->multiple_from = MA_ACTION_REJECT;
}

/*
 * RFC 8601 section 2.7 result words come from each module's one name
 * function (ma_spf_result_name, ma_dkim_result_name, ...). SPF's
 * "internal" is no A-R word: an internal error is decided before the A-R
 * is built, and should one slip through it is written as temperror.
 */
static const char *spf_ar_word(enum ma_spf_result r)
{
	return r == MA_SPF_INTERNAL ? "temperror" : ma_spf_result_name(r);
}

/*
 * Copy a domain-ish string for an SMTP reply: letters, digits, '.', '-',
 * '_' and '@' are kept, anything else becomes '?', at most 100 chars.
 */
static void reply_safe(char *dst, size_t size, const char *src)
{
	size_t i, n = 0;

	if (src == NULL)
		src = "";
	for (i = 0; src[i] != '\0' && n + 1 < size && n < 100; i++) {
		unsigned char c = (unsigned char) src[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '@')
			dst[n++] = (char) c;
		else
			dst[n++] = '?';
	}
	dst[n] = '\0';
}

static int domain_under(const char *domain, const char *parent)
{
	size_t dl, pl;

	if (domain == NULL || parent == NULL || *domain == '\0' || *parent == '\0')
		return 0;
	dl = strlen(domain);
	pl = strlen(parent);
	if (dl == pl)
		return strcasecmp(domain, parent) == 0;
	return dl > pl && domain[dl - pl - 1] == '.' &&
	    strcasecmp(domain + dl - pl, parent) == 0;
}

int ma_decide_domain_listed(const char *const *list, const char *domain)
{
	if (list == NULL || domain == NULL || *domain == '\0')
		return 0;
	for (; *list != NULL; list++) {
		const char *entry = *list;

		/* "*.example.org" and ".example.org" mean the same as "example.org" */
		if (entry[0] == '*' && entry[1] == '.')
			entry += 2;
		else if (entry[0] == '.')
			entry += 1;
		if (domain_under(domain, entry))
			return 1;
	}
	return 0;
}

int ma_decide_relaxed_aligned(const char *org_domain, const char *auth_domain)
{
	return domain_under(auth_domain, org_domain);
}

/* The one place a tempfail reply is built (set_reply, ma_decide_tempfail). */
static void tempfail_reply(struct ma_decision *dec, const char *text)
{
	int n;

	/* RFC 3463 section 3.8: X.7.0 other or undefined security status */
	str_copy(dec->reply_code, "451", sizeof(dec->reply_code));
	str_copy(dec->reply_xcode, "4.7.0", sizeof(dec->reply_xcode));
	n = snprintf(dec->reply_text, sizeof(dec->reply_text), "%s", text);
	if (n < 0 || (size_t) n >= sizeof(dec->reply_text))
		dec->reply_text[sizeof(dec->reply_text) - 1] = '\0';
}

/* Set the SMTP reply of a reject or tempfail; other actions have none. */
static void set_reply(struct ma_decision *dec, const char *reject_code,
		      const char *reject_xcode, const char *reject_text,
		      const char *temp_text)
{
	int n = 0;

	dec->reply_code[0] = dec->reply_xcode[0] = dec->reply_text[0] = '\0';
	if (dec->action == MA_ACTION_REJECT) {
		snprintf(dec->reply_code, sizeof(dec->reply_code), "%s", reject_code);
		snprintf(dec->reply_xcode, sizeof(dec->reply_xcode), "%s", reject_xcode);
		n = snprintf(dec->reply_text, sizeof(dec->reply_text), "%s", reject_text);
	} else if (dec->action == MA_ACTION_TEMPFAIL) {
		tempfail_reply(dec, temp_text);
		return;
	}
	if (n < 0 || (size_t) n >= sizeof(dec->reply_text))
		dec->reply_text[sizeof(dec->reply_text) - 1] = '\0';
}

void ma_decide_tempfail(struct ma_decision *dec, const char *reason)
{
	dec->action = MA_ACTION_TEMPFAIL;
	dec->reason = reason;
	tempfail_reply(dec, MA_TEMPFAIL_TEXT);
}

/* Fill the A-R content from the verdicts (RFC 8601 section 2.7). */
static void fill_authres(const struct ma_decide_input *in, const char *authserv_id,
			 unsigned max_ar_dkim, struct ma_decision *dec)
{
	struct ma_authres *ar = &dec->ar;
	size_t i, n;

	memset(ar, 0, sizeof(*ar));
	ar->authserv_id = authserv_id;
	if (in->spf != NULL) {
		ar->spf_result = spf_ar_word(in->spf->result);
		ar->spf_property = in->spf_property != NULL ? in->spf_property : "smtp.mailfrom";
		ar->spf_value = in->spf_value != NULL ? in->spf_value : in->spf->domain;
		ar->spf_reason = in->spf->reason[0] != '\0' ? in->spf->reason : NULL;
	}
	n = in->n_dkim;
	if (max_ar_dkim > MA_DECIDE_MAX_DKIM)
		max_ar_dkim = MA_DECIDE_MAX_DKIM;
	if (n > max_ar_dkim)
		n = max_ar_dkim;
	for (i = 0; i < n; i++) {
		const struct ma_dkim_sig *sig = in->dkim[i];

		dec->dkim[i].result = ma_dkim_result_name(sig->result);
		dec->dkim[i].domain = sig->domain;
		dec->dkim[i].selector = sig->selector;
		dec->dkim[i].algorithm = sig->algorithm;
		dec->dkim[i].b_prefix = sig->b_prefix;
		dec->dkim[i].reason = sig->reason[0] != '\0' ? sig->reason : NULL;
	}
	ar->n_dkim = n;
	ar->dkim = dec->dkim;
	if (in->dmarc != NULL) {
		ar->dmarc_result = ma_dmarc_result_name(in->dmarc->result);
		snprintf(dec->dmarc_from, sizeof(dec->dmarc_from), "%s",
			 in->dmarc->from_domain[0] != '\0' ? in->dmarc->from_domain :
			 (in->from_domain != NULL ? in->from_domain : ""));
		ar->dmarc_from = dec->dmarc_from[0] != '\0' ? dec->dmarc_from : NULL;
		/* no p= in the A-R when the record had none */
		ar->dmarc_policy = in->dmarc->policy == MA_DMARC_POLICY_UNSPECIFIED ? NULL :
		    ma_dmarc_policy_name(in->dmarc->policy);
	} else if (in->from_state != MA_FROM_ONE) {
		/* RFC 7489 section 6.6.1: no usable From, no evaluation */
		ar->dmarc_result = "permerror";
		snprintf(dec->dmarc_from, sizeof(dec->dmarc_from), "%s",
			 in->from_domain != NULL ? in->from_domain : "");
		ar->dmarc_from = dec->dmarc_from[0] != '\0' ? dec->dmarc_from : NULL;
	}
}

/*
 * A DMARC fail is uncertain when an identifier that could have aligned
 * had a DNS temporary error: RFC 7489 section 6.6.2 lets the receiver
 * defer. Only aligned identifiers count, so a sender cannot dodge p=reject
 * by adding a signature whose key lookup times out on its own domain.
 */
static int fail_is_uncertain(const struct ma_decide_input *in)
{
	const char *org = in->dmarc->org_domain[0] != '\0' ? in->dmarc->org_domain :
	    in->dmarc->from_domain;
	size_t i;

	if (in->spf != NULL && in->spf->result == MA_SPF_TEMPERROR &&
	    ma_decide_relaxed_aligned(org, in->spf->domain))
		return 1;
	for (i = 0; i < in->n_dkim; i++) {
		if (in->dkim[i]->result == MA_DKIM_TEMPERROR &&
		    ma_decide_relaxed_aligned(org, in->dkim[i]->domain))
			return 1;
	}
	return 0;
}

static void decide_dmarc(const struct ma_decide_policy *policy,
			 const struct ma_decide_input *in, struct ma_decision *dec)
{
	char dom[128], text[256];
	const struct ma_dmarc_verdict *v = in->dmarc;

	reply_safe(dom, sizeof(dom), v->from_domain[0] != '\0' ? v->from_domain : in->from_domain);
	snprintf(text, sizeof(text), "DNS temporary failure while checking DMARC for %s, "
		 "try again later", dom);
	if (v->result == MA_DMARC_TEMPERROR ||
	    (v->result == MA_DMARC_FAIL && fail_is_uncertain(in))) {
		dec->action = policy->temperror;
		dec->reason = "temperror";
		set_reply(dec, "550", "5.7.1", text, text);
		return;
	}
	if (v->result != MA_DMARC_FAIL) {
		dec->action = MA_ACTION_ACCEPT;
		dec->reason = v->result == MA_DMARC_PASS ? "dmarc-pass" : "no-dmarc-fail";
		return;
	}
	/* RFC 7489 section 6.6.4: pct already mapped to the applied policy */
	switch (v->applied) {
	case MA_DMARC_POLICY_REJECT:
		dec->action = policy->dmarc_reject;
		dec->reason = "dmarc-reject";
		break;
	case MA_DMARC_POLICY_QUARANTINE:
		dec->action = policy->dmarc_quarantine;
		dec->reason = "dmarc-quarantine";
		break;
	default:
		dec->action = policy->dmarc_none;
		dec->reason = "dmarc-none";
		break;
	}
	snprintf(text, sizeof(text), "Unauthenticated email from %s is not accepted "
		 "due to the domain's DMARC policy", dom);
	set_reply(dec, "550", "5.7.1", text, text);
}

void ma_decide(const struct ma_decide_policy *policy, const struct ma_decide_input *in,
	       const char *authserv_id, unsigned max_ar_dkim, struct ma_decision *dec)
{
	memset(dec, 0, sizeof(*dec));

	/*
	 * Outbound: authenticated submission or an internal network. Not
	 * verified and not labelled (DKIM signing is a later stage).
	 */
	if (in->authenticated || in->internal_network) {
		/*
		 * Fields past max_headers/max_header_bytes were not seen, so
		 * the clean stage cannot remove a leaking one and the signer
		 * cannot sign: the sender shaped that header block and a retry
		 * sends the same one, so a permanent refusal (tempfail only if
		 * the admin chose it for limits; accept would leak).
		 */
		if (in->limits_exceeded) {
			dec->action = policy->limits == MA_ACTION_TEMPFAIL ?
			    MA_ACTION_TEMPFAIL : MA_ACTION_REJECT;
			dec->reason = "limits";
			set_reply(dec, "552", "5.3.4", "message header too large to clean and sign",
				  "message header too large to clean and sign, try again later");
			return;
		}
		dec->action = MA_ACTION_ACCEPT;
		dec->reason = in->authenticated ? "outbound-auth" : "outbound-internal";
		return;
	}

	/* An error never becomes pass or reject: the configured action. */
	if (in->internal_error) {
		dec->action = policy->internal_error;
		dec->reason = "internal-error";
		set_reply(dec, "550", "5.7.0", "message could not be authenticated",
			  MA_TEMPFAIL_TEXT);
		return;		/* no trustworthy results: no A-R either */
	}

	fill_authres(in, authserv_id, max_ar_dkim, dec);
	dec->add_ar = 1;

	/* Trusted forwarders: results are recorded, nothing is enforced. */
	if (in->allowlisted) {
		dec->action = MA_ACTION_ACCEPT;
		dec->reason = "allowlisted";
		return;
	}

	if (in->limits_exceeded) {
		dec->action = policy->limits;
		dec->reason = "limits";
		set_reply(dec, "552", "5.3.4", "message header too large to authenticate",
			  "message header too large to authenticate, try again later");
		return;
	}

	if (in->from_state == MA_FROM_NONE) {
		dec->action = policy->missing_from;
		dec->reason = "no-from";
		set_reply(dec, "550", "5.7.1", "message has no valid From header field "
			  "(RFC 5322 section 3.6.2)", "message has no valid From header field");
		return;
	}
	if (in->from_state == MA_FROM_MULTI && !policy->multiple_from_first) {
		dec->action = policy->multiple_from;
		dec->reason = "multiple-from";
		set_reply(dec, "550", "5.7.1", "message has several From domains "
			  "(RFC 7489 section 6.6.1)", "message has several From domains");
		return;
	}

	if (in->dmarc == NULL) {
		dec->action = MA_ACTION_ACCEPT;
		dec->reason = "no-dmarc";
		return;
	}
	decide_dmarc(policy, in, dec);
}
