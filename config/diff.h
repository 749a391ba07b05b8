/* SPDX-License-Identifier: MIT */
/*
 * What differs between two loaded configs, key by key, driven by the
 * schema table (the same walk the printer does), so a key added to the
 * schema is compared without anyone listing it here. `ringplane run`
 * uses it on reload to tell the changes it can apply live from those it
 * cannot (dataplane/reload.c).
 */
#ifndef RP_CONFIG_DIFF_H
#define RP_CONFIG_DIFF_H

#include "config/config.h"

#define RP_DIFF_PATH  160
#define RP_DIFF_VALUE 160

/* One difference: path names the key ("workers.count",
 * "services[web].listen", "services" for a list whose length differs);
 * was/now are the values as the printer writes them (lists: their entry
 * names or count); at is where `now` is in the new file (the key's own
 * mark, else its section's, else its list owner's). */
struct rp_cfg_change {
	char path[RP_DIFF_PATH];
	char was[RP_DIFF_VALUE], now[RP_DIFF_VALUE];
	struct rp_mark at;
};

/* fn returns false to stop the walk. skip: paths not to descend into
 * (compared by the caller), NULL-terminated, may be NULL; a path matches
 * "services[*].backends" style patterns where [*] is any entry. */
typedef bool (*rp_cfg_change_fn)(void *arg, const struct rp_cfg_change *c);
void rp_config_diff(const struct rp_config *was, const struct rp_config *now,
		    const char *const *skip, rp_cfg_change_fn fn, void *arg);

#endif
