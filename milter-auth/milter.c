/*++
 * NAME
 *	milter 3
 * SUMMARY
 *	messec-milter-auth libmilter callbacks: thin glue around the modules
 * SYNOPSIS
 *	#include "milter.h"
 * DESCRIPTION
 *	Each callback pulls its data out of libmilter, hands it to a module,
 *	and maps the result. The state (msgstate.h) is created lazily by any
 *	callback that needs it, because libmilter passes on whatever the peer
 *	sends: MAIL with no CONNECT, a header before MAIL, EOM with nothing,
 *	ABORT or CLOSE anywhere, NULL arguments. Debian's OpenDKIM and
 *	OpenDMARC dereference a NULL private pointer on such input; every
 *	callback here checks.
 *
 *	The work on a message is done by the stages of stage.h (unforge,
 *	verify), which the header, EOH, body and EOM callbacks run in list
 *	order; the callbacks only keep the header book (hdrbook.h: every
 *	header, for the limits, the From field and the fields to delete) and
 *	the message's phase (in_body). At end of message (mlfi_eom):
 *	evaluate (evaluate.h), then, for a delivered message, each stage's
 *	changes; one that fails tempfails the message (ma_decide_tempfail)
 *	rather than deliver it half changed, e.g. with a forged A-R. Then
 *	the reply. One verdict line is logged per message.
 *
 *	Round trips (mlfi_negotiate): connect, HELO, each header, EOH and
 *	each body chunk are negotiated as no-reply stages (SMFIP_NR_*), and
 *	RCPT, DATA and unknown commands are not sent at all (SMFIP_NORCPT,
 *	SMFIP_NODATA, SMFIP_NOUNKNOWN: no callback). MAIL and EOM still get
 *	a reply. A no-reply stage cannot reject or tempfail (libmilter turns
 *	any other answer into no reply), so nothing there may decide: header
 *	limits and internal errors are recorded in the message (hdrbook.h,
 *	ma_msg_error) and a failure with no message state to record it in
 *	goes to conn->base.deferred; EOM turns them into the reply. Without the
 *	private data (smfi_setpriv failed, only possible for a NULL ctx)
 *	nothing can be recorded: negotiation then falls back to replies at
 *	every stage. SMFIP_HDR_LEADSPC is asked for when offered (Postfix
 *	does): each header value reaches the stages both trimmed, for the
 *	parsers, and as the exact bytes after the colon, for DKIM (the
 *	verifier is configured with header_leadspc = 1: "name:" + raw).
 *
 *	Trust boundary: everything libmilter hands over comes from the SMTP
 *	client (and the MTA's macros). Text is sanitised before it is
 *	logged (ms_str_sanitize) and bounded when stored.
 * STANDARDS
 *	RFC 8601 sections 5 and 7.1 (in stage.c); RFC 7208 section 2.4;
 *	RFC 7489 section 6.6.
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "messec/log.h"
#include "messec/metrics.h"
#include "messec/str.h"
#include "milter.h"
#include "msgstate.h"
#include "evaluate.h"
#include "stage.h"
#include "authres.h"
#include "dkim_verify.h"
#include "dkim_sign.h"
#include "clean.h"
#include "dmarc.h"
#include <messec/spf.h>

/* Stages that answer nothing; and the steps we have no callback for. */
#define MA_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | \
		    SMFIP_NR_EOH | SMFIP_NR_BODY)
#define MA_NOSEND (SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN)
#define MA_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)

static struct metric *m_spf, *m_dkim, *m_dmarc, *m_action, *m_latency, *m_errors;

void ma_milter_metrics_init(void)
{
	static const double buckets[] = { 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30 };

	m_spf = metrics_counter("messec_milter_auth_spf_total", "SPF results",
				"result", "none|neutral|pass|fail|softfail|temperror|permerror");
	m_dkim = metrics_counter("messec_milter_auth_dkim_total", "DKIM signature results",
				 "result", "none|pass|fail|policy|neutral|temperror|permerror");
	m_dmarc = metrics_counter("messec_milter_auth_dmarc_total", "DMARC results",
				  "result", "none|pass|fail|temperror|permerror");
	m_action = metrics_counter("messec_milter_auth_action_total", "actions taken",
				   "action", "accept|tag|quarantine|reject|tempfail|outbound");
	m_errors = metrics_counter("messec_milter_auth_errors_total", "internal errors",
				   NULL, NULL);
	m_latency = metrics_histogram("messec_milter_auth_verdict_seconds",
				      "end-of-message evaluation time", buckets,
				      sizeof(buckets) / sizeof(buckets[0]));
}

static void count(struct metric *m, const char *value)
{
	if (m != NULL)
		metrics_inc(m, value);
}

static sfsistat stage_ok(const struct ma_conn *conn, unsigned long nr_bit)
{
	return milter_stage_ok(&conn->base, nr_bit);
}

/* A failure with no message state to record it in (milter.h). */
static sfsistat stage_fail(struct ma_conn *conn, unsigned long nr_bit, const char *why)
{
	return milter_stage_fail(&conn->base, nr_bit, why);
}

/* The skeleton's message free hook (milter.h). */
static void msg_free(void *m)
{
	struct ma_msg *msg = m;

	ma_dkim_verify_free(&msg->dkim);
	ma_dkim_sign_free(&msg->sign);
	ma_clean_free(&msg->clean);
	ma_hdrbook_free(&msg->book);
	ma_config_release(&msg->cfg);
	free(msg);
}

/* The message of this connection, created on first use. NULL: no config. */
static struct ma_msg *msg_get(SMFICTX *ctx, struct ma_conn *conn)
{
	struct ma_msg *msg = conn->base.msg;

	if (msg != NULL)
		return msg;
	msg = xcalloc(1, sizeof(*msg));
	if ((msg->cfg = ma_config_acquire()) == NULL) {
		free(msg);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &msg->started);
	milter_queue_id(ctx, msg->queue_id, sizeof(msg->queue_id));
	msg->book = ma_hdrbook_new(msg->cfg->authserv_id, msg->cfg->tag_header,
				   (size_t) msg->cfg->max_headers,
				   (size_t) msg->cfg->max_header_bytes, ma_authres_authserv_id);
	if (conn->client_ip[0] != '\0' &&
	    cidr_list_match_str(msg->cfg->internal_networks, conn->client_ip))
		msg->internal_network = 1;
	msg->outbound = msg->internal_network;
	conn->base.msg = msg;
	return msg;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct ma_conn *conn = milter_conn_connect(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	str_copy(conn->client_name, hostname != NULL ? hostname : "", sizeof(conn->client_name));
	milter_client_ip(hostaddr, conn->client_ip, sizeof(conn->client_ip));
	return stage_ok(conn, SMFIP_NR_CONN);
}

static sfsistat mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct ma_conn *conn = milter_conn_get(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	ma_conn_set_helo(conn, helo);
	return stage_ok(conn, SMFIP_NR_HELO);
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	static char macro_auth[] = "{auth_authen}";
	struct ma_conn *conn = milter_conn_get(ctx);
	struct ma_msg *msg;
	const char *from = argv != NULL && argv[0] != NULL ? argv[0] : "";
	const char *auth;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	milter_msg_end(&conn->base);	/* MAIL starts a new transaction */
	if ((msg = msg_get(ctx, conn)) == NULL)
		return SMFIS_TEMPFAIL;
	msg->have_mail = 1;
	ma_msg_set_mail_from(msg, from);
	auth = smfi_getsymval(ctx, macro_auth);
	if (auth != NULL && *auth != '\0') {
		msg->authenticated = 1;
		msg->outbound = 1;
	}
	return SMFIS_CONTINUE;
}

/* The hook calls of the stage list (stage.h): active stages, in order,
   until the message has an internal error (nothing more is fed then). */
static void stages_header(const struct ma_stage_call *c, const char *name, const char *value,
			  const char *raw)
{
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL && !c->msg->internal_error; s++)
		if (s->header != NULL && s->active(c->msg))
			s->header(c, name, value, raw);
}

static void stages_eoh(const struct ma_stage_call *c)
{
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL && !c->msg->internal_error; s++)
		if (s->eoh != NULL && s->active(c->msg))
			s->eoh(c);
}

static void stages_body(const struct ma_stage_call *c, const unsigned char *data, size_t len)
{
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL && !c->msg->internal_error; s++)
		if (s->body != NULL && s->active(c->msg))
			s->body(c, data, len);
}

static int stages_begun(const struct ma_msg *msg)
{
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL; s++)
		if (s->begun != NULL && s->active(msg) && s->begun(msg))
			return 1;
	return 0;
}

/* 0, or -1 with the reason and error of the stage whose changes failed. */
static int stages_eom(const struct ma_stage_call *c, const struct ma_eval *ev,
		      const char **reason_r, const char **error_r)
{
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL; s++)
		if (s->eom != NULL && s->active(c->msg) && s->eom(c, ev, reason_r, error_r) != 0)
			return -1;
	return 0;
}

/* Every message, whatever was decided: the stages that record it. */
static void stages_decided(SMFICTX *ctx, struct ma_conn *conn, struct ma_msg *msg,
			   const struct ma_eval *ev)
{
	struct ma_stage_call call = { ctx, conn, msg };
	const struct ma_stage *s;

	for (s = ma_stages; s->name != NULL; s++)
		if (s->decided != NULL && s->active(msg))
			s->decided(&call, ev);
}

/*
 * Each value in two forms (messec/milter.h, Header values): the parse
 * form for the header book and the parsers (From, A-R, tag header), and
 * the exact bytes after the colon for DKIM, whose simple header
 * canonicalization (RFC 6376 section 3.4.1) keeps them all. With
 * SMFIP_HDR_LEADSPC (Postfix offers it) libmilter's value is the raw
 * form; without, the MTA ate one space and it is put back.
 */
static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct ma_conn *conn = milter_conn_get(ctx);
	struct ma_stage_call call;
	const char *lead, *text;
	char *raw = NULL;
	int within;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((call.msg = msg_get(ctx, conn)) == NULL)
		return stage_fail(conn, SMFIP_NR_HDR, "no configuration");
	if (value == NULL)
		value = "";
	text = milter_header_text(value);
	/* Over the limits: recorded in the book, decided at EOM. */
	within = ma_hdrbook_add(call.msg->book, name, text);
	if (!within || call.msg->in_body)
		return stage_ok(conn, SMFIP_NR_HDR);
	call.ctx = ctx;
	call.conn = conn;
	lead = milter_header_lead(&conn->base);
	if (*lead != '\0') {	/* bounded: within the book's byte cap */
		size_t n = strlen(value);

		raw = xmalloc(n + 2);
		raw[0] = *lead;
		memcpy(raw + 1, value, n + 1);
	}
	stages_header(&call, name, text, raw != NULL ? raw : value);
	free(raw);
	return stage_ok(conn, SMFIP_NR_HDR);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct ma_conn *conn = milter_conn_get(ctx);
	struct ma_stage_call call;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((call.msg = msg_get(ctx, conn)) == NULL)
		return stage_fail(conn, SMFIP_NR_EOH, "no configuration");
	if (call.msg->in_body)
		return stage_ok(conn, SMFIP_NR_EOH);	/* a second EOH: ignore */
	call.msg->in_body = 1;
	call.ctx = ctx;
	call.conn = conn;
	stages_eoh(&call);
	return stage_ok(conn, SMFIP_NR_EOH);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct ma_conn *conn = milter_conn_get(ctx);
	struct ma_stage_call call;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((call.msg = msg_get(ctx, conn)) == NULL)
		return stage_fail(conn, SMFIP_NR_BODY, "no configuration");
	if (data == NULL)
		len = 0;
	call.msg->body_bytes += len;
	call.ctx = ctx;
	call.conn = conn;
	/* Body before EOH: the stages that took headers get their EOH first. */
	if (!call.msg->in_body && !call.msg->internal_error && stages_begun(call.msg)) {
		call.msg->in_body = 1;
		stages_eoh(&call);
	}
	stages_body(&call, data, len);
	return stage_ok(conn, SMFIP_NR_BODY);
}

/* "pass,fail" (up to 8 results) or "none", for the verdict line. */
static void dkim_summary(const struct ma_eval *ev, char *buf, size_t size)
{
	size_t i, off = 0;
	int n;

	str_copy(buf, "none", size);
	for (i = 0; i < ev->n_dkim && i < 8; i++) {
		n = snprintf(buf + off, size - off, "%s%s", i > 0 ? "," : "",
			     ma_dkim_result_name(ev->dkim[i]->result));
		if (n < 0 || (size_t) n >= size - off)
			break;
		off += (size_t) n;
	}
}

static void log_line(const struct ma_conn *conn, const struct ma_msg *msg,
		     const struct ma_eval *ev, const char *note)
{
	const struct ma_decision *dec = &ev->dec;
	char from[84], client[84], helo[84], dkim[128], err[164];

	ms_str_sanitize(from, sizeof(from), ev->from_domain[0] ? ev->from_domain : "-", 80);
	/* Postfix's name for a client without verified rDNS is "[ip]" */
	ms_str_sanitize(client, sizeof(client), conn->client_name[0] != '\0' &&
		     conn->client_name[0] != '[' ? conn->client_name : "unknown", 80);
	ms_str_sanitize(helo, sizeof(helo), conn->helo[0] ? conn->helo : "-", 80);
	if (msg->outbound) {
		/* a refused or tempfailed submission says so, and why */
		log_verdict(msg->queue_id, "outbound=%s action=%s client=%s[%s]%s%s%s",
			    msg->authenticated ? "auth" : "internal",
			    ma_action_name(dec->action), client,
			    conn->client_ip[0] ? conn->client_ip : "-",
			    dec->action == MA_ACTION_ACCEPT ? "" : " reason=",
			    dec->action == MA_ACTION_ACCEPT ? "" :
			    (dec->reason != NULL ? dec->reason : "-"), note);
		return;
	}
	dkim_summary(ev, dkim, sizeof(dkim));
	ms_str_sanitize(err, sizeof(err), msg->internal_error ? msg->error_text : "", 160);
	log_verdict(msg->queue_id, "spf=%s dkim=%s dmarc=%s action=%s reason=%s "
		    "from=%s policy=%s client=%s[%s] helo=%s deleted_ar=%zu%s%s%s",
		    ev->spf_done ? (ev->dec.ar.spf_result ? ev->dec.ar.spf_result :
				    ma_spf_result_name(ev->spf.result)) : "-",
		    dkim,
		    ev->dmarc_done ? ma_dmarc_result_name(ev->dmarc.result) :
		    (ev->from_state == MA_FROM_ONE ? "-" : "permerror"),
		    ma_action_name(dec->action), dec->reason ? dec->reason : "-", from,
		    ev->dmarc_done ? ma_dmarc_policy_name(ev->dmarc.applied) : "-",
		    client, conn->client_ip[0] ? conn->client_ip : "-", helo,
		    msg->book ? ma_hdrbook_delete_count(msg->book) : (size_t) 0,
		    msg->internal_error ? " error=" : "", err, note);
}

static sfsistat finish(SMFICTX *ctx, struct ma_decision *dec)
{
	if (dec->action != MA_ACTION_REJECT && dec->action != MA_ACTION_TEMPFAIL)
		return SMFIS_ACCEPT;
	/* a reply MTA-side failure still rejects/tempfails with a default text */
	(void) smfi_setreply(ctx, dec->reply_code, dec->reply_xcode, dec->reply_text);
	return dec->action == MA_ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

static void count_results(const struct ma_msg *msg, const struct ma_eval *ev)
{
	size_t i;

	if (msg->outbound) {
		count(m_action, ev->dec.action == MA_ACTION_ACCEPT ? "outbound" :
		      ma_action_name(ev->dec.action));
		return;
	}
	if (msg->internal_error)
		count(m_errors, NULL);
	if (ev->dec.ar.spf_result != NULL)
		count(m_spf, ev->dec.ar.spf_result);
	for (i = 0; i < ev->n_dkim; i++)
		count(m_dkim, ev->dec.dkim[i].result != NULL ? ev->dec.dkim[i].result :
		      ma_dkim_result_name(ev->dkim[i]->result));
	if (ev->dmarc_done)
		count(m_dmarc, ma_dmarc_result_name(ev->dmarc.result));
	count(m_action, ma_action_name(ev->dec.action));
}

/* EOM after a no-reply stage failed with no message to record it in. */
static sfsistat eom_deferred(SMFICTX *ctx, struct ma_conn *conn)
{
	struct ma_decision dec;
	char qid[40];

	milter_queue_id(ctx, qid, sizeof(qid));
	memset(&dec, 0, sizeof(dec));
	ma_decide_tempfail(&dec, "internal-error");
	log_verdict(qid, "action=tempfail reason=internal-error error=%s "
		    "(at a no-reply stage)", conn->base.deferred);
	count(m_errors, NULL);
	count(m_action, "tempfail");
	milter_msg_end(&conn->base);
	return finish(ctx, &dec);
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct ma_conn *conn = milter_conn_get(ctx);
	struct ma_msg *msg;
	struct ma_eval *ev;
	struct timespec end;
	const char *error = NULL;
	char note[200] = "";
	sfsistat ret;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if (conn->base.deferred != NULL)
		return eom_deferred(ctx, conn);
	if ((msg = msg_get(ctx, conn)) == NULL)
		return SMFIS_TEMPFAIL;
	milter_queue_id(ctx, msg->queue_id, sizeof(msg->queue_id));	/* sure at EOM */
	ev = xcalloc(1, sizeof(*ev));
	ma_evaluate(conn, msg, ev);

	/* Each stage's changes; one that fails tempfails the message (a
	   forged A-R must never reach the mailbox). */
	if (ev->dec.action != MA_ACTION_REJECT && ev->dec.action != MA_ACTION_TEMPFAIL) {
		struct ma_stage_call call = { ctx, conn, msg };
		const char *reason = NULL;

		if (stages_eom(&call, ev, &reason, &error) != 0) {
			ma_decide_tempfail(&ev->dec, reason);
			snprintf(note, sizeof(note), " error=%s", error);
		}
	}
	stages_decided(ctx, conn, msg, ev);
	count_results(msg, ev);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (m_latency != NULL)
		metrics_observe(m_latency, (double) (end.tv_sec - msg->started.tv_sec) +
				(double) (end.tv_nsec - msg->started.tv_nsec) / 1e9);
	log_line(conn, msg, ev, note);
	ret = finish(ctx, &ev->dec);
	free(ev);
	milter_msg_end(&conn->base);
	return ret;
}

static struct smfiDesc desc = {
	.xxfi_name = "messec-milter-auth",
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	/* abort, close, negotiate (the no-reply stages above): the skeleton's */
};

static const struct milter_def def = {
	.desc = &desc,
	.conn_size = sizeof(struct ma_conn),
	.msg_free = msg_free,
	.actions = MA_ACTIONS,
	.noreply = MA_NOREPLY,
	.nosend = MA_NOSEND,
	.opts = SMFIP_HDR_LEADSPC,
};

const struct milter_def *ma_milter_def(void)
{
	return &def;
}
