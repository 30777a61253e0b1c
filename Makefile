# vgm: variational Gaussian mixtures in PostgreSQL.  Builds with PGXS.
EXTENSION = vgm
MODULE_big = vgm
DATA = vgm--1.0.sql
SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:.c=.o)

# pg_regress suites: sql/NAME.sql -> expected/NAME.out
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=vgm

PG_CONFIG ?= pg_config
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
            -Wno-missing-field-initializers -std=gnu11
SHLIB_LINK = -lgsl -lopenblas -lm
EXTRA_CLEAN = test/unit/bin

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every object depends on every header: the headers define shared layouts
$(OBJS): $(wildcard src/*.h)

# ---- engine unit tests: pure C, no server ---------------------------------
# Sources of the numerical core that build without PostgreSQL headers.
CORE_SRCS = src/vbem.c src/joint_vbem.c src/json_text.c src/json_record.c src/model_codec.c src/summary_core.c src/summary_pack.c \
            src/weights_core.c src/validate_core.c src/binary_codec.c src/heavy_core.c
# the engines' shared k-means++ seeding
CORE_SRCS += src/kmeans_seed.c
# the joint (several-column) summary
CORE_SRCS += src/joint_summary_core.c
# the joint fit of a summary in two levels (coarse screening, refinement)
CORE_SRCS += src/joint_levels.c
# the joint model's codecs
CORE_SRCS += src/joint_model_codec.c src/joint_model_binary.c
UNIT_CFLAGS = -O2 -g -Wall -Wextra -Werror -std=gnu11 -Isrc
UNIT_LIBS = -lgsl -lopenblas -lm
UNIT_TESTS = $(patsubst test/unit/%.c,test/unit/bin/%,$(wildcard test/unit/test_*.c))
# A test that #includes a core source (to reach its static helpers) is linked
# without that source's own object: src/X.c named in an '#include "X.c"' line.
unit_included = $(patsubst %,src/%,$(shell sed -n 's|^\#include "\([a-z_]*\.c\)".*|\1|p' $(1)))

test/unit/bin/%: test/unit/%.c $(CORE_SRCS) $(wildcard src/*.h) $(wildcard test/unit/*.h)
	@mkdir -p test/unit/bin
	$(CC) $(UNIT_CFLAGS) $(UNIT_EXTRA_CFLAGS) -o $@ $< \
		$(filter-out $(call unit_included,$<),$(CORE_SRCS)) $(UNIT_LIBS)

.PHONY: unittest
# Runs every unit test binary, then the include-layer check of src/vgm.h; each prints TAP.
unittest: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do echo "# $$t"; (cd test/unit && ./bin/$$(basename $$t)) || status=1; done; \
	echo "# include layers"; /usr/bin/python3 test/unit/check_include_layers.py || status=1; exit $$status
