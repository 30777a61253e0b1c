/*
 * expanded_state.h - the aggregate-state glue both summaries share: the
 *                    read-write expanded object a vgm_summary or a
 *                    vgm_joint_summary accumulates in while an aggregate
 *                    runs (the rule is written down in model_cache.h).
 *
 * A summary type describes its expanded form once as a VgmExpandedKind
 * (its methods, the name of the context its states live in, its size, how
 * a new state starts and how a summary is merged into one); this module
 * finds the state behind a datum, creates it in the one shared states
 * context under the aggregate context, gives it an allocator on its own
 * memory and runs the transitions that merge summaries.  What a state
 * holds, how it is flattened and what its errors say stay with its type.
 */
#ifndef VGM_EXPANDED_STATE_H
#define VGM_EXPANDED_STATE_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/expandeddatum.h"

#include "allocator.h"

/*
 * What every state starts with: its expanded-object header, and the
 * allocator on the state's own memory (hdr.eoh_context) its accumulator
 * allocates with.
 */
typedef struct VgmExpandedState
{
	ExpandedObjectHeader hdr;
	VgmAllocator alloc;
} VgmExpandedState;

/* What makes one type's expanded state (see the file comment). */
typedef struct VgmExpandedKind
{
	ExpandedObjectMethods methods;	/* flat size and flattening; its address
									 * tells this type's states apart */
	const char *states_context; /* the context all states of an aggregate share */
	Size		size;			/* of the state, which starts with a VgmExpandedState */
	/* start a new zeroed state: an empty accumulator on the state's allocator */
	void		(*init) (ExpandedObjectHeader *state);
	/* merge a summary of this type, flat or any state of this kind, into state */
	void		(*merge) (ExpandedObjectHeader *state, Datum summary);
} VgmExpandedKind;

/*
 * The state of this kind behind d, else NULL (a flat datum, or another
 * type's state); with read_write, only through a read-write pointer, the
 * one a transition function may change in place.
 */
static inline ExpandedObjectHeader *
vgm_expanded_of(Datum d, const VgmExpandedKind *kind, bool read_write)
{
	if (read_write ? VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d))
		: VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &kind->methods)
			return eoh;
	}
	return NULL;
}

/*
 * A new state for a transition function that was not handed its own
 * read-write state: in the aggregate's states context (fname names the
 * function in the error of a call outside an aggregate), argument 0 merged
 * in when that is a summary.
 */
extern ExpandedObjectHeader *vgm_expanded_start(FunctionCallInfo fcinfo, const char *fname,
												const VgmExpandedKind *kind);

/*
 * The transition state for this call: the read-write state itself when the
 * executor hands it back (every row but the first, so this test is inline
 * and first; whoever holds a read-write pointer may change the object in
 * place, so no aggregate context is needed), otherwise a new one.
 */
static inline ExpandedObjectHeader *
vgm_transition_state(FunctionCallInfo fcinfo, const char *fname, const VgmExpandedKind *kind)
{
	if (likely(!PG_ARGISNULL(0)))
	{
		ExpandedObjectHeader *state = vgm_expanded_of(PG_GETARG_DATUM(0), kind, true);

		if (likely(state != NULL))
			return state;
	}
	return vgm_expanded_start(fcinfo, fname, kind);
}

/*
 * The transition that merges argument 1, a summary of this type, into the
 * state (a NULL argument 1 merges nothing): a vgm_rollup's, and with
 * combine a combine function's, which answers two NULL arguments with NULL.
 */
extern Datum vgm_expanded_merge_arg(FunctionCallInfo fcinfo, const char *fname,
									const VgmExpandedKind *kind, bool combine);

#endif							/* VGM_EXPANDED_STATE_H */
