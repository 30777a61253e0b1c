/*
 * joint_model.h - the vgm_joint_model SQL type: its stored layout and the
 *                 helpers the joint fit and the joint functions share.
 *
 * The stored form holds the actual d and k, not the engine's fixed-size
 * prior arrays: a fixed header of scalars, then the priors' mean (d) and
 * covariance (d x d), then (sealed layout) the columns' training minimum
 * and maximum (d each), then the posterior block in the order of
 * vgm_joint_model_arrays (joint_model_codec.h), then (sealed layout) the
 * seal.  Every byte is written (the datum is palloc0'd and the header has
 * no padding), so byte equality of the stored forms is value equality
 * (equality.c).  The binary form (send/recv) is independent of this
 * layout.
 *
 * The seal.  As a vgm_model does (model_seal.h, which says why a SHA-256
 * computed here and never read from outside is safe to recognise a model
 * by), a joint model built by this version ends in the SHA-256 of its
 * bytes, written by the one place that builds the datum
 * (vgm_joint_model_datum: the fit, vgm_joint_model_from_mixture, text and
 * binary input), so the row functions (joint_functions.c) prove an
 * unchanged model argument by its length and 32 bytes instead of all its
 * bytes.  The word after the varlena header says which layout a stored
 * value has: VGM_JOINT_MODEL_SEALED, or VGM_JOINT_MODEL_UNSEALED (1, the
 * format version the builds before seals wrote there: no range, no seal,
 * recognised by all its bytes); any other word is data corruption.  A
 * sealed model without a training range (format 1 input, a mixture written
 * by hand) holds NaN in the range's place.
 */
#ifndef VGM_JOINT_MODEL_H
#define VGM_JOINT_MODEL_H

#include "postgres.h"
#include "fmgr.h"

#include "joint_model_codec.h"
#include "vgm.h"

/* Stored layout of a vgm_joint_model (see the top of this file). */
typedef struct VgmJointModel
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		layout;			/* VGM_JOINT_MODEL_SEALED or VGM_JOINT_MODEL_UNSEALED */
	int32		d;
	int32		k;
	int32		iterations;
	int32		converged;
	int32		max_iter;
	int32		n_init;
	uint64		seed;
	double		tol;
	double		weight_threshold;
	double		prior_weight_concentration;
	double		prior_mean_precision;
	double		prior_degrees_of_freedom;
	double		prior_reg_covar;
	double		lower_bound;
	double		fit_ms;
	int64		rows;
	int64		points;
	int64		skipped_rows;
	double		total_weight;
	double		data[FLEXIBLE_ARRAY_MEMBER];	/* the arrays (top of the file) */
} VgmJointModel;

/* VgmJointModel.layout of a sealed model ("JSEL" in ASCII, read as an int32). */
#define VGM_JOINT_MODEL_SEALED ((int32) 0x4C45534A)
/* VgmJointModel.layout of a model stored by a version without seals. */
#define VGM_JOINT_MODEL_UNSEALED 1

/* Bytes of the seal: a SHA-256 digest, as a vgm_model's. */
#define VGM_JOINT_MODEL_SEAL_BYTES 32

/* Bytes of a model of d columns and k components stored without a seal (earlier versions). */
#define VGM_JOINT_MODEL_UNSEALED_SIZE(d, k) \
	(offsetof(VgmJointModel, data) + sizeof(double) * \
	 ((Size) (d) + (Size) (d) * (d) + vgm_joint_model_doubles((d), (k))))

/* Bytes of a sealed model of d columns and k components: the range and the seal added. */
#define VGM_JOINT_MODEL_SEALED_SIZE(d, k) \
	(VGM_JOINT_MODEL_UNSEALED_SIZE(d, k) + sizeof(double) * 2 * (Size) (d) + VGM_JOINT_MODEL_SEAL_BYTES)

/* Build a vgm_joint_model datum (palloc'd varlena) from a validated view. */
extern Datum vgm_joint_model_datum(const VgmJointModelView *model);

/*
 * A view of a stored joint model (detoasted from datum), its arrays pointing
 * into the stored value or into palloc'd memory; checks the stored layout.
 */
extern void vgm_joint_model_view_datum(Datum datum, VgmJointModelView *model);

/*
 * The same for a model already detoasted: raises ERRCODE_DATA_CORRUPTED
 * when the layout word is unknown or the size does not match the layout, d
 * and k it claims.
 */
extern void vgm_joint_model_view(const VgmJointModel *stored, VgmJointModelView *model);

/* Whether a detoasted joint model carries a seal. */
static inline bool
vgm_joint_model_is_sealed(const VgmJointModel *stored)
{
	return stored->layout == VGM_JOINT_MODEL_SEALED;
}

/*
 * Check the seal of a detoasted sealed joint model against its bytes; a
 * mismatch is data corruption (ERROR).
 */
extern void vgm_joint_model_check_seal(const VgmJointModel *stored);

#endif							/* VGM_JOINT_MODEL_H */
