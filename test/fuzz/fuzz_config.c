/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the YAML config loader (rp_config_load_string), and
 * the normalized printer on whatever it accepts. Any input must end in a
 * config or a list of file:line:col errors, never a crash or a leak.
 * test/fuzz/run.sh runs it in a network namespace of its own: addresses
 * in the input go to getaddrinfo, which must not reach a real resolver.
 */
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

static FILE *sink(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg = { 0 };

	if (rp_config_load_string("fuzz.yaml", (const char *)data, size, &cfg, &errs) == 0) {
		if (sink())
			rp_config_print(sink(), &cfg);
	} else if (sink()) {
		rp_cfg_errors_print(sink(), &errs);
	}
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return 0;
}
