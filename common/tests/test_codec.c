/*++
 * NAME
 *	test_codec 1
 * SUMMARY
 *	unit tests for codec.c: RFC 4648 section 10 vectors, bounds, bad input
 *--*/
#include "test_util.h"

#include <messec/codec.h>

/* RFC 4648 10: BASE32 and BASE16 of "", "f", ..., "foobar". The encoder
   writes no "=" padding (otpauth:// URIs); the decoder skips it. */
struct vec_case {
	const char *name, *data, *b32, *b32_padded, *hex;
};

static const struct vec_case vec_cases[] = {
	{ "rfc4648 empty", "", "", "", "" },
	{ "rfc4648 f", "f", "MY", "MY======", "66" },
	{ "rfc4648 fo", "fo", "MZXQ", "MZXQ====", "666f" },
	{ "rfc4648 foo", "foo", "MZXW6", "MZXW6===", "666f6f" },
	{ "rfc4648 foob", "foob", "MZXW6YQ", "MZXW6YQ=", "666f6f62" },
	{ "rfc4648 fooba", "fooba", "MZXW6YTB", "MZXW6YTB", "666f6f6261" },
	{ "rfc4648 foobar", "foobar", "MZXW6YTBOI", "MZXW6YTBOI======", "666f6f626172" },
};

static void test_vec(void **state)
{
	const struct vec_case *c = *state;
	size_t len = strlen(c->data);
	char text[64];
	uint8_t bytes[64];

	assert_int_equal(codec_base32_encode((const uint8_t *)c->data, len, text, sizeof(text)), 0);
	assert_string_equal(text, c->b32);
	assert_int_equal(codec_base32_decode(c->b32_padded, bytes, sizeof(bytes)), (long)len);
	assert_memory_equal(bytes, c->data, len);
	assert_int_equal(codec_hex_encode((const uint8_t *)c->data, len, text, sizeof(text)), 0);
	assert_string_equal(text, c->hex);
	assert_int_equal(codec_hex_decode(c->hex, strlen(c->hex), bytes, sizeof(bytes)), (long)len);
	assert_memory_equal(bytes, c->data, len);
}

struct bad_case {
	const char *name, *text;
	size_t out_size;
	long want;
};

static const struct bad_case b32_cases[] = {
	{ "b32 lower case, spaces and dashes", "mzxw 6ytb-oi", 16, 6 },
	{ "b32 digit 1 is not base32", "MZXW1", 16, -1 },
	{ "b32 digit 8 is not base32", "MZXW8", 16, -1 },
	{ "b32 punctuation", "MZ.XW", 16, -1 },
	{ "b32 non-ASCII byte", "MZ\xc3\xa9", 16, -1 },
	{ "b32 output exactly fits", "MZXW6YTBOI", 6, 6 },
	{ "b32 output one byte short", "MZXW6YTBOI", 5, -1 },
};

static void test_b32(void **state)
{
	const struct bad_case *c = *state;
	uint8_t out[16];

	assert_int_equal(codec_base32_decode(c->text, out, c->out_size), c->want);
}

static const struct bad_case hex_cases[] = {
	{ "hex upper case", "666F6F", 16, 3 },
	{ "hex odd length", "666", 16, -1 },
	{ "hex non-hex digit", "66g6", 16, -1 },
	{ "hex space", "66 6", 16, -1 },
	{ "hex output exactly fits", "666f6f", 3, 3 },
	{ "hex output one byte short", "666f6f", 2, -1 },
};

static void test_hex(void **state)
{
	const struct bad_case *c = *state;
	uint8_t out[16];

	assert_int_equal(codec_hex_decode(c->text, strlen(c->text), out, c->out_size), c->want);
}

static void test_encode_bounds(void **state)
{
	const uint8_t data[5] = { 0xff, 0, 1, 2, 3 };
	char out[16];

	(void)state;
	/* 5 bytes: 8 base32 characters + NUL; 10 hex digits + NUL. */
	assert_int_equal(codec_base32_encode(data, 5, out, 8), -1);
	assert_int_equal(codec_base32_encode(data, 5, out, 9), 0);
	assert_string_equal(out, "74AACAQD");
	assert_int_equal(codec_hex_encode(data, 5, out, 10), -1);
	assert_int_equal(codec_hex_encode(data, 5, out, 11), 0);
	assert_string_equal(out, "ff00010203");
	assert_int_equal(codec_hex_encode(data, SIZE_MAX / 2 + 1, out, sizeof(out)), -1);
	assert_int_equal(codec_base32_encode(data, SIZE_MAX / 4, out, sizeof(out)), -1);
}

static void test_base64_value(void **state)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int c, n = 0;

	(void) state;
	for (c = 0; c < 64; c++)
		assert_int_equal(codec_base64_value((unsigned char) alphabet[c]), c);
	for (c = 0; c < 256; c++)
		if (codec_base64_value((unsigned char) c) >= 0)
			n++;
	assert_int_equal(n, 64);
	assert_int_equal(codec_base64_value('='), -1);
	assert_int_equal(codec_base64_value('-'), -1);
	assert_int_equal(codec_base64_value(0xc3), -1);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, vec_cases, test_vec);
	tests_add_table(&l, b32_cases, test_b32);
	tests_add_table(&l, hex_cases, test_hex);
	tests_add(&l, "encoders check the output size", test_encode_bounds, NULL);
	tests_add(&l, "base64 alphabet: 64 values, nothing else", test_base64_value, NULL);
	return tests_run(&l, "codec", NULL, NULL);
}
