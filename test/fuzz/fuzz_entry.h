/*
 * fuzz_entry.h - libFuzzer's entry point for the harnesses that check an
 *                input through one FuzzRun (fuzz_common.h).
 *
 * The entry readies a fresh run (a zeroed counting allocator, poisoned
 * message buffers) and hands it to the harness's fuzz_one, so every harness
 * starts from the same clean state and none repeats the start-up.  Include
 * after fuzz_common.h and define fuzz_one below.
 */
#ifndef VGM_FUZZ_ENTRY_H
#define VGM_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

/* The harness's checks of one input, through a run readied for it. */
static void fuzz_one(FuzzRun *r, const uint8_t *data, size_t size);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer calls this once per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzRun		r;

	fuzz_run_start(&r, 0);
	fuzz_one(&r, data, size);
	return 0;
}

#endif							/* VGM_FUZZ_ENTRY_H */
