# milter-auth/dmarc.mk - DMARC and Authentication-Results modules, their unit
# tests. Included from milter-auth/module.mk.
#
# For the daemon (milter.mk): link $(MA_DMARC_OBJS) $(MA_AUTHRES_OBJS) and
# add $(MA_DMARC_LIBS) (res_n* and ns_parse live in libresolv).
# The public suffix list is common/psl/ (libmessec-psl.a, shared with
# messec-milter-av): last in MA_DMARC_OBJS, after its callers.
MA_DMARC_SRCS := milter-auth/dmarc.c milter-auth/dmarc_record.c \
	milter-auth/dmarc_dns.c milter-auth/dmarc_from.c
MA_DMARC_OBJS := $(MA_DMARC_SRCS:%.c=$(B)/%.o) $(LIBMESSEC_PSL)
MA_DMARC_LIBS := -lresolv
MA_AUTHRES_OBJS := $(B)/milter-auth/authres.o

MA_DT := $(B)/milter-auth/tests
# test_dmarc also links libopendmarc: its regression tests pin the library's
# measured defects (docs/dmarc.md), so an upgrade that fixes them is noticed.
$(eval $(call unit_test,milter-auth_test_dmarc,$(MA_DT)/test_dmarc.o $(MA_DMARC_OBJS),$(MA_DMARC_LIBS) $(OPENDMARC_LIBS)))
$(eval $(call unit_test,milter-auth_test_authres,$(MA_DT)/test_authres.o $(MA_AUTHRES_OBJS)))
# The conformance tables (../shared/conformance/dmarc/cases/*.tsv).
$(eval $(call unit_test,milter-auth_test_dmarc_conf,$(MA_DT)/test_dmarc_conf.o $(MA_DMARC_OBJS),$(MA_DMARC_LIBS)))
# dns_query() against the shared fake DNS server (common/tests/fake_dns.c).
$(eval $(call unit_test,milter-auth_test_dmarc_dns,$(MA_DT)/test_dmarc_dns.o $(FAKE_DNS_OBJ) $(MA_DMARC_OBJS),$(MA_DMARC_LIBS)))

# The fuzz targets (fuzz_authres, fuzz_dmarc) are built by tests/fuzz/module.mk.
