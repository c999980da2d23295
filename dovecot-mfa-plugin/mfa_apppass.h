/*++
/* NAME
/*	mfa_apppass 3h
/* SUMMARY
/*	app passwords: generation, shape, yescrypt hashing
/* SYNOPSIS
/*	#include "mfa_apppass.h"
/* DESCRIPTION
/*	An app password is 7 groups of 4 lower-case base32 characters joined
/*	by '-' ("abcd-efgh-..."), 34 characters. The first group is its id
/*	(stored in clear, so a login checks one hash, not all of them); the
/*	other 6 groups carry 120 random bits. Because of the dashes it never
/*	ends in a 6-digit code.
/*
/*	mfa_apppass_generate(): new random password (caller shows it once and
/*	wipes it). mfa_apppass_parse(): does input have the shape? Copies the
/*	id to id_r (1) or returns 0. mfa_apppass_hash(): crypt(3) yescrypt
/*	("$y$") hash with a fresh salt. mfa_apppass_verify(): 1 match, 0 no
/*	match, -1 error (constant-time compare of the crypt output).
/*--*/
#ifndef MFA_APPPASS_H
#define MFA_APPPASS_H

#include <stddef.h>

#define MFA_APPPASS_GROUPS 7
#define MFA_APPPASS_LEN (MFA_APPPASS_GROUPS * 5 - 1)

int mfa_apppass_generate(char out[MFA_APPPASS_LEN + 1], const char **error_r);
int mfa_apppass_parse(const char *input, size_t len, char id_r[5]);
int mfa_apppass_hash(const char *password, char *hash_r, size_t hash_size,
		     const char **error_r);
int mfa_apppass_verify(const char *password, const char *hash,
		       const char **error_r);

#endif
