/*++
 * NAME
 *	test_dkim_vectors 3h
 * SUMMARY
 *	DKIM conformance corpora as unit tests
 * DESCRIPTION
 *	td_vector_tests() runs the cmocka groups for canonicalization.json,
 *	dkimpy's signed messages and the Mail::DKIM corpus; returns the
 *	number of failed cases.
 *--*/
#ifndef TEST_DKIM_VECTORS_H
#define TEST_DKIM_VECTORS_H

int td_vector_tests(void);

#endif
