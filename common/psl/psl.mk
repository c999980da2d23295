# common/psl/psl.mk - the public suffix list (psl.c, header messec/psl.h)
# as its own archive, libmessec-psl.a, linked by the daemons that need
# registered domains: messec-milter-auth and its tools (DMARC
# organizational domains) and messec-milter-av (link analysis: the
# registered domain asked to DNS lists). Like libmessec-spf.a it stays out
# of libmessec.a (the Dovecot plugin does not carry it). Link it after the
# objects that call it; it needs only libmessec.a.
PSL_SRCS := common/psl/psl.c
PSL_OBJS := $(PSL_SRCS:%.c=$(B)/%.o)
LIBMESSEC_PSL := $(B)/libmessec-psl.a

$(LIBMESSEC_PSL): $(PSL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

BINS += $(LIBMESSEC_PSL)

# Its unit test (common/tests/test_psl.c) links the archive.
$(B)/tests/common_test_psl: $(B)/common/tests/test_psl.o $(LIBMESSEC_PSL) $(LIBMESSEC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) -o $@ $< $(LIBMESSEC_PSL) $(LIBMESSEC) $(COMMON_LIBS) $(CMOCKA_LIBS)
