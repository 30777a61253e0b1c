/*
 * vgm.h - glue shared by the server-side files: the core's allocator on
 *         palloc, the engine's interrupt hook, the GUC variables and the
 *         steps of the binary send/recv functions.  Defined in vgm.c.
 *
 * Layers, lowest first.  A header includes headers of its own layer or a
 * lower one, never of a higher one; layers 0-3 are the pure-C core (the
 * files of CORE_SRCS in the Makefile), which builds, is unit-tested and is
 * fuzzed without a single PostgreSQL header.
 *
 *   0  allocator.h, codec_status.h, float_bits.h, wire.h, sort_order.h,
 *      seeded_draws.h, stick_breaking.h, log_normalize.h,
 *      interruptible_sort.h
 *                                   memory hooks; the codec statuses;
 *                                   big-endian bytes; sort orders; the
 *                                   engines' seeded draws, weights, E-step
 *                                   rows and sort
 *   1  vbem.h, json_text.h, kmeans_seed.h, json_record.h, model_form.h,
 *      heavy_core.h
 *                                   the VB-EM engine; the JSON text kit;
 *                                   the engines' k-means++; records and
 *                                   the model texts' shared parts; the
 *                                   heavy-value table
 *   2  model_codec.h, summary_core.h, summary_pack.h, weights_core.h,
 *      validate_core.h, joint_vbem.h, joint_model_codec.h,
 *      joint_summary_core.h
 *                                   the values, their validation, text forms
 *                                   and numerics
 *   3  binary_codec.h, joint_levels.h
 *                                   the send/recv forms of the three types;
 *                                   the joint fit of a summary in two levels
 *   4  vgm.h, codec_errcode.h       this file: postgres.h begins here; the
 *                                   one status-to-SQLSTATE mapping
 *   5  model.h, model_seal.h, summary.h, fit.h, fit_shared.h,
 *      datum_cache.h, model_cache.h, validate.h, joint_model.h,
 *      joint_summary.h, expanded_state.h, statement_mark.h, sample_scan.h
 *                                   datum layouts and server helpers
 *   6  the SQL-callable .c files
 */
#ifndef VGM_VGM_H
#define VGM_VGM_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "allocator.h"

/* The core's allocator on palloc in the current memory context (an error or cancel frees it). */
extern const VgmAllocator *vgm_palloc_allocator(void);

/* Interrupt hook for the engine: lets cancel and statement_timeout stop a fit. */
extern int	vgm_engine_check_interrupts(void *arg);

/* vgm.log_fits: the message level of the one line per fit, -1 for off. */
extern int	vgm_log_fits_level;

/*
 * The steps every *_recv / *_send shares around the codecs of
 * binary_codec.h: the unread bytes of the message; a bytea of size payload
 * bytes and the payload for an encoder to fill.  A recv may read its message as a
 * VgmRecvMessage and raise a decoder's error with vgm_recv_check
 * (codec_errcode.h), the binary face of vgm_codec_check.
 */
extern const uint8 *vgm_recv_bytes(StringInfo buf, size_t *len);
extern uint8 *vgm_send_buffer(size_t size, bytea **result);

#endif							/* VGM_VGM_H */
