/*++
 * NAME
 *	proto 3
 * SUMMARY
 *	Postfix policy delegation protocol: strict request parser, reply
 * DESCRIPTION
 *	See proto.h. The parser is stateless: it re-reads the start of the
 *	buffer each time more bytes arrive. That costs at most max_request
 *	bytes of scanning per read and keeps a request split across reads
 *	exactly as strict as one that arrived whole.
 * DIAGNOSTICS
 *	PD_PARSE_ERROR with a static text; never touches the network.
 *--*/
#include <string.h>
#include "proto.h"

/* Names with their lengths: the lookup compares lengths first (most of
   Postfix's 50-odd attributes per request are not ours), then bytes. */
#define A(name) { name, sizeof(name) - 1 }
static const struct {
	const char *name;
	size_t len;
} attrs[PD_A_COUNT] = {
	[PD_A_REQUEST] = A("request"),
	[PD_A_PROTOCOL_STATE] = A("protocol_state"),
	[PD_A_PROTOCOL_NAME] = A("protocol_name"),
	[PD_A_HELO_NAME] = A("helo_name"),
	[PD_A_QUEUE_ID] = A("queue_id"),
	[PD_A_SENDER] = A("sender"),
	[PD_A_RECIPIENT] = A("recipient"),
	[PD_A_RECIPIENT_COUNT] = A("recipient_count"),
	[PD_A_CLIENT_ADDRESS] = A("client_address"),
	[PD_A_CLIENT_NAME] = A("client_name"),
	[PD_A_REVERSE_CLIENT_NAME] = A("reverse_client_name"),
	[PD_A_INSTANCE] = A("instance"),
	[PD_A_SASL_METHOD] = A("sasl_method"),
	[PD_A_SASL_USERNAME] = A("sasl_username"),
	[PD_A_SASL_SENDER] = A("sasl_sender"),
	[PD_A_SIZE] = A("size"),
};
#undef A

const char *pd_attr_name(enum pd_attr a)
{
	return (unsigned) a < PD_A_COUNT ? attrs[a].name : "?";
}

/* Candidates by name length (a request has ~50 lines, ~16 of them
   ours): at most three comparisons per line. Checked against attrs[]
   by policyd_test_proto ("every attribute name is found"). */
static const signed char by_len[20][4] = {
	[4] = { PD_A_SIZE, -1 },
	[6] = { PD_A_SENDER, -1 },
	[7] = { PD_A_REQUEST, -1 },
	[8] = { PD_A_QUEUE_ID, PD_A_INSTANCE, -1 },
	[9] = { PD_A_HELO_NAME, PD_A_RECIPIENT, -1 },
	[11] = { PD_A_CLIENT_NAME, PD_A_SASL_METHOD, PD_A_SASL_SENDER, -1 },
	[13] = { PD_A_PROTOCOL_NAME, PD_A_SASL_USERNAME, -1 },
	[14] = { PD_A_PROTOCOL_STATE, PD_A_CLIENT_ADDRESS, -1 },
	[15] = { PD_A_RECIPIENT_COUNT, -1 },
	[19] = { PD_A_REVERSE_CLIENT_NAME, -1 },
};

int pd_attr_lookup(const char *name, size_t len)
{
	if (len >= sizeof(by_len) / sizeof(by_len[0]))
		return -1;
	/* Unlisted lengths are all zeros: attribute 0 (request, length 7)
	   fails the length check below. */
	for (int k = 0; k < 4 && by_len[len][k] >= 0; k++) {
		int i = by_len[len][k];

		if (attrs[i].len == len && memcmp(attrs[i].name, name, len) == 0)
			return i;
		if (i == 0)
			break;
	}
	return -1;
}

const char *pd_req_get(const struct pd_request *req, enum pd_attr a)
{
	const char *v = (unsigned) a < PD_A_COUNT ? req->attr[a] : NULL;

	return v != NULL ? v : "";
}

/*
 * Attribute names are what Postfix sends: lower-case letters, digits,
 * '_' and '-' (ccert_*, encryption_*, policy_context). Anything else is
 * not Postfix talking.
 */
static const unsigned char name_char[256] = {
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1, ['-'] = 1,
};

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char[(unsigned char) s[i]])
			return 0;
	return 1;
}

/*
 * Check one line [s, s+len) (newline excluded). Returns the known
 * attribute index, PD_A_COUNT for an unknown one, -1 when malformed.
 */
static int check_line(const char *s, size_t len, size_t *eq_r, const char **error_r)
{
	const char *eq = memchr(s, '=', len);

	if (eq == NULL) {
		*error_r = "line without '='";
		return -1;
	}
	if (!name_ok(s, (size_t) (eq - s))) {
		*error_r = "bad attribute name";
		return -1;
	}
	int a = pd_attr_lookup(s, (size_t) (eq - s));

	*eq_r = (size_t) (eq - s);
	return a < 0 ? PD_A_COUNT : a;
}

enum pd_parse_result pd_proto_parse(char *buf, size_t len, const struct pd_limits *lim,
				    struct pd_request *req, size_t *used_r,
				    const char **error_r)
{
	size_t pos = 0, end = 0;
	unsigned nattrs = 0;
	unsigned seen = 0;		/* bit per known attribute */
	size_t val[PD_A_COUNT], eol[PD_A_COUNT];	/* offsets, for pass 2 */
	int done = 0;

	*used_r = 0;
	/*
	 * Pass 1: validate every whole line up to the empty line, and the
	 * partial last line so far (its length and bytes).
	 */
	while (pos < len) {
		size_t avail = len - pos;
		const char *nl = memchr(buf + pos, '\n', avail);
		size_t llen = nl != NULL ? (size_t) (nl - (buf + pos)) : avail;

		if (memchr(buf + pos, '\0', llen) != NULL) {
			*error_r = "NUL byte in request";
			return PD_PARSE_ERROR;
		}
		if (llen > lim->max_line) {
			*error_r = "line too long";
			return PD_PARSE_ERROR;
		}
		/*
		 * Room check: a partial line must leave room for its newline,
		 * and a whole non-empty line for the request's final empty
		 * line. Else the buffer (max_request bytes) could fill up
		 * with something that can never complete.
		 */
		if ((nl == NULL && pos + llen >= lim->max_request) ||
		    (nl != NULL && llen > 0 && pos + llen + 2 > lim->max_request) ||
		    (nl != NULL && pos + llen + 1 > lim->max_request)) {
			*error_r = "request too long";
			return PD_PARSE_ERROR;
		}
		if (nl == NULL)
			return PD_PARSE_MORE;
		if (llen == 0) {
			end = pos + 1;
			done = 1;
			break;
		}
		if (++nattrs > lim->max_attributes) {
			*error_r = "too many attributes";
			return PD_PARSE_ERROR;
		}
		size_t eq = 0;
		int a = check_line(buf + pos, llen, &eq, error_r);

		if (a < 0)
			return PD_PARSE_ERROR;
		if (a < PD_A_COUNT) {
			/* A second sender or recipient would let one request
			   say two things: refuse it. */
			if (seen & (1u << a)) {
				*error_r = "attribute given twice";
				return PD_PARSE_ERROR;
			}
			seen |= 1u << a;
			val[a] = pos + eq + 1;
			eol[a] = pos + llen;
		}
		pos += llen + 1;
	}
	if (!done)
		return PD_PARSE_MORE;
	if (nattrs == 0) {
		*error_r = "empty request";
		return PD_PARSE_ERROR;
	}

	/* Pass 2: NUL-end the known values in place (the other lines keep
	   their newlines) and record them. */
	memset(req, 0, sizeof(*req));
	req->nattrs = nattrs;
	for (int a = 0; a < PD_A_COUNT; a++) {
		if (!(seen & (1u << a)))
			continue;
		buf[eol[a]] = '\0';
		req->attr[a] = buf + val[a];
	}
	buf[end - 1] = '\0';
	if (req->attr[PD_A_REQUEST] == NULL || strcmp(req->attr[PD_A_REQUEST], "smtpd_access_policy") != 0) {
		*error_r = "not request=smtpd_access_policy";
		*used_r = end;
		return PD_PARSE_ERROR;
	}
	*used_r = end;
	return PD_PARSE_DONE;
}

size_t pd_proto_reply(char *out, size_t size, const char *action)
{
	static const char pre[] = "action=";
	size_t n = 0;

	if (size < sizeof(pre) + 2)
		return 0;
	memcpy(out, pre, sizeof(pre) - 1);
	n = sizeof(pre) - 1;
	for (const char *p = action; *p != '\0' && n + 2 < size; p++) {
		unsigned char c = (unsigned char) *p;

		out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	out[n++] = '\n';
	out[n++] = '\n';
	return n;
}
