/*++
 * NAME
 *	verdict 3
 * SUMMARY
 *	messec-milter-av's decision (see verdict.h)
 * DESCRIPTION
 *	Trust boundary: the names and details come from the signature
 *	database and from file names the sender chose; the caller has
 *	sanitised them (engine.c), and every text is cut to its buffer
 *	here (snprintf, truncation accepted: it only shortens a reply).
 * STANDARDS
 *	RFC 3463: 5.7.1 (delivery not authorized, message refused) for a
 *	refused message; 4.7.1 for a message not scanned; 4.3.0 for an
 *	internal error. RFC 5321 4.2.3: 554 (transaction failed).
 *--*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "messec/str.h"
#include "verdict.h"

const char *av_action_name(enum av_action action)
{
	static const char *const names[] = { "accept", "reject", "discard", "quarantine", "tempfail" };

	return (unsigned) action < sizeof(names) / sizeof(names[0]) ? names[action] : "?";
}

const char *av_outcome_name(enum av_outcome_kind kind)
{
	static const char *const names[] = { "clean", "infected", "policy", "encrypted",
		"macro", "oversize", "limits", "error" };

	return (unsigned) kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static void set_code(struct av_verdict *v, const char *rcode, const char *xcode)
{
	str_copy(v->rcode, rcode, sizeof(v->rcode));
	str_copy(v->xcode, xcode, sizeof(v->xcode));
}

/* A message that could not be scanned: tempfail, or accept tagged unscanned. */
static void unscanned(enum av_unscanned_action a, const char *why, const char *xcode,
		      struct av_verdict *v)
{
	snprintf(v->status, sizeof(v->status), "unscanned (%s)", why);
	snprintf(v->reason, sizeof(v->reason), "not scanned: %s", why);
	if (a == AV_UNSCANNED_ACCEPT) {
		v->action = AV_ACCEPT;
		v->tag = 1;
		return;
	}
	v->action = AV_TEMPFAIL;
	set_code(v, "451", xcode);
	snprintf(v->reply, sizeof(v->reply), "Message not scanned (%s), try again later", why);
}

void av_verdict_decide(const struct av_actions *actions, const struct av_outcome *out,
		       struct av_verdict *v)
{
	const char *name = out->name != NULL && *out->name != '\0' ? out->name : "unknown";
	const char *detail = out->detail != NULL ? out->detail : "";
	enum av_hit_action hit;
	const char *what;

	memset(v, 0, sizeof(*v));
	switch (out->kind) {
	case AV_OUT_CLEAN:
		v->action = AV_ACCEPT;
		v->tag = 1;
		str_copy(v->status, "clean", sizeof(v->status));
		str_copy(v->reason, "clean", sizeof(v->reason));
		return;
	case AV_OUT_OVERSIZE:
		unscanned(actions->oversize, "message over the size limit", "4.3.4", v);
		return;
	case AV_OUT_LIMITS: {
		char why[AV_STATUS_MAX - 20];

		snprintf(why, sizeof(why), "scan limit reached: %s", name);
		unscanned(actions->limits, why, "4.3.4", v);
		return;
	}
	case AV_OUT_ERROR:
		unscanned(actions->error, *detail != '\0' ? detail : "scan error", "4.3.0", v);
		return;
	case AV_OUT_INFECTED:
		hit = actions->infected;
		what = "Virus found";
		break;
	case AV_OUT_POLICY:
		hit = actions->policy;
		what = "Attachment type not allowed";
		break;
	case AV_OUT_ENCRYPTED:
		hit = actions->encrypted;
		what = "Encrypted attachment not allowed";
		break;
	case AV_OUT_MACRO:
		hit = actions->macro;
		what = "Office document with macros not allowed";
		break;
	default:
		unscanned(actions->error, "unknown outcome", "4.3.0", v);
		return;
	}
	/* A hit whose check is off cannot be reported by the scanner; if it
	   is anyway, it is still not "clean": tag it. */
	snprintf(v->status, sizeof(v->status), "infected (%s)", name);
	if (*detail != '\0') {
		snprintf(v->reason, sizeof(v->reason), "%s: %s (%s)", av_outcome_name(out->kind),
			 name, detail);
		snprintf(v->reply, sizeof(v->reply), "%s: %s (%s)", what, name, detail);
	} else {
		snprintf(v->reason, sizeof(v->reason), "%s: %s", av_outcome_name(out->kind), name);
		snprintf(v->reply, sizeof(v->reply), "%s: %s", what, name);
	}
	switch (hit) {
	case AV_HIT_REJECT:
		v->action = AV_REJECT;
		set_code(v, "554", "5.7.1");
		break;
	case AV_HIT_DISCARD:
		v->action = AV_DISCARD;
		break;
	case AV_HIT_QUARANTINE:
		v->action = AV_QUARANTINE;
		v->tag = 1;
		break;
	case AV_HIT_TAG:
	case AV_HIT_OFF:
	default:
		v->action = AV_ACCEPT;
		v->tag = 1;
		break;
	}
}

const char *av_verdict_family(const char *name)
{
	/* The categories of ClamAV's signature naming convention
	   (docs.clamav.net, "Signature Names"), the order of AV_FAMILIES. */
	static const char *const families[] = { "adware", "backdoor", "coinminer",
		"countermeasure", "downloader", "dropper", "exploit", "file", "filetype",
		"infostealer", "ircbot", "joke", "keylogger", "loader", "macro", "malware",
		"packed", "packer", "phishing", "proxy", "ransomware", "revoked", "rootkit",
		"spyware", "test", "tool", "trojan", "virus", "worm" };
	const char *dot, *end;
	size_t i, len;

	if (name == NULL)
		return "other";
	if (strncasecmp(name, "Heuristics.", 11) == 0)
		return "heuristics";
	if (strncasecmp(name, "Eicar", 5) == 0)
		return "test";
	if ((dot = strchr(name, '.')) == NULL)
		return "other";
	end = strchr(dot + 1, '.');
	len = end != NULL ? (size_t) (end - dot - 1) : 0;	/* a name follows the category */
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (len == strlen(families[i]) && strncasecmp(dot + 1, families[i], len) == 0)
			return families[i];
	return "other";
}
