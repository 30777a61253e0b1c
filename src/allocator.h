/*
 * allocator.h - the memory hooks of the pure-C core, and the one place that
 *               applies them.
 *
 * The core never calls malloc directly where the caller may want its own
 * memory: inside the server every allocation goes through palloc (see
 * vgm.h), so an error or a cancel frees it with the memory context, and the
 * unit tests and fuzzers count allocations to find leaks.  A NULL allocator
 * (or one without an alloc hook) means malloc and free.
 *
 * The rules live here once: a request for zero bytes allocates one, so that
 * NULL always means "out of memory" (malloc(0) may return NULL, palloc(0)
 * does not); and an allocator with an alloc hook but no release hook is an
 * arena whose memory is freed all at once by its owner, so single blocks are
 * never handed to free().
 */
#ifndef VGM_ALLOCATOR_H
#define VGM_ALLOCATOR_H

#include <stddef.h>
#include <stdlib.h>

/* Memory hooks; NULL (or a NULL alloc hook) means malloc/free. */
typedef struct VgmAllocator
{
	void	   *(*alloc) (size_t size, void *arg);
	void		(*release) (void *ptr, void *arg);
	void	   *arg;
} VgmAllocator;

/* Allocate size bytes (at least one) with the hooks; NULL means out of memory. */
static inline void *
vgm_mem_alloc(const VgmAllocator *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (a != NULL && a->alloc != NULL)
		return a->alloc(size, a->arg);
	return malloc(size);
}

/* Release a block from vgm_mem_alloc (NULL is ignored, arenas keep theirs). */
static inline void
vgm_mem_free(const VgmAllocator *a, void *ptr)
{
	if (ptr == NULL)
		return;
	if (a == NULL || a->alloc == NULL)
		free(ptr);
	else if (a->release != NULL)
		a->release(ptr, a->arg);
}

#endif							/* VGM_ALLOCATOR_H */
