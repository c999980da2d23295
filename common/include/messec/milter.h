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
 *	Socket. milter_open() reads the keys socket (CFG_SOCKET), socket_mode
 *	(octal string), user, group and milter_timeout (CFG_TIME) from the
 *	daemon's config, registers desc and binds the socket as root. A
 *	socket file left behind by a killed instance (kill -9) is removed
 *	first (smfi_opensocket(1)); a unix socket then gets socket_mode and,
 *	as root, the service user and group, so the MTA can connect after
 *	the privilege drop.
 *
 *	Per-connection state. A milter's connection struct starts with a
 *	struct milter_conn. milter_conn_get() returns it, created (zeroed)
 *	by whichever callback comes first: libmilter passes on whatever the
 *	peer sends (MAIL with no CONNECT, EOM with nothing, CLOSE alone), so
 *	no callback may assume another ran. NULL only when smfi_setpriv()
 *	fails (a NULL ctx). milter_conn_reset() zeroes it for a new
 *	connection but keeps what OPTNEG negotiated; milter_conn_take()
 *	detaches it in the close callback (the caller frees it).
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
};

void milter_open(const struct cfg *cfg, struct smfiDesc *desc);
/* smfi_main(): 0 on a clean stop. */
int milter_run(void);
void milter_stop(void);

/* size: of the milter's own struct, which starts with struct milter_conn. */
void *milter_conn_get(SMFICTX *ctx, size_t size);
void milter_conn_reset(void *conn, size_t size);
/* The connection state, detached from ctx (NULL if none): caller frees. */
void *milter_conn_take(SMFICTX *ctx);

sfsistat milter_stage_ok(const struct milter_conn *conn, unsigned long nr_bit);
sfsistat milter_stage_fail(struct milter_conn *conn, unsigned long nr_bit,
			   const char *why);
/* xxfi_negotiate's body. conn NULL: replies at every stage (SMFIS_ALL_OPTS). */
sfsistat milter_negotiate(struct milter_conn *conn, unsigned long actions,
			  unsigned long noreply, unsigned long nosend, unsigned long f1,
			  unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
			  unsigned long *pf3);

/* The client address of xxfi_connect as text ("" when not IPv4/IPv6). */
void milter_client_ip(const _SOCK_ADDR *hostaddr, char *buf, size_t size);
/* The queue id (macro "i"), sanitised, or "NOQUEUE". */
void milter_queue_id(SMFICTX *ctx, char *buf, size_t size);

#endif
