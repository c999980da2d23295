# milter-av/module.mk - messec-milter-av (libclamav in-process) and its unit tests.
CLAMAV_CFLAGS := $(call pc_cflags,libclamav)
CLAMAV_LIBS   := $(call pc_libs,libclamav,-lclamav)
IDN2_LIBS     := $(call pc_libs,libidn2,-lidn2)
EXTRA_CFLAGS_milter-av := $(CLAMAV_CFLAGS) $(CMOCKA_CFLAGS) -Imilter-av

AV_CORE_SRCS := milter-av/config.c milter-av/verdict.c milter-av/policy.c \
	milter-av/spool.c milter-av/engine.c milter-av/links.c milter-av/linkcheck.c
AV_CORE_OBJS := $(AV_CORE_SRCS:%.c=$(B)/%.o)
# The public suffix list (common/psl/, linkcheck.c) follows its callers.
# linkcheck.c converts Unicode link hosts to A-labels with libidn2 (IDN2_LIBS).
AV_CORE_OBJS += $(LIBMESSEC_PSL)
AV_DAEMON_OBJS := $(B)/milter-av/main.o $(B)/milter-av/milter.o $(AV_CORE_OBJS)

$(eval $(call daemon,milter-av/messec-milter-av,$(AV_DAEMON_OBJS) $(LIBMESSEC_MILTER),$(MILTER_LIBS) $(CLAMAV_LIBS) $(IDN2_LIBS) -lpthread))

AV_T := $(B)/milter-av/tests
$(eval $(call unit_test,milter-av_test_verdict,$(AV_T)/test_verdict.o $(B)/milter-av/verdict.o))
$(eval $(call unit_test,milter-av_test_policy,$(AV_T)/test_policy.o $(B)/milter-av/policy.o))
$(eval $(call unit_test,milter-av_test_spool,$(AV_T)/test_spool.o $(B)/milter-av/spool.o))
$(eval $(call unit_test,milter-av_test_config,$(AV_T)/test_config.o $(AV_CORE_OBJS),$(CLAMAV_LIBS) $(IDN2_LIBS) -lpthread))
$(eval $(call unit_test,milter-av_test_links,$(AV_T)/test_links.o $(B)/milter-av/links.o))
$(eval $(call unit_test,milter-av_test_linkcheck,$(AV_T)/test_linkcheck.o $(B)/common/tests/fake_dns.o $(AV_CORE_OBJS),$(CLAMAV_LIBS) $(IDN2_LIBS) -lpthread))
$(eval $(call unit_test,milter-av_test_engine,$(AV_T)/test_engine.o $(AV_CORE_OBJS),$(CLAMAV_LIBS) $(IDN2_LIBS) $(OPENSSL_LIBS) -lpthread))

.PHONY: install-milter-av
install-milter-av: $(B)/milter-av/messec-milter-av
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/messec
	install -m 0755 $(B)/milter-av/messec-milter-av $(DESTDIR)$(SBINDIR)/
	install -m 0644 milter-av/messec-milter-av.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/messec/milter-av.conf || \
		install -m 0644 milter-av/messec-milter-av.conf $(DESTDIR)$(SYSCONFDIR)/messec/milter-av.conf
INSTALL_RULES += install-milter-av
