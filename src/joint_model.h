/*
 * joint_model.h - the vgm_joint_model SQL type: its stored layout and the
 *                 helpers the joint fit and the joint functions share.
 *
 * The stored form holds the actual d and k, not the engine's fixed-size
 * prior arrays: a fixed header of scalars, then the priors' mean (d) and
 * covariance (d x d), then the posterior block in the order of
 * vgm_joint_model_arrays (joint_model_codec.h).  Every byte is written (the
 * datum is palloc0'd and the header has no padding), so byte equality of
 * the stored forms is value equality (equality.c).  The binary form
 * (send/recv) is independent of this layout.
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
	int32		version;
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
	double		data[FLEXIBLE_ARRAY_MEMBER];	/* prior mean, prior covariance, posterior */
} VgmJointModel;

/* Bytes of a stored model of d columns and k components. */
#define VGM_JOINT_MODEL_SIZE(d, k) \
	(offsetof(VgmJointModel, data) + sizeof(double) * \
	 ((Size) (d) + (Size) (d) * (d) + vgm_joint_model_doubles((d), (k))))

/* Build a vgm_joint_model datum (palloc'd varlena) from a validated view. */
extern Datum vgm_joint_model_datum(const VgmJointModelView *model);

/*
 * A view of a stored joint model (detoasted from datum), its arrays pointing
 * into the stored value or into palloc'd memory; checks the stored layout.
 */
extern void vgm_joint_model_view_datum(Datum datum, VgmJointModelView *model);

/*
 * The same for a model already detoasted: raises ERRCODE_DATA_CORRUPTED
 * when the size does not match the version, d and k it claims.
 */
extern void vgm_joint_model_view(const VgmJointModel *stored, VgmJointModelView *model);

#endif							/* VGM_JOINT_MODEL_H */
