/* SPDX-License-Identifier: MIT */
/*
 * Did-you-mean for unknown keys: the candidate with the smallest edit
 * distance (insert, delete, substitute, swap of neighbours), if small.
 */
#include <string.h>

#include "config/errors.h"

#define WORD_MAX 64

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;

	return m < c ? m : c;
}

/* Optimal string alignment distance; words longer than WORD_MAX are not
 * typos of any key, so they count as far away. */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[WORD_MAX + 1][WORD_MAX + 1];

	if (la > WORD_MAX || lb > WORD_MAX)
		return ~0u;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

void rp_suggest_init(struct rp_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_distance = ~0u;
}

void rp_suggest_offer(struct rp_suggest *s, const char *candidate)
{
	unsigned d = edit_distance(s->word, candidate);

	if (d < s->best_distance) {
		s->best = candidate;
		s->best_distance = d;
	}
}

/* Close enough: at most 2 edits, or a third of the word for long keys. */
const char *rp_suggest_result(const struct rp_suggest *s)
{
	size_t len = strlen(s->word);
	unsigned limit = len / 3 > 2 ? (unsigned)(len / 3) : 2;

	return s->best && s->best_distance <= limit ? s->best : NULL;
}
