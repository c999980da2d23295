# milter-auth/spf.mk - the SPF module (spf*.c), the messec-spf CLI and the
# SPF unit tests. Included by milter-auth/module.mk. The milter daemon links
# $(MA_SPF_OBJS) (see milter.mk).
MA_SPF_SRCS := milter-auth/spf.c milter-auth/spf_dns.c milter-auth/spf_record.c \
	milter-auth/spf_macro.c milter-auth/spf_eval.c milter-auth/spf_libspf2.c
MA_SPF_OBJS := $(MA_SPF_SRCS:%.c=$(B)/%.o)
MA_SPF_LIBS := -lresolv

$(eval $(call daemon,milter-auth/messec-spf,$(B)/milter-auth/messec-spf.o $(MA_SPF_OBJS),$(SPF2_LIBS) $(MA_SPF_LIBS)))
$(eval $(call unit_test,milter-auth_test_spf,$(B)/milter-auth/tests/test_spf.o $(MA_SPF_OBJS),$(SPF2_LIBS) $(MA_SPF_LIBS)))

.PHONY: install-spf
install-spf: $(B)/milter-auth/messec-spf
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/milter-auth/messec-spf $(DESTDIR)$(SBINDIR)/
	install -m 0644 milter-auth/messec-spf.8 $(DESTDIR)$(MANDIR)/man8/
INSTALL_RULES += install-spf
