/*++
 * NAME
 *	fuzz_mfa_settings 1
 * SUMMARY
 *	libFuzzer target for the MFA passdb settings (args and config file)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_mfa_settings -max_len=8192 tests/fuzz/corpus/mfa_settings
 * DESCRIPTION
 *	The input (cut at its first NUL) is split at its first newline:
 *	- line 1 is a passdb args string for mfa_settings_parse_args() and
 *	  a network for common/'s cidr_parse() (exempt_nets). An args string
 *	  holding "config=" is not parsed: it would open any path the
 *	  fuzzer names (/dev/stdin, a FIFO) and hang; the file parser is
 *	  fed below instead;
 *	- the rest is a config file for mfa_settings_load_file(), written to
 *	  a memfd and opened through /proc/self/fd/N.
 *	Then mfa_settings_finish(), mfa_settings_service_covered() and
 *	mfa_settings_ip_exempt(). Checks: every value stays in its declared
 *	bounds (digits 6..8, window <= 2, no digit in the separator, counts
 *	within their arrays, strings NUL-terminated in their arrays); a
 *	finished config has a store and a key file; a network prefix fits
 *	its family. A violation aborts.
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mfa_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int conf_fd = -1;
static char conf_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	conf_fd = memfd_create("fuzz_mfa_settings", MFD_CLOEXEC);
	if (conf_fd < 0)
		abort();
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_settings(const struct mfa_settings *set)
{
	size_t i;

	if (set->digits < MFA_DIGITS_MIN || set->digits > MFA_DIGITS_MAX ||
	    set->window > MFA_WINDOW_MAX || set->algorithm > MFA_TOTP_SHA512 ||
	    set->services_count > MFA_SERVICES_MAX || set->nets_count > MFA_NETS_MAX ||
	    !terminated(set->store, sizeof(set->store)) ||
	    !terminated(set->key_file, sizeof(set->key_file)) ||
	    !terminated(set->issuer, sizeof(set->issuer)) ||
	    !terminated(set->separator, sizeof(set->separator)) ||
	    strpbrk(set->separator, "0123456789") != NULL ||
	    set->max_failures == 0 || set->lockout == 0 || set->ip_max_failures == 0)
		abort();
	for (i = 0; i < set->services_count; i++) {
		if (!terminated(set->services[i], sizeof(set->services[i])))
			abort();
	}
	for (i = 0; i < set->nets_count; i++) {
		if ((set->nets[i].family != AF_INET && set->nets[i].family != AF_INET6) ||
		    set->nets[i].prefix > (set->nets[i].family == AF_INET ? 32u : 128u))
			abort();
	}
}

static void use_settings(struct mfa_settings *set)
{
	static const char *const services[] = { "imap", "pop3", "smtp", "", "IMAP" };
	static const char *const ips[] = { "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1",
					   "", "not-an-ip", "10.0.0.1" };
	const char *error = NULL;
	size_t i;
	int r;

	check_settings(set);
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		r = mfa_settings_service_covered(set, services[i]);
		if (r != 0 && r != 1)
			abort();
	}
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		r = mfa_settings_ip_exempt(set, ips[i]);
		if (r != 0 && r != 1)
			abort();
	}
	if (mfa_settings_finish(set, &error) == 0) {
		if (set->store[0] == '\0' || set->key_file[0] == '\0')
			abort();
		check_settings(set);
	} else if (error == NULL) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mfa_settings set;
	struct cidr net;
	const char *error = NULL, *file;
	char *text, *nl;
	size_t flen;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl = '\0';
	file = nl != NULL ? nl + 1 : "";

	if (cidr_parse(text, &net, &error) == 0 &&
	    ((net.family != AF_INET && net.family != AF_INET6) ||
	     net.prefix > (net.family == AF_INET ? 32u : 128u)))
		abort();
	error = NULL;

	mfa_settings_init(&set);
	if (strstr(text, "config=") == NULL) {
		if (mfa_settings_parse_args(&set, text, &error) == 0)
			use_settings(&set);
		else if (error == NULL)
			abort();
	}

	/* The config file, through a real FILE (fgets, line caps). */
	flen = strlen(file);
	if (ftruncate(conf_fd, 0) != 0 || pwrite(conf_fd, file, flen, 0) != (ssize_t)flen)
		abort();
	mfa_settings_init(&set);
	error = NULL;
	if (mfa_settings_load_file(&set, conf_path, &error) == 0)
		use_settings(&set);
	else if (error == NULL)
		abort();
	free(text);
	return 0;
}
