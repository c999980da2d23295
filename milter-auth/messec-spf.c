/*++
 * NAME
 *	messec-spf 8
 * SUMMARY
 *	run the milter's SPF check from the command line
 * SYNOPSIS
 *	messec-spf [-e explanation] [-r receiver] [-t dns_ms] [-T total_ms]
 *		[-H] [-L] [-j threads] IP MAIL_FROM HELO
 * DESCRIPTION
 *	Calls ma_spf_check(), the exact code path of messec-milter-auth, with
 *	the system resolver, and prints:
 *
 *	line 1: the result keyword alone (pass, fail, softfail, neutral,
 *		none, temperror, permerror; an internal error prints
 *		temperror, which is what the milter answers);
 *	line 2: "reason: " and why;
 *	line 3: "explanation: " and the exp= text, on fail only.
 *
 *	An empty MAIL_FROM ("") is the null sender: the HELO identity
 *	(postmaster@HELO) is checked. -H checks the HELO identity whatever
 *	MAIL_FROM is. -L evaluates with raw libspf2 instead of messec's
 *	engine (comparison only: lower conformance, resolv.conf timeouts).
 *	-j N (1..64) runs the check in N threads at once on one shared
 *	context, as the milter's threads do, and checks they all agree.
 * DIAGNOSTICS
 *	Exit status 0 whatever the SPF result; 2 on bad arguments (wrong
 *	count, unparsable IP, bad option value); 1 if the SPF context cannot
 *	be created; 3 if -j threads disagreed.
 *--*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <messec/spf.h>
#include "spf_internal.h"

static void
usage(void)
{
	fprintf(stderr, "usage: messec-spf [-e explanation] [-r receiver] "
		"[-t dns_timeout_ms] [-T total_timeout_ms] [-H] "
		"[-L] [-j threads] IP MAIL_FROM HELO\n");
	exit(2);
}

static unsigned
parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max)
		usage();
	return (unsigned)v;
}

#define MAX_JOBS	64

struct job {
	struct ma_spf *spf;
	char **argv;
	enum ma_spf_identity identity;
	struct ma_spf_verdict v;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;

	ma_spf_check(j->spf, j->argv[0], j->argv[2], j->argv[1], j->identity,
		     &j->v);
	return NULL;
}

/*
 * -j N: N threads evaluate the same identity at once with the one shared
 * context, as libmilter's threads do; they must all agree.
 */
static int
run_jobs(struct job *jobs, unsigned n)
{
	pthread_t tid[MAX_JOBS];
	unsigned started = 0;

	for (unsigned i = 1; i < n; i++) {
		jobs[i] = jobs[0];
		if (pthread_create(&tid[i], NULL, job_run, &jobs[i]) != 0)
			break;
		started = i;
	}
	job_run(&jobs[0]);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(tid[i], NULL);
	if (started + 1 != n) {
		fprintf(stderr, "messec-spf: pthread_create failed\n");
		return -1;
	}
	for (unsigned i = 1; i < n; i++) {
		if (jobs[i].v.result != jobs[0].v.result ||
		    strcmp(jobs[i].v.explanation, jobs[0].v.explanation) != 0) {
			fprintf(stderr, "messec-spf: thread %u: %s, thread 0: "
				"%s\n", i, ma_spf_result_name(jobs[i].v.result),
				ma_spf_result_name(jobs[0].v.result));
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ma_spf_config cfg = { 0 };
	static struct job jobs[MAX_JOBS];
	struct ma_spf_verdict *v = &jobs[0].v;
	unsigned njobs = 1;
	struct spf_ip ip;
	struct ma_spf *spf;
	enum ma_spf_identity identity = MA_SPF_ID_MAILFROM;
	const char *error;
	enum ma_spf_result r;
	int ch, status = 0;

	while ((ch = getopt(argc, argv, "e:r:t:T:HLj:")) != -1) {
		switch (ch) {
		case 'e': cfg.default_explanation = optarg; break;
		case 'r': cfg.receiver = optarg; break;
		case 't': cfg.dns_timeout_ms = parse_num(optarg, 600000); break;
		case 'T': cfg.total_timeout_ms = parse_num(optarg, 600000); break;
		case 'j': njobs = parse_num(optarg, MAX_JOBS); break;
		case 'H': identity = MA_SPF_ID_HELO; break;
		case 'L': cfg.engine = MA_SPF_ENGINE_LIBSPF2; cfg.libspf2_check = spf_libspf2_check; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	if (spf_ip_parse(argv[0], &ip) < 0) {
		fprintf(stderr, "messec-spf: unparsable IP address\n");
		return 2;
	}
	spf = ma_spf_new(&cfg, &error);
	if (spf == NULL) {
		fprintf(stderr, "messec-spf: %s\n", error);
		return 1;
	}
	jobs[0] = (struct job){ .spf = spf, .argv = argv, .identity = identity };
	if (run_jobs(jobs, njobs) < 0)
		status = 3;
	r = v->result;
	printf("%s\n", r == MA_SPF_INTERNAL ? "temperror" :
	       ma_spf_result_name(r));
	printf("reason: %s%s\n", r == MA_SPF_INTERNAL ? "internal error: " : "",
	       v->reason);
	if (r == MA_SPF_FAIL)
		printf("explanation: %s\n", v->explanation);
	ma_spf_free(&spf);
	return status;
}
