/*
 * counting_alloc.h - the C unit tests' allocator for the VgmAllocator hooks.
 * It counts the blocks handed out and not yet released, and fails requests
 * when told to: every one after the first fail_after, or exactly the
 * fail_at-th.  With it a test sees that the code under test releases all it
 * took and reports out of memory at whichever allocation fails.
 */
#ifndef VGM_TEST_COUNTING_ALLOC_H
#define VGM_TEST_COUNTING_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "allocator.h"

/* What the hooks have counted, and when they fail. */
typedef struct CountingAlloc
{
	long		live;			/* blocks not yet released */
	long		allocs;			/* blocks handed out */
	long		calls;			/* requests, failed ones included */
	long		fail_after;		/* allocations left before every further one fails; < 0: never */
	long		fail_at;		/* the one request (1-based, as calls counts) that fails; 0: none */
} CountingAlloc;

/* The alloc hook: count the request, fail it when told to, else malloc and count the block. */
static void *
counting_alloc(size_t size, void *arg)
{
	CountingAlloc *c = arg;

	c->calls++;
	if (c->fail_after == 0)
		return NULL;
	if (c->fail_at != 0 && c->calls == c->fail_at)
		return NULL;
	if (c->fail_after > 0)
		c->fail_after--;
	c->live++;
	c->allocs++;
	return malloc(size);
}

/* The release hook: free and count. */
static void
counting_release(void *ptr, void *arg)
{
	CountingAlloc *c = arg;

	c->live--;
	free(ptr);
}

/* Hooks counting into *c (cleared), failing after fail_after allocations (< 0: never). */
static inline VgmAllocator
counting_allocator(CountingAlloc *c, long fail_after)
{
	VgmAllocator a = {counting_alloc, counting_release, c};

	memset(c, 0, sizeof(*c));
	c->fail_after = fail_after;
	return a;
}

#endif							/* VGM_TEST_COUNTING_ALLOC_H */
