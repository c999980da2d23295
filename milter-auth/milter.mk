# milter-auth/milter.mk - the messec-milter-auth daemon (main, config, decide,
# milter callbacks, stages, evaluate, header bookkeeping) and its unit tests.
#
# The SPF, DKIM, DMARC and A-R modules come from spf.mk, dkim.mk and dmarc.mk
# (MA_SPF_OBJS, MA_DKIM_OBJS, MA_DMARC_OBJS, MA_AUTHRES_OBJS). Those may be
# included after this file, so the prerequisites use secondary expansion.
# The daemon does not link libopendmarc: DMARC is messec's own (docs/dmarc.md);
# only test_dmarc links it, to pin the library's defects.
.SECONDEXPANSION:

MA_DAEMON_SRCS := milter-auth/main.c milter-auth/milter.c milter-auth/stage.c \
	milter-auth/config.c milter-auth/decide.c milter-auth/evaluate.c milter-auth/hdrbook.c
MA_DAEMON_OBJS := $(MA_DAEMON_SRCS:%.c=$(B)/%.o)

# Module objects from spf.mk, dkim.mk, dmarc.mk (deferred: $$, any include order).
MA_MODULE_OBJS = $(MA_SPF_OBJS) $(MA_DKIM_OBJS) $(MA_DMARC_OBJS) $(MA_AUTHRES_OBJS)
MA_MODULE_LIBS = $(MILTER_LIBS) $(SPF2_LIBS) $(MA_SPF_LIBS) $(OPENDKIM_LIBS) \
	$(MA_DKIM_LIBS) $(MA_DMARC_LIBS) -lresolv -lpthread

$(B)/milter-auth/messec-milter-auth: $(MA_DAEMON_OBJS) $$(MA_MODULE_OBJS) $(LIBMESSEC_MILTER) \
		$(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $(MA_DAEMON_OBJS) $(MA_MODULE_OBJS) $(LIBMESSEC_MILTER) $(LIBMESSEC) \
		$(MA_MODULE_LIBS) $(COMMON_LIBS)

BINS += $(B)/milter-auth/messec-milter-auth

# Unit tests: decision logic, header bookkeeping, config table.
# (decide.c names results with the modules' own functions: they link.)
$(B)/tests/milter-auth_test_decide: $(B)/milter-auth/tests/test_decide.o \
		$(B)/milter-auth/decide.o $$(MA_MODULE_OBJS) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $(B)/milter-auth/tests/test_decide.o $(B)/milter-auth/decide.o \
		$(MA_MODULE_OBJS) $(LIBMESSEC) $(MA_MODULE_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

$(B)/tests/milter-auth_test_hdrbook: $(B)/milter-auth/tests/test_hdrbook.o \
		$(B)/milter-auth/hdrbook.o $(B)/milter-auth/authres.o $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(COMMON_LIBS) $(CMOCKA_LIBS)

$(B)/tests/milter-auth_test_config: $(B)/milter-auth/tests/test_config.o \
		$(B)/milter-auth/config.o $(B)/milter-auth/decide.o $$(MA_MODULE_OBJS) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $(B)/milter-auth/tests/test_config.o \
		$(B)/milter-auth/config.o $(B)/milter-auth/decide.o $(MA_MODULE_OBJS) \
		$(LIBMESSEC) $(MA_MODULE_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

# MAIL FROM / HELO keeping (evaluate.c, which needs every module to link).
$(B)/tests/milter-auth_test_envelope: $(B)/milter-auth/tests/test_envelope.o \
		$(B)/milter-auth/evaluate.o $(B)/milter-auth/decide.o $(B)/milter-auth/hdrbook.o \
		$$(MA_MODULE_OBJS) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $(B)/milter-auth/tests/test_envelope.o \
		$(B)/milter-auth/evaluate.o $(B)/milter-auth/decide.o $(B)/milter-auth/hdrbook.o \
		$(MA_MODULE_OBJS) $(LIBMESSEC) $(MA_MODULE_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

# The stage list (stage.c: libmilter calls, so it links the milter skeleton).
$(B)/tests/milter-auth_test_stage: $(B)/milter-auth/tests/test_stage.o \
		$(B)/milter-auth/stage.o $(B)/milter-auth/evaluate.o $(B)/milter-auth/decide.o \
		$(B)/milter-auth/hdrbook.o $$(MA_MODULE_OBJS) $(LIBMESSEC_MILTER) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $(B)/milter-auth/tests/test_stage.o $(B)/milter-auth/stage.o \
		$(B)/milter-auth/evaluate.o $(B)/milter-auth/decide.o $(B)/milter-auth/hdrbook.o \
		$(MA_MODULE_OBJS) $(LIBMESSEC_MILTER) $(LIBMESSEC) $(MA_MODULE_LIBS) $(COMMON_LIBS) \
		$(CMOCKA_LIBS)

UNIT_TESTS += $(B)/tests/milter-auth_test_envelope $(B)/tests/milter-auth_test_stage
UNIT_TESTS += $(B)/tests/milter-auth_test_decide $(B)/tests/milter-auth_test_hdrbook \
	$(B)/tests/milter-auth_test_config

# Install: binary, man page, sample config (never overwriting a live one).
.PHONY: install-milter-auth
install-milter-auth: $(B)/milter-auth/messec-milter-auth
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/messec
	install -m 0755 $(B)/milter-auth/messec-milter-auth $(DESTDIR)$(SBINDIR)/
	install -m 0644 milter-auth/messec-milter-auth.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/messec/milter-auth.conf || \
		install -m 0644 milter-auth/messec-milter-auth.conf $(DESTDIR)$(SYSCONFDIR)/messec/milter-auth.conf
INSTALL_RULES += install-milter-auth
