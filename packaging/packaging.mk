# packaging/packaging.mk - make deb, make lintian (included by the Makefile).
#
# make deb: a copy of the tree (git's tracked and untracked-but-not-ignored
# files) in $(DEB_DIR)/messec-<version>/, packaging/debian copied in as
# debian/, then dpkg-buildpackage -us -uc -b there. The .debs, .buildinfo
# and .changes land in $(DEB_DIR); nothing is written outside build/.
DEB_DIR ?= build/deb
DEB_VERSION := $(shell sed -n '1s/.*(\(.*\)).*/\1/p' packaging/debian/changelog)
DEB_SRC := $(DEB_DIR)/messec-$(DEB_VERSION)
DEB_JOBS ?= 2

.PHONY: deb lintian
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -P -t $(DEB_SRC)
	rm -rf $(DEB_SRC)/debian
	cp -R packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="parallel=$(DEB_JOBS) $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -us -uc -b
	ls $(DEB_DIR)/*.deb

# lintian on what make deb built; errors fail, warnings are shown.
lintian:
	lintian --fail-on error --info $(DEB_DIR)/messec_$(DEB_VERSION)_*.changes

# make check-packages: build the .debs, install them on this machine with
# dpkg, test the installed binaries (also on the lab), purge, and check
# nothing of ours is left (tests/packages/70-debian-packages.sh, as root).
# Not in make check: it installs packages and a system user machine-wide.
.PHONY: check-packages
check-packages: all deb
	@B=$(B) tests/run -- tests/packages/70-debian-packages.sh

# make systemd-root: the Debian 12 root lab 63 boots with systemd-nspawn,
# debootstrapped once per machine into /var/cache/messec/bookworm-systemd
# (tests/systemd/build-root; make check calls it, like make dovecot24).
# make check-systemd: lab 63 alone on build/deb's packages (the packaged
# units started by a real systemd in that container).
.PHONY: systemd-root check-systemd
systemd-root:
	tests/systemd/build-root

check-systemd: deb systemd-root
	@B=$(B) DEB_DIR=$(abspath $(DEB_DIR)) tests/run -- tests/integration/63-systemd-units.sh

# make rpm: rpmspec -P, then rpmbuild -bb of packaging/rpm/messec.spec into
# $(RPM_DIR). On Debian (the rpm package, no Fedora macros, no Fedora -devel
# packages) it is a trial build: --nodeps, and the systemd/sysusers macros
# Fedora's systemd-rpm-macros would give are defined as no-ops or Debian
# paths. The RPMs it makes are for checking the spec, not for a Fedora host.
# RPM_DOVECOT_CONFIG: the Dovecot to build the plugin against (e.g. the
# lab's 2.4.1, whose dovecot-config makes the spec ship the settings
# module too: tests/lab/build-dovecot24 --prefix, lib/dovecot/dovecot-config).
RPM_DIR ?= build/rpm
RPM_TOP := $(abspath $(RPM_DIR))
RPM_ON_FEDORA := $(shell rpm --eval '%{?_unitdir}' 2>/dev/null)
RPM_DOVECOT_CONFIG ?= /usr/lib/dovecot/dovecot-config
ifeq ($(RPM_ON_FEDORA),)
RPM_DEFS := --nodeps -D "dovecot_config $(RPM_DOVECOT_CONFIG)" \
	-D "_unitdir /lib/systemd/system" -D "_sysusersdir /usr/lib/sysusers.d" \
	-D "_tmpfilesdir /usr/lib/tmpfiles.d" -D "sysusers_create_compat() :" \
	-D "tmpfiles_create() :" -D "systemd_post() :" -D "systemd_preun() :" \
	-D "systemd_postun_with_restart() :"
endif

.PHONY: rpm
rpm:
	rpmspec -P packaging/rpm/messec.spec >/dev/null
	rm -rf $(RPM_DIR)
	mkdir -p $(RPM_DIR)/SOURCES
	git ls-files -co --exclude-standard | tar -c --transform 's,^,messec-$(DEB_VERSION)/,' \
		-T - -zf $(RPM_DIR)/SOURCES/messec-$(DEB_VERSION).tar.gz
	cp packaging/rpm/messec.sysusers $(RPM_DIR)/SOURCES/
	rpmbuild -bb -D "_topdir $(RPM_TOP)" -D "_smp_mflags -j$(DEB_JOBS)" $(RPM_DEFS) \
		packaging/rpm/messec.spec
	ls $(RPM_DIR)/RPMS/*/*.rpm
