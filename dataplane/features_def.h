/* SPDX-License-Identifier: MIT */
/*
 * One row of the feature table (features.c), for the code that prints it
 * (features_cli.c). Not part of the dataplane's API: that is features.h.
 */
#ifndef RP_FEATURES_DEF_H
#define RP_FEATURES_DEF_H

#include <stdbool.h>

#include "dataplane/features.h"
#include "dataplane/features_probe.h"

struct rp_feature_def {
	const char *key;		/* stable id in JSON: "send_zc" */
	const char *name;		/* for people: "SEND_ZC" */
	const char *kind;		/* "setup", "opcode", "register", "feature" */
	bool required;			/* the dataplane refuses to start without it */
	const char *kernel;		/* first kernel release with it */
	unsigned char lib_major, lib_minor;	/* first liburing with it */
	int opcode;			/* IORING_OP_* checked first, or -1 */
	rp_probe_fn probe;
	unsigned arg;			/* the probe's variant */
	const char *used_for;
	const char *fallback;		/* optional rows: what happens without it */
};

extern const struct rp_feature_def rp_feature_defs[RP_FEAT__COUNT];

#endif
