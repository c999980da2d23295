/*++
 * NAME
 *	metrics_server 3
 * SUMMARY
 *	the /metrics HTTP endpoint, on its own thread
 * SYNOPSIS
 *	#include <messec/metrics.h>
 *
 *	int metrics_start(const struct sock_addr *addr, const char **error_r);
 *	int metrics_port(void);
 *	void metrics_stop(void);
 * DESCRIPTION
 *	One thread runs a poll() loop over a non-blocking listening socket,
 *	a wake-up pipe (metrics_stop) and at most METRICS_CLIENTS clients.
 *	Each client gets METRICS_REQUEST_MAX bytes to send its request head
 *	and METRICS_CLIENT_MS to finish the exchange; a client over either
 *	limit is answered 431 or dropped. So a slow or hostile scraper costs
 *	one slot for two seconds and never blocks the daemon's own threads,
 *	which only touch atomics.
 *
 *	"GET /metrics" (optionally with a query) answers 200 with the text
 *	exposition (RFC 9112 message, Connection: close); any other request
 *	answers 404. HTTP/1.0 and 1.1 clients both work because the server
 *	always closes after one response.
 *
 *	The thread blocks every signal, so SIGTERM/SIGHUP go to the
 *	daemon's own threads and their flags (priv.h).
 * TRUST BOUNDARY
 *	Anyone who can reach the listening address (bind it to loopback or a
 *	management network): request bytes are only matched, never echoed.
 * DIAGNOSTICS
 *	metrics_start() returns -1 with *error_r (thread-local text).
 *--*/
#include "metrics_int.h"

#include <messec/log.h>
#include <messec/str.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define METRICS_CLIENTS 8
#define METRICS_REQUEST_MAX 4096
#define METRICS_CLIENT_MS 2000

struct client {
	int fd;				/* -1: free slot */
	char req[METRICS_REQUEST_MAX + 1];
	size_t req_len;
	char *resp;			/* set once the request is complete */
	size_t resp_len, resp_off;
	long deadline_ms;
};

static struct {
	int running;
	int lfd, wake[2];
	int port;
	pthread_t thread;
	struct client clients[METRICS_CLIENTS];
} srv = { .lfd = -1, .wake = { -1, -1 } };

static __thread char metrics_errbuf[512];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->resp);
	c->fd = -1;
	c->resp = NULL;
	c->req_len = c->resp_len = c->resp_off = 0;
}

/* Status line, headers, body into c->resp. */
static void respond(struct client *c, const char *status, const char *body, size_t blen)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	if (fp == NULL) {
		client_close(c);
		return;
	}
	fprintf(fp, "HTTP/1.1 %s\r\n"
		"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n", status, blen);
	fwrite(body, 1, blen, fp);
	fclose(fp);
	c->resp = out;
	c->resp_len = len;
	c->resp_off = 0;
}

static void handle_request(struct client *c)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *fp;

	/* RFC 9112 3: request-line = method SP request-target SP version. */
	if (strncmp(c->req, "GET /metrics ", 13) != 0 &&
	    strncmp(c->req, "GET /metrics?", 13) != 0) {
		respond(c, "404 Not Found", "not found\n", 10);
		return;
	}
	fp = open_memstream(&body, &blen);
	if (fp == NULL) {
		client_close(c);
		return;
	}
	metrics_render(fp);
	fclose(fp);
	respond(c, "200 OK", body, blen);
	free(body);
}

static void client_read(struct client *c)
{
	ssize_t n = read(c->fd, c->req + c->req_len, METRICS_REQUEST_MAX - c->req_len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
		handle_request(c);
	else if (c->req_len == METRICS_REQUEST_MAX)
		respond(c, "431 Request Header Fields Too Large", "too large\n", 10);
}

static void client_write(struct client *c)
{
	ssize_t n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off,
			 MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->resp_off += (size_t)n;
	if (c->resp_off == c->resp_len)
		client_close(c);
}

static void accept_clients(void)
{
	size_t i;
	int fd;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		if (srv.clients[i].fd >= 0)
			continue;
		fd = accept4(srv.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		srv.clients[i].fd = fd;
		srv.clients[i].deadline_ms = now_ms() + METRICS_CLIENT_MS;
	}
}

/* Fill pfd: [0] wake pipe, [1] listener (when a slot is free), clients. */
static nfds_t build_pollset(struct pollfd *pfd, struct client **who, int *timeout_r)
{
	nfds_t n = 2;
	long now = now_ms(), left;
	int free_slot = 0;
	size_t i;

	pfd[0] = (struct pollfd){ srv.wake[0], POLLIN, 0 };
	*timeout_r = 1000;
	for (i = 0; i < METRICS_CLIENTS; i++) {
		struct client *c = &srv.clients[i];

		if (c->fd >= 0 && now >= c->deadline_ms)
			client_close(c);	/* too slow: drop */
		if (c->fd < 0) {
			free_slot = 1;
			continue;
		}
		left = c->deadline_ms - now;
		if (left < *timeout_r)
			*timeout_r = (int)left;
		pfd[n] = (struct pollfd){ c->fd, c->resp != NULL ? POLLOUT : POLLIN, 0 };
		who[n++] = c;
	}
	/* No free slot: leave new clients in the kernel backlog. */
	pfd[1] = (struct pollfd){ free_slot ? srv.lfd : -1, POLLIN, 0 };
	return n;
}

static void *server_main(void *arg)
{
	struct pollfd pfd[METRICS_CLIENTS + 2];
	struct client *who[METRICS_CLIENTS + 2];
	int timeout;
	nfds_t n, i;

	(void)arg;
	for (;;) {
		n = build_pollset(pfd, who, &timeout);
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("metrics: poll");
			break;
		}
		if (pfd[0].revents != 0)
			break;
		for (i = 2; i < n; i++) {
			if (pfd[i].revents == 0 || who[i]->fd < 0)
				continue;
			if (who[i]->resp != NULL)
				client_write(who[i]);
			else
				client_read(who[i]);
		}
		if (pfd[1].revents & POLLIN)
			accept_clients();
	}
	for (i = 0; i < METRICS_CLIENTS; i++) {
		if (srv.clients[i].fd >= 0)
			client_close(&srv.clients[i]);
	}
	return NULL;
}

int metrics_start(const struct sock_addr *addr, const char **error_r)
{
	sigset_t all, old;
	size_t i;
	int rc;

	if (srv.running) {
		*error_r = "metrics: server already running";
		return -1;
	}
	if (addr->kind != SOCK_ADDR_INET) {
		*error_r = "metrics: listen address must be inet (expected host:port)";
		return -1;
	}
	srv.lfd = sock_listen(addr, 16, 0, NULL, NULL, error_r);
	if (srv.lfd < 0)
		return -1;
	if (pipe2(srv.wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(metrics_errbuf, sizeof(metrics_errbuf), "metrics: pipe: %s",
			 strerror(errno));
		*error_r = metrics_errbuf;
		close(srv.lfd);
		return -1;
	}
	srv.port = sock_local_port(srv.lfd);
	for (i = 0; i < METRICS_CLIENTS; i++)
		srv.clients[i] = (struct client){ .fd = -1 };
	/* The thread inherits this mask: no signal is delivered to it. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&srv.thread, NULL, server_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(metrics_errbuf, sizeof(metrics_errbuf),
			 "metrics: thread: %s", strerror(rc));
		*error_r = metrics_errbuf;
		close(srv.lfd);
		close(srv.wake[0]);
		close(srv.wake[1]);
		return -1;
	}
	srv.running = 1;
	return 0;
}

int metrics_port(void)
{
	return srv.running ? srv.port : -1;
}

void metrics_stop(void)
{
	if (!srv.running)
		return;
	if (write(srv.wake[1], "x", 1) < 0)
		log_warn("metrics: wake");
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	close(srv.wake[0]);
	close(srv.wake[1]);
	srv.lfd = srv.wake[0] = srv.wake[1] = -1;
	srv.running = 0;
}
