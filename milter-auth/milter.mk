# milter-auth/milter.mk - the messec-milter-auth daemon (main, milter
# callbacks, stages, config, decide, evaluate, header bookkeeping) and its
# unit tests, on the templates of mk/rules.mk.
#
# The SPF engine is common/spf/ (MA_SPF_OBJS = libmessec-spf.a, last: an
# archive must follow the objects that call it); DKIM, DMARC and A-R come from dmarc.mk and
# dkim.mk (MA_DKIM_OBJS, MA_DMARC_OBJS, MA_AUTHRES_OBJS),
# included before this file. The daemon does not link libopendmarc: DMARC
# is messec's own (docs/dmarc.md); only test_dmarc links it, to pin the
# library's defects.
MA_DAEMON_SRCS := milter-auth/main.c milter-auth/milter.c milter-auth/stage.c \
	milter-auth/config.c milter-auth/decide.c milter-auth/evaluate.c milter-auth/hdrbook.c \
	milter-auth/clean.c milter-auth/dmarc_report.c milter-auth/dmarc_report_writer.c
MA_DAEMON_OBJS := $(MA_DAEMON_SRCS:%.c=$(B)/%.o)
MA_MODULE_OBJS := $(MA_DKIM_OBJS) $(MA_DMARC_OBJS) $(MA_AUTHRES_OBJS) $(MA_SPF_OBJS)
MA_MODULE_LIBS := $(MILTER_LIBS) $(SPF2_LIBS) $(MA_SPF_LIBS) $(OPENDKIM_LIBS) \
	$(MA_DKIM_LIBS) $(MA_DMARC_LIBS) $(OPENSSL_LIBS) -lresolv -lpthread

$(eval $(call daemon,milter-auth/messec-milter-auth,$(MA_DAEMON_OBJS) $(MA_MODULE_OBJS) $(LIBMESSEC_MILTER),$(MA_MODULE_LIBS)))

# messec-dmarc-report: aggregate reports from the recorded evaluations,
# sent to the rua destinations (dmarc_rua.c: DNS, PSL; dmarc_send.c: zlib).
# "ingest" reads the reports received (dmarc_ingest*.c: zlib, libxml2).
MA_ZLIB_LIBS := $(call pc_libs,zlib,-lz)
MA_XML2_LIBS := $(call pc_libs,libxml-2.0,-lxml2)
MA_REPORT_SEND_OBJS := $(B)/milter-auth/dmarc_report.o $(B)/milter-auth/dmarc_rua.o \
	$(B)/milter-auth/dmarc_send.o $(MA_DMARC_OBJS)
MA_INGEST_OBJS := $(B)/milter-auth/dmarc_ingest.o $(B)/milter-auth/dmarc_ingest_sum.o \
	$(B)/milter-auth/dmarc_ingest_store.o
$(eval $(call daemon,milter-auth/messec-dmarc-report,$(B)/milter-auth/messec-dmarc-report.o $(MA_REPORT_SEND_OBJS) $(MA_INGEST_OBJS),$(MA_DMARC_LIBS) $(MA_ZLIB_LIBS) $(MA_XML2_LIBS) $(OPENSSL_LIBS)))

# messec-inspect: explains a message with the milter's own modules.
# IDN: libidn2 (A-label to Unicode) and ICU's spoof checker (TR 39 skeletons).
MA_IDN_LIBS := $(call pc_libs,libidn2,-lidn2) $(call pc_libs,icu-i18n,-licui18n -licuuc -licudata)
MA_INSPECT_OBJS := $(B)/milter-auth/inspect_msg.o $(B)/milter-auth/inspect_rules.o
$(eval $(call daemon,milter-auth/messec-inspect,$(B)/milter-auth/messec-inspect.o $(MA_INSPECT_OBJS) $(B)/milter-auth/inspect_idn.o $(MA_MODULE_OBJS),$(SPF2_LIBS) $(MA_SPF_LIBS) $(OPENDKIM_LIBS) $(MA_DKIM_LIBS) $(MA_DMARC_LIBS) $(MA_IDN_LIBS) $(OPENSSL_LIBS) -lresolv -lpthread))

# messec-dkim-keygen: key pairs, DNS record and key-table line.
$(eval $(call daemon,milter-auth/messec-dkim-keygen,$(B)/milter-auth/messec-dkim-keygen.o $(B)/milter-auth/dkim_keygen.o,$(OPENSSL_LIBS)))

# Unit tests. decide.c names results with the modules' own functions, and
# evaluate.c and stage.c call every module, so they link them all.
MA_T := $(B)/milter-auth
$(eval $(call unit_test,milter-auth_test_decide,$(MA_T)/tests/test_decide.o $(MA_T)/decide.o $(MA_MODULE_OBJS),$(MA_MODULE_LIBS)))
$(eval $(call unit_test,milter-auth_test_hdrbook,$(MA_T)/tests/test_hdrbook.o $(MA_T)/hdrbook.o $(MA_T)/authres.o))
$(eval $(call unit_test,milter-auth_test_config,$(MA_T)/tests/test_config.o $(MA_T)/config.o $(MA_T)/decide.o $(MA_MODULE_OBJS),$(MA_MODULE_LIBS)))
# MAIL FROM / HELO keeping (evaluate.c).
$(eval $(call unit_test,milter-auth_test_envelope,$(MA_T)/tests/test_envelope.o $(MA_T)/evaluate.o $(MA_T)/decide.o $(MA_T)/hdrbook.o $(MA_MODULE_OBJS),$(MA_MODULE_LIBS)))
# The stage list (stage.c makes libmilter calls: the milter skeleton links).
$(eval $(call unit_test,milter-auth_test_stage,$(MA_T)/tests/test_stage.o $(MA_T)/stage.o $(MA_T)/clean.o $(MA_T)/dmarc_report.o $(MA_T)/dmarc_report_writer.o $(MA_T)/evaluate.o $(MA_T)/decide.o $(MA_T)/hdrbook.o $(MA_MODULE_OBJS) $(LIBMESSEC_MILTER),$(MA_MODULE_LIBS)))
# Outbound header cleaning (clean.c).
$(eval $(call unit_test,milter-auth_test_clean,$(MA_T)/tests/test_clean.o $(MA_T)/clean.o))
# DMARC report recording and XML (dmarc_report.c); xmllint validates.
$(eval $(call unit_test,milter-auth_test_report,$(MA_T)/tests/test_report.o $(MA_T)/dmarc_report.o $(MA_T)/dmarc_report_writer.o,$(OPENSSL_LIBS) -lpthread))
# Sending them: rua, section 7.1 verification (fake DNS), gzip, mail, forget.
$(eval $(call unit_test,milter-auth_test_report_send,$(MA_T)/tests/test_report_send.o $(MA_REPORT_SEND_OBJS),$(MA_DMARC_LIBS) $(MA_ZLIB_LIBS) $(OPENSSL_LIBS)))
# Reading the reports received (fixtures in milter-auth/tests/reports/).
$(eval $(call unit_test,milter-auth_test_ingest,$(MA_T)/tests/test_ingest.o $(MA_INGEST_OBJS),$(MA_ZLIB_LIBS) $(MA_XML2_LIBS) $(OPENSSL_LIBS)))
# messec-inspect's parsing and anomaly rules.
$(eval $(call unit_test,milter-auth_test_inspect,$(MA_T)/tests/test_inspect.o $(MA_INSPECT_OBJS) $(MA_T)/inspect_idn.o,$(MA_IDN_LIBS)))
# DKIM signing (dkim_sign.c) and key generation (dkim_keygen.c), verified
# with messec's own verifier.
$(eval $(call unit_test,milter-auth_test_sign,$(MA_T)/tests/test_sign.o $(MA_T)/tests/test_dkim_util.o $(MA_T)/dkim_keygen.o $(MA_MODULE_OBJS),$(MA_MODULE_LIBS)))

# By hand (bench/, never in make check): the report stage's store cost
# before and after the writer thread.
$(B)/bench/report_record_bench: $(B)/bench/milter-auth/report_record_bench.o $(MA_T)/dmarc_report.o $(MA_T)/dmarc_report_writer.o $(LIBMESSEC)
	@mkdir -p $(@D)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(OPENSSL_LIBS) $(COMMON_LIBS)
$(B)/bench/milter-auth/%.o: bench/milter-auth/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(EXTRA_CFLAGS_milter-auth) -MMD -MP -c -o $@ $<

# Install: binary, man page, sample config (never overwriting a live one).
.PHONY: install-milter-auth
install-milter-auth: $(B)/milter-auth/messec-milter-auth $(B)/milter-auth/messec-dmarc-report $(B)/milter-auth/messec-dkim-keygen $(B)/milter-auth/messec-inspect
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSCONFDIR)/messec
	install -m 0755 $(B)/milter-auth/messec-inspect $(DESTDIR)$(BINDIR)/
	install -m 0644 milter-auth/messec-inspect.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0755 $(B)/milter-auth/messec-milter-auth $(B)/milter-auth/messec-dmarc-report \
		$(B)/milter-auth/messec-dkim-keygen $(DESTDIR)$(SBINDIR)/
	install -m 0644 milter-auth/messec-milter-auth.8 milter-auth/messec-dkim-keygen.8 \
		milter-auth/messec-dmarc-report.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/messec/milter-auth.conf || \
		install -m 0644 milter-auth/messec-milter-auth.conf $(DESTDIR)$(SYSCONFDIR)/messec/milter-auth.conf
INSTALL_RULES += install-milter-auth
