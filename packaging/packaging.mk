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
