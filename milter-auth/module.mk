# milter-auth/ - messec-milter-auth (SPF, DKIM, DMARC verification) and messec-spf.
# The SPF engine lives in common/spf/ (libmessec-spf.a, shared with
# messec-policyd); here: the messec-spf CLI, the raw libspf2 comparison
# engine it offers (-L), the SPF tests. Then three fragments: dmarc.mk
# (DMARC, A-R), dkim.mk (DKIM verification) and, last because it links
# them all, milter.mk (the milter daemon, its stages, decision and config,
# their tests).
# libxml2 (messec-dmarc-report ingest) keeps its headers in a subdirectory.
XML2_CFLAGS := $(call pc_cflags,libxml-2.0)
EXTRA_CFLAGS_milter-auth := $(OPENSSL_CFLAGS) $(OPENDKIM_CFLAGS) $(OPENDMARC_CFLAGS) $(XML2_CFLAGS) $(CMOCKA_CFLAGS) -Imilter-auth \
	-Icommon/spf
MA_SPF_OBJS := $(LIBMESSEC_SPF)
MA_SPF_LIBS := -lresolv
MA_SPF_CLI_OBJS := $(B)/milter-auth/messec-spf.o $(B)/milter-auth/spf_libspf2.o $(LIBMESSEC_SPF)

$(eval $(call daemon,milter-auth/messec-spf,$(MA_SPF_CLI_OBJS),$(SPF2_LIBS) $(MA_SPF_LIBS)))
$(eval $(call unit_test,milter-auth_test_spf,$(B)/milter-auth/tests/test_spf.o $(B)/milter-auth/spf_libspf2.o $(LIBMESSEC_SPF),$(SPF2_LIBS) $(MA_SPF_LIBS)))

.PHONY: install-spf
install-spf: $(B)/milter-auth/messec-spf
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/milter-auth/messec-spf $(DESTDIR)$(SBINDIR)/
	install -m 0644 milter-auth/messec-spf.8 $(DESTDIR)$(MANDIR)/man8/
INSTALL_RULES += install-spf
include milter-auth/dmarc.mk
include milter-auth/dkim.mk
include milter-auth/milter.mk
