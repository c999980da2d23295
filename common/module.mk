# common/ - libmessec.a, linked by every daemon, the MFA CLI and the unit
# tests; and libmessec-so.a, the same sources built a second time for the
# Dovecot plugin (libauthdb_mfa.so): PIC, hidden visibility (nothing of
# common/ is exported from the .so, so no symbol of ours can bind to or
# interpose on libdovecot's or the auth binary's) and without sanitizers
# even when SANITIZE=1 (Dovecot's auth process is not built with ASan).
COMMON_SRCS := $(wildcard common/src/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(B)/%.o)
LIBMESSEC := $(B)/libmessec.a
EXTRA_CFLAGS_common := $(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS) $(CMOCKA_CFLAGS)
COMMON_LIBS := $(LMDB_LIBS) $(HIREDIS_LIBS) $(OPENSSL_LIBS) -lresolv -lpthread

$(LIBMESSEC): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

BINS += $(LIBMESSEC)

LIBMESSEC_SO := $(B)/libmessec-so.a
COMMON_SO_OBJS := $(COMMON_SRCS:%.c=$(B)/so/%.o)
COMMON_SO_CFLAGS := $(filter-out $(SAN_FLAGS),$(BASE_CFLAGS)) -fvisibility=hidden \
	$(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS)

$(B)/so/common/%.o: common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(COMMON_SO_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBMESSEC_SO): $(COMMON_SO_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# Unit tests: common/tests/test_<module>.c -> $(B)/tests/common_test_<module>
COMMON_TEST_SRCS := $(wildcard common/tests/test_*.c)
COMMON_TESTS := $(patsubst common/tests/%.c,$(B)/tests/common_%,$(COMMON_TEST_SRCS))
UNIT_TESTS += $(COMMON_TESTS)

$(B)/tests/common_%: $(B)/common/tests/%.o $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $< $(LIBMESSEC) $(COMMON_LIBS) $(CMOCKA_LIBS)

# The fake DNS server (common/tests/fake_dns.c) serves every DNS test:
# test_dns here and milter-auth's resolver tests.
FAKE_DNS_OBJ := $(B)/common/tests/fake_dns.o
# --wrap=getrandom: test_dns chooses the bytes to prove where query IDs come from.
$(B)/tests/common_test_dns: $(B)/common/tests/test_dns.o $(FAKE_DNS_OBJ) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -Wl,--wrap=getrandom -o $@ $< $(FAKE_DNS_OBJ) $(LIBMESSEC) \
		$(COMMON_LIBS) $(CMOCKA_LIBS)

# common/milter/ - the milter skeleton (messec/milter.h): its own archive,
# linked only by milters, so no other daemon pulls libmilter.
COMMON_MILTER_SRCS := $(wildcard common/milter/*.c)
LIBMESSEC_MILTER := $(B)/libmessec-milter.a

$(LIBMESSEC_MILTER): $(COMMON_MILTER_SRCS:%.c=$(B)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

BINS += $(LIBMESSEC_MILTER)

# test_milter links the milter skeleton and libmilter (the others do not).
$(B)/tests/common_test_milter: $(B)/common/tests/test_milter.o $(LIBMESSEC_MILTER) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $< $(LIBMESSEC_MILTER) $(LIBMESSEC) $(MILTER_LIBS) \
		$(COMMON_LIBS) $(CMOCKA_LIBS)

# common/spf/ - the SPF engine, its own archive (see common/spf/spf.mk).
include common/spf/spf.mk

# common/psl/ - the public suffix list, its own archive (see common/psl/psl.mk).
include common/psl/psl.mk
