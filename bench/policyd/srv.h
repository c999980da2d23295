/*++
 * NAME
 *	srv.h
 * SUMMARY
 *	listening and accepting for the benchmark's own policy servers
 *	(trivial.c, floorsrv.c)
 * DESCRIPTION
 *	srv_listen(): a TCP listener on 127.0.0.1:port in a new epoll set
 *	(tagged NULL), or exit 1. srv_accept(): one new connection,
 *	TCP_NODELAY, in a zeroed struct of size bytes whose first member is
 *	the descriptor (int), watched for input; NULL when none was there.
 *--*/
#ifndef BENCH_POLICYD_SRV_H
#define BENCH_POLICYD_SRV_H

#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static int srv_listen(const char *prog, unsigned long port, int *ep_r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_port = htons((uint16_t) port);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(lfd, 1024) < 0) {
		fprintf(stderr, "%s: listen on 127.0.0.1:%lu: ", prog, port);
		perror(NULL);
		exit(1);
	}
	*ep_r = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(*ep_r, EPOLL_CTL_ADD, lfd, &lev);
	return lfd;
}

static void *srv_accept(int lfd, int ep, size_t size)
{
	int one = 1, fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	void *c;

	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, size);
	*(int *) c = fd;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return c;
}

#endif
