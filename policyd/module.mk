# policyd/ - messec-policyd (Postfix policy delegation daemon) and its unit
# tests, on the templates of mk/rules.mk.
EXTRA_CFLAGS_policyd := $(CMOCKA_CFLAGS) -Ipolicyd
PD_CORE_SRCS := policyd/proto.c policyd/rules.c policyd/sender_login.c policyd/state.c policyd/config.c \
	policyd/textfile.c policyd/grey_allow.c
PD_CORE_OBJS := $(PD_CORE_SRCS:%.c=$(B)/%.o)
PD_DAEMON_OBJS := $(B)/policyd/main.o $(B)/policyd/loop.o $(B)/policyd/worker.o $(B)/policyd/upkeep.o \
	$(PD_CORE_OBJS)

# PD_SPF: the SPF engine (common/spf/, greylist_spf), after the objects.
PD_SPF := $(LIBMESSEC_SPF)
$(eval $(call daemon,policyd/messec-policyd,$(PD_DAEMON_OBJS) $(PD_SPF),-lpthread))

PD_T := $(B)/policyd/tests
$(eval $(call unit_test,policyd_test_proto,$(PD_T)/test_proto.o $(B)/policyd/proto.o))
$(eval $(call unit_test,policyd_test_rules,$(PD_T)/test_rules.o $(PD_CORE_OBJS) $(PD_SPF)))
$(eval $(call unit_test,policyd_test_grey_allow,$(PD_T)/test_grey_allow.o $(B)/policyd/grey_allow.o $(B)/policyd/textfile.o))
$(eval $(call unit_test,policyd_test_state,$(PD_T)/test_state.o $(PD_CORE_OBJS) $(PD_SPF)))
$(eval $(call unit_test,policyd_test_worker,$(PD_T)/test_worker.o $(B)/policyd/worker.o $(PD_CORE_OBJS) $(PD_SPF),-lpthread))

.PHONY: install-policyd
install-policyd: $(B)/policyd/messec-policyd
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/messec
	install -m 0755 $(B)/policyd/messec-policyd $(DESTDIR)$(SBINDIR)/
	install -m 0644 policyd/messec-policyd.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(PREFIX)/share/messec/policyd
	install -m 0644 policyd/greylist-allow $(DESTDIR)$(PREFIX)/share/messec/policyd/
	test -e $(DESTDIR)$(SYSCONFDIR)/messec/policyd.conf || \
		install -m 0644 policyd/messec-policyd.conf $(DESTDIR)$(SYSCONFDIR)/messec/policyd.conf
INSTALL_RULES += install-policyd
