/*
 * vgm.c - module initialization, GUCs, and the glue vgm.h declares for every
 *         SQL-callable file.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "common/shortest_dec.h"
#include "utils/guc.h"

#include <gsl/gsl_errno.h>

#include "model_codec.h"
#include "summary.h"
#include "vgm.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* vgm.log_fits (see vgm.h); read by fit.c */
int			vgm_log_fits_level = -1;

/* OpenBLAS (GSL's CBLAS here) starts a thread pool when it loads. */
extern void openblas_set_num_threads(int num_threads);

/* Levels vgm.log_fits accepts; "off" disables the log line. */
static const struct config_enum_entry log_fits_options[] = {
	{"off", -1, false},
	{"debug1", DEBUG1, false},
	{"debug", DEBUG1, true},
	{"log", LOG, false},
	{"info", INFO, false},
	{"notice", NOTICE, false},
	{"warning", WARNING, false},
	{NULL, 0, false}
};

/* Forms vgm.summary_text accepts. */
static const struct config_enum_entry summary_text_options[] = {
	{"auto", VGM_SUMMARY_TEXT_AUTO, false},
	{"readable", VGM_SUMMARY_TEXT_READABLE, false},
	{"compact", VGM_SUMMARY_TEXT_COMPACT, false},
	{NULL, 0, false}
};

/* Engine allocation through palloc, so an error or cancel frees it with the context. */
static void *
palloc_hook(size_t size, void *arg)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

/* Release memory obtained from palloc_hook. */
static void
pfree_hook(void *ptr, void *arg)
{
	pfree(ptr);
}

static const VgmAllocator palloc_allocator = {palloc_hook, pfree_hook, NULL};

/* Engine allocator on top of palloc in the current memory context. */
const VgmAllocator *
vgm_palloc_allocator(void)
{
	return &palloc_allocator;
}

/* Interrupt hook: CHECK_FOR_INTERRUPTS may longjmp out; engine memory is palloc'd. */
int
vgm_engine_check_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
	return 0;
}

/* The bytes of a binary message not yet read; a recv consumes them all. */
const uint8 *
vgm_recv_bytes(StringInfo buf, size_t *len)
{
	const uint8 *data = (const uint8 *) buf->data + buf->cursor;

	*len = buf->len - buf->cursor;
	buf->cursor = buf->len;
	return data;
}

/*
 * A bytea with room for size payload bytes into *result; returns the
 * payload, for a binary encoder to fill.
 */
uint8 *
vgm_send_buffer(size_t size, bytea **result)
{
	*result = palloc(VARHDRSZ + size);
	SET_VARSIZE(*result, VARHDRSZ + size);
	return (uint8 *) VARDATA(*result);
}

/* Module load: GSL must report errors as return codes, never abort the backend. */
void
_PG_init(void)
{
	gsl_set_error_handler_off();

	/*
	 * A backend is a single-threaded process and vgm's work is per row: keep
	 * OpenBLAS's pool to one thread so it never spins beside the backend.
	 */
	openblas_set_num_threads(1);
	/* numbers in model and summary text: PostgreSQL's shortest-decimal code */
	vgm_set_shortest_decimal(double_to_shortest_decimal_buf);

	DefineCustomEnumVariable("vgm.log_fits",
							 "Emits one line per vgm_fit at this message level.",
							 "The line gives rows, points, components, iterations, convergence, lower bound and time.",
							 &vgm_log_fits_level,
							 -1,
							 log_fits_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("vgm.summary_text",
							 "Text form of vgm_summary output: auto, readable or compact.",
							 "readable writes every bucket as a JSON array; compact writes them packed in one string "
							 "(smaller and faster to parse: the form Citus moves between nodes); auto packs summaries "
							 "of more than 256 buckets.  Input accepts both forms.",
							 &vgm_summary_text_form,
							 VGM_SUMMARY_TEXT_AUTO,
							 summary_text_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("vgm");
}
