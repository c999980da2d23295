# common/spf/spf.mk - the SPF engine (RFC 7208: spf*.c, header
# messec/spf.h) as its own archive, libmessec-spf.a, linked by the daemons
# that check SPF: messec-milter-auth (with messec-spf and the SPF tests)
# and messec-policyd (SPF-keyed greylisting). Included by common/module.mk.
# Like libmessec-milter.a, it stays out of libmessec.a, so neither the
# Dovecot plugin's libmessec-so.a nor the fuzz targets' "all of common/"
# carry it. It needs only -lresolv (in COMMON_LIBS). The raw libspf2
# comparison engine is not here: milter-auth/spf_libspf2.c, for messec-spf -L.
SPF_SRCS := common/spf/spf.c common/spf/spf_dns.c common/spf/spf_record.c \
	common/spf/spf_macro.c common/spf/spf_eval.c
SPF_OBJS := $(SPF_SRCS:%.c=$(B)/%.o)
LIBMESSEC_SPF := $(B)/libmessec-spf.a

$(LIBMESSEC_SPF): $(SPF_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

BINS += $(LIBMESSEC_SPF)
