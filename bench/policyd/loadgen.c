/*++
 * NAME
 *	policy-loadgen 1
 * SUMMARY
 *	load generator for Postfix policy servers (bench/policyd)
 * SYNOPSIS
 *	policy-loadgen -a inet:HOST:PORT|unix:PATH -c CONNS -n REQUESTS
 *		[-w WARMUP] [-s SEED]
 * DESCRIPTION
 *	Opens CONNS persistent connections and keeps exactly one request in
 *	flight on each, as Postfix's smtpd does (SMTPD_POLICY_README: one
 *	request, wait for its "action=" answer, then the next), until
 *	REQUESTS answers have come back after WARMUP unmeasured ones. One
 *	thread, one epoll set, so the generator's own cost stays small and
 *	the same for every server measured.
 *
 *	Requests are varied and realistic: every attribute Postfix 3.7 sends
 *	(SMTPD_POLICY_README "Protocol description"), about 80 % RCPT and 20
 *	% END-OF-MESSAGE, a third authenticated (sasl_username owning its
 *	sender, so sender_login passes), clients spread over many /24s,
 *	senders and recipients from pools, so greylisting sees new and
 *	repeated triplets. Request i depends on i and SEED only.
 *
 *	Prints one line: conns, requests, seconds, rps, p50_us, p99_us,
 *	max_us, errors, and the count of each answer's action verb.
 * DIAGNOSTICS
 *	Exit 1 on a connection error or a malformed answer (counted, the
 *	run stops), 2 on usage errors.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#define REQ_MAX 4096
#define ANS_MAX 1024

struct conn {
	int fd;
	char out[REQ_MAX];
	size_t out_len, out_off;
	char in[ANS_MAX];
	size_t in_len;
	struct timespec t0;
};

static uint64_t seed = 1;
static char verbs[8][20];
static unsigned long verb_count[8];

static double since_us(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) (t.tv_sec - t0->tv_sec) * 1e6 + (double) (t.tv_nsec - t0->tv_nsec) / 1e3;
}

/* A small deterministic mix (splitmix64) of the request number. */
static uint64_t mix(uint64_t x)
{
	x += seed * 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Request i, every Postfix 3.7 attribute, into buf; its length. */
static size_t make_request(uint64_t i, char *buf, size_t size)
{
	uint64_t r = mix(i);
	int eom = r % 5 == 0;
	int authed = (r >> 8) % 3 == 0;
	unsigned user = (unsigned) ((r >> 16) % 2000), peer = (unsigned) ((r >> 28) % 5000);
	unsigned rcpt = (unsigned) ((r >> 40) % 500);
	char sender[128], client[64], name[128], login[64] = "";
	int n;

	if (authed) {
		snprintf(sender, sizeof(sender), "user%u@lab.example", user);
		snprintf(client, sizeof(client), "203.0.113.%u", 1 + user % 250);
		snprintf(name, sizeof(name), "unknown");
		snprintf(login, sizeof(login), "user%u@lab.example", user);
	} else {
		snprintf(sender, sizeof(sender), "news%u@sender%u.example", peer % 7, peer % 300);
		snprintf(client, sizeof(client), "10.%u.%u.%u", peer % 200, (peer / 200) % 250, 1 + peer % 13);
		snprintf(name, sizeof(name), "mx%u.sender%u.example", peer % 13, peer % 300);
	}
	n = snprintf(buf, size,
		"request=smtpd_access_policy\n"
		"protocol_state=%s\n"
		"protocol_name=ESMTP\n"
		"client_address=%s\n"
		"client_name=%s\n"
		"client_port=%u\n"
		"reverse_client_name=%s\n"
		"server_address=192.0.2.25\n"
		"server_port=%s\n"
		"helo_name=%s\n"
		"sender=%s\n"
		"recipient=rcpt%u@lab.example\n"
		"recipient_count=%u\n"
		"queue_id=%s\n"
		"instance=%llx.%u.0\n"
		"size=%u\n"
		"etrn_domain=\n"
		"stress=\n"
		"sasl_method=%s\n"
		"sasl_username=%s\n"
		"sasl_sender=\n"
		"ccert_subject=\n"
		"ccert_issuer=\n"
		"ccert_fingerprint=\n"
		"ccert_pubkey_fingerprint=\n"
		"encryption_protocol=TLSv1.3\n"
		"encryption_cipher=TLS_AES_256_GCM_SHA384\n"
		"encryption_keysize=256\n"
		"policy_context=\n"
		"compatibility_level=3.6\n"
		"mail_version=3.7.11\n"
		"\n",
		eom ? "END-OF-MESSAGE" : "RCPT", client, name, 1024 + (unsigned) (r % 60000), name,
		authed ? "587" : "25", authed ? "laptop.lab.example" : name, sender, rcpt,
		eom ? 1 + (unsigned) (r % 4) : 0, eom ? "4XyZ1k2Lmnz9" : "",
		(unsigned long long) (r & 0xffffff), (unsigned) (i % 100),
		eom ? 2000 + (unsigned) (r % 200000) : 0,
		authed ? "PLAIN" : "", login);
	return n > 0 && (size_t) n < size ? (size_t) n : 0;
}

static void count_verb(const char *ans)
{
	const char *v = ans + strlen("action=");
	size_t len = strcspn(v, " \n");
	int i;

	for (i = 0; i < 8 && verbs[i][0] != '\0'; i++)
		if (strlen(verbs[i]) == len && strncmp(verbs[i], v, len) == 0)
			break;
	if (i == 8)
		return;
	if (verbs[i][0] == '\0')
		snprintf(verbs[i], sizeof(verbs[i]), "%.*s", (int) (len < 19 ? len : 19), v);
	verb_count[i]++;
}

static int connect_to(const char *addr)
{
	int fd;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(addr + 5) >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, addr + 5, strlen(addr + 5) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0)
			return -1;
	} else if (strncmp(addr, "inet:", 5) == 0) {
		char host[64];
		const char *colon = strrchr(addr + 5, ':');
		struct sockaddr_in sin = { .sin_family = AF_INET };
		int one = 1;

		if (colon == NULL || (size_t) (colon - addr - 5) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int) (colon - addr - 5), addr + 5);
		unsigned long port = strtoul(colon + 1, NULL, 10);

		if (port == 0 || port > 65535)
			return -1;
		sin.sin_port = htons((uint16_t) port);
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -1;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0)
			return -1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	} else {
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	unsigned long conns = 8, total = 10000, warmup = 1000, done = 0, sent = 0, errors = 0;
	int opt;

	while ((opt = getopt(argc, argv, "a:c:n:w:s:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'c': conns = strtoul(optarg, NULL, 10); break;
		case 'n': total = strtoul(optarg, NULL, 10); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (addr == NULL || conns == 0 || conns > 10000 || total == 0 || total > 100000000)
		goto usage;

	struct conn *c = calloc(conns, sizeof(*c));
	double *lat = calloc(total, sizeof(*lat));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	unsigned long goal = warmup + total;
	struct timespec start = { 0, 0 };

	if (c == NULL || lat == NULL || ep < 0)
		return 1;
	for (unsigned long k = 0; k < conns; k++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c[k] };

		if ((c[k].fd = connect_to(addr)) < 0) {
			fprintf(stderr, "policy-loadgen: %s: connect: %s\n", addr, strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, c[k].fd, &ev);
	}
	/* One request in flight per connection. */
	for (unsigned long k = 0; k < conns && sent < goal; k++, sent++) {
		c[k].out_len = make_request(sent, c[k].out, sizeof(c[k].out));
		clock_gettime(CLOCK_MONOTONIC, &c[k].t0);
		if (write(c[k].fd, c[k].out, c[k].out_len) != (ssize_t) c[k].out_len) {
			fprintf(stderr, "policy-loadgen: short write\n");
			return 1;
		}
	}
	if (warmup == 0)
		clock_gettime(CLOCK_MONOTONIC, &start);
	while (done < goal) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 30000);

		if (n <= 0) {
			fprintf(stderr, "policy-loadgen: no answer for 30 s (%lu done)\n", done);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *k = evs[i].data.ptr;
			ssize_t got = read(k->fd, k->in + k->in_len, sizeof(k->in) - 1 - k->in_len);

			if (got <= 0) {
				fprintf(stderr, "policy-loadgen: connection closed by the server (%lu done)\n", done);
				return 1;
			}
			k->in_len += (size_t) got;
			k->in[k->in_len] = '\0';
			char *end = strstr(k->in, "\n\n");

			if (end == NULL) {
				if (k->in_len >= sizeof(k->in) - 1) {
					fprintf(stderr, "policy-loadgen: answer too long\n");
					return 1;
				}
				continue;
			}
			if (strncmp(k->in, "action=", 7) != 0)
				errors++;
			else
				count_verb(k->in);
			if (done >= warmup)
				lat[done - warmup] = since_us(&k->t0);
			done++;
			if (done == warmup)
				clock_gettime(CLOCK_MONOTONIC, &start);
			k->in_len = 0;
			if (sent < goal) {
				k->out_len = make_request(sent++, k->out, sizeof(k->out));
				clock_gettime(CLOCK_MONOTONIC, &k->t0);
				if (write(k->fd, k->out, k->out_len) != (ssize_t) k->out_len) {
					fprintf(stderr, "policy-loadgen: short write\n");
					return 1;
				}
			}
		}
	}
	double secs = since_us(&start) / 1e6;

	qsort(lat, total, sizeof(*lat), cmp_double);
	printf("conns=%lu requests=%lu seconds=%.3f rps=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f errors=%lu",
	       conns, total, secs, (double) total / secs, lat[total / 2], lat[(size_t) ((double) total * 0.99)],
	       lat[total - 1], errors);
	for (int i = 0; i < 8 && verbs[i][0] != '\0'; i++)
		printf(" %s=%lu", verbs[i], verb_count[i]);
	printf("\n");
	return errors ? 1 : 0;
usage:
	fprintf(stderr, "usage: policy-loadgen -a inet:HOST:PORT|unix:PATH -c CONNS -n REQUESTS [-w WARMUP] [-s SEED]\n");
	return 2;
}
