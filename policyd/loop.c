/*++
 * NAME
 *	loop 3
 * SUMMARY
 *	messec-policyd's event loop: listeners, connections, requests
 * DESCRIPTION
 *	One thread, one epoll set (level-triggered): the listeners, an
 *	eventfd for stop, the store workers' eventfd (worker.h: requests
 *	whose rules call the store are evaluated there, one at a time per
 *	connection), and every client connection. The store itself is
 *	opened and purged by the upkeep thread (upkeep.h): nothing here
 *	waits on it. A connection owns an
 *	input buffer of max_request bytes and a small output buffer.
 *
 *	Reading: one read() per readiness; then every whole request at the
 *	start of the buffer is parsed, evaluated and answered in order (a
 *	pipelining client gets its answers in order). A request split across
 *	reads waits in the buffer; the parser checks the part already there,
 *	so the buffer never grows past max_request. A malformed request is
 *	logged (cleaned, cut) and its connection closed; nothing else is
 *	affected.
 *
 *	Writing: the reply is written at once; what the peer does not take
 *	waits in the output buffer, and while more than OUT_HIGH bytes
 *	wait, the connection's further requests are not read (a client that
 *	never reads cannot make us buffer without bound).
 *
 *	Idle connections sit on a list ordered by last activity; once a
 *	second the loop closes those idle longer than idle_timeout, in
 *	O(closed). Over max_connections a new connection is closed at
 *	once (logged at most once a second). Out of descriptors, accepting
 *	pauses for a second.
 * DIAGNOSTICS
 *	Startup failures are fatal (log_fatal); at run time every problem
 *	costs one connection at most.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <messec/log.h>
#include <messec/metrics.h>
#include <messec/sock.h>
#include <messec/str.h>
#include "loop.h"
#include "upkeep.h"
#include "worker.h"

#define MAX_LISTEN 8
#define OUT_CAP (4 * PD_ACTION_MAX + 64)
#define OUT_HIGH (OUT_CAP - PD_ACTION_MAX - 16)
#define EVENTS 256

struct conn {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char out[OUT_CAP];
	size_t out_len;
	time_t last;
	struct conn *prev, *next;	/* activity list, oldest first */
	char peer[64];
	unsigned requests;
	int pending;		/* a worker has its request: read, don't parse */
	int dead;		/* closed while pending: freed when the job returns */
	int rd_eof;		/* the peer sent all it will (read 0) */
	uint32_t events;	/* what epoll watches now */
};

/* A listener's epoll tag: distinguished from a struct conn by address. */
struct listener {
	int fd;
	char name[300];
};

static struct listener listeners[MAX_LISTEN];
static unsigned nlisteners;
static int stop_fd = -1;
static int done_marker;		/* epoll tag of the workers' eventfd */
static int epfd = -1;
static struct conn *oldest, *newest;
/* Closed during this epoll batch: freed after it, since a later event of
   the same batch may still name them (e.g. closed by a worker's answer). */
static struct conn *graveyard;
static unsigned nconns;
static time_t accept_paused_until, last_full_log;

/* The state store (ratelimit, greylist): opened and purged by the
   upkeep thread (upkeep.h), never in this loop; read by the workers. */

static struct metric *m_requests, *m_rule, *m_malformed, *m_conns, *m_latency;

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void pd_loop_open(struct pd_conf *conf)
{
	static const double buckets[] = { 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.1 };
	size_t n = 0;
	const char *const *ls = cfg_list(conf->cfg, "listen", &n);
	const char *mode_s = cfg_str(conf->cfg, "socket_mode");
	const char *grp = cfg_str(conf->cfg, "socket_group");
	struct rlimit rl;
	uint64_t mode;

	if (n > MAX_LISTEN)
		log_fatal_code(DAEMON_EX_CONFIG, "listen: more than %d addresses", MAX_LISTEN);
	if (strspn(mode_s, "01234567") != strlen(mode_s) || mode_s[0] == '\0')
		log_fatal_code(DAEMON_EX_CONFIG, "socket_mode: %s: not an octal mode", mode_s);
	mode = strtoul(mode_s, NULL, 8);
	for (size_t i = 0; i < n; i++) {
		struct sock_addr a;
		const char *e;

		if (sock_addr_parse(ls[i], &a, &e) < 0)
			log_fatal_code(DAEMON_EX_CONFIG, "listen: %s: %s", ls[i], e);
		int fd = sock_listen(&a, 1024, (mode_t) mode, NULL, grp[0] ? grp : NULL, &e);

		if (fd < 0)
			log_fatalx("listen: %s: %s", ls[i], e);
		listeners[nlisteners].fd = fd;
		sock_addr_format(&a, listeners[nlisteners].name, sizeof(listeners[0].name));
		nlisteners++;
	}
	if ((stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		log_fatal("eventfd");
	/* Every connection is a descriptor: take all the hard limit gives. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit(RLIMIT_NOFILE)");
	}
	m_requests = metrics_counter("messec_policyd_requests_total", "Requests answered, by action",
		"action", "DUNNO|OK|REJECT|DEFER|DEFER_IF_PERMIT|DEFER_IF_REJECT|HOLD|PREPEND|WARN|DISCARD");
	m_rule = metrics_counter("messec_policyd_rule_decisions_total", "Deciding rule of each request",
		"rule", pd_rule_names);
	m_malformed = metrics_counter("messec_policyd_malformed_total",
		"Malformed requests (connection closed)", NULL, NULL);
	m_conns = metrics_gauge("messec_policyd_connections", "Open client connections");
	m_latency = metrics_histogram("messec_policyd_request_seconds",
		"Time from a whole request to its reply", buckets, sizeof(buckets) / sizeof(buckets[0]));
}

void pd_loop_describe(char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < nlisteners && off < size; i++) {
		int n = snprintf(buf + off, size - off, "%s%s", i ? ", " : "listening on ",
				 listeners[i].name);
		if (n < 0)
			break;
		off += (size_t) n;
	}
}

/* ---- the activity list ---- */

static void list_unlink(struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		oldest = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		newest = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct conn *c)
{
	c->prev = newest;
	c->next = NULL;
	if (newest != NULL)
		newest->next = c;
	else
		oldest = c;
	newest = c;
}

static void touch(struct conn *c, time_t now)
{
	c->last = now;
	if (newest != c) {
		list_unlink(c);
		list_append(c);
	}
}

static void conn_close(struct conn *c)
{
	list_unlink(c);
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	nconns--;
	metrics_gauge_add(m_conns, -1);
	c->dead = 1;
	if (c->pending)
		return;		/* the worker's job still points here */
	c->next = graveyard;
	graveyard = c;
}

static void bury(void)
{
	while (graveyard != NULL) {
		struct conn *c = graveyard;

		graveyard = c->next;
		free(c->in);
		free(c);
	}
}

static void conn_watch(struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	if (c->out_len <= OUT_HIGH && c->in_len < c->in_cap && !c->rd_eof)
		ev.events |= EPOLLIN;
	if (c->out_len > 0)
		ev.events |= EPOLLOUT;
	if (ev.events == c->events)
		return;		/* one system call per request saved */
	c->events = ev.events;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* ---- accepting ---- */

static void peer_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (getpeername(fd, (struct sockaddr *) &ss, &len) < 0 || ss.ss_family == AF_UNIX) {
		str_copy(buf, "unix", size);
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	}
}

static void listeners_enable(int on)
{
	for (unsigned i = 0; i < nlisteners; i++) {
		struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = &listeners[i] };

		epoll_ctl(epfd, EPOLL_CTL_MOD, listeners[i].fd, &ev);
	}
}

static void do_accept(struct listener *l, const struct pd_conf *conf, time_t now)
{
	unsigned max = (unsigned) cfg_int(conf->cfg, "max_connections");

	for (int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept on %s: pausing for a second", l->name);
				accept_paused_until = now + 1;
				listeners_enable(0);
			} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				log_warn("accept on %s", l->name);
			}
			return;
		}
		if (nconns >= max) {
			if (last_full_log != now) {
				log_warnx("max_connections (%u) reached: closing new connections", max);
				last_full_log = now;
			}
			close(fd);
			continue;
		}
		struct conn *c = xcalloc(1, sizeof(*c));

		c->fd = fd;
		c->in_cap = conf->limits.max_request;
		c->in = xmalloc(c->in_cap);
		peer_name(fd, c->peer, sizeof(c->peer));
		c->last = now;
		list_append(c);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		c->events = EPOLLIN;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl");
			list_unlink(c);
			close(fd);
			free(c->in);
			free(c);
			continue;
		}
		nconns++;
		metrics_gauge_add(m_conns, 1);
	}
}

/* ---- requests ---- */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void log_request(const struct pd_request *req, const struct pd_verdict *v)
{
	char qid[40], client[80], login[120], sender[300], rcpt[300];
	const char *id = pd_req_get(req, PD_A_QUEUE_ID);
	int dunno = strcmp(v->action, "DUNNO") == 0;

	/* DUNNO lines are debug, verdicts info (log_verdict): build
	   neither when it would be filtered out. */
	if (!log_wants(dunno ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO))
		return;
	ms_str_sanitize(qid, sizeof(qid), id[0] ? id : "NOQUEUE", 32);
	ms_str_sanitize(client, sizeof(client), pd_req_get(req, PD_A_CLIENT_ADDRESS), 64);
	ms_str_sanitize(login, sizeof(login), pd_req_get(req, PD_A_SASL_USERNAME), 100);
	ms_str_sanitize(sender, sizeof(sender), pd_req_get(req, PD_A_SENDER), 256);
	ms_str_sanitize(rcpt, sizeof(rcpt), pd_req_get(req, PD_A_RECIPIENT), 256);
	if (dunno) {
		log_debug("%s: state=%s client=%s sasl_username=%s from=<%s> to=<%s>: rule=%s action=DUNNO",
			  qid, pd_req_get(req, PD_A_PROTOCOL_STATE)[0] == 'R' ? "RCPT" : "other",
			  client, login, sender, rcpt, v->rule);
		return;
	}
	char state[40];

	ms_str_sanitize(state, sizeof(state), pd_req_get(req, PD_A_PROTOCOL_STATE), 32);
	log_verdict(qid, "state=%s client=%s sasl_username=%s from=<%s> to=<%s>: rule=%s action=%s",
		    state, client, login, sender, rcpt, v->rule, v->action);
}

static void count_action(const char *action)
{
	char verb[20];
	size_t n = strcspn(action, " \t");

	if (n >= sizeof(verb))
		n = sizeof(verb) - 1;
	memcpy(verb, action, n);
	verb[n] = '\0';
	metrics_inc(m_requests, verb);
}

/* Log and count one evaluated request (the loop's or a worker's thread). */
static void finish_request(const struct pd_request *req, const struct pd_verdict *v)
{
	log_request(req, v);
	count_action(v->action);
	metrics_inc(m_rule, v->rule);
}

static struct store *current_store(void)
{
	return pd_upkeep_store();
}

/* Stateful requests of this epoll round, for the workers in one go at
   its end (submit_flush): one lock and at most one wake-up, and a batch
   of the round's requests rather than a batch of its first one. */
static struct pd_job *round_head, *round_tail;

/* Hand a stateful request to a worker, parsed (pd_job_new copies it). */
static void submit(struct conn *c, size_t used, const struct pd_request *req, double t0)
{
	struct pd_job *job = pd_job_new(c, c->in, used, req);

	job->conf = daemon_conf_acquire();
	job->t0 = t0;
	c->pending = 1;
	if (round_tail != NULL)
		round_tail->next = job;
	else
		round_head = job;
	round_tail = job;
}

static void submit_flush(void)
{
	pd_workers_submit(round_head);
	round_head = round_tail = NULL;
}

/* Write what waits; 0 ok (maybe partly), -1 when the peer is gone. */
static int flush_out(struct conn *c)
{
	while (c->out_len > 0) {
		ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		memmove(c->out, c->out + w, c->out_len - (size_t) w);
		c->out_len -= (size_t) w;
	}
	return 0;
}

/* Answer every whole request in the buffer. -1: close the connection. */
static int serve(struct conn *c, const struct pd_conf *conf)
{
	struct pd_limits lim = conf->limits;

	if (lim.max_request > c->in_cap)
		lim.max_request = c->in_cap;	/* a reload made it larger */
	while (!c->pending && c->out_len <= OUT_HIGH) {
		struct pd_request req;
		struct pd_verdict v;
		size_t used = 0;
		const char *err = NULL;
		double t0 = mono();
		enum pd_parse_result r = pd_proto_parse(c->in, c->in_len, &lim, &req, &used, &err);

		if (r == PD_PARSE_MORE)
			break;
		if (r == PD_PARSE_ERROR) {
			char snip[80];

			ms_str_sanitize(snip, sizeof(snip), c->in, c->in_len < 60 ? c->in_len : 60);
			log_warnx("%s: malformed request after %u good ones: %s (starts \"%s\"): closing",
				  c->peer, c->requests, err, snip);
			metrics_inc(m_malformed, NULL);
			return -1;
		}
		if (pd_workers_count() > 0 &&
		    pd_rules_stateful(conf->rules, pd_req_get(&req, PD_A_PROTOCOL_STATE))) {
			submit(c, used, &req, t0);
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			c->requests++;
			break;
		}
		pd_rules_eval(conf->rules, current_store(), &req, &v, NULL, NULL);
		finish_request(&req, &v);
		c->out_len += pd_proto_reply(c->out + c->out_len, sizeof(c->out) - c->out_len, v.action);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->requests++;
		metrics_observe(m_latency, mono() - t0);
		if (flush_out(c) < 0)
			return -1;
	}
	return 0;
}

static void on_conn(struct conn *c, uint32_t events, const struct pd_conf *conf, time_t now)
{
	int eof = 0;

	if (c->dead)
		return;		/* closed earlier in this batch */
	touch(c, now);
	if (events & EPOLLOUT) {
		if (flush_out(c) < 0) {
			conn_close(c);
			return;
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->out_len <= OUT_HIGH && c->in_len < c->in_cap) {
		ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			eof = 1;
		if (n == 0)
			c->rd_eof = 1;
		else if (n > 0)
			c->in_len += (size_t) n;
	} else if ((events & (EPOLLHUP | EPOLLERR)) && c->in_len < c->in_cap) {
		eof = 1;	/* gone while we could not read: nothing to answer */
	}
	if (serve(c, conf) < 0) {
		conn_close(c);
		return;
	}
	if (eof && c->rd_eof && c->pending) {
		/* A half-closed peer still reads: its answer comes when the
		   worker is done (on_done closes then). */
		conn_watch(c);
		return;
	}
	if (eof) {
		flush_out(c);	/* best effort: the peer closed */
		conn_close(c);
		return;
	}
	conn_watch(c);
}

/* Answers from the workers, in the order they finished. */
static void on_done(const struct pd_conf *conf)
{
	struct pd_job *job = pd_workers_take_done();

	while (job != NULL) {
		struct pd_job *next = job->next;
		struct conn *c = job->owner;

		c->pending = 0;
		if (c->dead) {
			c->next = graveyard;	/* closed while its job ran */
			graveyard = c;
		} else {
			c->out_len += pd_proto_reply(c->out + c->out_len, sizeof(c->out) - c->out_len,
						     job->v.action);
			metrics_observe(m_latency, mono() - job->t0);
			if (flush_out(c) < 0 || serve(c, conf) < 0)
				conn_close(c);
			else if (c->rd_eof && !c->pending) {
				flush_out(c);	/* best effort: the peer is done */
				conn_close(c);
			} else
				conn_watch(c);
		}
		pd_job_free(job);
		job = next;
	}
}

static void sweep(const struct pd_conf *conf, time_t now)
{
	while (oldest != NULL && now - oldest->last >= (time_t) conf->idle_timeout) {
		log_debug("%s: idle for %us: closing", oldest->peer, conf->idle_timeout);
		conn_close(oldest);
	}
	if (accept_paused_until != 0 && now >= accept_paused_until) {
		accept_paused_until = 0;
		listeners_enable(1);
	}
}

int pd_loop_run(void)
{
	struct epoll_event evs[EVENTS];
	time_t last_sweep = 0;
	int stopping = 0;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || stop_fd < 0) {
		log_warn("epoll_create1/eventfd");
		return 1;
	}
	for (unsigned i = 0; i < nlisteners; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listeners[i] };

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, listeners[i].fd, &ev) < 0) {
			log_warn("epoll_ctl(listener)");
			return 1;
		}
	}
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &stop_fd };
	struct daemon_ref *r0 = daemon_conf_acquire();

	const struct pd_conf *c0 = DAEMON_CONF(r0, struct pd_conf, ref);

	/* The store opens in its own thread (a Redis connect waits up to
	   timeout_ms); until then stateful rules answer store_fail_action.
	   "store" is read once: a reload that changes it logs that it
	   needs a restart (the skeleton's restart_keys). */
	if (pd_upkeep_start(cfg_str(c0->cfg, "store")) < 0) {
		daemon_ref_release(&r0);
		return 1;
	}
	if (pd_workers_start((unsigned) cfg_int(c0->cfg, "store_workers"), current_store, finish_request) < 0) {
		log_warn("workers: eventfd");
		pd_upkeep_stop();
		daemon_ref_release(&r0);
		return 1;
	}
	daemon_ref_release(&r0);
	struct epoll_event dev = { .events = EPOLLIN, .data.ptr = &done_marker };

	epoll_ctl(epfd, EPOLL_CTL_ADD, pd_workers_done_fd(), &dev);

	epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &sev);
	while (!stopping) {
		int n = epoll_wait(epfd, evs, EVENTS, 1000);
		time_t now = now_s();
		struct daemon_ref *ref = daemon_conf_acquire();
		const struct pd_conf *conf = DAEMON_CONF(ref, struct pd_conf, ref);

		if (n < 0 && errno != EINTR) {
			log_warn("epoll_wait");
			daemon_ref_release(&ref);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &stop_fd) {
				stopping = 1;
			} else if (p == &done_marker) {
				on_done(conf);
			} else if (p >= (void *) listeners && p < (void *) (listeners + MAX_LISTEN)) {
				do_accept(p, conf, now);
			} else {
				on_conn(p, evs[i].events, conf, now);
			}
		}
		submit_flush();
		if (now != last_sweep) {
			sweep(conf, now);
			last_sweep = now;
		}
		bury();
		daemon_ref_release(&ref);
	}
	pd_workers_stop();	/* every queued job finishes first */
	while (oldest != NULL)
		conn_close(oldest);
	for (struct pd_job *job = pd_workers_take_done(), *next; job != NULL; job = next) {
		struct conn *c = job->owner;

		next = job->next;
		c->next = graveyard;	/* closed above while pending: dead */
		graveyard = c;
		pd_job_free(job);
	}
	bury();
	pd_upkeep_stop();	/* joins the thread, closes the store */
	close(epfd);
	epfd = -1;
	return 0;
}

void pd_loop_stop(void)
{
	uint64_t one = 1;

	if (write(stop_fd, &one, sizeof(one)) < 0)
		log_warn("stop: eventfd write");
}
