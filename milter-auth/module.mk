# milter-auth/ - messec-milter-auth (SPF, DKIM, DMARC verification) and messec-spf.
# Four fragments: spf.mk (SPF module, messec-spf CLI, SPF tests), dmarc.mk
# (DMARC, A-R), dkim.mk (DKIM verification) and, last because it links
# them all, milter.mk (the milter daemon, its stages, decision and config,
# their tests).
# libxml2 (messec-dmarc-report ingest) keeps its headers in a subdirectory.
XML2_CFLAGS := $(call pc_cflags,libxml-2.0)
EXTRA_CFLAGS_milter-auth := $(OPENSSL_CFLAGS) $(OPENDKIM_CFLAGS) $(OPENDMARC_CFLAGS) $(XML2_CFLAGS) $(CMOCKA_CFLAGS) -Imilter-auth
include milter-auth/spf.mk
include milter-auth/dmarc.mk
include milter-auth/dkim.mk
include milter-auth/milter.mk
