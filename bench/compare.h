/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench compare A.json B.json`: two result files of one
 * benchmark (before/after a change, or two machines) side by side. Cases
 * are matched by variant and parameters; for each metric both have, the
 * ratio of medians B/A and its spread, from the repetitions' extremes
 * (B.min/A.max .. B.max/A.min): when the spread straddles 1, the two runs
 * do not tell the change from the noise.
 */
#ifndef RP_BENCH_COMPARE_H
#define RP_BENCH_COMPARE_H

#include <stdio.h>

/*
 * Print the comparison (a markdown table, then notes: run parameters that
 * differ, cases only one file has) on out. 0; or -1 with the reason on err:
 * a file missing or not JSON (with line:column), not a benchmark result,
 * results of two different benchmarks, or no case in common.
 */
int rp_bench_compare(FILE *out, FILE *err, const char *path_a, const char *path_b);

#endif
