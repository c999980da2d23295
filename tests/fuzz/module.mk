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
	-std=gnu11 -D_GNU_SOURCE -Icommon/include -Imilter-auth -Icommon/spf \
	$(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(HIREDIS_CFLAGS)
FUZZ_COMMON_LIBS := $(COMMON_LIBS) -lresolv
FUZZ_HDRS := $(wildcard tests/fuzz/*.h milter-auth/*.h common/spf/*.h common/include/messec/*.h dovecot-mfa-plugin/*.h)
FUZZ_REPLAY_CFLAGS := -DFUZZ_REPLAY -Imilter-auth -Icommon/spf -Idovecot-mfa-plugin $(OPENSSL_CFLAGS)

# One line per target (mk/rules.mk, fuzz_target): name, sources of the
# clang build (besides common/), objects of the replay, libraries,
# clang-only compile flags, link flags.
MA_ALL_SRCS := $(SPF_SRCS) $(MA_DKIM_SRCS) $(MA_DMARC_SRCS) $(PSL_SRCS)
MA_ALL_OBJS := $(MA_AUTHRES_OBJS) $(MA_DKIM_OBJS) $(MA_DMARC_OBJS) $(MA_SPF_OBJS)
MA_ALL_LIBS := $(SPF2_LIBS) $(OPENDKIM_LIBS) $(OPENDMARC_LIBS) -lresolv
FUZZ_TARGETS :=
FUZZ_SPF_SRCS := common/spf/spf_record.c common/spf/spf_macro.c common/spf/spf_dns.c

$(eval $(call fuzz_target,authres,milter-auth/authres.c,$(MA_AUTHRES_OBJS)))
$(eval $(call fuzz_target,dmarc,milter-auth/dmarc_record.c milter-auth/dmarc_from.c $(PSL_SRCS),$(MA_DMARC_OBJS),$(MA_DMARC_LIBS)))
$(eval $(call fuzz_target,cfg))
$(eval $(call fuzz_target,addr))
$(eval $(call fuzz_target,spf,$(FUZZ_SPF_SRCS),$(FUZZ_SPF_SRCS:%.c=$(B)/%.o),-lresolv))
$(eval $(call fuzz_target,spf_eval,common/spf/spf_eval.c $(FUZZ_SPF_SRCS),$(B)/common/spf/spf_eval.o $(FUZZ_SPF_SRCS:%.c=$(B)/%.o),-lresolv))
$(eval $(call fuzz_target,headers,milter-auth/hdrbook.c milter-auth/authres.c milter-auth/dmarc_from.c $(PSL_SRCS) $(MA_DKIM_SRCS),$(B)/milter-auth/hdrbook.o $(MA_AUTHRES_OBJS) $(B)/milter-auth/dmarc_from.o $(MA_DKIM_OBJS) $(LIBMESSEC_PSL),$(OPENDKIM_LIBS) -lresolv,$(OPENDKIM_CFLAGS)))
$(eval $(call fuzz_target,milter_config,milter-auth/config.c milter-auth/decide.c milter-auth/authres.c $(MA_ALL_SRCS),$(B)/milter-auth/config.o $(B)/milter-auth/decide.o $(MA_ALL_OBJS),$(MA_ALL_LIBS),$(OPENDKIM_CFLAGS)))
$(eval $(call fuzz_target,dkim_sign,$(MA_DKIM_SRCS),$(MA_DKIM_OBJS),$(OPENDKIM_LIBS) -lresolv,$(OPENDKIM_CFLAGS)))
# both DKIM verification engines (opendkim, messec's dkim_vossl.c), verdict for verdict
$(eval $(call fuzz_target,dkim_verify,$(MA_DKIM_SRCS),$(MA_DKIM_OBJS),$(OPENDKIM_LIBS) -lresolv,$(OPENDKIM_CFLAGS)))
# fuzz_hostile: the real dns_query() asks an in-process fake server (--wrap)
$(eval $(call fuzz_target,hostile,milter-auth/evaluate.c milter-auth/config.c milter-auth/decide.c milter-auth/hdrbook.c milter-auth/authres.c $(MA_ALL_SRCS) common/tests/fake_dns.c,$(B)/milter-auth/evaluate.o $(B)/milter-auth/config.o $(B)/milter-auth/decide.o $(B)/milter-auth/hdrbook.o $(MA_ALL_OBJS) $(FAKE_DNS_OBJ),$(MA_ALL_LIBS) -lpthread,$(OPENDKIM_CFLAGS),-Wl$(comma)--wrap=dns_query))
$(eval $(call fuzz_target,mfa_input,$(MFA_CORE:%=dovecot-mfa-plugin/%.c),$(MFA_CORE_OBJS),$(MFA_LIBS),-Idovecot-mfa-plugin))
$(eval $(call fuzz_target,mfa_settings,$(MFA_CORE:%=dovecot-mfa-plugin/%.c),$(MFA_CORE_OBJS),$(MFA_LIBS),-Idovecot-mfa-plugin))
$(eval $(call fuzz_target,mfa_record,dovecot-mfa-plugin/mfa_record.c dovecot-mfa-plugin/mfa_util.c,$(B)/dovecot-mfa-plugin/mfa_record.o $(B)/dovecot-mfa-plugin/mfa_util.o,,-Idovecot-mfa-plugin))
# messec-dmarc-report ingest: reports received (zlib, libxml2).
$(eval $(call fuzz_target,dmarc_ingest,milter-auth/dmarc_ingest.c milter-auth/dmarc_ingest_sum.c,$(MA_INGEST_OBJS),$(MA_ZLIB_LIBS) $(MA_XML2_LIBS),$(XML2_CFLAGS)))
# messec-inspect: message fields, Received hops, anomaly rules.
$(eval $(call fuzz_target,inspect,milter-auth/inspect_msg.c milter-auth/inspect_rules.c,$(MA_INSPECT_OBJS)))
$(eval $(call fuzz_target,policyd_proto,policyd/proto.c,$(B)/policyd/proto.o))
PD_LISTS_SRCS := policyd/sender_login.c policyd/grey_allow.c policyd/textfile.c
$(eval $(call fuzz_target,policyd_lists,$(PD_LISTS_SRCS),$(PD_LISTS_SRCS:%.c=$(B)/%.o)))
# messec-milter-av: spool, attachment policy, verdict (no libclamav needed).
AV_FUZZ_SRCS := milter-av/policy.c milter-av/spool.c milter-av/verdict.c
$(eval $(call fuzz_target,av_policy,$(AV_FUZZ_SRCS),$(AV_FUZZ_SRCS:%.c=$(B)/%.o),,-Imilter-av))
# messec-milter-av: the link extractor (MIME walk, decoders, HTML, URL hosts).
$(eval $(call fuzz_target,av_links,milter-av/links.c,$(B)/milter-av/links.o,,-Imilter-av))

FUZZ_BINS := $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
fuzz: $(FUZZ_BINS)

# --- replay: ordinary objects + replay_main.c, registered as unit tests.
$(B)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(FUZZ_REPLAY_CFLAGS) -MMD -MP -c -o $@ $<

FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(B)/tests/fuzz_replay_%)
UNIT_TESTS += $(FUZZ_REPLAYS)

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
