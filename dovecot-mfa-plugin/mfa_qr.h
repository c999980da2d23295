/*++
/* NAME
/*	mfa_qr 3h
/* SUMMARY
/*	terminal QR code for the otpauth:// URI (libqrencode)
/* DESCRIPTION
/*	mfa_qr_print() writes text as a QR code with Unicode half blocks,
/*	two modules per character row, light modules drawn (for the usual
/*	light-on-dark terminal), with a 2-module quiet zone. 0 ok, -1 error.
/*--*/
#ifndef MFA_QR_H
#define MFA_QR_H

#include <stdio.h>

int mfa_qr_print(FILE *out, const char *text);

#endif
