# mk/rules.mk - templates for the module.mk files (GNU make).
#
# A component's module.mk declares its objects and calls these, so adding
# a daemon is a short module.mk and a fuzz target is one line. Each is used
# as $(eval $(call TEMPLATE,args...)); arguments are expanded when the
# line is read, so the variables they name must already be set (include
# the fragments that set them first).
#
#   $(eval $(call daemon,PATH,OBJS,LIBS))
#	$(B)/PATH linked from OBJS (objects and archives, in link order),
#	then libmessec.a, LIBS (-l flags) and $(COMMON_LIBS); added to BINS.
#	A milter puts $(LIBMESSEC_MILTER) at the end of OBJS and
#	$(MILTER_LIBS) in LIBS (docs/common.md).
#
#   $(eval $(call unit_test,NAME,OBJS,LIBS[,LDFLAGS]))
#	$(B)/tests/NAME (cmocka, TAP) from OBJS, libmessec.a, LIBS,
#	$(COMMON_LIBS) and cmocka; added to UNIT_TESTS, so make check runs it.
#
#   $(eval $(call fuzz_target,NAME,SRCS,OBJS,LIBS[,CFLAGS[,LDFLAGS]]))
#	tests/fuzz/fuzz_NAME.c twice: $(B)/fuzz/fuzz_NAME, a libFuzzer
#	binary compiled by clang from SRCS and all of common/ (make fuzz);
#	and $(B)/tests/fuzz_replay_NAME, the same entry point on the
#	components' ordinary objects OBJS with tests/fuzz/replay_main.c,
#	which replays tests/fuzz/corpus/NAME/ and tests/fuzz/regress/NAME/
#	as a unit test (and on the sanitizer build, fuzz-replay-san).
#	CFLAGS: extra compile flags of the clang build; LDFLAGS: link flags
#	of both. Needs tests/fuzz/module.mk's FUZZ_* variables.

comma := ,

define daemon
$(B)/$(1): $(2) $(LIBMESSEC)
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_LDFLAGS) -o $$@ $(2) $$(LIBMESSEC) $(3) $$(COMMON_LIBS)

BINS += $(B)/$(1)
endef

define unit_test
$(B)/tests/$(1): $(2) $(LIBMESSEC)
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_LDFLAGS) $(4) -o $$@ $(2) $$(LIBMESSEC) $(3) $$(COMMON_LIBS) $$(CMOCKA_LIBS)

UNIT_TESTS += $(B)/tests/$(1)
endef

define fuzz_target
FUZZ_TARGETS += $(1)

$(B)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(2) $$(COMMON_SRCS) $$(FUZZ_HDRS)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) $(5) -o $$@ $$< $(2) $$(COMMON_SRCS) $(4) $(6) \
		$$(FUZZ_COMMON_LIBS)

$(B)/tests/fuzz_replay_$(1): $(B)/tests/fuzz/fuzz_$(1).o $(B)/tests/fuzz/replay_main.o $(3) \
		$(LIBMESSEC)
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_LDFLAGS) $(6) -o $$@ $(B)/tests/fuzz/fuzz_$(1).o \
		$(B)/tests/fuzz/replay_main.o $(3) $$(LIBMESSEC) $(4) $$(COMMON_LIBS)
endef
