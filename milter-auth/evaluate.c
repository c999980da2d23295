/*++
 * NAME
 *	evaluate 3
 * SUMMARY
 *	messec-milter-auth end-of-message checks: SPF, DKIM, DMARC, allowlist
 * SYNOPSIS
 *	#include "evaluate.h"
 *
 *	void ma_evaluate(conn, msg, ev)
 * DESCRIPTION
 *	Called once per message at end of data, after every header and body
 *	chunk went to the DKIM verifier. Runs SPF on the envelope (RFC 7208:
 *	MAIL FROM, or the HELO identity for the null sender, section 2.4),
 *	collects every DKIM signature result, works out the From domain
 *	(RFC 7489 section 6.6.1), evaluates DMARC, checks the allowlist, and
 *	calls ma_decide(). Outbound mail skips all of it.
 *
 *	Trust boundary: envelope, HELO and header values are the peer's. The
 *	modules parse them; this file only passes them on and compares
 *	domains.
 *
 *	Any module reporting an internal failure marks the message
 *	(ma_msg_error), and ma_decide() then applies internal_error_action
 *	(tempfail by default): an error is never a pass or a reject.
 *--*/
#include <stdio.h>
#include <string.h>
#include "messec/str.h"
#include "messec/cidr.h"
#include "evaluate.h"
#include <messec/spf.h>
#include "dkim_verify.h"
#include "dmarc.h"

void ma_msg_error(struct ma_msg *msg, const char *what, const char *error)
{
	if (!msg->internal_error)
		snprintf(msg->error_text, sizeof(msg->error_text), "%s: %s", what,
			 error != NULL ? error : "failed");
	msg->internal_error = 1;
}

void ma_conn_set_helo(struct ma_conn *conn, const char *helo)
{
	/* An overlong HELO is not used at all (never a part of it, issue 14). */
	conn->helo_cut = str_copy(conn->helo, helo != NULL ? helo : "",
				  sizeof(conn->helo)) >= sizeof(conn->helo);
	if (conn->helo_cut)
		conn->helo[0] = '\0';
}

void ma_msg_set_mail_from(struct ma_msg *msg, const char *arg)
{
	const char *from = arg != NULL ? arg : "";
	size_t len;

	while (*from == ' ')
		from++;
	if (*from == '<')
		from++;
	len = strcspn(from, ">");
	msg->mail_from_cut = len >= sizeof(msg->mail_from);
	if (msg->mail_from_cut)
		len = 0;	/* RFC 5321 4.5.3.1.3: 256 max; longer is unusable, not cut */
	memcpy(msg->mail_from, from, len);
	msg->mail_from[len] = '\0';
}

/* RFC 7208 section 2.4: the null sender is checked as postmaster@HELO. */
static void run_spf(struct ma_conn *conn, struct ma_msg *msg, struct ma_eval *ev)
{
	const char *at;

	memset(&ev->spf, 0, sizeof(ev->spf));
	if (msg->mail_from[0] == '\0') {
		ev->spf_property = "smtp.helo";
		str_copy(ev->spf_value, conn->helo, sizeof(ev->spf_value));
	} else {
		ev->spf_property = "smtp.mailfrom";
		at = strrchr(msg->mail_from, '@');
		str_copy(ev->spf_value, at != NULL ? at + 1 : msg->mail_from, sizeof(ev->spf_value));
	}
	if (msg->mail_from_cut || (msg->mail_from[0] == '\0' && conn->helo_cut)) {
		/* An identity too long to hold is unusable, never cut (issue 14). */
		ev->spf.result = MA_SPF_NONE;
		ev->spf_value[0] = '\0';
		snprintf(ev->spf.reason, sizeof(ev->spf.reason), "%s too long",
			 msg->mail_from_cut ? "MAIL FROM" : "HELO");
	} else if (conn->client_ip[0] == '\0') {
		/* No client address (e.g. MAIL with no CONNECT): nothing to check. */
		ev->spf.result = MA_SPF_NONE;
		str_copy(ev->spf.domain, ev->spf_value, sizeof(ev->spf.domain));
		snprintf(ev->spf.reason, sizeof(ev->spf.reason), "no client address");
	} else {
		ma_spf_check(msg->cfg->spf, conn->client_ip, conn->helo, msg->mail_from,
			     MA_SPF_ID_MAILFROM, &ev->spf);
		if (ev->spf.result == MA_SPF_INTERNAL)
			ma_msg_error(msg, "spf", ev->spf.reason);
	}
	ev->spf_done = 1;
}

static void finish_dkim(struct ma_msg *msg, struct ma_eval *ev)
{
	const char *error = NULL;
	size_t i, n;

	ev->n_dkim = ev->n_dkim_total = 0;
	if (msg->dkim == NULL || msg->internal_error)
		return;
	if (ma_dkim_verify_eom(msg->dkim, &error) != 0) {
		ma_msg_error(msg, "dkim", error);
		return;
	}
	n = ma_dkim_verify_count(msg->dkim);
	ev->n_dkim_total = n;
	for (i = 0; i < n && ev->n_dkim < MA_DECIDE_MAX_DKIM; i++) {
		const struct ma_dkim_sig *sig = ma_dkim_verify_sig(msg->dkim, i);

		if (sig != NULL)
			ev->dkim[ev->n_dkim++] = sig;
	}
}

/* RFC 7489 section 6.6.1: exactly one From field with one domain. */
static void find_from(struct ma_msg *msg, struct ma_eval *ev)
{
	int multi = 0, n;
	size_t count = msg->book != NULL ? ma_hdrbook_from_count(msg->book) : 0;

	ev->from_domain[0] = '\0';
	ev->from_state = MA_FROM_NONE;
	if (count == 0)
		return;
	/* A From value too long to keep whole is no usable From (issue 14). */
	if (!ma_hdrbook_from_usable(msg->book)) {
		ev->from_state = count > 1 ? MA_FROM_MULTI : MA_FROM_NONE;
		return;
	}
	n = ma_dmarc_from_domain(ma_hdrbook_first_from(msg->book), ev->from_domain,
				 sizeof(ev->from_domain), &multi);
	if (n <= 0 || ev->from_domain[0] == '\0') {
		ev->from_domain[0] = '\0';
		ev->from_state = count > 1 ? MA_FROM_MULTI : MA_FROM_NONE;
		return;
	}
	ev->from_state = (count > 1 || multi) ? MA_FROM_MULTI : MA_FROM_ONE;
}

static void run_dmarc(struct ma_msg *msg, struct ma_eval *ev)
{
	const char *pass_domains[MA_DECIDE_MAX_DKIM];
	struct ma_dmarc_input din;
	size_t i, n = 0;

	for (i = 0; i < ev->n_dkim; i++)
		if (ev->dkim[i]->result == MA_DKIM_PASS)
			pass_domains[n++] = ev->dkim[i]->domain;
	memset(&din, 0, sizeof(din));
	din.from_domain = ev->from_domain;
	din.spf_domain = ev->spf.domain[0] != '\0' ? ev->spf.domain : ev->spf_value;
	din.spf_pass = ev->spf.result == MA_SPF_PASS;
	din.n_dkim_pass = n;
	din.dkim_pass_domains = pass_domains;
	ma_dmarc_evaluate(msg->cfg->dmarc, &din, &ev->dmarc);
	ev->dmarc_done = 1;
}

/*
 * Trusted forwarders: a trusted network, or a trusted domain that is
 * authenticated somehow -- the client's host name as verified by Postfix
 * (forward-confirmed reverse DNS; "[ip]" or "unknown" otherwise), the
 * MAIL FROM domain with SPF pass, or the d= of a passing signature.
 */
static int allowlisted(const struct ma_conn *conn, const struct ma_config *cfg,
		       const struct ma_eval *ev)
{
	size_t i;

	if (conn->client_ip[0] != '\0' &&
	    cidr_list_match_str(cfg->trusted_networks, conn->client_ip))
		return 1;
	if (cfg->trusted_domains == NULL || cfg->trusted_domains[0] == NULL)
		return 0;
	if (conn->client_name[0] != '[' &&
	    ma_decide_domain_listed(cfg->trusted_domains, conn->client_name))
		return 1;
	if (ev->spf.result == MA_SPF_PASS &&
	    ma_decide_domain_listed(cfg->trusted_domains, ev->spf.domain))
		return 1;
	for (i = 0; i < ev->n_dkim; i++)
		if (ev->dkim[i]->result == MA_DKIM_PASS &&
		    ma_decide_domain_listed(cfg->trusted_domains, ev->dkim[i]->domain))
			return 1;
	return 0;
}

void ma_evaluate(struct ma_conn *conn, struct ma_msg *msg, struct ma_eval *ev)
{
	struct ma_decide_input *in = &ev->in;

	memset(ev, 0, sizeof(*ev));
	in->authenticated = msg->authenticated;
	in->internal_network = msg->internal_network;
	if (!msg->outbound) {
		finish_dkim(msg, ev);
		find_from(msg, ev);
		if (!msg->internal_error)
			run_spf(conn, msg, ev);
		if (!msg->internal_error && (ev->from_state == MA_FROM_ONE ||
		    (ev->from_state == MA_FROM_MULTI && msg->cfg->policy.multiple_from_first)))
			run_dmarc(msg, ev);
		ev->allowlisted = allowlisted(conn, msg->cfg, ev);
	}
	in->allowlisted = ev->allowlisted;
	in->internal_error = msg->internal_error;
	in->internal_error_text = msg->error_text;
	in->limits_exceeded = msg->book != NULL && ma_hdrbook_limits_exceeded(msg->book);
	in->from_state = ev->from_state;
	in->from_domain = ev->from_domain;
	in->spf = ev->spf_done ? &ev->spf : NULL;
	in->spf_property = ev->spf_property;
	in->spf_value = ev->spf_value;
	in->n_dkim = ev->n_dkim;
	in->dkim = ev->dkim;
	in->dmarc = ev->dmarc_done ? &ev->dmarc : NULL;
	ma_decide(&msg->cfg->policy, in, msg->cfg->authserv_id, msg->cfg->max_ar_dkim,
		  &ev->dec);
}
