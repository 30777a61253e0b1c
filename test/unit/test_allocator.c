/*
 * test_allocator.c - unit tests of src/allocator.h, the one place that
 * applies the core's memory hooks: a zero-byte request still allocates (so
 * NULL means out of memory whatever the hooks), NULL is released as a no-op,
 * a NULL allocator means malloc/free, and an arena (alloc hook without a
 * release hook) is never handed to free().
 */
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "tap.h"

/* What the hooks saw. */
typedef struct Seen
{
	size_t		last_size;
	int			allocs;
	int			releases;
	int			fail;
	char		arena[64];
} Seen;

/* An alloc hook that records the size (malloc, or the arena when release is absent). */
static void *
seen_alloc(size_t size, void *arg)
{
	Seen	   *s = arg;

	s->last_size = size;
	s->allocs++;
	if (s->fail)
		return NULL;
	return size <= sizeof(s->arena) ? s->arena : NULL;
}

/* A release hook that counts. */
static void
seen_release(void *ptr, void *arg)
{
	Seen	   *s = arg;

	(void) ptr;
	s->releases++;
}

int
main(void)
{
	Seen		s;
	VgmAllocator hooks = {seen_alloc, seen_release, &s};
	VgmAllocator arena = {seen_alloc, NULL, &s};
	VgmAllocator empty = {NULL, NULL, NULL};
	void	   *p;

	p = vgm_mem_alloc(NULL, 0);
	tap_ok(p != NULL, "NULL allocator: zero bytes still allocate");
	vgm_mem_free(NULL, p);
	p = vgm_mem_alloc(&empty, 16);
	tap_ok(p != NULL, "allocator without hooks: malloc");
	memset(p, 1, 16);
	vgm_mem_free(&empty, p);

	memset(&s, 0, sizeof(s));
	p = vgm_mem_alloc(&hooks, 0);
	tap_ok(p == s.arena && s.last_size == 1, "hooks: a zero-byte request asks for one byte");
	p = vgm_mem_alloc(&hooks, 40);
	tap_ok(p == s.arena && s.last_size == 40 && s.allocs == 2, "hooks: other sizes pass unchanged");
	vgm_mem_free(&hooks, p);
	tap_ok(s.releases == 1, "hooks: release goes to the hook");
	vgm_mem_free(&hooks, NULL);
	tap_ok(s.releases == 1, "hooks: NULL is not released");
	s.fail = 1;
	tap_ok(vgm_mem_alloc(&hooks, 8) == NULL, "hooks: a failing hook gives NULL");

	/* an arena's block is neither released nor freed (free() of it would crash) */
	memset(&s, 0, sizeof(s));
	p = vgm_mem_alloc(&arena, 8);
	vgm_mem_free(&arena, p);
	tap_ok(p == s.arena && s.releases == 0, "arena: blocks stay with their owner");
	return tap_done();
}
