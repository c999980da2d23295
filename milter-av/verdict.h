/*++
 * NAME
 *	verdict 3h
 * SUMMARY
 *	the decision of messec-milter-av: what was found -> what is done
 * DESCRIPTION
 *	av_verdict_decide() is a pure function of the scan outcome and the
 *	configured actions (no libmilter, no libclamav), tested case by case
 *	in tests/test_verdict.c. Its rules:
 *
 *	- a message that is accepted (or quarantined) always carries the
 *	  X-Virus-Status the outcome calls for: "clean", "infected (NAME)",
 *	  or "unscanned (REASON)". There is no accept without a tag saying
 *	  whether it was scanned (issue 17, item 6).
 *	- an internal error (no engine, scan error, spool error) is
 *	  TEMPFAIL unless error_action = accept, which tags it unscanned.
 *	- a message over max_message_size is TEMPFAIL or accepted and
 *	  tagged unscanned, as oversize_action says; one whose scan a
 *	  libclamav limit cut short (max_recursion, max_files,
 *	  max_file_size, max_scan_size, max_scan_time: nesting 300 deep
 *	  could hide anything below the limit) likewise, as limits_action
 *	  says.
 *	- a signature hit (infected), a policy hit (blocked extension or
 *	  type, double extension), an encrypted archive and an Office macro
 *	  each have their own action: reject (554 5.7.1 naming what was
 *	  found), discard, quarantine (Postfix hold) or tag. Policy,
 *	  encrypted and macro may also be "off" (the check is not made; the
 *	  scanner does not report them).
 *--*/
#ifndef AV_VERDICT_H
#define AV_VERDICT_H

#include <stddef.h>

enum av_outcome_kind {
	AV_OUT_CLEAN,
	AV_OUT_INFECTED,	/* a signature matched: name */
	AV_OUT_POLICY,		/* attachment policy: name = rule, detail = file */
	AV_OUT_ENCRYPTED,	/* encrypted archive or document */
	AV_OUT_MACRO,		/* Office document with macros */
	AV_OUT_OVERSIZE,	/* over max_message_size: not scanned */
	AV_OUT_LIMITS,		/* a scan limit cut the scan short: name */
	AV_OUT_ERROR,		/* engine missing, scan or spool error: detail */
};

/* Actions of a hit; OFF only for the optional checks. */
enum av_hit_action { AV_HIT_REJECT, AV_HIT_DISCARD, AV_HIT_QUARANTINE, AV_HIT_TAG, AV_HIT_OFF };
#define AV_HIT_ACTIONS "reject|discard|quarantine|tag"
#define AV_HIT_ACTIONS_OFF "reject|discard|quarantine|tag|off"
/* Actions of a message that could not be scanned. */
enum av_unscanned_action { AV_UNSCANNED_TEMPFAIL, AV_UNSCANNED_ACCEPT };
#define AV_UNSCANNED_ACTIONS "tempfail|accept"

struct av_actions {
	enum av_hit_action infected, policy, encrypted, macro;
	enum av_unscanned_action oversize, error, limits;
};

struct av_outcome {
	enum av_outcome_kind kind;
	const char *name;	/* signature or rule name (sanitised by caller) */
	const char *detail;	/* file name or error text, may be NULL */
};

enum av_action { AV_ACCEPT, AV_REJECT, AV_DISCARD, AV_QUARANTINE, AV_TEMPFAIL };

#define AV_STATUS_MAX 300
#define AV_REPLY_MAX 400

struct av_verdict {
	enum av_action action;
	int tag;			/* add X-Virus-Scanned/X-Virus-Status */
	char status[AV_STATUS_MAX];	/* X-Virus-Status value */
	char rcode[4], xcode[8];	/* for reject / tempfail */
	char reply[AV_REPLY_MAX];	/* text of the SMTP reply */
	char reason[AV_REPLY_MAX];	/* quarantine reason / log text */
};

void av_verdict_decide(const struct av_actions *actions, const struct av_outcome *out,
		       struct av_verdict *v);
const char *av_action_name(enum av_action action);
/* The family of a signature name for the metrics: the category of
   ClamAV's "Platform.Category.Name-Id-Rev" convention in lower case
   ("Win.Trojan.Agent-1-0" -> "trojan"), "heuristics" for Heuristics.*,
   "test" for EICAR, else "other". One of AV_FAMILIES (static). */
const char *av_verdict_family(const char *name);
#define AV_FAMILIES "adware|backdoor|coinminer|countermeasure|downloader|dropper|exploit|" \
	"file|filetype|infostealer|ircbot|joke|keylogger|loader|macro|malware|packed|packer|" \
	"phishing|proxy|ransomware|revoked|rootkit|spyware|test|tool|trojan|virus|worm|heuristics"
const char *av_outcome_name(enum av_outcome_kind kind);

#endif
