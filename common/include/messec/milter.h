/*++
 * NAME
 *	milter 3h
 * SUMMARY
 *	the skeleton of a messec milter (libmilter glue shared by milters)
 * SYNOPSIS
 *	#include <messec/milter.h>
 *
 *	link: $(B)/libmessec-milter.a $(B)/libmessec.a -lmilter
 * DESCRIPTION
 *	Only milters link this (libmessec-milter.a, built from
 *	common/milter/): a daemon that is no milter never pulls libmilter.
 *	It pairs with daemon.h: milter_open() is a daemon_def's open hook's
 *	work, milter_run()/milter_stop() its run and stop, and
 *	MILTER_THREAD_STACK its thread_stack.
 *
 *	Definition. A milter fills a struct milter_def: its libmilter
 *	callbacks (desc), the size of its connection struct, the free hook
 *	of its message object, and what OPTNEG asks for (actions, no-reply
 *	stages, steps not sent). milter_open() registers it
 *	(milter_define() alone in unit tests); it is read-only from then on.
 *	desc holds the name and the milter's own callbacks; milter_open()
 *	registers a copy with the version, the actions as flags, and the
 *	skeleton's milter_xxfi_abort, milter_xxfi_close and
 *	milter_xxfi_negotiate where desc has none: they end the message,
 *	free the connection and negotiate with the definition's values, so
 *	no milter can forget to free its state.
 *
 *	Socket. milter_open() reads the keys socket (CFG_SOCKET), socket_mode
 *	(octal string), user, group and milter_timeout (CFG_TIME) from the
 *	daemon's config, registers desc and binds the socket as root. A
 *	socket file left behind by a killed instance (kill -9) is removed
 *	first (smfi_opensocket(1)); a unix socket then gets socket_mode and,
 *	as root, the service user and group, so the MTA can connect after
 *	the privilege drop.
 *
 *	Per-connection and per-message state. A milter's connection struct
 *	starts with a struct milter_conn (def->conn_size bytes in all), whose
 *	msg points to the milter's message object or is NULL; the skeleton
 *	owns both. milter_conn_get() returns the connection, created (zeroed)
 *	by whichever callback comes first: libmilter passes on whatever the
 *	peer sends (MAIL with no CONNECT, EOM with nothing, CLOSE alone), so
 *	no callback may assume another ran. NULL when smfi_setpriv() fails
 *	(a NULL ctx) or no milter is defined: the callback then tempfails.
 *	milter_conn_connect() is the same for xxfi_connect, reset for a new
 *	connection (message freed, all zeroed but what OPTNEG negotiated).
 *	milter_msg_end() frees the message (def->msg_free) and forgets a
 *	deferred failure: at MAIL (a new transaction), after EOM, at ABORT.
 *	milter_xxfi_close() ends the message and frees the connection.
 *
 *	No-reply stages. milter_negotiate() is the body of xxfi_negotiate:
 *	it grants the actions, asks for the wanted SMFIP_NR_* stages and the
 *	SMFIP_NO* steps the MTA offers, and records the stages in
 *	conn->noreply. A callback at such a stage answers milter_stage_ok()
 *	(SMFIS_NOREPLY there, SMFIS_CONTINUE otherwise); it cannot reject or
 *	tempfail (libmilter turns any other answer into no reply), so a
 *	failure with nowhere else to go is milter_stage_fail(): TEMPFAIL at
 *	a replying stage, else kept in conn->deferred (first reason wins) for
 *	the end of message to turn into the reply.
 *
 *	Header values. With SMFIP_HDR_LEADSPC (def->opts; asked for only
 *	when the MTA offers it, as Postfix does with milter_protocol 6),
 *	libmilter hands xxfi_header the value exactly as it follows the
 *	colon: " foo" for "Subject: foo", "\n\tfoo" for "Subject:" LF TAB
 *	"foo" (Postfix folds with LF). Without it the MTA eats the one space
 *	(not tab) after the colon (Postfix milter8.c, Sendmail's default),
 *	so an odd fold ("To:" LF TAB "bob") cannot be told from the usual
 *	"To: bob" and a field cannot be rebuilt byte for byte.
 *	milter_header_lead() is what goes between "name:" and the value to
 *	rebuild the field as it is in the message ("" with LEADSPC, " "
 *	without: the best guess): what DKIM's simple header
 *	canonicalization (RFC 6376 section 3.4.1) and a spool need.
 *	milter_header_text() is the value past its leading white space and
 *	folds (SP, TAB, CR, LF): what a parser or a comparison needs, the
 *	same whatever was negotiated.
 *	The option works both ways: with it the MTA adds no space either
 *	after the colon of a field the milter adds or inserts (Postfix
 *	milter8.c, MILTER8_HDR_SPACE), so "A-R:value" would reach the
 *	mailbox and a DKIM-Signature hashed as "DKIM-Signature: v=1" would
 *	fail simple canonicalization. milter_add_header() writes "name:
 *	value" whatever was negotiated; no milter calls smfi_addheader() or
 *	smfi_insheader() itself.
 *
 *	Thread stacks. libmilter starts a thread per MTA connection (two per
 *	message with Postfix: smtpd's and cleanup's) with default attributes,
 *	so their stack is RLIMIT_STACK: 8 MiB. glibc keeps a 40 MiB cache of
 *	freed stacks; at 20 concurrent SMTP sessions most 8 MiB stacks miss
 *	it and cost an mmap, an munmap (a TLB shootdown on every CPU) and
 *	page faults per thread. MILTER_THREAD_STACK keeps them in the cache
 *	(docs/bench-milter-auth.md). milter-auth's deepest path (SPF include
 *	recursion, libopendkim, OpenSSL) stays far below it.
 * DIAGNOSTICS
 *	milter_open() is startup code: log_fatal*() (exit 1) on failure.
 *--*/
#ifndef MESSEC_MILTER_H
#define MESSEC_MILTER_H

#include <stddef.h>
#include <libmilter/mfapi.h>
#include "cfg.h"

#define MILTER_THREAD_STACK	(512 * 1024)

struct milter_conn {
	unsigned long noreply;		/* SMFIP_NR_* granted at OPTNEG */
	const char *deferred;		/* static text: a no-reply stage failed
					   with no other place to record it */
	void *msg;			/* the milter's message, or NULL */
	unsigned long opts;		/* SMFIP_HDR_LEADSPC if granted at OPTNEG */
};

struct milter_def {
	struct smfiDesc *desc;
	size_t conn_size;		/* of the milter's struct: starts with
					   struct milter_conn */
	void (*msg_free)(void *msg);	/* frees a message (never NULL) */
	unsigned long actions;		/* SMFIF_*: required at OPTNEG */
	unsigned long noreply;		/* SMFIP_NR_*: stages without a reply */
	unsigned long nosend;		/* SMFIP_NO*: steps not sent, if offered */
	unsigned long opts;		/* SMFIP_HDR_LEADSPC: asked for if offered */
};

/* def must outlive the milter (a static). */
void milter_define(const struct milter_def *def);
void milter_open(const struct cfg *cfg, const struct milter_def *def);
/* smfi_main(): 0 on a clean stop. */
int milter_run(void);
void milter_stop(void);

void *milter_conn_get(SMFICTX *ctx);
void *milter_conn_connect(SMFICTX *ctx);
/* Message freed; all zeroed but noreply. */
void milter_conn_reset(void *conn);
void milter_msg_end(struct milter_conn *conn);

/* Ready-made callbacks for the smfiDesc. */
sfsistat milter_xxfi_abort(SMFICTX *ctx);
sfsistat milter_xxfi_close(SMFICTX *ctx);
sfsistat milter_xxfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3);

sfsistat milter_stage_ok(const struct milter_conn *conn, unsigned long nr_bit);
sfsistat milter_stage_fail(struct milter_conn *conn, unsigned long nr_bit,
			   const char *why);
/* xxfi_negotiate's body. conn NULL: replies at every stage (SMFIS_ALL_OPTS). */
sfsistat milter_negotiate(struct milter_conn *conn, unsigned long actions,
			  unsigned long noreply, unsigned long nosend, unsigned long opts,
			  unsigned long f1,
			  unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
			  unsigned long *pf3);

/* Header values (see Header values above). */
const char *milter_header_lead(const struct milter_conn *conn);
const char *milter_header_text(const char *value);
/* smfi_insheader() (index >= 0) or smfi_addheader() (index < 0) of the
   field "name: value": the space goes in the value when HDR_LEADSPC was
   negotiated. MI_SUCCESS or MI_FAILURE. */
int milter_add_header(SMFICTX *ctx, const struct milter_conn *conn, int index,
		      const char *name, const char *value);

/* The client address of xxfi_connect as text ("" when not IPv4/IPv6). */
void milter_client_ip(const _SOCK_ADDR *hostaddr, char *buf, size_t size);
/* The queue id (macro "i"), sanitised, or "NOQUEUE". */
void milter_queue_id(SMFICTX *ctx, char *buf, size_t size);

#endif
