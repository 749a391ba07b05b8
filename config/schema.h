/* SPDX-License-Identifier: MIT */
/*
 * The config schema: one table of rows, one row per YAML key. A row names
 * the key, its value type, range, default, doc string and where the value
 * lives (offsetof into the section's struct). Sections and lists point to
 * the table of their children. The loader (load.c), the printer (print.c)
 * and `ringplane check --reference` are all driven by these tables, so a new
 * section or key is new rows here and a field in config.h, nothing else.
 */
#ifndef RP_CONFIG_SCHEMA_H
#define RP_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

enum rp_vtype {
	RP_V_STRING,	/* char[N] */
	RP_V_INT,	/* long or unsigned, with range */
	RP_V_SIZE,	/* like INT, also accepts "4k", "2M", "1G" */
	RP_V_BOOL,	/* bool, or enum rp_tristate when the field is an int */
	RP_V_ENUM,	/* int: index into the row's names */
	RP_V_ADDR,	/* struct rp_addr: "host:port", "[v6]:port" */
	RP_V_CPUS,	/* struct rp_cpulist: "auto", [0,1], "0-3,6" */
	RP_V_FEATURES,	/* map name -> bool: struct rp_feature_cfg * + count */
	RP_V_U32LIST,	/* unsigned[N] + count */
	RP_V_SECTION,	/* nested struct, keys in ->child */
	RP_V_LIST,	/* array of structs (pointer + count), keys in ->child */
	RP_V__COUNT,
};

/* Row flags. */
enum {
	RP_K_REQUIRED = 1 << 0,	/* must be given (point at the map lacking it) */
	RP_K_POW2     = 1 << 1,	/* integer must be a power of two */
	RP_K_HAS_SET  = 1 << 2,	/* set_offset: a bool that says "was given" */
	RP_K_HAS_MARK = 1 << 3,	/* mark_offset: where the value's mark goes */
	RP_K_AUTO     = 1 << 4,	/* integer: "auto" spells unset (RP_UNSET) */
};

struct rp_section;

struct rp_key {
	const char *key;		/* YAML spelling, dashes */
	enum rp_vtype type;
	unsigned flags;
	long min, max;			/* INT, SIZE; CPUS/U32LIST: element range */
	const char *def;		/* default as YAML text; NULL: unset */
	const char *doc;
	size_t offset;			/* of the field in the section struct */
	size_t width;			/* sizeof the field (storage kind) */
	size_t count_offset;		/* FEATURES, U32LIST, LIST: the count */
	size_t set_offset;		/* RP_K_HAS_SET */
	size_t mark_offset;		/* RP_K_HAS_MARK */
	const char *const *names;	/* ENUM: allowed names, NULL-terminated */
	const struct rp_section *child;	/* SECTION, LIST */
};

/*
 * A map of keys. A section may have variants: the value of one enum key
 * (services[].type) selects an extra key table (that type's own keys).
 */
struct rp_section {
	const char *name;		/* for messages: "workers", "services entry" */
	const struct rp_key *keys;
	unsigned n_keys;
	size_t size;			/* of the struct (list elements) */
	bool has_mark;
	size_t mark_offset;		/* its struct rp_mark */
	const char *variant_key;	/* NULL: no variants */
	const struct rp_section *const *variants; /* by the variant key's value */
};

/* The top of the file. */
extern const struct rp_section rp_schema_root;

/* One row per enum rp_svc_type. */
struct rp_svc_type_info {
	int socktype;			/* SOCK_DGRAM / SOCK_STREAM */
};
extern const char *const rp_svc_type_names[RP_SVC__COUNT + 1];
extern const struct rp_svc_type_info rp_svc_types[RP_SVC__COUNT];

const struct rp_key *rp_section_find(const struct rp_section *s, const char *key);

#endif
