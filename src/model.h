/*
 * model.h - the vgm_model SQL type: on-disk layout and helpers shared by the
 *           fit and the row-by-row transforms.
 */
#ifndef VGM_MODEL_H
#define VGM_MODEL_H

#include "postgres.h"
#include "fmgr.h"

#include "model_codec.h"
#include "vgm.h"

/*
 * On-disk layout: varlena header, the fixed header, then k components and
 * k weights, then hdr.n_atoms atom values and hdr.n_atoms atom weights, then
 * (in a model built by this version) its 32-byte SHA-256 seal, model_seal.h.
 * The binary form (send/recv) is independent of this layout.
 */
typedef struct VgmModel
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		unused;			/* 0, or VGM_MODEL_SEALED (model_seal.h); keeps the doubles aligned */
	VgmModelHeader hdr;
	VgmComponent comp[FLEXIBLE_ARRAY_MEMBER];
	/* double weights[k] follows comp[k], then atom values and atom weights */
} VgmModel;

#define VGM_MODEL_SIZE(k, n_atoms) \
	(offsetof(VgmModel, comp) + (k) * (sizeof(VgmComponent) + sizeof(double)) + \
	 2 * (Size) (n_atoms) * sizeof(double))
#define VgmModelWeights(m) ((double *) ((m)->comp + (m)->hdr.k))
#define VgmModelAtomValues(m) (VgmModelWeights(m) + (m)->hdr.k)
#define VgmModelAtomWeights(m) (VgmModelAtomValues(m) + (m)->hdr.n_atoms)

#define DatumGetVgmModelP(d) ((VgmModel *) PG_DETOAST_DATUM(d))
#define PG_GETARG_VGM_MODEL_P(n) DatumGetVgmModelP(PG_GETARG_DATUM(n))
#define PG_RETURN_VGM_MODEL_P(m) PG_RETURN_POINTER(m)

/* Build a model datum without atoms from its parts (validated by the caller). */
extern VgmModel *vgm_model_build(const VgmModelHeader *hdr,
								 const VgmComponent *comp,
								 const double *weights);

/* Build a model datum from a view, atoms included (validated by the caller). */
extern VgmModel *vgm_model_build_view(const VgmModelView *view);

/*
 * Check that a detoasted model's size matches its component and atom counts
 * before its arrays are read (input validated it; a mismatch means
 * corruption).
 */
extern void vgm_model_check_layout(const VgmModel *model);

/* A view of a stored model for the pure-C helpers. */
extern void vgm_model_view(const VgmModel *model, VgmModelView *view);

#endif							/* VGM_MODEL_H */
