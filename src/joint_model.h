/*
 * joint_model.h - the vgm_joint_model SQL type: its stored layout and the
 *                 helpers the joint fit and the joint functions share.
 */
#ifndef VGM_JOINT_MODEL_H
#define VGM_JOINT_MODEL_H

#include "postgres.h"
#include "fmgr.h"

#include "joint_model_codec.h"
#include "vgm.h"

/* Build a vgm_joint_model datum (palloc'd varlena) from a validated view. */
extern Datum vgm_joint_model_datum(const VgmJointModelView *model);

/*
 * A view of a stored joint model (detoasted from datum), its arrays pointing
 * into the stored value or into palloc'd memory; checks the stored layout.
 */
extern void vgm_joint_model_view_datum(Datum datum, VgmJointModelView *model);

#endif							/* VGM_JOINT_MODEL_H */
