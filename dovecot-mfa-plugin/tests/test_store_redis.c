/*++
 * NAME
 *	test_store_redis 1
 * SUMMARY
 *	unit tests for mfa_store.c on Redis (common/'s store) against a private redis-server
 * DESCRIPTION
 *	Starts redis-server (Debian package redis-server) on a unix socket in
 *	a mkdtemp directory (--port 0 --save '' --appendonly no), then runs:
 *	the store contract of mfa_contract.c (the same cases as LMDB); racing
 *	processes with the same code (exactly one wins) and with failures
 *	(none lost); a deterministic WATCH conflict; key mismatch and flushed
 *	data; a dead server and a server that never answers (internal
 *	failure, bounded by redis_timeout); the settings table for Redis
 *	specs. A missing redis-server fails the tests.
 *--*/
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "mfa_policy.h"
#include "mfa_util.h"
#include "mfa_contract.h"
#include "../../common/tests/test_util.h"	/* test_redis_spawn/stop */

#define RACERS 8
#define ROUNDS 10
#define DB 3

static char server_dir[64] = "/tmp/mfa-test-redis.XXXXXX";
static char sock_path[128];
static pid_t redis_pid = -1;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static redisContext *raw_connect(void)
{
	redisContext *c = redisConnectUnix(sock_path);
	redisReply *reply;

	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	reply = redisCommand(c, "SELECT %d", DB);
	freeReplyObject(reply);
	return c;
}

static void raw_command(const char *cmd)
{
	redisContext *c = raw_connect();
	redisReply *reply;

	assert_non_null(c);
	reply = redisCommand(c, cmd);
	assert_non_null(reply);
	freeReplyObject(reply);
	redisFree(c);
}

static int start_redis(void)
{
	char logfile[160];

	snprintf(logfile, sizeof(logfile), "%s/redis.log", server_dir);
	redis_pid = test_redis_spawn(server_dir, sock_path, logfile);
	if (redis_pid < 0)
		return -1;
	for (int i = 0; i < 400; i++) {
		redisContext *c = raw_connect();

		if (c != NULL) {
			redisFree(c);
			return 0;
		}
		sleep_ms(25);
	}
	fprintf(stderr, "redis-server did not start (see %s)\n", logfile);
	return -1;
}

static void stop_redis(void)
{
	test_redis_stop(&redis_pid, SIGKILL);
}

static int group_setup(void **state)
{
	(void)state;
	if (mkdtemp(server_dir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", server_dir);
	return start_redis();
}

static int group_teardown(void **state)
{
	(void)state;
	stop_redis();
	mfa_store_release_cached();
	contract_rm_rf(server_dir);
	return 0;
}

static void redis_store_args(struct fixture *f, char *buf, size_t size)
{
	/* A loaded test machine must not turn contract cases into timeouts:
	   the timeout has its own cases (dead and slow server). */
	snprintf(buf, size, "store=redis://%s?db=%d key_file=%s/mfa.key redis_timeout=1000",
		 sock_path, DB, f->dir);
}

static void redis_reset(struct fixture *f)
{
	(void)f;
	if (redis_pid > 0)
		raw_command("FLUSHDB");
}

struct contract_backend contract_backend = { "redis", redis_store_args, redis_reset };

static void pw_with_code(long step, char *pw, size_t size)
{
	char code[MFA_DIGITS_MAX + 1];

	contract_code_at(step, code);
	snprintf(pw, size, "pw%s", code);
}

/*
 * RACERS processes wait on a pipe, then all submit the same login. Each
 * exits with its verdict + 10. Returns how many got each verdict.
 */
static void race(struct fixture *f, const char *pw, time_t now,
		 int counts[5])
{
	int gate[2];
	pid_t pids[RACERS];

	memset(counts, 0, 5 * sizeof(int));
	/* A child must not share the parent's cached connection. */
	mfa_store_release_cached();
	assert_int_equal(pipe(gate), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char b;
			struct mfa_decision d;

			close(gate[1]);
			if (read(gate[0], &b, 1) < 0)
				_exit(1);
			d = contract_login(f, USER, pw, "198.51.100.7", "imap", now);
			if (d.verdict == MFA_VERDICT_INTERNAL)
				fprintf(stderr, "racer %d: %s\n", i, d.reason);
			_exit(10 + (int)d.verdict);
		}
	}
	close(gate[0]);
	close(gate[1]);		/* EOF wakes every racer at once */
	for (int i = 0; i < RACERS; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		int v = WEXITSTATUS(status) - 10;
		assert_true(v >= -1 && v <= 3);
		counts[v + 1]++;
	}
}

/* "same code on N hosts at once": exactly one NEXT, the rest replays. */
static void test_race_same_code(void **state)
{
	struct fixture *f = *state;
	char pw[64];
	int counts[5];

	f->set.max_failures = 1000;
	f->set.ip_max_failures = 100000;
	/* RACERS processes start at once on a small machine: the point
	   here is atomicity, not the production timeout. */
	f->set.redis_timeout = 1000;
	for (long round = 0; round < ROUNDS; round++) {
		pw_with_code(round, pw, sizeof(pw));
		race(f, pw, T0 + 30 * round, counts);
		if (counts[1 + MFA_VERDICT_NEXT] != 1 ||
		    counts[1 + MFA_VERDICT_FAIL] != RACERS - 1)
			fail_msg("round %ld: %d accepted, %d refused, %d internal",
				 round, counts[1 + MFA_VERDICT_NEXT],
				 counts[1 + MFA_VERDICT_FAIL],
				 counts[1 + MFA_VERDICT_INTERNAL]);
	}
}

/* "failures at once are all counted": no lost update. */
static void test_race_failures(void **state)
{
	struct fixture *f = *state;
	struct mfa_store *store;
	struct mfa_txn *txn;
	struct mfa_user_rec rec;
	struct mfa_ip_rec ip;
	uint8_t key[MFA_KEY_LEN];
	const char *error;
	int counts[5];

	f->set.max_failures = 1000;
	f->set.ip_max_failures = 100000;
	f->set.redis_timeout = 1000;
	race(f, "pw000000", T0, counts);
	assert_int_equal(counts[1 + MFA_VERDICT_FAIL], RACERS);
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	txn = mfa_txn_begin(store, 0);
	assert_int_equal(mfa_user_get(txn, USER, &rec), MFA_STORE_OK);
	assert_int_equal(rec.failures, RACERS);
	assert_int_equal(mfa_ip_get(txn, "198.51.100.7", &ip), MFA_STORE_OK);
	assert_int_equal(ip.failures, RACERS);
	mfa_txn_abort(&txn);
	mfa_store_close(&store);
}

/* "a write after another's commit conflicts and writes nothing". */
static void test_conflict(void **state)
{
	struct fixture *f = *state;
	struct mfa_store *s1, *s2;
	struct mfa_txn *t1, *t2;
	struct mfa_user_rec r1, r2;
	uint8_t key[MFA_KEY_LEN];
	const char *error;

	assert_int_equal(mfa_open(&f->set, 0, &s1, key, &error), 0);
	assert_int_equal(mfa_open(&f->set, 0, &s2, key, &error), 0);
	t1 = mfa_txn_begin(s1, 1);
	t2 = mfa_txn_begin(s2, 1);
	assert_int_equal(mfa_user_get(t1, USER, &r1), MFA_STORE_OK);
	assert_int_equal(mfa_user_get(t2, USER, &r2), MFA_STORE_OK);
	r2.last_used = 100;
	assert_int_equal(mfa_user_put(t2, USER, &r2), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&t2), 0);
	r1.last_used = 50;
	assert_int_equal(mfa_user_put(t1, USER, &r1), MFA_STORE_OK);
	assert_int_equal(mfa_txn_commit(&t1), MFA_TXN_CONFLICT);
	/* the connection is clean again: a new transaction works */
	t1 = mfa_txn_begin(s1, 1);
	assert_int_equal(mfa_user_get(t1, USER, &r1), MFA_STORE_OK);
	assert_true(r1.last_used == 100);
	assert_int_equal(mfa_txn_commit(&t1), 0);
	mfa_store_close(&s1);
	mfa_store_close(&s2);
}

static void write_key(const char *path, const char *hex)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp, "%s\n", hex);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
}

/* "wrong key, missing key, flushed data": internal failure, never success
   and never "not enrolled". */
static void test_key_and_meta(void **state)
{
	struct fixture *f = *state;
	char pw[64], moved[MFA_PATH_MAX + 8];
	struct mfa_decision d;

	pw_with_code(0, pw, sizeof(pw));
	snprintf(moved, sizeof(moved), "%s.moved", f->set.key_file);
	assert_int_equal(rename(f->set.key_file, moved), 0);
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_non_null(strstr(d.reason, "missing but store"));
	write_key(f->set.key_file,
		  "00000000000000000000000000000000000000000000000000000000000000aa");
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_non_null(strstr(d.reason, "must share one key file"));
	assert_int_equal(rename(moved, f->set.key_file), 0);
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_NEXT);
	/* Redis restarted without persistence: no silent "not enrolled" */
	raw_command("FLUSHDB");
	f->set.unenrolled_allow = 1;
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0 + 30);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	f->set.unenrolled_allow = 0;
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0 + 30);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_non_null(strstr(d.reason, "no messec-mfa data"));
}

/* "rekey": mfa:meta names the new key in the same commit; the old key
   is refused afterwards, the new one accepted. */
static void test_rekey_meta(void **state)
{
	struct fixture *f = *state;
	struct mfa_store *store;
	struct mfa_txn *txn;
	uint8_t key[MFA_KEY_LEN], new_key[MFA_KEY_LEN], id[MFA_KEY_ID_LEN];
	const char *error;

	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	assert_int_equal(mfa_key_generate(new_key, &error), 0);
	assert_int_equal(mfa_key_id(new_key, id), 0);
	txn = mfa_txn_begin(store, 1);
	assert_int_equal(mfa_txn_set_key_id(txn, id, sizeof(id)), 0);
	assert_int_equal(mfa_txn_commit(&txn), 0);
	mfa_store_close(&store);
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), -1);
	assert_non_null(strstr(error, "must share one key file"));
	assert_int_equal(mfa_key_write(f->set.key_file, new_key, &error), 0);
	assert_int_equal(mfa_open(&f->set, 0, &store, key, &error), 0);
	assert_memory_equal(key, new_key, MFA_KEY_LEN);
	mfa_store_close(&store);
}

/* "server killed": internal failure; "server back": works again. */
static void test_dead_server(void **state)
{
	struct fixture *f = *state;
	char pw[64];
	struct mfa_decision d;

	pw_with_code(0, pw, sizeof(pw));
	/* a cached connection to the dead server, and a fresh connect */
	d = contract_login(f, USER, "pw", "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_FAIL);
	stop_redis();
	for (int i = 0; i < 2; i++) {
		d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0);
		if (d.verdict != MFA_VERDICT_INTERNAL)
			fail_msg("login %d with redis down: %s (%s)", i,
				 mfa_verdict_str(d.verdict), d.reason);
	}
	/* started again (empty: no persistence here) and enrolled again */
	assert_int_equal(start_redis(), 0);
	contract_rm_rf(f->dir);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	contract_enroll(f, USER);
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0);
	assert_int_equal(d.verdict, MFA_VERDICT_NEXT);
}

/* A unix socket that accepts connections (kernel backlog) and never
   answers: each login ends with an internal failure after about
   redis_timeout, it does not hang. */
static void test_slow_server(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec t0, t1;
	char args[256], pw[64];
	const char *error;
	struct mfa_decision d;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/silent.sock", f->dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 16), 0);
	snprintf(args, sizeof(args), "store=redis://%s redis_timeout=50", sun.sun_path);
	assert_int_equal(mfa_settings_parse_args(&f->set, args, &error), 0);
	pw_with_code(0, pw, sizeof(pw));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	d = contract_login(f, USER, pw, "198.51.100.7", "imap", T0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(d.verdict, MFA_VERDICT_INTERNAL);
	assert_non_null(strstr(d.reason, "redis"));
	/* not a performance check: only "it did not hang" (50 ms asked) */
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	close(fd);
}

struct setting_case {
	const char *name;
	const char *args;
	int want;
};

static const struct setting_case setting_cases[] = {
	{ "unix socket with db", "store=redis:///run/redis.sock?db=3 key_file=/k", 0 },
	{ "tcp host port db", "store=redis://10.0.0.5:6379/2 key_file=/k", 0 },
	{ "tcp host only", "store=redis://redis.example key_file=/k", 0 },
	{ "ipv6", "store=redis://[2001:db8::5]:6380/1 key_file=/k", 0 },
	{ "redis without key_file", "store=redis://10.0.0.5", -1 },
	{ "db 16", "store=redis://10.0.0.5/16 key_file=/k", -1 },
	{ "credentials in URL", "store=redis://u:pw@10.0.0.5 key_file=/k", -1 },
	{ "port 0", "store=redis://10.0.0.5:0 key_file=/k", -1 },
	{ "port junk", "store=redis://10.0.0.5:x key_file=/k", -1 },
	{ "unknown query", "store=redis:///s.sock?timeout=3 key_file=/k", -1 },
	{ "no host", "store=redis:// key_file=/k", -1 },
	{ "other scheme", "store=rediss://10.0.0.5 key_file=/k", -1 },
	{ "timeout 20", "store=redis:///s.sock redis_timeout=20 key_file=/k", 0 },
	{ "timeout 0", "store=redis:///s.sock redis_timeout=0 key_file=/k", -1 },
	{ "timeout over max", "store=redis:///s.sock redis_timeout=1001 key_file=/k", -1 },
};

static void test_settings_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(setting_cases) / sizeof(setting_cases[0]); i++) {
		const struct setting_case *c = &setting_cases[i];
		struct mfa_settings set;
		const char *error = NULL;
		int r;

		r = contract_parse_settings(&set, c->args, &error);
		if (r != c->want)
			fail_msg("%s: %d (%s)", c->name, r, error != NULL ? error : "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CONTRACT_TESTS(contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_race_same_code, contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_race_failures, contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_conflict, contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_key_and_meta, contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_rekey_meta, contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_dead_server, contract_setup, contract_teardown),
		cmocka_unit_test_setup_teardown(test_slow_server, contract_setup, contract_teardown),
		cmocka_unit_test(test_settings_table),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
