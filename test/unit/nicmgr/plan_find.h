/* SPDX-License-Identifier: MIT */
/* The plan tests' lookup: the change named `what`, or the test fails. */
#ifndef RP_TEST_PLAN_FIND_H
#define RP_TEST_PLAN_FIND_H

#include <string.h>

#include "nicmgr/nicmgr.h"

static inline const struct rp_nic_change *plan_find(const struct rp_nic_plan *p, const char *what)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->c[i].what, what))
			return &p->c[i];
	fail_msg("no change '%s' in the plan", what);
	return NULL;
}

#endif
