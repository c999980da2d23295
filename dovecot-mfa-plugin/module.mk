# dovecot-mfa-plugin/ - passdb "mfa" for Dovecot 2.3 or 2.4 (libauthdb_mfa.so;
# for 2.4 also libmessec_mfa_settings.so), the messec-mfa CLI, unit tests.
#
# The glue follows the Dovecot of DOVECOT_CONFIG (its headers' config.h):
# passdb_mfa.c for 2.3, passdb_mfa24.c + passdb_mfa24_settings.c for 2.4
# (make DOVECOT_CONFIG=/usr/lib/dovecot/dovecot-config on Debian 13). The
# lab's second Dovecot (tests/lab/build-dovecot24) gets its own plugin in
# $(B)/dovecot-mfa-plugin/dovecot24/: make mfa24 (make dovecot24 builds
# that Dovecot first when it is absent; make check does).
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
# $(call mfa_dovecot_inc,CONFIG): the -I flags of that dovecot-config.
mfa_dovecot_inc = $(shell sed -n 's/^LIBDOVECOT_INCLUDE=//p' $(1) 2>/dev/null | tr -d "'\"")
# $(call mfa_is24,-IDIR): "yes" when DIR/config.h is Dovecot 2.4 or later.
mfa_is24 = $(shell grep -Eqs 'DOVECOT_VERSION "2\.([4-9]|[1-9][0-9])\.' $(patsubst -I%,%,$(firstword $(1)))/config.h && echo yes)
MFA_DOVECOT24 := $(call mfa_is24,$(DOVECOT_INCLUDE))

# mfa_worker.c's thread (glibc >= 2.34 has it in libc; -pthread for the
# compiler's sake). Not in MFA_LIBS: tests/fuzz/module.mk lists those as
# prerequisites, where make takes "-pthread" for a file.
MFA_THREAD_FLAGS := -pthread
EXTRA_CFLAGS_dovecot-mfa-plugin := -Wno-comment $(MFA_THREAD_FLAGS) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS) $(CMOCKA_CFLAGS) -I$(MFA_DIR)
MFA_CORE := mfa_util mfa_log mfa_totp mfa_seal mfa_settings mfa_record mfa_store \
	mfa_apppass mfa_policy mfa_worker
MFA_CORE_OBJS := $(MFA_CORE:%=$(B)/$(MFA_DIR)/%.o)
MFA_LIBS := $(COMMON_LIBS) -lcrypt

# --- the Dovecot plugin
MFA_SO := $(B)/$(MFA_DIR)/libauthdb_mfa.so
MFA_SO_CORE_OBJS := $(MFA_CORE:%=$(B)/$(MFA_DIR)/so/%.o)
MFA_SO_CFLAGS := $(filter-out $(SAN_FLAGS),$(BASE_CFLAGS)) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS) \
	-I$(MFA_DIR) -fvisibility=hidden -Wno-comment $(MFA_THREAD_FLAGS)
# The glue files include Dovecot's headers (and passdb_mfa_common.inc).
MFA_GLUE_CFLAGS = $(BASE_CPPFLAGS) $(MFA_SO_CFLAGS) -DHAVE_CONFIG_H \
	-Wno-missing-field-initializers -Wno-shadow -MMD -MP
ifeq ($(MFA_DOVECOT24),yes)
MFA_SO_OBJS := $(MFA_SO_CORE_OBJS) $(B)/$(MFA_DIR)/so/passdb_mfa24.o $(B)/$(MFA_DIR)/so/passdb_mfa24_settings.o
MFA_SETTINGS_SO := $(B)/$(MFA_DIR)/libmessec_mfa_settings.so
else
MFA_SO_OBJS := $(MFA_SO_CORE_OBJS) $(B)/$(MFA_DIR)/so/passdb_mfa.o
MFA_SETTINGS_SO :=
endif

$(B)/$(MFA_DIR)/so/passdb_%.o: $(MFA_DIR)/passdb_%.c
	@mkdir -p $(dir $@)
	$(CC) $(MFA_GLUE_CFLAGS) $(DOVECOT_INCLUDE) -c -o $@ $<

# The settings module: passdb_mfa24_settings.c with its exports.
$(B)/$(MFA_DIR)/so/passdb_mfa24_settings_module.o: $(MFA_DIR)/passdb_mfa24_settings.c
	@mkdir -p $(dir $@)
	$(CC) $(MFA_GLUE_CFLAGS) $(DOVECOT_INCLUDE) -DMFA24_SETTINGS_MODULE -c -o $@ $<

$(B)/$(MFA_DIR)/so/%.o: $(MFA_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(MFA_SO_CFLAGS) -MMD -MP -c -o $@ $<

$(MFA_SO): $(MFA_SO_OBJS) $(LIBMESSEC_SO)
	$(CC) -shared $(filter-out $(SAN_FLAGS),$(BASE_LDFLAGS)) \
		-o $@ $^ $(MFA_LIBS) $(MFA_THREAD_FLAGS)

# The settings module calls nothing, so nothing would be NEEDED: linked
# with libc anyway (--no-as-needed keeps it), or trixie's lintian warns
# shared-library-lacks-prerequisites.
MFA_SETTINGS_LIBS := -Wl,--no-as-needed -lc
$(B)/$(MFA_DIR)/libmessec_mfa_settings.so: $(B)/$(MFA_DIR)/so/passdb_mfa24_settings_module.o
	$(CC) -shared $(filter-out $(SAN_FLAGS),$(BASE_LDFLAGS)) -o $@ $^ $(MFA_SETTINGS_LIBS)

# --- the lab's Dovecot 2.4.1 (tests/lab/build-dovecot24) and its plugin
ifndef DOVECOT24_PREFIX
DOVECOT24_PREFIX := $(shell tests/lab/build-dovecot24 --prefix)
endif
DOVECOT24_CONFIG := $(DOVECOT24_PREFIX)/lib/dovecot/dovecot-config
MFA24_DIR := $(B)/$(MFA_DIR)/dovecot24
MFA24_SO := $(MFA24_DIR)/libauthdb_mfa.so
MFA24_SETTINGS_SO := $(MFA24_DIR)/libmessec_mfa_settings.so

$(MFA24_DIR)/passdb_%.o: $(MFA_DIR)/passdb_%.c $(DOVECOT24_CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(MFA_GLUE_CFLAGS) $(call mfa_dovecot_inc,$(DOVECOT24_CONFIG)) -c -o $@ $<

$(MFA24_DIR)/passdb_mfa24_settings_module.o: $(MFA_DIR)/passdb_mfa24_settings.c $(DOVECOT24_CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(MFA_GLUE_CFLAGS) $(call mfa_dovecot_inc,$(DOVECOT24_CONFIG)) -DMFA24_SETTINGS_MODULE -c -o $@ $<

$(MFA24_SO): $(MFA_SO_CORE_OBJS) $(MFA24_DIR)/passdb_mfa24.o $(MFA24_DIR)/passdb_mfa24_settings.o $(LIBMESSEC_SO)
	$(CC) -shared $(filter-out $(SAN_FLAGS),$(BASE_LDFLAGS)) \
		-o $@ $^ $(MFA_LIBS) $(MFA_THREAD_FLAGS)

$(MFA24_SETTINGS_SO): $(MFA24_DIR)/passdb_mfa24_settings_module.o
	$(CC) -shared $(filter-out $(SAN_FLAGS),$(BASE_LDFLAGS)) -o $@ $^ $(MFA_SETTINGS_LIBS)

.PHONY: dovecot24 mfa24
# make dovecot24: Dovecot 2.4.1 into DOVECOT24_PREFIX when it is not there
# yet (~20 min on 2 cores, once per machine), then the plugin for it.
dovecot24:
	DOVECOT24_PREFIX='$(DOVECOT24_PREFIX)' tests/lab/build-dovecot24
	$(MAKE) mfa24
mfa24: $(MFA24_SO) $(MFA24_SETTINGS_SO)

# --- the CLI
MFA_CLI := $(B)/$(MFA_DIR)/messec-mfa
$(MFA_CLI): $(B)/$(MFA_DIR)/mfa_cli.o $(B)/$(MFA_DIR)/mfa_qr.o $(MFA_CORE_OBJS) $(LIBMESSEC)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(MFA_LIBS) $(MFA_THREAD_FLAGS) $(QRENCODE_LIBS)

BINS += $(MFA_SO) $(MFA_SETTINGS_SO) $(MFA_CLI)

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
install-mfa: $(MFA_SO) $(MFA_SETTINGS_SO) $(MFA_CLI)
	install -d $(DESTDIR)$(DOVECOT_MODULEDIR)/auth $(DESTDIR)$(SBINDIR)
	install -m 0644 $(MFA_SO) $(DESTDIR)$(DOVECOT_MODULEDIR)/auth/libauthdb_mfa.so
ifeq ($(MFA_DOVECOT24),yes)
	install -d $(DESTDIR)$(DOVECOT_MODULEDIR)/settings
	install -m 0644 $(MFA_SETTINGS_SO) $(DESTDIR)$(DOVECOT_MODULEDIR)/settings/libmessec_mfa_settings.so
endif
	install -m 0755 $(MFA_CLI) $(DESTDIR)$(SBINDIR)/messec-mfa
	install -d $(DESTDIR)$(SYSCONFDIR)/messec $(DESTDIR)$(PREFIX)/share/messec
	test -e $(DESTDIR)$(SYSCONFDIR)/messec/mfa.conf || \
		install -m 0644 packaging/dovecot/mfa.conf $(DESTDIR)$(SYSCONFDIR)/messec/mfa.conf
	install -m 0644 packaging/dovecot/05-messec-mfa$(if $(filter yes,$(MFA_DOVECOT24)),-2.4).conf \
		$(DESTDIR)$(PREFIX)/share/messec/05-messec-mfa.conf
INSTALL_RULES += install-mfa
