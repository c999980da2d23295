/*++
 * NAME
 *	dmarc_send 3h
 * SUMMARY
 *	DMARC aggregate report mail: gzip, RFC 7489 section 7.2.1.1
 *	message, hand-off to the local sendmail
 * SYNOPSIS
 *	#include "dmarc_send.h"
 * DESCRIPTION
 *	ma_send_gzip() compresses a report with zlib (gzip format).
 *	ma_send_message() builds the report mail: From, To, the section
 *	7.2.1.1 Subject and file name, a short text part and the
 *	application/gzip attachment in base64. ma_send_sendmail() hands a
 *	message to the local MTA and says whether it took it.
 *--*/
#ifndef MA_DMARC_SEND_H
#define MA_DMARC_SEND_H

#include <stddef.h>
#include <time.h>

struct sbuf;

/* gzip of data into a malloc'ed *out_r (caller frees). 0 ok, -1 error. */
int ma_send_gzip(const void *data, size_t len, unsigned char **out_r, size_t *out_len_r);

struct ma_send_mail {
	const char *from;		/* the reporter's address (--email) */
	const char *to;			/* one rua address */
	const char *org_name;
	const char *submitter;		/* the reporter's domain (section 7.2.1.1) */
	const char *policy_domain;
	const char *report_id;
	const char *filename;		/* submitter!domain!begin!end.xml.gz */
	const unsigned char *gz;	/* the compressed report */
	size_t gz_len;
	time_t now;
};

/* The whole message (LF line ends) appended to out. 0 ok, -1 when out's
   cap is reached. */
int ma_send_message(struct sbuf *out, const struct ma_send_mail *m);

/*
 * Run sendmail (argv: path -i -f from -- to) with msg on its standard
 * input; 0 when it exited 0 within timeout_s (the MTA queued the
 * message), else -1 with one line in err.
 */
int ma_send_sendmail(const char *path, const char *from, const char *to, const void *msg,
		     size_t len, unsigned timeout_s, char *err, size_t err_size);

#endif
