/*++
 * NAME
 *	compat_fixture.h - the old-store fixtures of the MFA plugin's tests
 * SYNOPSIS
 *	#include <cmocka.h> (and its prerequisites), then
 *	#include "compat_fixture.h"
 * DESCRIPTION
 *	Helpers shared by the tests that open stores written by an older
 *	plugin (tests/compat/: an LMDB file, a Redis key dump, their key
 *	files and the app password issued then): copy a fixture file, the
 *	settings those stores were written with, one login, the fixture's
 *	app password, and a private redis-server loaded with the dump.
 *	Every helper fails the running cmocka test on error.
 *--*/
#ifndef MFA_COMPAT_FIXTURE_H
#define MFA_COMPAT_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "mfa_apppass.h"
#include "mfa_policy.h"
#include "mfa_store.h"
#include "../../common/tests/test_util.h"	/* test_redis_spawn/stop */

#define COMPAT_DIR "dovecot-mfa-plugin/tests/compat"
#define COMPAT_USER "alice@lab.example"
#define COMPAT_IP "198.51.100.7"
#define COMPAT_T0 ((time_t)1800000000)		/* a multiple of 30 */
#define COMPAT_POLICY "max_failures=3 lockout=10m ip_max_failures=50 services=imap,pop3,smtp"

static inline void compat_copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[8192];
	size_t n;

	if (in == NULL)
		fail_msg("%s: %s", from, strerror(errno));
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, mode), 0);
}

/* The policy the fixtures were written with, on the given store args. */
static inline void compat_settings(struct mfa_settings *set, const char *store_args)
{
	char args[2048];
	const char *error = NULL;

	snprintf(args, sizeof(args), "%s " COMPAT_POLICY, store_args);
	mfa_settings_init(set);
	if (mfa_settings_parse_args(set, args, &error) < 0 ||
	    mfa_settings_finish(set, &error) < 0)
		fail_msg("settings: %s", error);
}

static inline struct mfa_decision compat_login(const struct mfa_settings *set,
					       const char *password,
					       const char *service, time_t now)
{
	struct mfa_request req = {
		.user = COMPAT_USER, .password = password,
		.password_len = strlen(password), .service = service,
		.remote_ip = COMPAT_IP, .now = now,
	};
	struct mfa_decision d;

	mfa_policy_check(set, &req, &d);
	return d;
}

/* The app password issued when the fixtures were written. */
static inline void compat_read_app_password(char pw[MFA_APPPASS_LEN + 1])
{
	FILE *fp = fopen(COMPAT_DIR "/app-password.txt", "r");
	char line[128];

	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strlen(line), MFA_APPPASS_LEN);
	memcpy(pw, line, MFA_APPPASS_LEN + 1);
}

/* --- a private redis-server on a unix socket, database db */

static inline redisContext *compat_redis_connect(const char *sock_path, int db)
{
	redisContext *c = redisConnectUnix(sock_path);
	redisReply *rep;

	if (c == NULL || c->err) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	rep = redisCommand(c, "SELECT %d", db);
	freeReplyObject(rep);
	return c;
}

/* Start the server in dir and wait until it answers; its pid, -1 on error. */
static inline pid_t compat_redis_start(const char *dir, const char *sock_path, int db)
{
	char logfile[700];
	pid_t pid;

	snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
	pid = test_redis_spawn(dir, sock_path, logfile);
	if (pid < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };
		redisContext *c = compat_redis_connect(sock_path, db);

		if (c != NULL) {
			redisFree(c);
			return pid;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "redis-server did not start\n");
	test_redis_stop(&pid, SIGTERM);
	return -1;
}

static inline size_t compat_unhex(const char *hex, char *out, size_t size)
{
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	assert_true(strlen(hex) % 2 == 0 && n <= size);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (char)v;
	}
	return n;
}

/*
 * Load a dump ("string HEXKEY HEXVALUE" / "hash HEXKEY HEXFIELD HEXVALUE"
 * lines) into database db, emptied first. Returns the number of keys.
 */
static inline int compat_load_redis_dump(const char *path, const char *sock_path, int db)
{
	FILE *fp = fopen(path, "r");
	redisContext *c = compat_redis_connect(sock_path, db);
	char line[8192], type[16], hk[2048], hf[2048], hv[4096];
	char k[1024], f[1024], v[2048];
	size_t kl, fl, vl;
	redisReply *rep;
	int lines = 0;

	assert_non_null(fp);
	assert_non_null(c);
	freeReplyObject(redisCommand(c, "FLUSHDB"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%15s", type) != 1)
			continue;
		if (strcmp(type, "string") == 0) {
			assert_int_equal(sscanf(line, "%*s %2047s %4095s", hk, hv), 2);
			kl = compat_unhex(hk, k, sizeof(k));
			vl = compat_unhex(hv, v, sizeof(v));
			rep = redisCommand(c, "SET %b %b", k, kl, v, vl);
		} else {
			assert_string_equal(type, "hash");
			assert_int_equal(sscanf(line, "%*s %2047s %2047s %4095s", hk, hf, hv), 3);
			kl = compat_unhex(hk, k, sizeof(k));
			fl = compat_unhex(hf, f, sizeof(f));
			vl = compat_unhex(hv, v, sizeof(v));
			rep = redisCommand(c, "HSET %b %b %b", k, kl, f, fl, v, vl);
		}
		assert_non_null(rep);
		assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
		freeReplyObject(rep);
		lines++;
	}
	fclose(fp);
	redisFree(c);
	return lines;
}

#endif
