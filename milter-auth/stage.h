/*++
 * NAME
 *	stage 3h
 * SUMMARY
 *	messec-milter-auth per-message stages: the list the callbacks run
 * SYNOPSIS
 *	#include "stage.h"
 * DESCRIPTION
 *	A stage is one job done on a message (verify today; DKIM signing,
 *	outbound header cleaning and report recording are the next ones).
 *	ma_stages[] lists them in the order they run; the libmilter
 *	callbacks (milter.c) call each active stage's hook in turn and know
 *	nothing of what a stage does, so a new stage is one more entry here
 *	and no "if (outbound)" in a callback.
 *
 *	active(msg): whether the stage works on this message (asked at every
 *	hook; e.g. verify: inbound only).
 *
 *	header, eoh, body: the message as it streams. They run at no-reply
 *	stages (milter.h), so they cannot answer: a failure is recorded with
 *	ma_msg_error() and becomes the decision at end of message. The
 *	callbacks stop calling them once the message has an internal error
 *	or its headers are over the limits (hdrbook.h). A NULL hook: nothing
 *	to do there.
 *
 *	begun(msg): the stage has taken headers, so a body chunk that comes
 *	before any EOH (hostile order) ends the header phase: every stage
 *	gets its eoh first.
 *
 *	eom: after ma_evaluate() (evaluate.h) decided, for a message that
 *	is delivered (not rejected or tempfailed): the stage's changes to
 *	the message, in list order. 0 ok; -1 with a reason word and an
 *	error text stops the list and tempfails the message (a change that
 *	failed half way must not be delivered, e.g. with a forged A-R).
 *
 *	decided: after eom, for every message whatever the decision (reject
 *	and tempfail included), to record what was decided (DMARC reports).
 *	It cannot change the message nor the reply.
 *--*/
#ifndef MA_STAGE_H
#define MA_STAGE_H

#include <libmilter/mfapi.h>
#include "msgstate.h"
#include "evaluate.h"

struct ma_stage_call {
	SMFICTX *ctx;
	struct ma_conn *conn;
	struct ma_msg *msg;
};

struct ma_stage {
	const char *name;
	int (*active)(const struct ma_msg *msg);
	int (*begun)(const struct ma_msg *msg);
	/* value: past its leading white space and folds, for parsing;
	   raw: the field's exact bytes after the colon, for DKIM
	   (milter.h of common/, Header values). */
	void (*header)(const struct ma_stage_call *c, const char *name, const char *value,
		       const char *raw);
	void (*eoh)(const struct ma_stage_call *c);
	void (*body)(const struct ma_stage_call *c, const unsigned char *data, size_t len);
	int (*eom)(const struct ma_stage_call *c, const struct ma_eval *ev,
		   const char **reason_r, const char **error_r);
	void (*decided)(const struct ma_stage_call *c, const struct ma_eval *ev);
};

/* In running order; the last entry has name NULL. */
extern const struct ma_stage ma_stages[];

#endif
