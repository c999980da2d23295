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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

struct conn {
	int fd;
	char last;	/* the last byte seen: a request ends with "\n\n" */
};

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, lfd, ep;
	static const char answer[] = "action=DUNNO\n\n";

	unsigned long port = argc == 2 ? strtoul(argv[1], NULL, 10) : 0;

	if (port == 0 || port > 65535) {
		fprintf(stderr, "usage: policy-trivial PORT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t) port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(lfd, 1024) < 0) {
		perror("policy-trivial: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };

	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				c = calloc(1, sizeof(*c));
				c->fd = fd;
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
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
