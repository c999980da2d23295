/*++
 * NAME
 *	sock 3h
 * SUMMARY
 *	socket addresses: parse, listen, connect
 * DESCRIPTION
 *	Forms: "unix:/path" (or "local:/path"), "inet:host:port" (host a
 *	name or IPv4 literal), "inet:[2001:db8::1]:port" or "inet6:[::1]:port";
 *	a bare "host:port" or "[addr]:port" means inet. libmilter's
 *	"inet6:port@::1" is NOT accepted; use brackets. Port 0 is allowed
 *	(ephemeral; see sock_local_port()). sock_addr_milter() renders the form
 *	libmilter wants ("unix:/path", "inet:port@host", "inet6:port@addr").
 *
 *	sock_listen() binds and listens (non-blocking, close-on-exec). For a
 *	unix socket a stale socket file is removed first, then chmod to mode
 *	and, when owner/group are given (not NULL/empty), chown. A socket
 *	file is "stale" when connect() to it fails; a live one (another
 *	instance) is an error, and that instance sees one probe connection
 *	that closes at once. A path that is not a socket is never removed.
 *--*/
#ifndef MESSEC_SOCK_H
#define MESSEC_SOCK_H

#include <signal.h>
#include <sys/types.h>
#include <sys/socket.h>

enum sock_family { SOCK_ADDR_UNIX = 1, SOCK_ADDR_INET = 2 };

struct sock_addr {
	enum sock_family kind;
	char path[108];		/* unix */
	char host[256];		/* inet: host name or address literal, no brackets */
	unsigned port;		/* inet */
};

int sock_addr_parse(const char *text, struct sock_addr *addr_r, const char **error_r);
/* Render as the config form ("unix:/x", "inet:[::1]:25"). */
void sock_addr_format(const struct sock_addr *addr, char *buf, size_t size);
/* Render in libmilter's form. */
void sock_addr_milter(const struct sock_addr *addr, char *buf, size_t size);

/* Returns fd >= 0, or -1 with *error_r (static/thread-local string). */
int sock_listen(const struct sock_addr *addr, int backlog, mode_t mode,
		const char *owner, const char *group, const char **error_r);
/* Blocking connect with timeout_ms; fd or -1 with *error_r. */
int sock_connect(const struct sock_addr *addr, int timeout_ms, const char **error_r);
int sock_set_nonblock(int fd);
/* Port a bound inet socket listens on (after port 0), or -1. */
int sock_local_port(int fd);

/*
 * Writes to a peer that went away (a socket, a pipe to a child) raise
 * SIGPIPE, whose default action kills the process. Around such writes:
 * sock_sigpipe_block() blocks it in this thread; sock_sigpipe_restore()
 * takes back the one raised meanwhile (unless one was already pending)
 * and restores the mask. The write itself fails with EPIPE, an error to
 * report. pipe(7), signal(7).
 */
struct sock_sigpipe {
	sigset_t old;
	int was_pending;
};
void sock_sigpipe_block(struct sock_sigpipe *st);
void sock_sigpipe_restore(const struct sock_sigpipe *st);

#endif
