/* SPDX-License-Identifier: MIT */
/*
 * One record as one line of JSON: the shard's channel and queue, then the fields of the
 * record's schema in order (envelope: seq, ts_ns, src_addr, src_port, dst_addr, dst_port,
 * payload), addresses as text, the payload in base64 or hex; a datum record as its schema's
 * JSON encoding (lib/datum_json.c). Program-side code (tools/).
 */
#ifndef XRELAY_TOOLS_JSONL_H
#define XRELAY_TOOLS_JSONL_H

#include <stdbool.h>
#include <stddef.h>

#include "recset.h"

/* Bytes jsonl_format needs at most for a record with a payload of @payload_len bytes. */
size_t jsonl_max(size_t payload_len);

/*
 * Write @rec as one JSON line (with its '\n') into @buf, which holds jsonl_max() bytes.
 * @hex: the payload in lowercase hex, else in base64 (RFC 4648, padded). Returns its length.
 */
size_t jsonl_format(const struct recset_rec *rec, bool hex, char *buf);

/*
 * Write the datum record @rec (rec->datum set) as one JSON line (with its '\n') into @out
 * (emptied first): its schema's JSON encoding, bytes and fixed values in hex if @hex, else
 * base64. Returns 0, -EBADMSG (not a datum of the schema) or -ENOMEM.
 */
int jsonl_datum(const struct recset_rec *rec, bool hex, struct datum_text *out);

#endif /* XRELAY_TOOLS_JSONL_H */
