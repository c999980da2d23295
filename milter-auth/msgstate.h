/*++
 * NAME
 *	msgstate 3h
 * SUMMARY
 *	messec-milter-auth per-connection and per-message state
 * SYNOPSIS
 *	#include "msgstate.h"
 * DESCRIPTION
 *	One ma_conn per SMTP connection (smfi_setpriv), created lazily by
 *	whichever callback comes first, freed in close. One ma_msg per
 *	transaction, created lazily (MAIL, a header, or EOM may come first:
 *	libmilter delivers what the peer sends), freed at EOM, ABORT, a new
 *	MAIL, or close. The message holds one reference to the config it
 *	started with, so a reload never changes a message half way.
 *
 *	ma_evaluate() (evaluate.h) runs the checks at end of message and
 *	fills the decision; it knows nothing of libmilter. The setters and
 *	ma_msg_error() below are defined in evaluate.c too.
 *
 *	No-reply stages (milter.c, xxfi_negotiate): connect, HELO, header,
 *	EOH and body send no reply, so they cannot reject or tempfail. What
 *	goes wrong there is recorded -- in the message (internal_error, the
 *	header book's limits) or, when there is no message state to hold it,
 *	in conn->base.deferred (tempfail at EOM, cleared by MAIL) -- and becomes the reply at end of message.
 *--*/
#ifndef MA_MSGSTATE_H
#define MA_MSGSTATE_H

#include <stdint.h>
#include <time.h>
#include "messec/milter.h"
#include "config.h"
#include "decide.h"
#include "hdrbook.h"

struct ma_dkim_verify;
struct ma_dkim_sign;
struct ma_clean;

struct ma_msg {
	struct ma_config *cfg;		/* one reference */
	char queue_id[32];
	char mail_from[512];		/* without <>, "" = null sender */
	int mail_from_cut;		/* longer than mail_from: unusable */
	int have_mail;
	int authenticated;		/* {auth_authen} at MAIL */
	int internal_network;
	int outbound;			/* authenticated || internal_network */
	struct ma_hdrbook *book;
	struct ma_dkim_verify *dkim;	/* NULL for outbound or before headers */
	struct ma_dkim_sign *sign;	/* outbound with keys, from the first header */
	struct ma_clean *clean;		/* outbound, from the first header */
	int header_dropped;		/* the clean stage deletes the current field */
	int in_body;			/* EOH seen */
	uint64_t body_bytes;
	int internal_error;
	char error_text[160];
	struct timespec started;
};

struct ma_conn {
	struct milter_conn base;	/* first: noreply, deferred, msg: the
					   struct ma_msg (milter.h) */
	char client_ip[64];		/* "" when unknown */
	char client_name[256];		/* Postfix's verified name or "[ip]" */
	char helo[256];
	int helo_cut;			/* longer than helo: unusable */
};

/* HELO / MAIL FROM argument as libmilter gives them: kept whole, or,
   over the buffer, not at all (*_cut set: the identity is unusable). */
void ma_conn_set_helo(struct ma_conn *conn, const char *helo);
void ma_msg_set_mail_from(struct ma_msg *msg, const char *arg);

/* Record an internal error on the message (first one wins for the log). */
void ma_msg_error(struct ma_msg *msg, const char *what, const char *error);

#endif
