/*++
 * NAME
 *	mfa_contract 1h
 * SUMMARY
 *	store contract cases shared by the LMDB and Redis unit tests
 *--*/
#ifndef MFA_CONTRACT_H
#define MFA_CONTRACT_H

#include <time.h>

#include "mfa_policy.h"

#define USER "alice@lab.example"
#define T0 ((time_t)1800000000)		/* a multiple of 30 */

struct fixture {
	char dir[64];
	struct mfa_settings set;
};

struct contract_backend {
	const char *name;
	/* "store=... [key_file=...]" for a fresh store in f->dir */
	void (*store_args)(struct fixture *f, char *buf, size_t size);
	/* empty the store after a case (NULL: the directory is removed) */
	void (*reset)(struct fixture *f);
};
extern struct contract_backend contract_backend;

int contract_setup(void **state);
/* The LMDB backend: "store=DIR/s.lmdb"; and the plugin's mode (environment
   kept open, store_sync=periodic) around contract_setup/teardown. */
void contract_lmdb_store_args(struct fixture *f, char *buf, size_t size);
int contract_kept_setup(void **state);
int contract_kept_teardown(void **state);
int contract_teardown(void **state);
void contract_rm_rf(const char *dir);
/* mfa_settings_init + parse_args + finish, as the plugin does: 0 or -1. */
int contract_parse_settings(struct mfa_settings *set, const char *args,
			    const char **error_r);
void contract_enroll(struct fixture *f, const char *user);
void contract_code_at(long step, char code[MFA_DIGITS_MAX + 1]);
struct mfa_decision contract_login(struct fixture *f, const char *user,
				   const char *password, const char *ip,
				   const char *service, time_t now);

void contract_test_flow(void **state);
void contract_test_bypass_table(void **state);
void contract_test_long_inputs(void **state);
void contract_test_ip_limit(void **state);
void contract_test_app_passwords(void **state);
void contract_test_records(void **state);

#define CONTRACT_TESTS(setup, teardown) \
	cmocka_unit_test_setup_teardown(contract_test_flow, setup, teardown), \
	cmocka_unit_test_setup_teardown(contract_test_bypass_table, setup, teardown), \
	cmocka_unit_test_setup_teardown(contract_test_long_inputs, setup, teardown), \
	cmocka_unit_test_setup_teardown(contract_test_ip_limit, setup, teardown), \
	cmocka_unit_test_setup_teardown(contract_test_app_passwords, setup, teardown), \
	cmocka_unit_test_setup_teardown(contract_test_records, setup, teardown)

#endif
