/*++
 * NAME
 *	codec 3
 * SUMMARY
 *	RFC 4648 base16 (hex) and base32, bounded
 * SYNOPSIS
 *	#include <messec/codec.h>
 * DESCRIPTION
 *	See codec.h. Users: the MFA plugin (key files in hex, TOTP secrets
 *	in base32 for otpauth:// URIs), the CLI.
 * TRUST BOUNDARY
 *	The decoders parse operator input (key files, secrets typed at the
 *	CLI): every output write is checked against out_size, and no input
 *	length can overflow a size computation.
 *--*/
#include <messec/codec.h>

#include <limits.h>

/* The decoders return a long: never more bytes than it holds. */
#define LONG_MAX_BYTES LONG_MAX

static const char hex_digits[] = "0123456789abcdef";
/* RFC 4648 6, Table 3. */
static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int codec_hex_encode(const uint8_t *data, size_t len, char *out, size_t out_size)
{
	if (len > (SIZE_MAX - 1) / 2 || out_size < 2 * len + 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[data[i] >> 4];
		out[2 * i + 1] = hex_digits[data[i] & 15];
	}
	out[2 * len] = '\0';
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long codec_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t out_size)
{
	if (text_len % 2 != 0 || text_len / 2 > out_size || text_len / 2 > (size_t)LONG_MAX_BYTES)
		return -1;
	for (size_t i = 0; i < text_len / 2; i++) {
		int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(text_len / 2);
}

int codec_base32_encode(const uint8_t *data, size_t len, char *out, size_t out_size)
{
	size_t o = 0;
	unsigned int buffer = 0, bits = 0;

	/* RFC 4648 6: every 5 bits become one character. */
	if (len > (SIZE_MAX - 5) / 8 || out_size < (len * 8 + 4) / 5 + 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		buffer = (buffer << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(buffer << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

/* RFC 4648 section 4, Table 1 */
int codec_base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long codec_base32_decode(const char *text, uint8_t *out, size_t out_size)
{
	unsigned int buffer = 0, bits = 0;
	size_t o = 0;
	int v;

	for (const char *p = text; *p != '\0'; p++) {
		char c = *p;

		if (c == '=' || c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		buffer = ((buffer << 5) | (unsigned int)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			if (o >= out_size || o >= (size_t)LONG_MAX_BYTES)
				return -1;
			out[o++] = (uint8_t)(buffer >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)o;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
   surrogates, at most U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* RFC 8259 section 7 (codec.h). */
void codec_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t n;

	fputc('"', out);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, out);
		} else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, n, out);
			s += n;
		} else {
			fputs("\\ufffd", out);
			s++;
		}
	}
	fputc('"', out);
}
