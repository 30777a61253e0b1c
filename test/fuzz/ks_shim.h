/*
 * ks_shim.h - the binary wire format of vgm_ks_state without PostgreSQL:
 *             decoded with exactly the checks of vgm_ks_state_recv
 *             (src/validate.c), in the same order, then vgm_ks_validate;
 *             encoded as vgm_ks_state_send writes it.  Keep in step with
 *             those two functions.
 */
#ifndef VGM_KS_SHIM_H
#define VGM_KS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "recv_shim.h"			/* SHIM_ERR_* */
#include "validate_core.h"

#define SHIM_ERR_BINS (-6)		/* unsupported bin count */
#define SHIM_ERR_ENTRY (-7)		/* bin index not increasing / out of range, count <= 0 */

/* counts must have VGM_KS_BINS entries; zeroed here. */
int			shim_ks_recv(const uint8_t *data, size_t len, VgmKsCounts *c, int64_t *counts,
						 char *msg, size_t msglen, char *detail, size_t detaillen);

size_t		shim_ks_send(const VgmKsCounts *c, const int64_t *counts, uint8_t *buf, size_t buflen);

#endif							/* VGM_KS_SHIM_H */
