/*++
 * NAME
 *	signcost 1
 * SUMMARY
 *	CPU per message of milter-auth's DKIM signing path against one bare
 *	OpenSSL signature (issue 16 item 1), by hand, never in make check
 * SYNOPSIS
 *	signcost RSA_KEY.pem ED25519_KEY.pem [N]
 * DESCRIPTION
 *	Process CPU time (getrusage RUSAGE_SELF, user+system), not wall
 *	time: meaningful on a busy machine, though caches and frequency
 *	still vary. Measures, per message of a typical size (1 KB header,
 *	4 KB body, fed as libmilter gives it):
 *	- one EVP_DigestSign with the pre-parsed key (the signature floor);
 *	- what libopendkim does again for every signature: parse the PEM;
 *	- the signing stage (dkim_sign.c, one key: RSA, then Ed25519) with
 *	  dkim_sign_engine = opendkim and = messec.
 *	Built and run by bench/milter-auth/signcost.sh (by hand).
 *	The key files must be mode 0600 and owned by the caller.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "dkim_sign.h"

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static EVP_PKEY *load(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *k;

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	return k;
}

static double bare(EVP_PKEY *k, int ed, int n)
{
	unsigned char data[400], sig[600];
	double t0 = cpu();
	int i;

	memset(data, 'h', sizeof(data));
	for (i = 0; i < n; i++) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		size_t len = sizeof(sig);

		if (EVP_DigestSignInit(c, NULL, ed ? NULL : EVP_sha256(), NULL, k) != 1 ||
		    EVP_DigestSign(c, sig, &len, data, ed ? 32 : sizeof(data)) != 1)
			exit(2);
		EVP_MD_CTX_free(c);
	}
	return (cpu() - t0) / n;
}

/* What libopendkim does per signature before signing: parse the PEM. */
static double pem(const char *file, int n)
{
	FILE *fp = fopen(file, "r");
	char buf[8192];
	size_t len;
	double t0;
	int i;

	if (fp == NULL)
		exit(1);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	t0 = cpu();
	for (i = 0; i < n; i++) {
		BIO *b = BIO_new_mem_buf(buf, (int) len);
		EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

		if (k == NULL)
			exit(2);
		EVP_PKEY_free(k);
		BIO_free(b);
	}
	return (cpu() - t0) / n;
}

static const char *hdr[][2] = {
	{ "Received", "from client.lab.example (client [192.0.2.1])\n\tby mx.lab.example (Postfix) with ESMTPSA id 4Abc\n\tfor <bob@remote.example>; Wed, 2 Dec 2026 10:00:00 +0000" },
	{ "From", "Alice Example <alice@lab.example>" },
	{ "To", "Bob <bob@remote.example>, carol@remote.example" },
	{ "Subject", "quarterly figures and the meeting on Friday" },
	{ "Date", "Wed, 2 Dec 2026 10:00:00 +0000" },
	{ "Message-ID", "<20261202100000.12345@lab.example>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=utf-8" },
	{ "Content-Transfer-Encoding", "8bit" },
	{ "User-Agent", "Mutt/2.2" },
};

static double path(struct ma_dkim_signer *s, int n)
{
	char body[4096];
	const char *err;
	double t0;
	int i, j;

	for (i = 0; i < (int) sizeof(body); i++)
		body[i] = (i % 72 == 70) ? '\r' : (i % 72 == 71) ? '\n' : (char) ('a' + i % 26);
	t0 = cpu();
	for (i = 0; i < n; i++) {
		struct ma_dkim_sign *g = ma_dkim_sign_new(s, "BENCH", 128 * 1024);

		for (j = 0; j < (int) (sizeof(hdr) / sizeof(hdr[0])); j++)
			if (ma_dkim_sign_header(g, hdr[j][0], hdr[j][1], &err) != 0)
				exit(3);
		if (ma_dkim_sign_eoh(g, ma_dkim_signer_match(s, "lab.example"), &err) != 0 ||
		    ma_dkim_sign_body(g, (const unsigned char *) body, sizeof(body) - 2, &err) != 0 ||
		    ma_dkim_sign_body(g, (const unsigned char *) "\r\n", 2, &err) != 0 ||
		    ma_dkim_sign_eom(g, &err) != 0 || ma_dkim_sign_count(g) != 1) {
			fprintf(stderr, "sign: %s\n", err);
			exit(4);
		}
		ma_dkim_sign_free(&g);
	}
	return (cpu() - t0) / n;
}

static struct ma_dkim_signer *signer(const char *entry, int engine)
{
	const char *keys[] = { entry, NULL }, *domains[] = { "lab.example", NULL };
	struct ma_dkim_sign_config c;

	memset(&c, 0, sizeof(c));
	c.keys = keys;
	c.domains = domains;
	c.relaxed_header = c.relaxed_body = 1;
	c.engine = engine;
	c.key_owner = geteuid();
	return ma_dkim_signer_new(&c, stderr);
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 2000;
	char e1[4200], e2[4200];
	struct ma_dkim_signer *rs, *es, *ro, *eo;
	EVP_PKEY *rk, *ek;

	if (argc < 3) {
		fprintf(stderr, "usage: signcost RSA_KEY ED25519_KEY [N]\n");
		return 1;
	}
	rk = load(argv[1]);
	ek = load(argv[2]);
	snprintf(e1, sizeof(e1), "lab.example:rsa:%s", argv[1]);
	snprintf(e2, sizeof(e2), "lab.example:ed:%s", argv[2]);
	if ((rs = signer(e1, MA_DKIM_ENGINE_MESSEC)) == NULL ||
	    (es = signer(e2, MA_DKIM_ENGINE_MESSEC)) == NULL ||
	    (ro = signer(e1, MA_DKIM_ENGINE_OPENDKIM)) == NULL ||
	    (eo = signer(e2, MA_DKIM_ENGINE_OPENDKIM)) == NULL)
		return 1;
	printf("# CPU per message (process user+system, getrusage), N=%d\n", n);
	printf("bare RSA-2048 signature   %8.1f us\n", bare(rk, 0, n) * 1e6);
	printf("bare Ed25519 signature    %8.1f us\n", bare(ek, 1, n) * 1e6);
	printf("PEM parse, RSA-2048       %8.1f us\n", pem(argv[1], n) * 1e6);
	printf("PEM parse, Ed25519        %8.1f us\n", pem(argv[2], n) * 1e6);
	printf("stage, libopendkim, RSA   %8.1f us\n", path(ro, n) * 1e6);
	printf("stage, libopendkim, Ed    %8.1f us\n", path(eo, n) * 1e6);
	printf("stage, messec, RSA        %8.1f us\n", path(rs, n) * 1e6);
	printf("stage, messec, Ed25519    %8.1f us\n", path(es, n) * 1e6);
	ma_dkim_signer_free(&rs);
	ma_dkim_signer_free(&es);
	ma_dkim_signer_free(&ro);
	ma_dkim_signer_free(&eo);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ek);
	return 0;
}
