# SPDX-License-Identifier: GPL-2.0
# pagecheck: build the module against KDIR, test it in QEMU, run the demo.
# The test driver is tests/pctest/pctest.py; the targets below call it.

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
PGC_GEN ?= $(CURDIR)/.gen
PYTHON ?= /usr/bin/python3
PCTEST = $(PYTHON) tests/pctest/pctest.py
W ?= 1
DISTDIR ?= $(CURDIR)/build
# The version is written once: debian/changelog (its upstream part). The
# tree "make dist" makes for DKMS has a VERSION file instead.
PGC_VERSION := $(or $(shell cat VERSION 2>/dev/null),\
	$(shell sed -n '1{s/^[^ ]* (//;s/).*//;s/-[^-]*$$//;p}' debian/changelog 2>/dev/null))
ifeq ($(PGC_VERSION),)
$(error pagecheck: no version: neither VERSION nor debian/changelog is readable)
endif
# What DKMS builds from: make dist, and the .deb's /usr/src tree.
DKMS_FILES = Makefile Kbuild LICENSE src include probes scripts/feature-probes.sh

export PGC_GEN PGC_VERSION

# Headers of another architecture (Debian's arm64 or s390x headers on an
# amd64 host, as DKMS meets them): ARCH and CROSS_COMPILE follow KDIR's
# .config unless given. The cross gcc is Debian's gcc-<arch-triplet>.
PGC_KARCH := $(shell sed -n 's/^CONFIG_\(ARM64\|S390\|X86_64\)=y$$/\1/p' $(KDIR)/.config 2>/dev/null)
PGC_HOST_KARCH := $(subst aarch64,ARM64,$(subst s390x,S390,$(subst x86_64,X86_64,$(shell uname -m))))
PGC_ARCH_ARM64 = arm64
PGC_ARCH_S390 = s390
PGC_ARCH_X86_64 = x86
PGC_CROSS_ARM64 = aarch64-linux-gnu-
PGC_CROSS_S390 = s390x-linux-gnu-
PGC_CROSS_X86_64 = x86_64-linux-gnu-
ifneq ($(PGC_KARCH),)
ifneq ($(PGC_KARCH),$(PGC_HOST_KARCH))
ifeq ($(origin CROSS_COMPILE),undefined)
CROSS_COMPILE := $(PGC_CROSS_$(PGC_KARCH))
ARCH := $(PGC_ARCH_$(PGC_KARCH))
export ARCH CROSS_COMPILE
endif
endif
endif
# KERNELS, JOBS, CANARY, BENCH, DKMS and PAGECHECK_* reach the driver from
# the environment or the make command line (make exports both).

.PHONY: all modules tests config clean check check-debug check-fleet check-real demo sparse install bench \
	record dist dkms-tree version test-harness

all: modules

# Feature probes are re-run whenever KDIR or the probes change.
PGC_PROBE_KEY = $(realpath $(KDIR)) $(shell cat probes/*.c scripts/feature-probes.sh | md5sum)

config:
	@if [ "$$(cat $(PGC_GEN)/probe-key 2>/dev/null)" != "$(PGC_PROBE_KEY)" ] || \
	    [ ! -e $(PGC_GEN)/pagecheck_config.h ]; then \
		mkdir -p $(PGC_GEN) && \
		scripts/feature-probes.sh $(KDIR) $(PGC_GEN) && \
		echo "$(PGC_PROBE_KEY)" > $(PGC_GEN)/probe-key; \
	fi

modules: config
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

tests: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests W=$(W) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

sparse: config
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) C=2 modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests clean 2>/dev/null
	rm -rf $(PGC_GEN)

# Every kernel of the matrix in QEMU, the reduced benchmark, the canary,
# DKMS and the .deb; ends with "N passed, N failed, N skipped". Its record
# goes to the cache, never into the tree.
check:
	$(PCTEST) check

# The guest suite on a KASAN + lockdep + DEBUG_VM kernel, built once.
check-debug:
	$(PCTEST) check-debug

# The fleet box: the .debs on a systemd Debian, DKMS across a kernel
# upgrade, loaded at boot, journald, node_exporter and kdump-tools.
check-fleet:
	$(PCTEST) fleet

# Real upstream bad-free bugs driven through the kernel's own code, on the
# Debian kernels that still have them, each booted twice (docs/real-bugs.md).
check-real:
	$(PCTEST) real

# The full benchmark table (docs/benchmark.md); make check runs a reduced one.
bench:
	$(PCTEST) bench

demo:
	$(PCTEST) demo 6.1

# Copy the last records of check, check-debug and check's benchmark from
# the cache into docs/, to commit them.
record:
	$(PCTEST) record

# The driver's own unit tests: seconds, no network, no root, no VM.
test-harness:
	$(PCTEST) deps test-harness
	$(PYTHON) -m pytest -q tests/pctest

version:
	@echo $(PGC_VERSION)

# The DKMS source tree in DEST: DKMS_FILES, VERSION and dkms.conf with the
# version filled in.
dkms-tree:
	@test -n "$(DEST)" || { echo "dkms-tree: set DEST" >&2; exit 2; }
	mkdir -p $(DEST)
	tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='.*.d' $(DKMS_FILES) | tar -xf - -C $(DEST)
	echo $(PGC_VERSION) >$(DEST)/VERSION
	sed 's/#MODULE_VERSION#/$(PGC_VERSION)/' dkms.conf >$(DEST)/dkms.conf

# $(DISTDIR)/pagecheck-<version>.tar.gz: what DKMS needs, nothing else.
dist:
	@rm -rf $(DISTDIR)/dist
	@$(MAKE) -s --no-print-directory dkms-tree DEST=$(DISTDIR)/dist/pagecheck-$(PGC_VERSION)
	@tar -C $(DISTDIR)/dist --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime=@0 -czf $(DISTDIR)/pagecheck-$(PGC_VERSION).tar.gz pagecheck-$(PGC_VERSION)
	@rm -rf $(DISTDIR)/dist
	@echo $(DISTDIR)/pagecheck-$(PGC_VERSION).tar.gz
