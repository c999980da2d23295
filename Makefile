# messec - top-level Makefile (GNU make, non-recursive).
#
#   make            build everything into $(B)/
#   make check      unit tests (cmocka, TAP) + integration tests on the real lab
#   make demo       build, bring the lab up, demo every layer, tear it down
#   make deps       install missing Debian packages (root)
#   make install    DESTDIR/PREFIX honoured
#   make deb        Debian packages into build/deb/; make lintian, make check-packages,
#                   make check-systemd, make rpm (packaging/packaging.mk, docs/packaging.md)
#   make check-trixie  the MFA package built and run on Debian 13 in a cached root (also in make check)
#   make SANITIZE=1 ...   ASan + UBSan build (into build-san/)
#
# Each component has a module.mk that appends to BINS, UNIT_TESTS,
# INSTALL_RULES and CLEAN_FILES, with the templates of mk/rules.mk for a
# daemon, a unit test and a fuzz target (milter-auth/milter.mk and
# tests/fuzz/module.mk use them).

PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
PKG_CONFIG ?= pkg-config

# B: the build directory; override (make B=build-x) to keep parallel builds apart.
ifeq ($(SANITIZE),1)
B ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B ?= build
SAN_FLAGS :=
endif

# -Wno-comment: the Postfix-style file header (every line opening with "/*",
# STYLE.md) is what -Wcomment flags; it is intended.
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wno-unused-parameter -Wno-comment
ifeq ($(CI),true)
WARN += -Werror
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

# Hardening from dpkg-buildflags when present (Debian).
HARDEN_CFLAGS := $(shell dpkg-buildflags --get CFLAGS 2>/dev/null | sed 's/-O2//')
HARDEN_LDFLAGS := $(shell dpkg-buildflags --get LDFLAGS 2>/dev/null)
HARDEN_CPPFLAGS := $(shell dpkg-buildflags --get CPPFLAGS 2>/dev/null)

OPT ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(HARDEN_CFLAGS) $(SAN_FLAGS) -fPIC \
	-D_GNU_SOURCE -Icommon/include
BASE_CPPFLAGS := $(HARDEN_CPPFLAGS)
BASE_LDFLAGS := $(HARDEN_LDFLAGS) $(SAN_FLAGS)

# Libraries without a .pc on Debian 12 get their one fallback here.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null || echo $(2))

OPENSSL_CFLAGS := $(call pc_cflags,openssl)
OPENSSL_LIBS   := $(call pc_libs,openssl,-lssl -lcrypto)
LMDB_CFLAGS    := $(call pc_cflags,lmdb)
LMDB_LIBS      := $(call pc_libs,lmdb,-llmdb)
CMOCKA_CFLAGS  := $(call pc_cflags,cmocka)
CMOCKA_LIBS    := $(call pc_libs,cmocka,-lcmocka)
MILTER_LIBS    := $(call pc_libs,milter,-lmilter)
SPF2_LIBS      := -lspf2
OPENDKIM_CFLAGS := $(call pc_cflags,opendkim)
OPENDKIM_LIBS  := $(call pc_libs,opendkim,-lopendkim)
OPENDMARC_CFLAGS := -I/usr/include/opendmarc
OPENDMARC_LIBS := -lopendmarc
QRENCODE_LIBS  := $(call pc_libs,libqrencode,-lqrencode)
HIREDIS_CFLAGS := $(call pc_cflags,hiredis)
HIREDIS_LIBS   := $(call pc_libs,hiredis,-lhiredis)

BINS :=
UNIT_TESTS :=
INSTALL_RULES :=
CLEAN_FILES :=

.PHONY: all check unit integration demo deps deps-check install clean fuzz bench
all:

include mk/rules.mk
include common/module.mk
-include milter-auth/module.mk
-include dovecot-mfa-plugin/module.mk
-include milter-av/module.mk
-include policyd/module.mk
-include tests/fuzz/module.mk
-include packaging/packaging.mk

all: $(BINS)

# Object rule shared by every component: $(B)/<dir>/<file>.o from <dir>/<file>.c
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(EXTRA_CFLAGS_$(firstword $(subst /, ,$*))) -MMD -MP -c -o $@ $<

# Not build/deb/ or build/rpm/: make deb's and make rpm's copies of the tree have
# their own builds (and a tmpfiles.d directory).
-include $(shell find $(B) -path $(B)/deb -prune -o -path $(B)/rpm -prune -o -name '*.d' -type f -print 2>/dev/null)

deps:
	packaging/install-deps

deps-check:
	@packaging/install-deps --check >/dev/null 2>&1 || packaging/install-deps

# The one test command (README, .ci/run): unit tests, the fuzz corpora
# replayed on an ASan+UBSan build (tests/fuzz/module.mk), then integration
# tests; every result counted, closing line "N passed, M failed".
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# The MFA lab tests run twice: on Debian's Dovecot 2.3 and on the lab's
# Dovecot 2.4.1 (make dovecot24 builds it once per machine, ~20 min on 2
# cores, into DOVECOT24_PREFIX; tests/lab/build-dovecot24). The MFA package
# is also built and run on Debian 13's Dovecot 2.4.1 (make check-trixie,
# below; make trixie-root makes its root once per machine, ~2-3 min).
MFA_LAB_TESTS := $(sort $(wildcard tests/integration/5[0-4]-mfa-*.sh))
# Lab 63's Debian 12 root (make systemd-root, debootstrap once per machine):
# when it cannot be made (no network the first time), the other tests still
# run and lab 63 reports the failure as its own case.
check: deps-check
	$(MAKE) -j$(JOBS) all $(UNIT_TESTS)
	$(MAKE) -j$(JOBS) fuzz-replay-san
	$(MAKE) dovecot24
	-$(MAKE) systemd-root
	-$(MAKE) trixie-root
	@B=$(B) tests/run $(UNIT_TESTS) $(FUZZ_SAN_REPLAYS) -- $(sort $(wildcard tests/integration/*.sh)) \
		tests/packages/80-trixie-mfa.sh LAB_DOVECOT=2.4 $(MFA_LAB_TESTS)

unit: all $(UNIT_TESTS)
	@B=$(B) tests/run $(UNIT_TESTS) --

integration: all
	$(MAKE) dovecot24
	-$(MAKE) systemd-root
	@B=$(B) tests/run -- $(sort $(wildcard tests/integration/*.sh)) LAB_DOVECOT=2.4 $(MFA_LAB_TESTS)

# make check-trixie: the Dovecot plugin's package built with dpkg-buildpackage
# against Debian 13's own dovecot-dev, lintian-checked, installed and
# logging in with Debian 13's Dovecot 2.4.1, in a trixie root made once per
# machine (make trixie-root: tests/lab/build-trixie-root debootstraps
# /var/cache/messec/trixie-root from deb.debian.org, ~2-3 min and ~850 MB,
# locked, then reused) and never changed by the test
# (tests/packages/80-trixie-mfa.sh, as root; about 1 min when the root is
# there). make check runs it too (a failed make trixie-root, e.g. offline,
# is then the test's failing case "trixie root", the other tests still run).
.PHONY: trixie-root check-trixie
trixie-root:
	tests/lab/build-trixie-root
check-trixie: trixie-root
	@B=$(B) tests/run -- tests/packages/80-trixie-mfa.sh

# make demo [LAYER=dmarc,tls] [DEMO_LANG=fr] [DEMO_STEP=1] (docs/demo.md)
demo: deps-check
	$(MAKE) -j$(JOBS) all
	B=$(B) LAYER='$(LAYER)' DEMO_LANG='$(DEMO_LANG)' DEMO_STEP='$(DEMO_STEP)' demo/run

install: all $(INSTALL_RULES)

clean:
	rm -rf build build-san build-* $(CLEAN_FILES)

bench: all
	bench/run
