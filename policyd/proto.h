/*++
 * NAME
 *	proto 3h
 * SUMMARY
 *	Postfix policy delegation protocol: strict request parser, reply
 * SYNOPSIS
 *	#include "proto.h"
 * DESCRIPTION
 *	A request (SMTPD_POLICY_README, "Protocol description") is a
 *	series of "name=value" lines, each ended by a newline, ended by an
 *	empty line; the reply is "action=..." and an empty line. Postfix
 *	may send many requests on one connection, one at a time.
 *
 *	pd_proto_parse() looks at the start of a connection's input buffer
 *	and answers PD_PARSE_MORE (no whole request yet, nothing wrong so
 *	far: read more), PD_PARSE_DONE (one request, *used_r bytes long,
 *	whose known attributes are now in *req; their values are NUL-ended
 *	in place (the newline after each becomes a NUL; other lines are left
 *	as they are), so req points into buf until the caller drops those
 *	bytes)
 *	or PD_PARSE_ERROR (*error_r says why; the caller logs it and closes
 *	the connection without a reply, as SMTPD_POLICY_README asks of a
 *	server in trouble). Strict: a line longer than max_line, a request
 *	longer than max_request or with more than max_attributes lines, a
 *	NUL byte, a line without "=", a bad attribute name, a known
 *	attribute given twice, an empty request or one without
 *	"request=smtpd_access_policy" is an error. Unknown attributes are
 *	counted and ignored (Postfix adds new ones over time). A request
 *	that is still incomplete is already checked, so a peer cannot make
 *	the caller buffer more than max_request bytes.
 *
 *	pd_proto_reply() renders "action=TEXT\n\n" with TEXT cleaned of
 *	control characters (a reply line must never carry a newline).
 *--*/
#ifndef PD_PROTO_H
#define PD_PROTO_H

#include <stddef.h>

/* The attributes policyd reads; every other one is ignored. */
enum pd_attr {
	PD_A_REQUEST, PD_A_PROTOCOL_STATE, PD_A_PROTOCOL_NAME, PD_A_HELO_NAME,
	PD_A_QUEUE_ID, PD_A_SENDER, PD_A_RECIPIENT, PD_A_RECIPIENT_COUNT,
	PD_A_CLIENT_ADDRESS, PD_A_CLIENT_NAME, PD_A_REVERSE_CLIENT_NAME,
	PD_A_INSTANCE, PD_A_SASL_METHOD, PD_A_SASL_USERNAME, PD_A_SASL_SENDER,
	PD_A_SIZE,
	PD_A_COUNT
};

struct pd_request {
	const char *attr[PD_A_COUNT];	/* NULL when absent; else NUL-ended */
	unsigned nattrs;		/* lines, known and unknown */
};

struct pd_limits {
	size_t max_line;		/* bytes, newline excluded */
	size_t max_request;		/* bytes, the empty line included */
	unsigned max_attributes;
};

enum pd_parse_result { PD_PARSE_ERROR = -1, PD_PARSE_MORE = 0, PD_PARSE_DONE = 1 };

enum pd_parse_result pd_proto_parse(char *buf, size_t len, const struct pd_limits *lim,
				    struct pd_request *req, size_t *used_r,
				    const char **error_r);
/* "" when absent. */
const char *pd_req_get(const struct pd_request *req, enum pd_attr a);
/* The attribute's protocol name ("client_address"). */
const char *pd_attr_name(enum pd_attr a);
/* Lookup by name: index or -1. */
int pd_attr_lookup(const char *name, size_t len);
/* Writes "action=TEXT\n\n" into out (cut to fit); returns its length. */
size_t pd_proto_reply(char *out, size_t size, const char *action);

#endif
