/*++
 * NAME
 *	milter 3
 * SUMMARY
 *	the skeleton of a messec milter (libmilter glue shared by milters)
 * SYNOPSIS
 *	#include <messec/milter.h>
 * DESCRIPTION
 *	See milter.h. Kept out of libmessec.a (common/milter/, its own
 *	archive) so that only milters link libmilter.
 * STANDARDS
 *	The milter protocol as libmilter 8.x implements it (Debian's
 *	libmilter1.0.1): OPTNEG with version 6 protocol flags.
 *--*/
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "messec/log.h"
#include "messec/milter.h"
#include "messec/sock.h"
#include "messec/str.h"

/* Set once before any callback runs (milter_open, before smfi_main). */
static const struct milter_def *milter_def;

void milter_define(const struct milter_def *def)
{
	milter_def = def;
}

/* What libmilter gets (smfi_register copies it): the milter's callbacks
   and the skeleton's for what the skeleton owns. */
static struct smfiDesc milter_desc(const struct milter_def *def)
{
	struct smfiDesc d = *def->desc;

	d.xxfi_version = SMFI_VERSION;
	d.xxfi_flags = def->actions;
	if (d.xxfi_abort == NULL)
		d.xxfi_abort = milter_xxfi_abort;
	if (d.xxfi_close == NULL)
		d.xxfi_close = milter_xxfi_close;
	if (d.xxfi_negotiate == NULL)
		d.xxfi_negotiate = milter_xxfi_negotiate;
	return d;
}

/* Bind the milter socket now (as root), so privileges can drop before
   smfi_main() and the MTA can connect with the configured mode. */
void milter_open(const struct cfg *cfg, const struct milter_def *def)
{
	const struct sock_addr *addr = cfg_socket(cfg, "socket");
	const char *user = cfg_str(cfg, "user");
	const char *group = cfg_str(cfg, "group");
	char conn[300];
	mode_t mode = (mode_t) strtoul(cfg_str(cfg, "socket_mode"), NULL, 8);

	sock_addr_milter(addr, conn, sizeof(conn));
	if (smfi_setconn(conn) != MI_SUCCESS)
		log_fatalx("smfi_setconn %s failed", conn);
	if (smfi_settimeout((int) cfg_time(cfg, "milter_timeout")) != MI_SUCCESS)
		log_fatalx("smfi_settimeout failed");
	milter_define(def);
	if (smfi_register(milter_desc(def)) != MI_SUCCESS)
		log_fatalx("smfi_register failed");
	/* 1: unlink a stale socket file first (left by kill -9). */
	if (smfi_opensocket(1) != MI_SUCCESS)
		log_fatalx("cannot open the milter socket %s", conn);
	if (addr->kind != SOCK_ADDR_UNIX)
		return;
	if (chmod(addr->path, mode) != 0)
		log_fatal("chmod %s", addr->path);
	if (geteuid() == 0 && *user != '\0') {
		struct passwd *pw = getpwnam(user);
		gid_t gid;

		if (pw == NULL)
			log_fatalx("unknown user %s", user);
		gid = pw->pw_gid;
		if (*group != '\0') {
			struct group *gr = getgrnam(group);

			if (gr == NULL)
				log_fatalx("unknown group %s", group);
			gid = gr->gr_gid;
		}
		if (chown(addr->path, pw->pw_uid, gid) != 0)
			log_fatal("chown %s", addr->path);
	}
}

int milter_run(void)
{
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

void milter_stop(void)
{
	smfi_stop();
}

void *milter_conn_get(SMFICTX *ctx)
{
	void *conn = smfi_getpriv(ctx);

	if (conn == NULL) {
		if (milter_def == NULL)
			return NULL;	/* no milter defined: tempfail */
		conn = xcalloc(1, milter_def->conn_size);
		if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
			free(conn);
			return NULL;
		}
	}
	return conn;
}

void *milter_conn_connect(SMFICTX *ctx)
{
	void *conn = milter_conn_get(ctx);

	if (conn != NULL)
		milter_conn_reset(conn);
	return conn;
}

void milter_conn_reset(void *conn)
{
	struct milter_conn *base = conn;
	unsigned long noreply = base->noreply;	/* negotiated for the connection */
	unsigned long opts = base->opts;

	milter_msg_end(base);
	memset(conn, 0, milter_def->conn_size);
	base->noreply = noreply;
	base->opts = opts;
}

void milter_msg_end(struct milter_conn *conn)
{
	if (conn->msg != NULL)
		milter_def->msg_free(conn->msg);
	conn->msg = NULL;
	conn->deferred = NULL;
}

sfsistat milter_xxfi_abort(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		milter_msg_end(conn);
	return SMFIS_CONTINUE;
}

/* CLOSE may be the only callback: no state then. */
sfsistat milter_xxfi_close(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	milter_msg_end(conn);
	free(conn);
	return SMFIS_CONTINUE;
}

sfsistat milter_xxfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct milter_conn *conn = milter_conn_get(ctx);

	if (conn == NULL)
		return SMFIS_ALL_OPTS;	/* nowhere to record failures: reply always */
	return milter_negotiate(conn, milter_def->actions, milter_def->noreply,
				milter_def->nosend, milter_def->opts, f1, pf0, pf1, pf2, pf3);
}

/* What a callback that ran fine answers: nothing at a no-reply stage. */
sfsistat milter_stage_ok(const struct milter_conn *conn, unsigned long nr_bit)
{
	return (conn->noreply & nr_bit) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat milter_stage_fail(struct milter_conn *conn, unsigned long nr_bit, const char *why)
{
	if ((conn->noreply & nr_bit) == 0)
		return SMFIS_TEMPFAIL;
	if (conn->deferred == NULL)
		conn->deferred = why;
	return SMFIS_NOREPLY;
}

/*
 * OPTNEG. f0: the actions the MTA allows; f1: the protocol steps it
 * offers. libmilter ORs every SMFIP_NR_* bit into f1 whether the MTA has
 * it or not, and answers CONTINUE on our behalf to an MTA that lacks one
 * (engine.c, fake_pflags), so asking for no-reply never fails and the
 * callbacks need not know what the MTA offered; the SMFIP_NO* steps and
 * SMFIP_HDR_LEADSPC are asked for only when offered (libmilter aborts
 * the session otherwise), so a callback asks conn->opts (milter.h,
 * Header values).
 * The actions are required, as without xxfi_negotiate: libmilter aborts
 * the session if the MTA does not allow them (its default action then).
 */
sfsistat milter_negotiate(struct milter_conn *conn, unsigned long actions,
			  unsigned long noreply, unsigned long nosend, unsigned long opts,
			  unsigned long f1, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
			  unsigned long *pf3)
{
	if (conn == NULL)
		return SMFIS_ALL_OPTS;	/* nowhere to record failures: reply always */
	*pf0 = actions;
	*pf1 = f1 & (noreply | nosend | (opts & SMFIP_HDR_LEADSPC));
	*pf2 = 0;
	*pf3 = 0;
	conn->noreply = *pf1 & noreply;
	conn->opts = *pf1 & SMFIP_HDR_LEADSPC;
	return SMFIS_CONTINUE;
}

const char *milter_header_lead(const struct milter_conn *conn)
{
	return conn != NULL && (conn->opts & SMFIP_HDR_LEADSPC) != 0 ? "" : " ";
}

int milter_add_header(SMFICTX *ctx, const struct milter_conn *conn, int index,
		      const char *name, const char *value)
{
	char *spaced = NULL;
	int ret;

	if (*milter_header_lead(conn) == '\0') {	/* HDR_LEADSPC: ours to add */
		size_t n = strlen(value);

		spaced = xmalloc(n + 2);
		spaced[0] = ' ';
		memcpy(spaced + 1, value, n + 1);
		value = spaced;
	}
	ret = index < 0 ? smfi_addheader(ctx, (char *) name, (char *) value) :
		smfi_insheader(ctx, index, (char *) name, (char *) value);
	free(spaced);
	return ret;
}

const char *milter_header_text(const char *value)
{
	if (value == NULL)
		return "";
	while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
		value++;
	return value;
}

void milter_client_ip(const _SOCK_ADDR *hostaddr, char *buf, size_t size)
{
	const struct sockaddr *sa = (const struct sockaddr *) hostaddr;

	buf[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr,
			  buf, (socklen_t) size);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr,
			  buf, (socklen_t) size);
	}
}

void milter_queue_id(SMFICTX *ctx, char *buf, size_t size)
{
	static char macro_i[] = "i";
	const char *qid = smfi_getsymval(ctx, macro_i);
	char clean[40];

	ms_str_sanitize(clean, sizeof(clean), qid != NULL ? qid : "NOQUEUE", 32);
	str_copy(buf, clean, size);
}
