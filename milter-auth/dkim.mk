# milter-auth/dkim.mk - DKIM verification module (libopendkim) and its unit test.
# MA_DKIM_OBJS: linked by the milter daemon (milter.mk) and by the test.
MA_DKIM_SRCS := milter-auth/dkim_verify.c milter-auth/dkim_result.c milter-auth/dkim_dns.c milter-auth/dkim_sign.c \
	milter-auth/dkim_canon.c milter-auth/dkim_sign_ossl.c milter-auth/dkim_vossl.c
MA_DKIM_OBJS := $(MA_DKIM_SRCS:%.c=$(B)/%.o)

# Unit test: milter-auth/tests/test_dkim*.c -> $(B)/tests/milter-auth_test_dkim.
# It reads ../shared/conformance/dkim (or $MESSEC_CONFORMANCE/dkim).
MA_DKIM_TEST_SRCS := $(wildcard milter-auth/tests/test_dkim*.c)
MA_DKIM_TEST_OBJS := $(MA_DKIM_TEST_SRCS:%.c=$(B)/%.o)
$(eval $(call unit_test,milter-auth_test_dkim,$(MA_DKIM_TEST_OBJS) $(FAKE_DNS_OBJ) $(MA_DKIM_OBJS),$(OPENDKIM_LIBS)))
