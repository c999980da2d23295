# tests/fuzz/module.mk - libFuzzer targets for every parser, and their corpus
# replay as unit tests (tests/fuzz/corpus/: merged, minimised corpora;
# tests/fuzz/seeds/: the hand-picked seeds they were merged from).
# Included last from the top Makefile (it reuses the components' object
# and library variables). docs/fuzzing.md has the runs.
#
#   make B=build-x fuzz       clang -fsanitize=fuzzer,address,undefined
#                             binaries in $(B)/fuzz/fuzz_<target>
#   make B=build-x check      runs $(B)/tests/fuzz_replay_<target> (normal
#                             CC, no libFuzzer): every file of
#                             tests/fuzz/corpus/<target>/ and
#                             tests/fuzz/regress/<target>/ through the
#                             target's LLVMFuzzerTestOneInput(), TAP.
#
# The fuzz binaries compile every source themselves with clang (their own
# instrumented code, never mixed with $(B)'s gcc objects); the replay
# binaries link the components' ordinary objects with tests/fuzz/replay_main.c
# (libFuzzer's standalone-driver pattern), so a make SANITIZE=1 check
# replays under ASan+UBSan too.

FUZZ_CC ?= clang
# Every target links all of common/ (compiled by clang with the target): a
# component moving code into common/ (as spf_dns.c did with dns.c) then
# needs no change here.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -Wno-comment \
	-std=gnu11 -D_GNU_SOURCE -Icommon/include -Imilter-auth \
	$(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS)
FUZZ_COMMON_LIBS := $(COMMON_LIBS) -lresolv
FUZZ_TARGETS := authres dmarc cfg addr spf spf_eval headers milter_config mfa_input mfa_settings \
	hostile

# target -> sources compiled into the fuzz binary (besides tests/fuzz/fuzz_<t>.c
# and $(COMMON_SRCS))
FUZZ_SRCS_authres := milter-auth/authres.c
FUZZ_SRCS_dmarc := milter-auth/dmarc_record.c milter-auth/dmarc_from.c milter-auth/dmarc_psl.c
FUZZ_SRCS_cfg :=
FUZZ_SRCS_addr :=
FUZZ_SRCS_spf := milter-auth/spf_record.c milter-auth/spf_macro.c milter-auth/spf_dns.c
FUZZ_SRCS_spf_eval := milter-auth/spf_eval.c $(FUZZ_SRCS_spf)
FUZZ_SRCS_headers := milter-auth/hdrbook.c milter-auth/authres.c milter-auth/dmarc_from.c \
	milter-auth/dmarc_psl.c $(MA_DKIM_SRCS)
FUZZ_SRCS_milter_config := milter-auth/config.c milter-auth/decide.c milter-auth/authres.c \
	$(MA_SPF_SRCS) $(MA_DKIM_SRCS) $(MA_DMARC_SRCS)
FUZZ_SRCS_hostile := milter-auth/evaluate.c milter-auth/config.c milter-auth/decide.c \
	milter-auth/hdrbook.c milter-auth/authres.c $(MA_SPF_SRCS) $(MA_DKIM_SRCS) $(MA_DMARC_SRCS) \
	common/tests/fake_dns.c
FUZZ_SRCS_mfa_input := $(MFA_CORE:%=dovecot-mfa-plugin/%.c)
FUZZ_SRCS_mfa_settings := $(MFA_CORE:%=dovecot-mfa-plugin/%.c)

# target -> extra compile flags and libraries
FUZZ_CFLAGS_headers := $(OPENDKIM_CFLAGS)
FUZZ_CFLAGS_milter_config := $(OPENDKIM_CFLAGS)
FUZZ_CFLAGS_hostile := $(OPENDKIM_CFLAGS)
FUZZ_CFLAGS_mfa_input := -Idovecot-mfa-plugin
FUZZ_CFLAGS_mfa_settings := -Idovecot-mfa-plugin
FUZZ_LIBS_headers := $(OPENDKIM_LIBS)
FUZZ_LIBS_milter_config := $(SPF2_LIBS) $(OPENDKIM_LIBS) $(OPENDMARC_LIBS)
# fuzz_hostile: the real dns_query() asks an in-process fake server (--wrap)
FUZZ_LIBS_hostile := $(SPF2_LIBS) $(OPENDKIM_LIBS) $(OPENDMARC_LIBS) -lpthread -Wl,--wrap=dns_query
FUZZ_LIBS_mfa_input := $(MFA_LIBS)
FUZZ_LIBS_mfa_settings := $(MFA_LIBS)

FUZZ_HDRS := $(wildcard tests/fuzz/*.h milter-auth/*.h common/include/messec/*.h dovecot-mfa-plugin/*.h)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
fuzz: $(FUZZ_BINS)

.SECONDEXPANSION:
$(FUZZ_BINS): $(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(COMMON_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_CFLAGS_$*) -o $@ $< $(FUZZ_SRCS_$*) $(COMMON_SRCS) \
		$(FUZZ_LIBS_$*) $(FUZZ_COMMON_LIBS)

# --- replay: ordinary objects + replay_main.c, registered as unit tests.
FUZZ_REPLAY_CFLAGS := -DFUZZ_REPLAY -Imilter-auth -Idovecot-mfa-plugin $(OPENSSL_CFLAGS)

$(B)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(FUZZ_REPLAY_CFLAGS) -MMD -MP -c -o $@ $<

FUZZ_OBJS_authres := $(MA_AUTHRES_OBJS) $(LIBMESSEC) $(COMMON_LIBS)
FUZZ_OBJS_dmarc := $(MA_DMARC_OBJS) $(LIBMESSEC) $(MA_DMARC_LIBS) $(COMMON_LIBS)
FUZZ_OBJS_cfg := $(LIBMESSEC) $(COMMON_LIBS)
FUZZ_OBJS_addr := $(LIBMESSEC) $(COMMON_LIBS)
FUZZ_OBJS_spf := $(B)/milter-auth/spf_record.o $(B)/milter-auth/spf_macro.o \
	$(B)/milter-auth/spf_dns.o $(LIBMESSEC) -lresolv $(COMMON_LIBS)
FUZZ_OBJS_spf_eval := $(B)/milter-auth/spf_eval.o $(B)/milter-auth/spf_record.o \
	$(B)/milter-auth/spf_macro.o $(B)/milter-auth/spf_dns.o $(LIBMESSEC) -lresolv $(COMMON_LIBS)
FUZZ_OBJS_headers := $(B)/milter-auth/hdrbook.o $(MA_AUTHRES_OBJS) \
	$(B)/milter-auth/dmarc_from.o $(B)/milter-auth/dmarc_psl.o $(MA_DKIM_OBJS) $(LIBMESSEC) $(OPENDKIM_LIBS) \
	$(COMMON_LIBS) -lresolv
FUZZ_OBJS_milter_config := $(B)/milter-auth/config.o $(B)/milter-auth/decide.o \
	$(MA_AUTHRES_OBJS) $(MA_SPF_OBJS) $(MA_DKIM_OBJS) $(MA_DMARC_OBJS) $(LIBMESSEC) \
	$(SPF2_LIBS) $(OPENDKIM_LIBS) $(OPENDMARC_LIBS) $(COMMON_LIBS) -lresolv
FUZZ_OBJS_hostile := $(B)/milter-auth/evaluate.o $(B)/milter-auth/config.o \
	$(B)/milter-auth/decide.o $(B)/milter-auth/hdrbook.o $(MA_AUTHRES_OBJS) $(MA_SPF_OBJS) \
	$(MA_DKIM_OBJS) $(MA_DMARC_OBJS) $(FAKE_DNS_OBJ) $(LIBMESSEC) $(SPF2_LIBS) $(OPENDKIM_LIBS) \
	$(OPENDMARC_LIBS) $(COMMON_LIBS) -lresolv -lpthread
# link flags of a replay binary (not prerequisites)
FUZZ_LDFLAGS_hostile := -Wl,--wrap=dns_query
FUZZ_OBJS_mfa_input := $(MFA_CORE_OBJS) $(LIBMESSEC) $(MFA_LIBS)
FUZZ_OBJS_mfa_settings := $(MFA_CORE_OBJS) $(LIBMESSEC) $(MFA_LIBS)

FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(B)/tests/fuzz_replay_%)
UNIT_TESTS += $(FUZZ_REPLAYS)

# $(filter-out -l%,...): objects are prerequisites, -l flags only link.
$(FUZZ_REPLAYS): $(B)/tests/fuzz_replay_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay_main.o \
		$$(filter-out -%,$$(FUZZ_OBJS_$$*))
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(FUZZ_LDFLAGS_$*) -o $@ $(B)/tests/fuzz/fuzz_$*.o \
		$(B)/tests/fuzz/replay_main.o $(FUZZ_OBJS_$*)

# --- the same replays on an ASan+UBSan build, run by every make check.
# A plain "make check" builds $(FUZZ_SAN_B)/tests/fuzz_replay_<t> with
# SANITIZE=1 and hands them to tests/run beside the unit tests, so the
# committed corpora (merged and minimised with libFuzzer's -merge=1,
# docs/fuzzing.md) always replay under ASan+UBSan. "make check SANITIZE=1"
# needs nothing extra: its own replays are sanitized already.
ifneq ($(SANITIZE),1)
FUZZ_SAN_B ?= build-san
FUZZ_SAN_REPLAYS := $(FUZZ_TARGETS:%=$(FUZZ_SAN_B)/tests/fuzz_replay_%)
fuzz-replay-san:
	$(MAKE) SANITIZE=1 B=$(FUZZ_SAN_B) $(FUZZ_SAN_REPLAYS)
else
FUZZ_SAN_REPLAYS :=
fuzz-replay-san:
endif
.PHONY: fuzz-replay-san
