/*++
 * NAME
 *	stage 3
 * SUMMARY
 *	messec-milter-auth per-message stages: unforge, verify
 * SYNOPSIS
 *	#include "stage.h"
 * DESCRIPTION
 *	unforge (every message): at end of message, delete every
 *	Authentication-Results field that claims our authserv-id and every
 *	copy of our tag header (the header book, hdrbook.h, lists them;
 *	highest index first). Outbound mail is cleaned too, so a forged A-R
 *	never reaches a mailbox by way of submission.
 *
 *	verify (inbound: not SMTP AUTH, not internal_networks): streams the
 *	headers and body to the DKIM verifier (nothing is buffered here);
 *	at end of message inserts our one A-R at the top and, for the tag
 *	action, the tag header, and quarantines when decided.
 *
 *	clean (outbound): records the header fields to delete (clean.h:
 *	the Received fields of earlier internal hops, and
 *	outbound_remove_headers: X-Originating-IP, User-Agent, X-Mailer...)
 *	and deletes them at end of message, before signing (ANSSI R36). A
 *	message whose header went over the caps cannot be cleaned for sure:
 *	it is tempfailed.
 *
 *	sign (outbound: SMTP AUTH or internal_networks, with signing keys):
 *	keeps the header fields (dkim_sign.h) until the end of the header,
 *	where the From domain is known; a message with exactly one From
 *	domain in the signing table is signed with every key of its d=, and
 *	at end of message the DKIM-Signature fields go on top. A message
 *	that should be signed and cannot be (library failure, header block
 *	over the limits) is tempfailed, not sent unsigned.
 *
 *	report (inbound, with dmarc_report_store): for every message whose
 *	DMARC evaluation found a policy record, whatever the decision,
 *	records it for the aggregate reports (dmarc_report.h), through the
 *	writer thread (dmarc_report_writer.h: batches, one commit each). A
 *	store failure is logged and changes nothing.
 *
 *	Trust boundary: header names and values are the peer's; they go to
 *	libopendkim (dkim_verify.c) and the book, never into a reply.
 * STANDARDS
 *	RFC 8601 sections 5 and 7.1 (remove forged A-R, add ours on top).
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "messec/sbuf.h"
#include "messec/milter.h"
#include "messec/str.h"
#include "stage.h"
#include "authres.h"
#include "dkim_verify.h"
#include "dkim_sign.h"
#include "clean.h"
#include "dmarc_report.h"
#include "dmarc_report_writer.h"
#include <messec/spf.h>
#include "messec/log.h"
#include "dmarc.h"

#define AR_VALUE_MAX (16 * 1024)	/* our A-R value, folded */

static int always(const struct ma_msg *msg)
{
	(void) msg;
	return 1;
}

/* --- unforge ------------------------------------------------------------- */

static int unforge_eom(const struct ma_stage_call *c, const struct ma_eval *ev,
		       const char **reason_r, const char **error_r)
{
	size_t i, n = ma_hdrbook_delete_count(c->msg->book);
	const char *name;
	unsigned index;

	(void) ev;
	/* RFC 8601 section 5: delete every A-R claiming our authserv-id. */
	for (i = 0; i < n; i++) {
		ma_hdrbook_delete_get(c->msg->book, i, &name, &index);
		if (smfi_chgheader(c->ctx, (char *) name, (int) index, NULL) != MI_SUCCESS) {
			*reason_r = "header-change-failed";
			*error_r = "smfi_chgheader failed";
			return -1;
		}
	}
	return 0;
}

/* --- verify -------------------------------------------------------------- */

static int inbound(const struct ma_msg *msg)
{
	return !msg->outbound;
}

static int verify_begun(const struct ma_msg *msg)
{
	return msg->dkim != NULL;
}

static void verify_header(const struct ma_stage_call *c, const char *name, const char *value,
			  const char *raw)
{
	struct ma_msg *msg = c->msg;
	const char *error = NULL;

	if (msg->dkim == NULL) {
		/* Postfix assigns the queue id after the first valid RCPT
		   (smtpd_delay_open_until_valid_rcpt): not known at MAIL. */
		milter_queue_id(c->ctx, msg->queue_id, sizeof(msg->queue_id));
		msg->dkim = ma_dkim_verify_new(msg->cfg->dkim, msg->queue_id, &error);
	}
	if (msg->dkim == NULL) {
		ma_msg_error(msg, "dkim", error);
		return;
	}
	(void) value;
	/* raw: the library is configured with header_leadspc (config.c) */
	if (ma_dkim_verify_header(msg->dkim, name != NULL ? name : "",
				  raw != NULL ? raw : "", &error) != 0)
		ma_msg_error(msg, "dkim header", error);
}

static void verify_eoh(const struct ma_stage_call *c)
{
	const char *error = NULL;

	if (c->msg->dkim != NULL && ma_dkim_verify_eoh(c->msg->dkim, &error) != 0)
		ma_msg_error(c->msg, "dkim eoh", error);
}

static void verify_body(const struct ma_stage_call *c, const unsigned char *data, size_t len)
{
	const char *error = NULL;

	/* Streamed to the hash; nothing is buffered here. */
	if (c->msg->dkim != NULL && len > 0 &&
	    ma_dkim_verify_body(c->msg->dkim, data, len, &error) != 0)
		ma_msg_error(c->msg, "dkim body", error);
}

/*
 * libmilter wants LF, not CRLF, in a folded header value (the MTA adds
 * the CR); a bare CR would end up in the message.
 */
static void to_lf(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++)
		if (*s != '\r')
			*w++ = *s;
	*w = '\0';
}

static int verify_eom(const struct ma_stage_call *c, const struct ma_eval *ev,
		      const char **reason_r, const char **error_r)
{
	static char ar_name[] = MA_AR_NAME;
	static char quarantine_reason[] = "messec-milter-auth: DMARC policy quarantine";
	struct sbuf *buf;
	char tag[400];
	int ret = 0;

	*reason_r = "header-change-failed";
	if (ev->dec.add_ar) {
		buf = sbuf_new(AR_VALUE_MAX);
		if (ma_authres_build(&ev->dec.ar, buf) != 0) {
			*error_r = "Authentication-Results too long";
			ret = -1;
		} else {
			char *value = xstrdup(sbuf_str(buf));

			to_lf(value);
			/* RFC 8601 section 7.1: ours goes on top, above the Received: */
			if (milter_add_header(c->ctx, &c->conn->base, 0, ar_name, value) !=
			    MI_SUCCESS) {
				*error_r = "smfi_insheader failed";
				ret = -1;
			}
			free(value);
		}
		sbuf_free(&buf);
		if (ret == 0 && ev->dec.action == MA_ACTION_TAG) {
			snprintf(tag, sizeof(tag), "%s reason=%s header.from=%s",
				 ev->dec.ar.dmarc_result ? ev->dec.ar.dmarc_result : "none",
				 ev->dec.reason ? ev->dec.reason : "-", ev->dec.dmarc_from);
			if (milter_add_header(c->ctx, &c->conn->base, 0, c->msg->cfg->tag_header,
					      tag) != MI_SUCCESS) {
				*error_r = "smfi_insheader (tag) failed";
				ret = -1;
			}
		}
		if (ret != 0)
			return ret;
	}
	if (ev->dec.action == MA_ACTION_QUARANTINE &&
	    smfi_quarantine(c->ctx, quarantine_reason) != MI_SUCCESS) {
		*reason_r = "quarantine-failed";
		*error_r = "smfi_quarantine failed";
		return -1;
	}
	return 0;
}

/* --- clean --------------------------------------------------------------- */

static int outbound(const struct ma_msg *msg)
{
	return msg->outbound;
}

static int clean_begun(const struct ma_msg *msg)
{
	return msg->clean != NULL;
}

static void clean_header(const struct ma_stage_call *c, const char *name, const char *value,
			 const char *raw)
{
	struct ma_msg *msg = c->msg;

	(void) value;
	(void) raw;
	if (msg->clean == NULL)
		msg->clean = ma_clean_new(&msg->cfg->clean_rules);
	/* read by the sign stage, next in the list, for this same field */
	msg->header_dropped = ma_clean_header(msg->clean, name);
}

static int clean_eom(const struct ma_stage_call *c, const struct ma_eval *ev,
		     const char **reason_r, const char **error_r)
{
	struct ma_msg *msg = c->msg;
	const char *name;
	unsigned index;
	size_t i, n;

	(void) ev;
	if (ma_hdrbook_limits_exceeded(msg->book)) {
		/* fields past the caps were not seen: one could be a leak */
		*reason_r = "clean-failed";
		*error_r = "header block over the limits: cannot clean";
		return -1;
	}
	n = msg->clean != NULL ? ma_clean_count(msg->clean) : 0;
	for (i = 0; i < n; i++) {
		ma_clean_get(msg->clean, i, &name, &index);
		if (smfi_chgheader(c->ctx, (char *) name, (int) index, NULL) != MI_SUCCESS) {
			*reason_r = "header-change-failed";
			*error_r = "smfi_chgheader (clean) failed";
			return -1;
		}
	}
	return 0;
}

/* --- sign ---------------------------------------------------------------- */

static int outbound_signing(const struct ma_msg *msg)
{
	return msg->outbound && msg->cfg != NULL && msg->cfg->signer != NULL &&
		ma_dkim_signer_key_count(msg->cfg->signer) > 0;
}

static int sign_begun(const struct ma_msg *msg)
{
	return msg->sign != NULL;
}

static void sign_start(const struct ma_stage_call *c)
{
	struct ma_msg *msg = c->msg;

	if (msg->sign != NULL)
		return;
	milter_queue_id(c->ctx, msg->queue_id, sizeof(msg->queue_id));
	msg->sign = ma_dkim_sign_new(msg->cfg->signer, msg->queue_id,
				     (size_t) msg->cfg->max_header_bytes);
}

static void sign_header(const struct ma_stage_call *c, const char *name, const char *value,
			const char *raw)
{
	const char *error = NULL;

	(void) value;
	sign_start(c);
	if (c->msg->header_dropped)
		return;		/* the clean stage deletes it: never signed */
	if (ma_dkim_sign_header(c->msg->sign, name != NULL ? name : "",
				raw != NULL ? raw : "", &error) != 0)
		ma_msg_error(c->msg, "dkim sign header", error);
}

/* The d= for this message: one From field with one domain, in the table. */
static const char *sign_domain(const struct ma_msg *msg)
{
	char domain[256];
	int multi = 0;

	if (ma_hdrbook_from_count(msg->book) != 1 || !ma_hdrbook_from_usable(msg->book))
		return NULL;
	if (ma_dmarc_from_domain(ma_hdrbook_first_from(msg->book), domain, sizeof(domain),
				 &multi) <= 0 || multi)
		return NULL;
	return ma_dkim_signer_match(msg->cfg->signer, domain);
}

static void sign_eoh(const struct ma_stage_call *c)
{
	const char *error = NULL;

	sign_start(c);
	if (ma_hdrbook_limits_exceeded(c->msg->book))
		return;		/* not all fields seen: sign_eom refuses */
	if (ma_dkim_sign_eoh(c->msg->sign, sign_domain(c->msg), &error) != 0)
		ma_msg_error(c->msg, "dkim sign eoh", error);
}

static void sign_body(const struct ma_stage_call *c, const unsigned char *data, size_t len)
{
	const char *error = NULL;

	if (c->msg->sign != NULL && len > 0 &&
	    ma_dkim_sign_body(c->msg->sign, data, len, &error) != 0)
		ma_msg_error(c->msg, "dkim sign body", error);
}

static int sign_eom(const struct ma_stage_call *c, const struct ma_eval *ev,
		    const char **reason_r, const char **error_r)
{
	static char sig_name[] = "DKIM-Signature";	/* RFC 6376 section 3.5 */
	struct ma_msg *msg = c->msg;
	size_t i, n;

	(void) ev;
	*reason_r = "sign-failed";
	if (msg->internal_error) {
		*error_r = msg->error_text;
		return -1;
	}
	if (ma_hdrbook_limits_exceeded(msg->book)) {
		if (sign_domain(msg) == NULL)
			return 0;
		*error_r = "header block over the limits: not signed";
		return -1;
	}
	if (msg->sign == NULL)		/* no header at all: nothing to sign */
		return 0;
	if (ma_dkim_sign_eom(msg->sign, error_r) != 0)
		return -1;
	/* Inserted at the top, last key first: they read in table order. */
	n = ma_dkim_sign_count(msg->sign);
	for (i = n; i-- > 0;) {
		/* hashed as "DKIM-Signature: v=1...": the space must be there */
		if (milter_add_header(c->ctx, &c->conn->base, 0, sig_name,
				      ma_dkim_sign_value(msg->sign, i)) != MI_SUCCESS) {
			*reason_r = "header-change-failed";
			*error_r = "smfi_insheader (DKIM-Signature) failed";
			return -1;
		}
	}
	return 0;
}

/* --- report -------------------------------------------------------------- */

static int inbound_reporting(const struct ma_msg *msg)
{
	return !msg->outbound && msg->cfg != NULL && msg->cfg->report_store != NULL;
}

static const char *disposition(enum ma_action action)
{
	switch (action) {
	case MA_ACTION_REJECT: return "reject";
	case MA_ACTION_QUARANTINE: return "quarantine";
	default: return "none";		/* accept, tag, tempfail: delivered or retried */
	}
}

static const char *policy_word(enum ma_dmarc_policy p)
{
	return p == MA_DMARC_POLICY_QUARANTINE ? "quarantine" :
		p == MA_DMARC_POLICY_REJECT ? "reject" : "none";
}

static void report_decided(const struct ma_stage_call *c, const struct ma_eval *ev)
{
	struct ma_report_row r;
	struct ma_report_writer *w;
	const char *error = NULL;
	size_t i;

	if (!ev->dmarc_done || ev->dmarc.policy_domain[0] == '\0' ||
	    c->conn->client_ip[0] == '\0')
		return;		/* no record: nobody to report to */
	memset(&r, 0, sizeof(r));
	r.policy_domain = ev->dmarc.policy_domain;
	r.p = policy_word(ev->dmarc.rec_p);
	r.sp = policy_word(ev->dmarc.rec_sp);
	r.adkim_strict = ev->dmarc.rec_adkim_strict;
	r.aspf_strict = ev->dmarc.rec_aspf_strict;
	r.pct = ev->dmarc.pct;
	r.source_ip = c->conn->client_ip;
	r.disposition = disposition(ev->dec.action);
	r.dkim_aligned = ev->dmarc.dkim_aligned;
	r.spf_aligned = ev->dmarc.spf_aligned;
	r.header_from = ev->from_domain;
	r.envelope_from = ev->spf_property != NULL &&
		strcmp(ev->spf_property, "smtp.mailfrom") == 0 ? ev->spf_value : "";
	r.spf_domain = ev->spf_value;
	r.spf_scope = ev->spf_property != NULL &&
		strcmp(ev->spf_property, "smtp.helo") == 0 ? "helo" : "mfrom";
	r.spf_result = ev->spf_done ? ma_spf_result_name(ev->spf.result) : "none";
	for (i = 0; i < ev->n_dkim && i < MA_REPORT_MAX_DKIM; i++) {
		r.dkim[i].domain = ev->dkim[i]->domain;
		r.dkim[i].selector = ev->dkim[i]->selector;
		r.dkim[i].result = ma_dkim_result_name(ev->dkim[i]->result);
	}
	r.n_dkim = i;
	/* queued for the writer thread (dmarc_report_writer.h): no store
	   commit on this milter thread */
	if ((w = ma_report_writer_get(c->msg->cfg->report_store, c->msg->cfg->report_retention,
				      c->msg->cfg->report_batch_ms, &error)) == NULL ||
	    ma_report_writer_submit(w, &r, time(NULL), &error) != 0)
		log_warnx("%s: dmarc report not recorded: %s", c->msg->queue_id, error);
}

const struct ma_stage ma_stages[] = {
	{ .name = "unforge", .active = always, .eom = unforge_eom },
	{ .name = "verify", .active = inbound, .begun = verify_begun,
	  .header = verify_header, .eoh = verify_eoh, .body = verify_body,
	  .eom = verify_eom },
	{ .name = "clean", .active = outbound, .begun = clean_begun,
	  .header = clean_header, .eom = clean_eom },
	{ .name = "sign", .active = outbound_signing, .begun = sign_begun,
	  .header = sign_header, .eoh = sign_eoh, .body = sign_body, .eom = sign_eom },
	{ .name = "report", .active = inbound_reporting, .decided = report_decided },
	{ .name = NULL },
};
