/*
 * sample_scan.h - the steps of a vgm_sample scan that the one-dimensional
 *                 and the joint model share: the count checked and the
 *                 scan's memory entered on the first call, the state kept
 *                 for the later calls, one draw per call until n.
 *
 * Header only, server side.  The draws themselves (seeded_draws.h's picker,
 * the hashed seed) and what a draw returns stay with each function.
 */
#ifndef VGM_SAMPLE_SCAN_H
#define VGM_SAMPLE_SCAN_H

#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"

/* First call: n checked, the scan's memory context entered; returns the caller's. */
static inline MemoryContext
vgm_sample_scan_begin(FunctionCallInfo fcinfo, int64 n, FuncCallContext **funcctx)
{
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of samples must not be negative"),
				 errdetail("The value given was " INT64_FORMAT ".", n)));
	*funcctx = SRF_FIRSTCALL_INIT();
	return MemoryContextSwitchTo((*funcctx)->multi_call_memory_ctx);
}

/* End of the first call: state serves n draws; back in the caller's context old. */
static inline void
vgm_sample_scan_ready(FuncCallContext *funcctx, void *state, int64 n, MemoryContext old)
{
	funcctx->max_calls = (uint64) n;
	funcctx->user_fctx = state;
	MemoryContextSwitchTo(old);
}

/* Every call: the state for draw funcctx->call_cntr, or NULL when n are done. */
static inline void *
vgm_sample_scan_next(FunctionCallInfo fcinfo, FuncCallContext **funcctx)
{
	*funcctx = SRF_PERCALL_SETUP();
	CHECK_FOR_INTERRUPTS();
	return (*funcctx)->call_cntr < (*funcctx)->max_calls ? (*funcctx)->user_fctx : NULL;
}

#endif							/* VGM_SAMPLE_SCAN_H */
