/*
 * model_seal.h - the content seal of a stored vgm_model: a SHA-256 of the
 *                model's bytes, written by every constructor into the
 *                model's last 32 bytes, so that a row function recognises
 *                an unchanged model argument by 32 bytes instead of all of
 *                them (datum_cache.h).
 *
 * Why a seal.  A row function whose model comes from a join column may see
 * a different model at the same address on the next row, so it proves the
 * model unchanged on every row; comparing all of a model's bytes (752 for
 * ten components) was the largest cost of that form.  Comparing a digest
 * of the bytes is as safe only if the digest cannot be chosen: no two
 * models a user can build may share it.  Hence a cryptographic hash
 * (SHA-256, FIPS 180-4: no collision is known, and finding one is believed
 * to take about 2^128 evaluations), computed here from the model's own
 * bytes and never read from outside: the text and binary forms carry no
 * seal, both input functions and the fit build their datum through
 * vgm_model_build_view or vgm_model_recv, which seal it, and a model
 * datum cannot be made from raw bytes without a superuser's C function or
 * binary-coercible cast.  So the seal of a stored model is always the
 * SHA-256 of its bytes, and equal seals of equal length mean equal bytes.
 *
 * Layout.  A sealed model has VgmModel.unused = VGM_MODEL_SEALED and its
 * last VGM_MODEL_SEAL_BYTES bytes hold the seal of every byte between the
 * varlena header and the seal.  A model stored by a version without seals
 * has unused = 0 and no trailer; it is read as before and recognised by
 * all its bytes.  A derived model (model_cache.c) re-checks the seal when
 * it is first derived, so a damaged stored model is an error rather than
 * a cache key.
 */
#ifndef VGM_MODEL_SEAL_H
#define VGM_MODEL_SEAL_H

#include "postgres.h"

#include "model.h"

/* VgmModel.unused of a sealed model ("SEAL" in ASCII, read as an int32). */
#define VGM_MODEL_SEALED ((int32) 0x4C414553)

/* Bytes of the seal: a full SHA-256 digest. */
#define VGM_MODEL_SEAL_BYTES 32

/* Whether a detoasted model carries a seal. */
static inline bool
vgm_model_is_sealed(const VgmModel *model)
{
	return model->unused == VGM_MODEL_SEALED;
}

/* Bytes a model of k components and n_atoms atoms takes with its seal. */
#define VGM_MODEL_SEALED_SIZE(k, n_atoms) (VGM_MODEL_SIZE(k, n_atoms) + VGM_MODEL_SEAL_BYTES)

/*
 * Write the seal of a model allocated with VGM_MODEL_SEALED_SIZE bytes
 * (VARSIZE set, content final): marks it sealed and digests it.
 */
extern void vgm_model_seal(VgmModel *model);

/*
 * Check the seal of a detoasted sealed model against its bytes; a mismatch
 * is data corruption (ERROR).
 */
extern void vgm_model_check_seal(const VgmModel *model);

/*
 * The same seal for any sealed varlena (vgm_joint_model, joint_model.h):
 * write the SHA-256 of the bytes between the varlena header and the last
 * VGM_MODEL_SEAL_BYTES bytes into those bytes, or tell whether they hold it.
 */
extern void vgm_varlena_seal(struct varlena *value);
extern bool vgm_varlena_seal_holds(const struct varlena *value);

#endif							/* VGM_MODEL_SEAL_H */
