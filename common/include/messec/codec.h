/*++
 * NAME
 *	codec 3h
 * SUMMARY
 *	RFC 4648 base16 (hex) and base32, bounded; RFC 8259 JSON strings
 * DESCRIPTION
 *	codec_hex_encode(): lower-case hex of len bytes, NUL-terminated;
 *	0, or -1 when out_size < 2 * len + 1.
 *	codec_hex_decode(): exactly text_len characters (even; upper or lower
 *	case) into out; the number of bytes, or -1 on an odd length, a
 *	non-hex character or out_size too small.
 *
 *	codec_base32_encode(): RFC 4648 section 6 alphabet without "="
 *	padding (what authenticator apps expect in an otpauth:// URI),
 *	NUL-terminated; 0, or -1 when out_size is too small.
 *	codec_base32_decode(): a NUL-terminated text as people type it:
 *	upper or lower case; "=", spaces and dashes are skipped; trailing
 *	bits that do not fill a byte are dropped. The number of bytes, or
 *	-1 on any other character or when out_size is too small.
 *
 *	codec_base64_value(): the 6-bit value of c in the RFC 4648 section
 *	4 alphabet (A-Z a-z 0-9 + /), or -1 for any other byte ("=" too):
 *	the callers' decoders differ in what they skip and where they stop
 *	(MIME, DKIM tags), the alphabet is one.
 *
 *	Callers wipe out themselves when it holds a secret (secret.h).
 *	codec_json_string(): s as an RFC 8259 string on out, quotes
 *	included: '"' and '\\' escaped, control characters (and DEL) as
 *	\u00XX, valid UTF-8 as is, any other byte as \ufffd: the output is
 *	valid JSON whatever s holds (mail and report texts are anyone's).
 *--*/
#ifndef MESSEC_CODEC_H
#define MESSEC_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int codec_hex_encode(const uint8_t *data, size_t len, char *out, size_t out_size);
long codec_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t out_size);
int codec_base32_encode(const uint8_t *data, size_t len, char *out, size_t out_size);
long codec_base32_decode(const char *text, uint8_t *out, size_t out_size);
int codec_base64_value(unsigned char c);
void codec_json_string(FILE *out, const char *s);

#endif
