# Olly build. `make` builds build/olly; `make unit [T=name]` runs C unit tests;
# `make fuzz` builds libFuzzer targets; SAN=1 builds with ASan+UBSan into build-san/.
# Dependencies come from Debian packages (scripts/setup.sh installs them).

CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      = -O1 -g
else
BUILD   ?= build
SANFLAGS =
OPT      = -O2 -g
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -Isrc $(OPT) $(SANFLAGS) -DOL_VERSION='"$(VERSION)"' -MMD -MP
LDFLAGS += $(SANFLAGS)
LDLIBS  += -lnghttp2 -lcurl -lsqlite3 -lssl -lcrypto -lzstd -lz -lpthread -lm

LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all unit fuzz clean run check
# Keep intermediate objects (the fuzz targets would otherwise rebuild the library each time).
.SECONDARY:
all: $(BUILD)/olly

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libolly.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/olly: $(BUILD)/src/main.o $(BUILD)/libolly.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h $(BUILD)/libolly.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libolly.a $(LDFLAGS) $(LDLIBS)

# make unit            -> every unit test binary
# make unit T=codec_pb -> only tests/unit/test_codec_pb.c
ifdef T
unit: $(BUILD)/tests/test_$(T)
	$(BUILD)/tests/test_$(T)
else
unit: $(TEST_BIN)
	@scripts/run-unit.sh $(TEST_BIN)
endif

# libFuzzer targets: clang, whole library rebuilt with coverage instrumentation.
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer-no-link,address,undefined -DOL_FUZZ=1 -DOL_VERSION='"fuzz"'
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)
fuzz: $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

run: $(BUILD)/olly
	$(BUILD)/olly serve

check:
	scripts/test.sh

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
