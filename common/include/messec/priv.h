/*++
 * NAME
 *	priv 3h
 * SUMMARY
 *	privilege drop, pid file, signals
 * DESCRIPTION
 *	priv_drop(): look up user (and group, or the user's primary group),
 *	optionally chroot, clear supplementary groups (setgroups), then
 *	setresgid/setresuid, and verify that regaining root fails. Called
 *	after sockets and keys are opened. A NULL or empty user with getuid()
 *	!= 0 is a no-op (tests run unprivileged).
 *
 *	priv_pidfile_write(): write the PID, mode 0644, fail when another live
 *	process holds the file (lock). priv_pidfile_remove() at exit.
 *
 *	sig_setup() installs SIGTERM/SIGINT/SIGHUP handlers that only set flags
 *	(and ignore SIGPIPE). Loops poll sig_term_requested() /
 *	sig_hup_take() (returns 1 once per received SIGHUP).
 *--*/
#ifndef MESSEC_PRIV_H
#define MESSEC_PRIV_H

int priv_drop(const char *user, const char *group, const char *chroot_dir,
	      const char **error_r);
int priv_pidfile_write(const char *path, const char **error_r);
void priv_pidfile_remove(const char *path);

void sig_setup(void);
int sig_term_requested(void);
int sig_hup_take(void);

#endif
