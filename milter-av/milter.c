/*++
 * NAME
 *	milter 3
 * SUMMARY
 *	messec-milter-av libmilter callbacks: spool, scan, act
 * DESCRIPTION
 *	MAIL starts a message: a spool (spool.h) and a reference on the
 *	config. Each header is spooled as it was received: "name:" and the
 *	value's exact bytes (SMFIP_HDR_LEADSPC, asked for when offered;
 *	without it the one space the MTA ate is put back: messec/milter.h,
 *	Header values), CRLF; the end of headers as an empty line, the body chunks as Postfix sends them
 *	(CRLF lines), so the scanner reads the message as received. At end
 *	of message the current engine (engine.h) scans it, verdict.h
 *	decides, and the reply is made: reject (554 5.7.1 with what was
 *	found), discard, quarantine (smfi_quarantine: Postfix's hold queue),
 *	tempfail, or accept; an accepted or quarantined message gets
 *	X-Virus-Scanned (engine and database versions) and X-Virus-Status.
 *	Headers of those names the message already carries are deleted
 *	first: a sender may not write our verdict.
 *
 *	Round trips: connect, HELO, headers, EOH and body are no-reply
 *	stages (milter.h, SMFIP_NR_*); RCPT, DATA and unknown commands are
 *	not sent. Failures at a no-reply stage are recorded and answered at
 *	EOM. libmilter passes on whatever the peer sends (EOM with no MAIL,
 *	a header before MAIL, CLOSE alone): every callback checks its state,
 *	and a message without a MAIL is created by the first callback that
 *	needs one; EOM with no message at all is a tempfail, never an accept.
 *
 *	Trust boundary: everything from libmilter comes from the SMTP client.
 *	It is only written to the spool (bounded) and scanned; names shown in
 *	replies and logs are sanitised (engine.c).
 * STANDARDS
 *	RFC 3463 (enhanced status codes), RFC 5322 2.2 (header fields, which
 *	the spool rebuilds as "name: value").
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "messec/log.h"
#include "messec/metrics.h"
#include "messec/milter.h"
#include "messec/str.h"
#include "config.h"
#include "engine.h"
#include "linkcheck.h"
#include "milter.h"
#include "spool.h"
#include "verdict.h"

#define AV_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
#define AV_NOSEND (SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN)
#define AV_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)
#define HDR_SCANNED "X-Virus-Scanned"
#define HDR_STATUS "X-Virus-Status"
#define AV_MAX_OLD_HEADERS 100	/* forged verdict headers deleted at most */

struct av_msg {
	struct av_config *cfg;
	struct av_spool *spool;
	const char *error;		/* static: a spool failure */
	int in_body;
	unsigned old_scanned, old_status, old_links;	/* forged verdict headers seen */
	char queue_id[64];
};

struct av_conn {
	struct milter_conn base;	/* base.msg: struct av_msg */
};

static struct metric *m_outcome, *m_action, *m_latency, *m_reload, *m_family;

void av_milter_metrics_init(void)
{
	static const double buckets[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30 };

	m_outcome = metrics_counter("messec_milter_av_messages_total", "messages by scan outcome",
				    "outcome", "clean|infected|policy|encrypted|macro|oversize|limits|error");
	m_action = metrics_counter("messec_milter_av_action_total", "actions taken", "action",
				   "accept|reject|discard|quarantine|tempfail");
	m_reload = metrics_counter("messec_milter_av_reloads_total", "signature reloads",
				   "result", "ok|failed");
	m_family = metrics_counter("messec_milter_av_infected_total",
				   "messages with a signature hit, by signature family", "family", AV_FAMILIES);
	av_linkcheck_metrics_init();
	m_latency = metrics_histogram("messec_milter_av_scan_seconds", "scan time per message",
				      buckets, sizeof(buckets) / sizeof(buckets[0]));
}

void av_milter_count_reload(const char *result)
{
	if (m_reload != NULL)
		metrics_inc(m_reload, result);
}

/* The skeleton's message free hook (milter.h). */
static void msg_free(void *msg)
{
	struct av_msg *m = msg;

	av_spool_free(&m->spool);
	av_config_release(&m->cfg);
	free(m);
}

/* The message of this connection, created on first use; NULL: no config. */
static struct av_msg *msg_get(SMFICTX *ctx, struct av_conn *conn)
{
	struct av_msg *m = conn->base.msg;
	const char *error = NULL;

	if (m != NULL)
		return m;
	m = xcalloc(1, sizeof(*m));
	if ((m->cfg = av_config_acquire()) == NULL) {
		free(m);
		return NULL;
	}
	milter_queue_id(ctx, m->queue_id, sizeof(m->queue_id));
	m->spool = av_spool_new(m->cfg->spool_dir, m->cfg->memory_spool_max,
				m->cfg->max_message_size, &error);
	if (m->spool == NULL)
		m->error = error;
	conn->base.msg = m;
	return m;
}

static void spool(struct av_msg *m, const void *data, size_t len)
{
	const char *error = NULL;

	if (m->spool == NULL || m->error != NULL)
		return;
	if (av_spool_write(m->spool, data, len, &error) != 0) {
		log_warn("%s: spool: %s", m->queue_id, error);
		m->error = error;
	}
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
	struct av_conn *conn = milter_conn_connect(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	return milter_stage_ok(&conn->base, SMFIP_NR_CONN);
}

static sfsistat mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct av_conn *conn = milter_conn_get(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	return milter_stage_ok(&conn->base, SMFIP_NR_HELO);
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct av_conn *conn = milter_conn_get(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	milter_msg_end(&conn->base);	/* MAIL starts a new transaction */
	if (msg_get(ctx, conn) == NULL)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct av_conn *conn = milter_conn_get(ctx);
	struct av_msg *m;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((m = msg_get(ctx, conn)) == NULL)
		return milter_stage_fail(&conn->base, SMFIP_NR_HDR, "no configuration");
	if (name == NULL)
		name = "";
	if (value == NULL)
		value = "";
	if (m->in_body)
		return milter_stage_ok(&conn->base, SMFIP_NR_HDR);
	if (strcasecmp(name, HDR_SCANNED) == 0)
		m->old_scanned++;
	else if (strcasecmp(name, HDR_STATUS) == 0)
		m->old_status++;
	else if (strcasecmp(name, AV_LINK_HEADER) == 0)
		m->old_links++;
	spool(m, name, strlen(name));
	spool(m, ":", 1);
	spool(m, milter_header_lead(&conn->base), strlen(milter_header_lead(&conn->base)));
	spool(m, value, strlen(value));
	spool(m, "\r\n", 2);
	return milter_stage_ok(&conn->base, SMFIP_NR_HDR);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct av_conn *conn = milter_conn_get(ctx);
	struct av_msg *m;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((m = msg_get(ctx, conn)) == NULL)
		return milter_stage_fail(&conn->base, SMFIP_NR_EOH, "no configuration");
	if (!m->in_body) {
		m->in_body = 1;
		spool(m, "\r\n", 2);
	}
	return milter_stage_ok(&conn->base, SMFIP_NR_EOH);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct av_conn *conn = milter_conn_get(ctx);
	struct av_msg *m;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((m = msg_get(ctx, conn)) == NULL)
		return milter_stage_fail(&conn->base, SMFIP_NR_BODY, "no configuration");
	if (!m->in_body) {		/* body with no EOH: the empty line first */
		m->in_body = 1;
		spool(m, "\r\n", 2);
	}
	if (data != NULL)
		spool(m, data, len);
	return milter_stage_ok(&conn->base, SMFIP_NR_BODY);
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double) (t1.tv_sec - t0->tv_sec) + (double) (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Scan the spooled message; the outcome's texts live in result. */
static void scan(struct av_msg *m, struct av_engine *engine, struct av_scan_result *r)
{
	const struct av_config *c = m->cfg;
	struct av_policy policy = { c->blocked_extensions, c->blocked_types, c->double_extensions };
	struct av_scan_opts opts = { NULL, c->actions.encrypted != AV_HIT_OFF,
		c->actions.macro != AV_HIT_OFF };
	const char *error = NULL;
	struct timespec t0;
	int fd;

	memset(r, 0, sizeof(*r));
	r->outcome.name = r->name;
	r->outcome.detail = r->detail;
	if (c->actions.policy != AV_HIT_OFF)
		opts.policy = &policy;
	if (m->error != NULL) {
		r->outcome.kind = AV_OUT_ERROR;
		str_copy(r->detail, "spool error", sizeof(r->detail));
	} else if (av_spool_over(m->spool)) {
		r->outcome.kind = AV_OUT_OVERSIZE;
	} else if (engine == NULL) {
		r->outcome.kind = AV_OUT_ERROR;
		str_copy(r->detail, "no virus database loaded", sizeof(r->detail));
	} else if ((fd = av_spool_fd(m->spool, &error)) < 0) {
		log_warn("%s: %s", m->queue_id, error);
		r->outcome.kind = AV_OUT_ERROR;
		str_copy(r->detail, "spool error", sizeof(r->detail));
	} else {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		av_engine_scan(engine, fd, &opts, r);
		if (m_latency != NULL)
			metrics_observe(m_latency, since(&t0));
	}
}

/* Delete forged verdict headers (highest index first), add ours.
   0, or -1 when libmilter refused a change. */
static int tag(SMFICTX *ctx, const struct av_conn *conn, const struct av_msg *m,
	       const struct av_engine *engine, const struct av_verdict *v, const char *links)
{
	char scanned[300];
	unsigned i;
	int rc = 0;

	for (i = m->old_scanned < AV_MAX_OLD_HEADERS ? m->old_scanned : AV_MAX_OLD_HEADERS; i > 0; i--)
		rc |= smfi_chgheader(ctx, (char *) HDR_SCANNED, (int) i, NULL) == MI_SUCCESS ? 0 : -1;
	for (i = m->old_status < AV_MAX_OLD_HEADERS ? m->old_status : AV_MAX_OLD_HEADERS; i > 0; i--)
		rc |= smfi_chgheader(ctx, (char *) HDR_STATUS, (int) i, NULL) == MI_SUCCESS ? 0 : -1;
	for (i = m->old_links < AV_MAX_OLD_HEADERS ? m->old_links : AV_MAX_OLD_HEADERS; i > 0; i--)
		rc |= smfi_chgheader(ctx, (char *) AV_LINK_HEADER, (int) i, NULL) == MI_SUCCESS ? 0 : -1;
	snprintf(scanned, sizeof(scanned), "messec-milter-av %s; %s", MESSEC_VERSION,
		 engine != NULL ? av_engine_version(engine) : "no engine");
	rc |= milter_add_header(ctx, &conn->base, -1, HDR_SCANNED, scanned) == MI_SUCCESS ? 0 : -1;
	rc |= milter_add_header(ctx, &conn->base, -1, HDR_STATUS, v->status) == MI_SUCCESS ? 0 : -1;
	if (links[0] != '\0')
		rc |= milter_add_header(ctx, &conn->base, -1, AV_LINK_HEADER, links) == MI_SUCCESS ?
			0 : -1;
	return rc;
}

static sfsistat reply(SMFICTX *ctx, const struct av_verdict *v, sfsistat status)
{
	/* A reply text with a CR/LF or a bad code is refused by libmilter:
	   the MTA's default text for the same status code is used then. */
	smfi_setreply(ctx, (char *) v->rcode, (char *) v->xcode, (char *) v->reply);
	return status;
}

static sfsistat act(SMFICTX *ctx, const struct av_conn *conn, struct av_msg *m,
		    const struct av_engine *engine, struct av_verdict *v, const char *links)
{
	if (v->action == AV_QUARANTINE &&
	    smfi_quarantine(ctx, v->reason[0] != '\0' ? v->reason : (char *) "virus") != MI_SUCCESS) {
		log_warnx("%s: smfi_quarantine failed", m->queue_id);
		v->action = AV_TEMPFAIL;
	}
	if ((v->action == AV_ACCEPT || v->action == AV_QUARANTINE) && v->tag &&
	    tag(ctx, conn, m, engine, v, links) != 0) {
		/* Never deliver without our verdict header. */
		log_warnx("%s: cannot add the X-Virus headers", m->queue_id);
		v->action = AV_TEMPFAIL;
	}
	if (v->action == AV_TEMPFAIL && v->rcode[0] == '\0') {
		str_copy(v->rcode, "451", sizeof(v->rcode));
		str_copy(v->xcode, "4.3.0", sizeof(v->xcode));
		str_copy(v->reply, "Temporary failure of the virus scanner", sizeof(v->reply));
	}
	switch (v->action) {
	case AV_REJECT:
		return reply(ctx, v, SMFIS_REJECT);
	case AV_TEMPFAIL:
		return reply(ctx, v, SMFIS_TEMPFAIL);
	case AV_DISCARD:
		return SMFIS_DISCARD;
	case AV_ACCEPT:
	case AV_QUARANTINE:
	default:
		return SMFIS_ACCEPT;
	}
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct av_conn *conn = milter_conn_get(ctx);
	struct av_engine *engine;
	struct av_scan_result r;
	struct av_verdict v;
	struct av_msg *m;
	sfsistat status;
	char links[AV_LINK_TEXT_MAX + 150];

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if ((m = conn->base.msg) == NULL) {
		/* Nothing was spooled (EOM with no MAIL and no data) or no
		   config: nothing was scanned, so nothing is accepted. */
		smfi_setreply(ctx, (char *) "451", (char *) "4.3.0",
			      (char *) "Temporary failure of the virus scanner");
		return SMFIS_TEMPFAIL;
	}
	milter_queue_id(ctx, m->queue_id, sizeof(m->queue_id));
	if (conn->base.deferred != NULL && m->error == NULL)
		m->error = conn->base.deferred;
	engine = av_engine_acquire();
	scan(m, engine, &r);
	av_verdict_decide(&m->cfg->actions, &r.outcome, &v);
	av_linkcheck_message(&m->cfg->links, m->spool, m->queue_id, &v, links, sizeof(links));
	status = act(ctx, conn, m, engine, &v, links);
	log_verdict(m->queue_id, "av=%s action=%s size=%llu%s%s",
		    av_outcome_name(r.outcome.kind), av_action_name(v.action),
		    (unsigned long long) (m->spool != NULL ? av_spool_size(m->spool) : 0),
		    v.reason[0] != '\0' ? " " : "", v.reason);
	if (m_outcome != NULL) {
		metrics_inc(m_outcome, av_outcome_name(r.outcome.kind));
		metrics_inc(m_action, av_action_name(v.action));
		if (r.outcome.kind == AV_OUT_INFECTED)
			metrics_inc(m_family, av_verdict_family(r.name));
	}
	av_engine_release(&engine);
	milter_msg_end(&conn->base);
	return status;
}

const struct milter_def *av_milter_def(void)
{
	static struct smfiDesc desc = {
		.xxfi_name = (char *) "messec-milter-av",
		.xxfi_connect = mlfi_connect,
		.xxfi_helo = mlfi_helo,
		.xxfi_envfrom = mlfi_envfrom,
		.xxfi_header = mlfi_header,
		.xxfi_eoh = mlfi_eoh,
		.xxfi_body = mlfi_body,
		.xxfi_eom = mlfi_eom,
		/* abort, close, negotiate: the skeleton's (milter.h) */
	};
	static const struct milter_def def = {
		.desc = &desc,
		.conn_size = sizeof(struct av_conn),
		.msg_free = msg_free,
		.actions = AV_ACTIONS,
		.noreply = AV_NOREPLY,
		.nosend = AV_NOSEND,
		.opts = SMFIP_HDR_LEADSPC,
	};

	return &def;
}
