/*++
 * NAME
 *	nullmilter 1
 * SUMMARY
 *	the floor of the milter protocol: a milter that looks at nothing
 * SYNOPSIS
 *	nullmilter SOCKET
 * DESCRIPTION
 *	A benchmark yardstick, not a product: it asks Postfix for exactly the
 *	protocol stages messec-milter-auth asks for (milter-auth/milter.c,
 *	mlfi_negotiate: connect, HELO, headers, EOH and body as no-reply
 *	stages; no RCPT, DATA or unknown commands; MAIL and EOM answered),
 *	receives the whole message as messec does, checks nothing and adds
 *	one short header at end of message. Variant N of bench/milter-auth/run:
 *	what any milter that must see the message (DKIM needs the headers and
 *	the body) costs Postfix and the machine, before it does any work.
 *
 *	Built by bench/milter-auth/run (cc ... -lmilter), never installed.
 *	SOCKET is a libmilter socket spec (inet:PORT@127.0.0.1, unix:/path).
 *	Its threads get the same 512 KiB default stack as messec's
 *	(MILTER_THREAD_STACK in common/include/messec/milter.h, which the
 *	daemon skeleton sets), so N stays the floor of what messec does. It
 *	keeps its own main() rather than the daemon skeleton: the benchmark
 *	starts it with a bare socket argument and no config file.
 *--*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <libmilter/mfapi.h>

#define NM_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | \
		    SMFIP_NR_EOH | SMFIP_NR_BODY)
#define NM_NOSEND (SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN)

static sfsistat nm_continue(SMFICTX *ctx)
{
	(void) ctx;
	return SMFIS_CONTINUE;
}

static sfsistat nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void) host;
	(void) sa;
	return nm_continue(ctx);
}

static sfsistat nm_helo(SMFICTX *ctx, char *helo)
{
	(void) helo;
	return nm_continue(ctx);
}

static sfsistat nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void) argv;
	return nm_continue(ctx);
}

static sfsistat nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void) name;
	(void) value;
	return nm_continue(ctx);
}

static sfsistat nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void) chunk;
	(void) len;
	return nm_continue(ctx);
}

static sfsistat nm_eom(SMFICTX *ctx)
{
	return smfi_addheader(ctx, "X-Null-Milter", "seen") == MI_SUCCESS ?
	    SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static sfsistat nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void) ctx;
	(void) f0;
	(void) f2;
	(void) f3;
	*pf0 = SMFIF_ADDHDRS;
	*pf1 = f1 & (NM_NOREPLY | NM_NOSEND);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = nm_connect,
	.xxfi_helo = nm_helo,
	.xxfi_envfrom = nm_envfrom,
	.xxfi_header = nm_header,
	.xxfi_eoh = nm_continue,
	.xxfi_body = nm_body,
	.xxfi_eom = nm_eom,
	.xxfi_negotiate = nm_negotiate,
};

int main(int argc, char **argv)
{
	pthread_attr_t attr;

	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter SOCKET\n");
		return 2;
	}
	if (pthread_attr_init(&attr) == 0 &&
	    pthread_attr_setstacksize(&attr, 512 * 1024) == 0)
		(void) pthread_setattr_default_np(&attr);
	if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot use %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
