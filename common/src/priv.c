/*++
 * NAME
 *	priv 3
 * SUMMARY
 *	privilege drop, pid file, signal flags
 * SYNOPSIS
 *	#include <messec/priv.h>
 * DESCRIPTION
 *	priv_drop() follows OpenSMTPD's ca.c and Postfix's chroot_uid.c:
 *	look the user and group up before entering the jail (the passwd
 *	file is outside it), chroot, then setgroups(1, gid), setresgid(),
 *	setresuid() -- group before user, since a non-root user can no
 *	longer change its groups -- and finally prove that root cannot be
 *	regained: setuid(0)/setgid(0) must fail and all three uids/gids must
 *	be the new ones.
 *
 *	Without a configured user: as non-root a no-op (tests, development);
 *	as root an error, because a mail filter must not keep root.
 *	As a non-root caller with a configured user, success only when we
 *	already are that user (running under systemd User=).
 *
 *	The pid file is locked with flock(2) and the descriptor is kept
 *	open for the process lifetime, so a second instance finds the lock
 *	held and reports the live pid; a stale file from a crash has no lock
 *	and is simply rewritten.
 *
 *	Signal handlers only set sig_atomic_t flags (async-signal-safe);
 *	loops poll them.
 * TRUST BOUNDARY
 *	Runs at startup as root on configured names; no peer input.
 * DIAGNOSTICS
 *	-1 with *error_r pointing to a thread-local message.
 *--*/
#include <messec/priv.h>
#include <messec/str.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static __thread char priv_errbuf[512];
static int pidfile_fd = -1;
static volatile sig_atomic_t sig_term_flag;
static volatile sig_atomic_t sig_hup_flag;

static const char *priv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *priv_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(priv_errbuf, sizeof(priv_errbuf), fmt, ap);
	va_end(ap);
	return priv_errbuf;
}

/* The uid/gid to become; *gid_r from group, else the user's primary. */
static int lookup_ids(const char *user, const char *group, uid_t *uid_r,
		      gid_t *gid_r, const char **error_r)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL) {
		*error_r = priv_err("unknown user '%s'", user);
		return -1;
	}
	*uid_r = pw.pw_uid;
	*gid_r = pw.pw_gid;
	if (group != NULL && *group != '\0') {
		if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL) {
			*error_r = priv_err("unknown group '%s'", group);
			return -1;
		}
		*gid_r = gr.gr_gid;
	}
	if (*uid_r == 0) {
		*error_r = priv_err("user '%s' is root (expected an unprivileged user)", user);
		return -1;
	}
	return 0;
}

static int enter_jail(const char *dir, const char **error_r)
{
	if (chdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		*error_r = priv_err("chroot %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* After the switch: every id is the new one and root is out of reach. */
static int verify_dropped(uid_t uid, gid_t gid, const char **error_r)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		*error_r = priv_err("privilege drop incomplete");
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 ||
	    (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))) {
		*error_r = priv_err("root could be regained after the privilege drop");
		return -1;
	}
	return 0;
}

int priv_drop(const char *user, const char *group, const char *chroot_dir,
	      const char **error_r)
{
	uid_t uid;
	gid_t gid;

	if (user == NULL || *user == '\0') {
		if (getuid() != 0 && geteuid() != 0)
			return 0;
		*error_r = priv_err("running as root and no user configured (expected user = an unprivileged account)");
		return -1;
	}
	if (lookup_ids(user, group, &uid, &gid, error_r) < 0)
		return -1;
	if (geteuid() != 0) {
		if (geteuid() == uid && getuid() == uid)
			return 0;
		*error_r = priv_err("cannot switch to user '%s': not running as root", user);
		return -1;
	}
	if (chroot_dir != NULL && *chroot_dir != '\0' &&
	    enter_jail(chroot_dir, error_r) < 0)
		return -1;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		*error_r = priv_err("cannot drop privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	return verify_dropped(uid, gid, error_r);
}

int priv_pidfile_write(const char *path, const char **error_r)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		*error_r = priv_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t r = read(fd, buf, sizeof(buf) - 1);

		buf[r > 0 ? r : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		*error_r = priv_err("%s: locked by a running process (pid %s)", path,
				    *buf != '\0' ? buf : "unknown");
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		*error_r = priv_err("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (pidfile_fd >= 0)
		close(pidfile_fd);
	pidfile_fd = fd;
	return 0;
}

void priv_pidfile_remove(const char *path)
{
	if (pidfile_fd < 0)
		return;
	/* Unlink while still holding the lock, so no one rewrites it first. */
	unlink(path);
	close(pidfile_fd);
	pidfile_fd = -1;
}

static void sig_handler(int sig)
{
	if (sig == SIGHUP)
		sig_hup_flag = 1;
	else
		sig_term_flag = 1;
}

void sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking poll()/accept() returns EINTR and the
	   loop sees the flag at once. */
	sa.sa_handler = sig_handler;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int sig_term_requested(void)
{
	return sig_term_flag != 0;
}

int sig_hup_take(void)
{
	/* Read and clear in one step, so a SIGHUP arriving meanwhile is
	   never lost (it is seen by the next call). */
	return __atomic_exchange_n(&sig_hup_flag, 0, __ATOMIC_SEQ_CST) != 0;
}
