/*++
/* NAME
/*	mfa_qr 3
/* SUMMARY
/*	print a QR code in the terminal
/* DESCRIPTION
/*	See mfa_qr.h. Caller: mfa_cli.c (enroll). The code is built by
/*	libqrencode (ISO/IEC 18004), error correction level M, 8-bit mode.
/*--*/
#include <qrencode.h>

#include "mfa_qr.h"

#define QUIET 2

static int light(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 1;
	return (qr->data[y * qr->width + x] & 1) == 0;
}

int mfa_qr_print(FILE *out, const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);

	if (qr == NULL)
		return -1;
	for (int y = -QUIET; y < qr->width + QUIET; y += 2) {
		for (int x = -QUIET; x < qr->width + QUIET; x++) {
			int top = light(qr, x, y), bottom = light(qr, x, y + 1);

			if (top && bottom)
				fputs("\xe2\x96\x88", out);	/* full block */
			else if (top)
				fputs("\xe2\x96\x80", out);	/* upper half */
			else if (bottom)
				fputs("\xe2\x96\x84", out);	/* lower half */
			else
				fputc(' ', out);
		}
		fputc('\n', out);
	}
	QRcode_free(qr);
	return 0;
}
