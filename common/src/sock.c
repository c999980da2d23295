/*++
 * NAME
 *	sock 3
 * SUMMARY
 *	socket addresses: parse, format, listen, connect
 * SYNOPSIS
 *	#include <messec/sock.h>
 * DESCRIPTION
 *	Accepted forms (CFG_SOCKET values):
 *	  unix:/path  local:/path                     AF_UNIX stream socket
 *	  inet:host:port  inet:[v6addr]:port          TCP, host a name or literal
 *	  inet6:[v6addr]:port                         TCP, IPv6 literal only
 *	  host:port  [v6addr]:port                    same as inet: (DESIGN.md's
 *	                                              "metrics_listen = 127.0.0.1:9100")
 *	IPv6 literals are always bracketed (RFC 3986 3.2.2), so the port
 *	cannot be confused with the last group. Port 0 is allowed (the kernel
 *	picks one: tests use it with sock_local_port()).
 *
 *	sock_listen() for unix sockets removes a stale socket file (a socket
 *	nobody accepts on), never a regular file, and refuses a socket that
 *	a live process still serves. Mode and owner are set between bind()
 *	and listen(), so no client can connect before the permissions hold.
 * TRUST BOUNDARY
 *	Addresses come from config (root-owned); nothing here reads the
 *	network except connect() results.
 * DIAGNOSTICS
 *	-1 with *error_r pointing to a thread-local message.
 *--*/
#include <messec/sock.h>
#include <messec/str.h>

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

static __thread char sock_errbuf[512];

static const char *sock_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *sock_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sock_errbuf, sizeof(sock_errbuf), fmt, ap);
	va_end(ap);
	return sock_errbuf;
}

static int valid_host_name(const char *h)
{
	if (*h == '\0')
		return 0;
	for (; *h != '\0'; h++) {
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '-' || *h == '.' ||
		      *h == '_'))
			return 0;
	}
	return 1;
}

/* "host:port" or "[v6]:port" into addr; v6_only demands brackets. */
static int parse_inet(const char *text, const char *spec, int v6_only,
		      struct sock_addr *addr, const char **error_r)
{
	const char *colon, *host = spec;
	size_t hlen;
	uint64_t port;

	if (*spec == '[') {
		const char *close = strchr(spec, ']');
		struct in6_addr a6;

		if (close == NULL || close[1] != ':') {
			*error_r = sock_err("%s: unterminated [address] (expected [addr]:port)", text);
			return -1;
		}
		host = spec + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		if (hlen >= sizeof(addr->host)) {
			*error_r = sock_err("%s: address too long", text);
			return -1;
		}
		memcpy(addr->host, host, hlen);
		addr->host[hlen] = '\0';
		if (inet_pton(AF_INET6, addr->host, &a6) != 1) {
			*error_r = sock_err("%s: invalid IPv6 address (expected [addr]:port)", text);
			return -1;
		}
	} else {
		if (v6_only) {
			*error_r = sock_err("%s: inet6 needs a bracketed address (expected inet6:[addr]:port)", text);
			return -1;
		}
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			*error_r = sock_err("%s: missing port (expected host:port)", text);
			return -1;
		}
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(addr->host)) {
			*error_r = sock_err("%s: host name too long", text);
			return -1;
		}
		memcpy(addr->host, spec, hlen);
		addr->host[hlen] = '\0';
		if (!valid_host_name(addr->host)) {
			*error_r = sock_err("%s: invalid host (expected a name, an IPv4 address or [IPv6])", text);
			return -1;
		}
	}
	if (ms_str_parse_uint(colon + 1, 0, 65535, &port) < 0) {
		*error_r = sock_err("%s: invalid port (expected 0-65535)", text);
		return -1;
	}
	addr->kind = SOCK_ADDR_INET;
	addr->port = (unsigned)port;
	return 0;
}

int sock_addr_parse(const char *text, struct sock_addr *addr_r,
		    const char **error_r)
{
	struct sock_addr addr;
	const char *path = NULL;

	memset(&addr, 0, sizeof(addr));
	if (strncmp(text, "unix:", 5) == 0)
		path = text + 5;
	else if (strncmp(text, "local:", 6) == 0)
		path = text + 6;
	if (path != NULL) {
		if (*path != '/') {
			*error_r = sock_err("%s: socket path must be absolute (expected unix:/path)", text);
			return -1;
		}
		if (str_copy(addr.path, path, sizeof(addr.path)) >= sizeof(addr.path)) {
			*error_r = sock_err("%s: socket path too long (expected at most %zu bytes)",
					    text, sizeof(addr.path) - 1);
			return -1;
		}
		addr.kind = SOCK_ADDR_UNIX;
	} else if (strncmp(text, "inet6:", 6) == 0) {
		if (parse_inet(text, text + 6, 1, &addr, error_r) < 0)
			return -1;
	} else if (strncmp(text, "inet:", 5) == 0) {
		if (parse_inet(text, text + 5, 0, &addr, error_r) < 0)
			return -1;
	} else if (strchr(text, ':') != NULL && *text != '/') {
		if (parse_inet(text, text, 0, &addr, error_r) < 0)
			return -1;
	} else {
		*error_r = sock_err("%s: unknown socket form (expected unix:/path or inet:host:port)", text);
		return -1;
	}
	*addr_r = addr;
	return 0;
}

void sock_addr_format(const struct sock_addr *addr, char *buf, size_t size)
{
	if (addr->kind == SOCK_ADDR_UNIX)
		snprintf(buf, size, "unix:%s", addr->path);
	else if (strchr(addr->host, ':') != NULL)
		snprintf(buf, size, "inet:[%s]:%u", addr->host, addr->port);
	else
		snprintf(buf, size, "inet:%s:%u", addr->host, addr->port);
}

void sock_addr_milter(const struct sock_addr *addr, char *buf, size_t size)
{
	/* libmilter's smfi_setconn(): "unix:/path", "inet:port@host",
	   "inet6:port@addr". */
	if (addr->kind == SOCK_ADDR_UNIX)
		snprintf(buf, size, "unix:%s", addr->path);
	else if (strchr(addr->host, ':') != NULL)
		snprintf(buf, size, "inet6:%u@%s", addr->port, addr->host);
	else
		snprintf(buf, size, "inet:%u@%s", addr->port, addr->host);
}

int sock_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

static int set_blocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return -1;
	return 0;
}

static int unix_sockaddr(const struct sock_addr *addr, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (str_copy(sun->sun_path, addr->path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path))
		return -1;
	return 0;
}

/*
 * A socket file nobody accepts on is left over from a crash: remove it.
 * A live one means another instance runs; anything else is not ours.
 */
static int remove_stale(const struct sock_addr *addr, const struct sockaddr_un *sun,
			const char **error_r)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = sock_err("%s: %s", addr->path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*error_r = sock_err("%s: exists and is not a socket", addr->path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = sock_err("socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		*error_r = sock_err("%s: in use by another process", addr->path);
		return -1;
	}
	if (unlink(addr->path) < 0 && errno != ENOENT) {
		*error_r = sock_err("%s: cannot remove stale socket: %s",
				    addr->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int lookup_owner(const char *owner, const char *group, uid_t *uid_r,
			gid_t *gid_r, const char **error_r)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	*uid_r = (uid_t)-1;
	*gid_r = (gid_t)-1;
	if (owner != NULL && *owner != '\0') {
		if (getpwnam_r(owner, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL) {
			*error_r = sock_err("unknown user '%s'", owner);
			return -1;
		}
		*uid_r = pw.pw_uid;
	}
	if (group != NULL && *group != '\0') {
		if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL) {
			*error_r = sock_err("unknown group '%s'", group);
			return -1;
		}
		*gid_r = gr.gr_gid;
	}
	return 0;
}

static int listen_unix(const struct sock_addr *addr, int backlog, mode_t mode,
		       const char *owner, const char *group, const char **error_r)
{
	struct sockaddr_un sun;
	uid_t uid;
	gid_t gid;
	int fd;

	if (unix_sockaddr(addr, &sun) < 0) {
		*error_r = sock_err("%s: socket path too long", addr->path);
		return -1;
	}
	if (lookup_owner(owner, group, &uid, &gid, error_r) < 0 ||
	    remove_stale(addr, &sun, error_r) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = sock_err("socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*error_r = sock_err("bind %s: %s", addr->path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Permissions before listen(): until then connect() is refused. */
	if (chmod(addr->path, mode) < 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	     chown(addr->path, uid, gid) < 0) ||
	    listen(fd, backlog) < 0) {
		*error_r = sock_err("%s: %s", addr->path, strerror(errno));
		close(fd);
		unlink(addr->path);
		return -1;
	}
	return fd;
}

static int listen_inet(const struct sock_addr *addr, int backlog,
		       const char **error_r)
{
	struct addrinfo hints, *res, *ai;
	char port[16];
	int fd = -1, rc, one = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", addr->port);
	rc = getaddrinfo(addr->host, port, &hints, &res);
	if (rc != 0) {
		*error_r = sock_err("%s: %s", addr->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		char text[300];

		sock_addr_format(addr, text, sizeof(text));
		*error_r = sock_err("bind %s: %s", text, strerror(saved));
	}
	return fd;
}

int sock_listen(const struct sock_addr *addr, int backlog, mode_t mode,
		const char *owner, const char *group, const char **error_r)
{
	if (addr->kind == SOCK_ADDR_UNIX)
		return listen_unix(addr, backlog, mode, owner, group, error_r);
	if (addr->kind == SOCK_ADDR_INET)
		return listen_inet(addr, backlog, error_r);
	*error_r = sock_err("sock_listen: no address");
	return -1;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Non-blocking connect, poll until the deadline, back to blocking. */
static int connect_one(int family, const struct sockaddr *sa, socklen_t len,
		       const struct timespec *deadline, int *errno_r)
{
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, err = 0;
	long left;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*errno_r = errno;
		return -1;
	}
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS) {
			*errno_r = errno;
			close(fd);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			left = ms_left(deadline);
			err = poll(&pfd, 1, left < 0 ? 0 : (int)left);
		} while (err < 0 && errno == EINTR);
		if (err == 0) {
			*errno_r = ETIMEDOUT;
			close(fd);
			return -1;
		}
		if (err < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err != 0) {
			*errno_r = err;
			close(fd);
			return -1;
		}
	}
	if (set_blocking(fd) < 0) {
		*errno_r = errno;
		close(fd);
		return -1;
	}
	return fd;
}

int sock_connect(const struct sock_addr *addr, int timeout_ms, const char **error_r)
{
	struct addrinfo hints, *res, *ai;
	struct timespec deadline;
	char port[16], text[400];
	int fd = -1, rc, err = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	sock_addr_format(addr, text, sizeof(text));
	if (addr->kind == SOCK_ADDR_UNIX) {
		struct sockaddr_un sun;

		if (unix_sockaddr(addr, &sun) < 0) {
			*error_r = sock_err("%s: path too long", text);
			return -1;
		}
		fd = connect_one(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun),
				 &deadline, &err);
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%u", addr->port);
		rc = getaddrinfo(addr->host, port, &hints, &res);
		if (rc != 0) {
			*error_r = sock_err("%s: %s", text, gai_strerror(rc));
			return -1;
		}
		for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
			fd = connect_one(ai->ai_family, ai->ai_addr,
					 ai->ai_addrlen, &deadline, &err);
		freeaddrinfo(res);
	}
	if (fd < 0)
		*error_r = sock_err("connect %s: %s", text, strerror(err));
	return fd;
}

int sock_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

void sock_sigpipe_block(struct sock_sigpipe *st)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	(void) sigpending(&pending);
	st->was_pending = sigismember(&pending, SIGPIPE) == 1;
	(void) pthread_sigmask(SIG_BLOCK, &pipe_set, &st->old);
}

void sock_sigpipe_restore(const struct sock_sigpipe *st)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	if (!st->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	(void) pthread_sigmask(SIG_SETMASK, &st->old, NULL);
}
