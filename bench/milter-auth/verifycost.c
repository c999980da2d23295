/*++
 * NAME
 *	verifycost 1
 * SUMMARY
 *	DKIM verification cost per message, dkim_verify_engine opendkim vs
 *	messec (run by verifycost.sh)
 * SYNOPSIS
 *	verifycost opendkim|messec MESSAGE KEYFILE N
 * DESCRIPTION
 *	Verifies MESSAGE (a signed .eml, CRLF or LF) N times through the
 *	verification stage's API (dkim_verify.h: raw header fields, eoh,
 *	body in 64 KiB chunks, eom) with keys from KEYFILE (the test-only
 *	key_file: the same DNS-wire path as real answers, no network).
 *	Exits 1 unless every signature passes each time. Meant to run under
 *	valgrind --tool=callgrind (instruction counts are repeatable on a
 *	busy machine); also prints process CPU time per message.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <messec/log.h>
#include <messec/str.h>

#include "dkim_verify.h"

static char *slurp(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = xmalloc(1 << 20);

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	*len_r = fread(buf, 1, (1 << 20) - 1, fp);
	buf[*len_r] = '\0';
	fclose(fp);
	return buf;
}

static int verify_once(struct ma_dkim_lib *lib, const char *msg, size_t len, const char *body,
		       size_t blen)
{
	const char *error = NULL;
	struct ma_dkim_verify *v = ma_dkim_verify_new(lib, "BENCH", &error);
	size_t pos = 0, i;
	int ok = 1;

	if (v == NULL)
		return 0;
	while (pos < len && msg[pos] != '\n' && !(msg[pos] == '\r' && msg[pos + 1] == '\n')) {
		size_t start = pos, end;

		for (;;) {
			const char *nl = memchr(msg + pos, '\n', len - pos);

			pos = nl == NULL ? len : (size_t)(nl - msg) + 1;
			end = pos - (nl != NULL);
			if (end > start && msg[end - 1] == '\r')
				end--;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t'))
				break;
		}
		if (ma_dkim_verify_header_raw(v, msg + start, end - start, &error) != 0)
			ok = 0;
	}
	if (ma_dkim_verify_eoh(v, &error) != 0 ||
	    ma_dkim_verify_body(v, (const unsigned char *)body, blen, &error) != 0 ||
	    ma_dkim_verify_eom(v, &error) != 0 || ma_dkim_verify_count(v) == 0)
		ok = 0;
	for (i = 0; ok && i < ma_dkim_verify_count(v); i++)
		if (ma_dkim_verify_sig(v, i)->result != MA_DKIM_PASS)
			ok = 0;
	ma_dkim_verify_free(&v);
	return ok;
}

int main(int argc, char **argv)
{
	struct ma_dkim_config cfg;
	struct ma_dkim_lib *lib;
	const char *error = NULL;
	struct rusage ru;
	size_t len, off, blen = 0, i;
	char *msg, *body;
	long n;
	double cpu;

	if (argc != 5 || (n = atol(argv[4])) < 1) {
		fprintf(stderr, "usage: verifycost opendkim|messec MESSAGE KEYFILE N\n");
		return 2;
	}
	log_init("verifycost", 1, LOG_LEVEL_WARNING);
	ma_dkim_config_defaults(&cfg);
	cfg.engine = strcmp(argv[1], "messec") == 0 ? MA_DKIM_VERIFY_MESSEC : MA_DKIM_VERIFY_OPENDKIM;
	cfg.key_file = argv[3];
	if ((lib = ma_dkim_lib_new(&cfg, &error)) == NULL) {
		fprintf(stderr, "%s\n", error);
		return 2;
	}
	msg = slurp(argv[2], &len);
	off = strstr(msg, "\r\n\r\n") != NULL ? (size_t)(strstr(msg, "\r\n\r\n") - msg) + 4 :
		strstr(msg, "\n\n") != NULL ? (size_t)(strstr(msg, "\n\n") - msg) + 2 : len;
	body = xmalloc(2 * (len - off) + 1);
	for (i = off; i < len; i++) {	/* CRLF, as Postfix gives it */
		if (msg[i] == '\n' && (i == off || msg[i - 1] != '\r'))
			body[blen++] = '\r';
		body[blen++] = msg[i];
	}
	for (long k = 0; k < n; k++)
		if (!verify_once(lib, msg, off, body, blen)) {
			fprintf(stderr, "verification did not pass\n");
			return 1;
		}
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("%s %s: %ld verifications, %.3f ms CPU per message (process total / N)\n",
	       argv[1], argv[2], n, cpu * 1000 / (double)n);
	ma_dkim_lib_free(&lib);
	free(msg);
	free(body);
	return 0;
}
