# milter-auth/ - messec-milter-auth (SPF, DKIM, DMARC verification) and messec-spf.
# Split in two fragments: spf.mk (SPF module, messec-spf CLI, SPF tests) and
# milter.mk (the milter daemon, DKIM, DMARC, Authentication-Results).
EXTRA_CFLAGS_milter-auth := $(OPENSSL_CFLAGS) $(OPENDKIM_CFLAGS) $(OPENDMARC_CFLAGS) $(CMOCKA_CFLAGS) -Imilter-auth
-include milter-auth/spf.mk
-include milter-auth/milter.mk
-include milter-auth/dmarc.mk
-include milter-auth/dkim.mk
