// SPDX-License-Identifier: MIT
/* The oldest files of a scan in bounded memory; see oldest.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oldest.h"

int oldest_init(struct oldest *o)
{
	o->n = 0;
	o->f = malloc(sizeof(*o->f) * OLDEST_MAX);
	return o->f ? 0 : -ENOMEM;
}

void oldest_fini(struct oldest *o)
{
	free(o->f);
	o->f = NULL;
	o->n = 0;
}

static bool newer(const struct oldest_file *a, const struct oldest_file *b)
{
	if (a->mtime_ns != b->mtime_ns)
		return a->mtime_ns > b->mtime_ns;
	return strcmp(a->name, b->name) > 0;
}

static void swap(struct oldest *o, unsigned int i, unsigned int j)
{
	struct oldest_file t = o->f[i];

	o->f[i] = o->f[j];
	o->f[j] = t;
}

void oldest_push(struct oldest *o, const struct oldest_file *f)
{
	unsigned int i, k;

	if (o->n == OLDEST_MAX) {
		if (!newer(&o->f[0], f))
			return;
		/* Replace the newest kept, then sift it down. */
		o->f[0] = *f;
		for (i = 0;; i = k) {
			unsigned int l = 2 * i + 1, r = l + 1;

			k = i;
			if (l < o->n && newer(&o->f[l], &o->f[k]))
				k = l;
			if (r < o->n && newer(&o->f[r], &o->f[k]))
				k = r;
			if (k == i)
				break;
			swap(o, i, k);
		}
		return;
	}
	o->f[o->n] = *f;
	for (i = o->n++; i && newer(&o->f[i], &o->f[(i - 1) / 2]); i = (i - 1) / 2)
		swap(o, i, (i - 1) / 2);
}

static int cmp(const void *a, const void *b)
{
	return newer(a, b) ? 1 : newer(b, a) ? -1 : 0;
}

void oldest_sort(struct oldest *o)
{
	qsort(o->f, o->n, sizeof(*o->f), cmp);
}
