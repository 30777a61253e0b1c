/*
 * expanded_state.c - creating the expanded aggregate state of a summary
 *                    type, in the one states context of an aggregate, with
 *                    an allocator on the state's own memory.
 *
 * Both summaries keep their running state as a read-write expanded object
 * so that the executor neither copies nor frees it between rows, and so
 * that a hash aggregate counts its memory and spills; the steps that make
 * such a state are the same for both and live here (expanded_state.h).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "expanded_state.h"

/*
 * The context that holds every state of this kind of an aggregate context:
 * one child of it, found among its children or created.  Not one context
 * per state: a hash aggregate sums the memory of all contexts below its own
 * each time it adds a group, so 100,000 groups with a context each cost
 * 100,000^2 / 2 visits (minutes).  Sharing is safe because a state is only
 * ever deleted by the executor when a transition function returns a
 * different datum than the R/W state it was given, which ours never do;
 * the states go when the aggregate context is reset or deleted.
 */
static MemoryContext
states_context(MemoryContext aggcxt, const char *name)
{
	MemoryContext child;

	for (child = aggcxt->firstchild; child != NULL; child = child->nextchild)
		if (strcmp(child->name, name) == 0)
			return child;
	/*
	 * The Internal form because the name is not a literal here; it is one
	 * in each kind (a static string), so it outlives the context as a
	 * context name must.
	 */
	return AllocSetContextCreateInternal(aggcxt, name, ALLOCSET_DEFAULT_SIZES);
}

/* Allocation hook: memory of the context arg. */
static void *
context_alloc(size_t size, void *arg)
{
	return MemoryContextAllocExtended((MemoryContext) arg, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

/* Release hook for context_alloc. */
static void
context_free(void *ptr, void *arg)
{
	pfree(ptr);
}

/* A new state for a transition function not handed its own R/W state. */
ExpandedObjectHeader *
vgm_expanded_start(FunctionCallInfo fcinfo, const char *fname, const VgmExpandedKind *kind)
{
	MemoryContext aggcxt;
	MemoryContext cxt;
	VgmExpandedState *state;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname),
				 errdetail("This function is the transition function of an aggregate.")));
	cxt = states_context(aggcxt, kind->states_context);
	state = MemoryContextAllocZero(cxt, kind->size);
	EOH_init_header(&state->hdr, &kind->methods, cxt);
	/* the core's allocator on the state's memory: huge blocks, NULL when out of memory */
	state->alloc = (VgmAllocator) {context_alloc, context_free, cxt};
	kind->init(&state->hdr);
	if (!PG_ARGISNULL(0))
		kind->merge(&state->hdr, PG_GETARG_DATUM(0));
	return &state->hdr;
}

/* Merge argument 1, when not NULL, into the transition state (vgm_rollup, combine). */
Datum
vgm_expanded_merge_arg(FunctionCallInfo fcinfo, const char *fname, const VgmExpandedKind *kind,
					   bool combine)
{
	ExpandedObjectHeader *state;

	if (combine && PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	state = vgm_transition_state(fcinfo, fname, kind);
	if (!PG_ARGISNULL(1))
		kind->merge(state, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(state));
}

