/*++
 * NAME
 *	fuzz_policyd_proto 1
 * SUMMARY
 *	libFuzzer target for messec-policyd's request parser (policyd/proto.c)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_policyd_proto -max_len=8192 tests/fuzz/corpus/policyd_proto
 * DESCRIPTION
 *	The input is a connection's byte stream, fed as the event loop
 *	does: in pieces (the first byte picks the piece size), parsing the
 *	head of a buffer of max_request bytes after each piece and dropping
 *	each whole request. Checks, else abort:
 *	- MORE consumes nothing; DONE consumes 1..len bytes ending in "\n\n";
 *	- every known attribute of a DONE request lies inside the consumed
 *	  bytes, is NUL-ended there and holds no newline;
 *	- request is "smtpd_access_policy" and nattrs <= max_attributes;
 *	- the buffer never needs more than max_request bytes;
 *	- a reply built from any value is "action=" + one line + "\n\n".
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../policyd/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pd_limits lim = { .max_line = 256, .max_request = 2048, .max_attributes = 20 };

static void check_done(const char *buf, size_t used, const struct pd_request *req)
{
	char out[600];

	if (used < 2 || buf[used - 1] != '\0' || req->nattrs == 0 || req->nattrs > lim.max_attributes)
		abort();
	if (strcmp(pd_req_get(req, PD_A_REQUEST), "smtpd_access_policy") != 0)
		abort();
	for (int a = 0; a < PD_A_COUNT; a++) {
		const char *v = req->attr[a];

		if (v == NULL)
			continue;
		if (v < buf || v >= buf + used || memchr(v, '\0', (size_t) (buf + used - v)) == NULL)
			abort();
		if (strchr(v, '\n') != NULL)
			abort();
		size_t n = pd_proto_reply(out, sizeof(out), v);

		if (n < 9 || memcmp(out, "action=", 7) != 0 || out[n - 1] != '\n' || out[n - 2] != '\n' ||
		    memchr(out, '\n', n - 2) != NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(lim.max_request);
	size_t len = 0, off = 1, piece;

	if (size == 0 || buf == NULL) {
		free(buf);
		return 0;
	}
	piece = (size_t) data[0] % 64 + 1;
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		if (n > lim.max_request - len)
			n = lim.max_request - len;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		for (;;) {
			struct pd_request req;
			size_t used = 7;
			const char *err = NULL;
			enum pd_parse_result r = pd_proto_parse(buf, len, &lim, &req, &used, &err);

			if (r == PD_PARSE_ERROR) {
				if (err == NULL)
					abort();
				free(buf);
				return 0;	/* the loop closes the connection */
			}
			if (r == PD_PARSE_MORE) {
				if (used != 0)
					abort();
				/* A full buffer that is still "more" would stall. */
				if (len == lim.max_request)
					abort();
				break;
			}
			if (used == 0 || used > len)
				abort();
			check_done(buf, used, &req);
			memmove(buf, buf + used, len - used);
			len -= used;
		}
	}
	free(buf);
	return 0;
}
