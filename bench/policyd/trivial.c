/*++
 * NAME
 *	policy-trivial 1
 * SUMMARY
 *	a policy server that answers DUNNO to everything (bench/policyd)
 * SYNOPSIS
 *	policy-trivial PORT
 * DESCRIPTION
 *	The ceiling of the harness: one epoll thread on 127.0.0.1:PORT that
 *	counts the empty lines ending requests and answers "action=DUNNO"
 *	to each, parsing nothing else. What a real policy server reaches is
 *	measured as a fraction of this, in the same run.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "srv.h"

struct conn {
	int fd;		/* first: srv_accept() sets it */
	char last;	/* the last byte seen: a request ends with "\n\n" */
};

int main(int argc, char **argv)
{
	static const char answer[] = "action=DUNNO\n\n";
	unsigned long port = argc == 2 ? strtoul(argv[1], NULL, 10) : 0;
	int lfd, ep;

	if (port == 0 || port > 65535) {
		fprintf(stderr, "usage: policy-trivial PORT\n");
		return 2;
	}
	lfd = srv_listen("policy-trivial", port, &ep);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				srv_accept(lfd, ep, sizeof(struct conn));
				continue;
			}
			char buf[16384];
			ssize_t got = read(c->fd, buf, sizeof(buf));

			if (got <= 0) {
				close(c->fd);
				free(c);
				continue;
			}
			for (ssize_t k = 0; k < got; k++) {
				if (buf[k] == '\n' && c->last == '\n' &&
				    write(c->fd, answer, sizeof(answer) - 1) < 0)
					break;
				c->last = buf[k] == '\n' && c->last == '\n' ? 0 : buf[k];
			}
		}
	}
}
