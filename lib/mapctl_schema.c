// SPDX-License-Identifier: MIT
/*
 * Datum channels' schemas in the pinned schemas map (xrelay/maps.h): written by editors before
 * the channel's config, read by the API and the dataplane, deleted with the id's release. The
 * channel's life cycle around them is lib/mapctl_channel.c's. No logging.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "mapctl_int.h"

int mapctl_schema_put(struct mapctl *m, __u32 id, __u64 created_ns, const char *json, size_t len)
{
	struct xrelay_schema *s;
	int r = 0;

	if (len > XRELAY_SCHEMA_MAX)
		return -EMSGSIZE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->created_ns = created_ns;
	s->len = (__u32)len;
	memcpy(s->json, json, len);
	if (bpf_map_update_elem(m->fds[XRELAY_MAP_SCHEMAS], &id, s, BPF_ANY))
		r = -errno;
	free(s);
	return r;
}

void mapctl_schema_delete(struct mapctl *m, __u32 id)
{
	(void)bpf_map_delete_elem(m->fds[XRELAY_MAP_SCHEMAS], &id);
}

int mapctl_schema_get(struct mapctl *m, __u32 id, __u64 created_ns, char *buf, size_t buflen)
{
	struct xrelay_schema *s = malloc(sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fds[XRELAY_MAP_SCHEMAS], &id, s))
		r = -errno;
	else if (s->created_ns != created_ns)
		r = -ESTALE;
	else if (s->len > XRELAY_SCHEMA_MAX || s->len > buflen)
		r = -ENOSPC;
	else {
		memcpy(buf, s->json, s->len);
		r = (int)s->len;
	}
	free(s);
	return r;
}
