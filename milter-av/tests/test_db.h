/*++
 * NAME
 *	test_db 3h
 * SUMMARY
 *	the custom signature database of the milter-av tests
 * DESCRIPTION
 *	The official ClamAV databases need the Internet: the tests write
 *	their own. EICAR (the industry's standard test file, harmless) as an
 *	MD5 hash signature (test.hdb) and as a body signature (test.ndb,
 *	matching it anywhere); Messec.Test.Hash, the MD5 of TEST_HASH_PAYLOAD
 *	(test.hdb); Messec.Test.Body, the hex of TEST_BODY_MARKER (test.ndb).
 *	tests/integration/milter-av.bash writes the same database.
 *--*/
#ifndef AV_TEST_DB_H
#define AV_TEST_DB_H

#include <stdio.h>
#include <openssl/evp.h>

/* Split so that this source file is no EICAR file itself. */
#define TEST_EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define TEST_BODY_MARKER "MESSEC-AV-TEST-BODY-SIGNATURE-7F3A"
#define TEST_HASH_PAYLOAD "messec custom hash signature payload v1"

static inline void test_db_write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static inline void test_md5_hex(const char *s, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static inline void test_hex(const char *s, char *out)
{
	for (; *s != '\0'; s++, out += 2)
		snprintf(out, 3, "%02x", (unsigned char) *s);
}

static inline void test_db_write(const char *dir)
{
	char md_eicar[33], md_hash[33], hex_eicar[200], hex_body[200], text[1024];

	test_md5_hex(TEST_EICAR, md_eicar);
	test_md5_hex(TEST_HASH_PAYLOAD, md_hash);
	test_hex(TEST_EICAR, hex_eicar);
	test_hex(TEST_BODY_MARKER, hex_body);
	snprintf(text, sizeof(text), "%s:%zu:Eicar-Test-Signature\n%s:%zu:Messec.Test.Hash\n",
		 md_eicar, strlen(TEST_EICAR), md_hash, strlen(TEST_HASH_PAYLOAD));
	test_db_write_file(dir, "test.hdb", text);
	snprintf(text, sizeof(text), "Eicar-Test-Signature-NDB:0:*:%s\nMessec.Test.Body:0:*:%s\n",
		 hex_eicar, hex_body);
	test_db_write_file(dir, "test.ndb", text);
}

#endif
