# dovecot-mfa-plugin/ - passdb "mfa" for Dovecot 2.3 (libauthdb_mfa.so), the
# messec-mfa CLI, unit tests.
#
# The .so is loaded into Dovecot's auth process, which is not built with
# ASan: its objects are always compiled WITHOUT sanitizers (own rule below,
# into $(B)/dovecot-mfa-plugin/so/), also when SANITIZE=1, and it links
# common/'s second build, $(LIBMESSEC_SO) (PIC, hidden, no sanitizers; see
# common/module.mk). The CLI and the unit tests use the shared rule, link
# $(LIBMESSEC) and get the sanitizers.
MFA_DIR := dovecot-mfa-plugin
DOVECOT_CONFIG ?= /usr/lib/dovecot/dovecot-config
DOVECOT_INCLUDE := $(shell sed -n 's/^LIBDOVECOT_INCLUDE=//p' $(DOVECOT_CONFIG) 2>/dev/null)
ifeq ($(DOVECOT_INCLUDE),)
DOVECOT_INCLUDE := -I/usr/include/dovecot
endif
DOVECOT_MODULEDIR := $(shell sed -n 's/^dovecot_moduledir=//p' $(DOVECOT_CONFIG) 2>/dev/null)

# mfa_worker.c's thread (glibc >= 2.34 has it in libc; -pthread for the
# compiler's sake). Not in MFA_LIBS: tests/fuzz/module.mk lists those as
# prerequisites, where make takes "-pthread" for a file.
MFA_THREAD_FLAGS := -pthread
EXTRA_CFLAGS_dovecot-mfa-plugin := -Wno-comment $(MFA_THREAD_FLAGS) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS) $(CMOCKA_CFLAGS) -I$(MFA_DIR)
MFA_CORE := mfa_util mfa_log mfa_totp mfa_seal mfa_settings mfa_store \
	mfa_apppass mfa_policy mfa_worker
MFA_CORE_OBJS := $(MFA_CORE:%=$(B)/$(MFA_DIR)/%.o)
MFA_LIBS := $(COMMON_LIBS) -lcrypt

# --- the Dovecot plugin
MFA_SO := $(B)/$(MFA_DIR)/libauthdb_mfa.so
MFA_SO_OBJS := $(MFA_CORE:%=$(B)/$(MFA_DIR)/so/%.o) $(B)/$(MFA_DIR)/so/passdb_mfa.o
MFA_SO_CFLAGS := $(filter-out $(SAN_FLAGS),$(BASE_CFLAGS)) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS) \
	-I$(MFA_DIR) -fvisibility=hidden -Wno-comment $(MFA_THREAD_FLAGS)

$(B)/$(MFA_DIR)/so/passdb_mfa.o: $(MFA_DIR)/passdb_mfa.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(MFA_SO_CFLAGS) $(DOVECOT_INCLUDE) -DHAVE_CONFIG_H \
		-Wno-missing-field-initializers -Wno-shadow -MMD -MP -c -o $@ $<

$(B)/$(MFA_DIR)/so/%.o: $(MFA_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(MFA_SO_CFLAGS) -MMD -MP -c -o $@ $<

$(MFA_SO): $(MFA_SO_OBJS) $(LIBMESSEC_SO)
	$(CC) -shared $(filter-out $(SAN_FLAGS),$(BASE_LDFLAGS)) \
		-o $@ $^ $(MFA_LIBS) $(MFA_THREAD_FLAGS)

# --- the CLI
MFA_CLI := $(B)/$(MFA_DIR)/messec-mfa
$(MFA_CLI): $(B)/$(MFA_DIR)/mfa_cli.o $(B)/$(MFA_DIR)/mfa_qr.o $(MFA_CORE_OBJS) $(LIBMESSEC)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(MFA_LIBS) $(MFA_THREAD_FLAGS) $(QRENCODE_LIBS)

BINS += $(MFA_SO) $(MFA_CLI)

# --- unit tests: dovecot-mfa-plugin/tests/test_<x>.c -> $(B)/tests/mfa_test_<x>
MFA_TEST_SRCS := $(wildcard $(MFA_DIR)/tests/test_*.c)
MFA_TESTS := $(patsubst $(MFA_DIR)/tests/test_%.c,$(B)/tests/mfa_test_%,$(MFA_TEST_SRCS))
UNIT_TESTS += $(MFA_TESTS)

# mfa_contract.c: the store contract cases every backend's test runs; an
# archive, so tests that do not use it do not need its contract_backend.
MFA_CONTRACT_LIB := $(B)/$(MFA_DIR)/tests/libmfa_contract.a
$(MFA_CONTRACT_LIB): $(B)/$(MFA_DIR)/tests/mfa_contract.o
	$(AR) rcs $@ $^

$(B)/tests/mfa_test_%: $(B)/$(MFA_DIR)/tests/test_%.o $(MFA_CONTRACT_LIB) $(MFA_CORE_OBJS) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(MFA_LIBS) $(MFA_THREAD_FLAGS) $(CMOCKA_LIBS)

# --- install
.PHONY: install-mfa
install-mfa: $(MFA_SO) $(MFA_CLI)
	install -d $(DESTDIR)$(DOVECOT_MODULEDIR)/auth $(DESTDIR)$(SBINDIR)
	install -m 0644 $(MFA_SO) $(DESTDIR)$(DOVECOT_MODULEDIR)/auth/libauthdb_mfa.so
	install -m 0755 $(MFA_CLI) $(DESTDIR)$(SBINDIR)/messec-mfa
	install -d $(DESTDIR)$(SYSCONFDIR)/messec $(DESTDIR)$(PREFIX)/share/messec
	test -e $(DESTDIR)$(SYSCONFDIR)/messec/mfa.conf || \
		install -m 0644 packaging/dovecot/mfa.conf $(DESTDIR)$(SYSCONFDIR)/messec/mfa.conf
	install -m 0644 packaging/dovecot/05-messec-mfa.conf $(DESTDIR)$(PREFIX)/share/messec/
INSTALL_RULES += install-mfa
