/* SPDX-License-Identifier: MIT */
/*
 * The inside of a compiled datum program, shared by its compiler (lib/datum.c), the validator
 * that runs it (lib/datum_check.c) and the decoder to JSON (lib/datum_json.c) only. A program
 * is an array of nodes, one per type; records and unions list their children in a second
 * array. Named types are nodes too, so a recursive type is a node that reaches itself. The
 * names (types, fields, symbols) are kept apart, for the decoder.
 */
#ifndef XRELAY_LIB_DATUM_INT_H
#define XRELAY_LIB_DATUM_INT_H

#include <errno.h>
#include <stdint.h>

#include "xrelay/datum.h"
#include "xrelay/maps.h"

enum kind {
	K_NULL,
	K_BOOLEAN,
	K_INT,
	K_LONG,
	K_FLOAT,
	K_DOUBLE,
	K_BYTES,
	K_STRING,
	K_FIXED,
	K_ENUM,
	K_ARRAY,
	K_MAP,
	K_RECORD,
	K_UNION,
};

#define NPRIM (K_STRING + 1)

struct dnode {
	uint8_t kind;
	uint8_t may_empty; /* a value of it may take no bytes */
	uint16_t pad;
	uint32_t a; /* record, union: first child in kids[]; array, map: the item's node */
	uint32_t n; /* record, union: children; enum: symbols; fixed: size */
};

struct datum_prog {
	uint32_t root;
	uint32_t nnodes;
	uint32_t nkids;
	struct dnode node[DATUM_NODES_MAX];
	uint32_t kids[DATUM_NODES_MAX];
	/* Names, as offsets into text: */
	uint32_t name[DATUM_NODES_MAX];	    /* records, enums, fixed: the full name */
	uint32_t kid_name[DATUM_NODES_MAX]; /* a record's fields (kids[]): the field's name */
	uint32_t *sym;			    /* enum symbols; an enum's node.a is its first */
	uint32_t nsym, sym_cap;
	char *text; /* NUL-terminated names */
	uint32_t text_len, text_cap;
};

/* A cursor over a datum's bytes, the reason of its first fault, a budget of empty items. */
struct datum_cur {
	const uint8_t *p, *end;
	uint32_t empty_left;
	unsigned int why;
};

static inline int datum_bad(struct datum_cur *r, unsigned int why)
{
	r->why = why;
	return -EBADMSG;
}

/* A zigzag varint of at most @max bytes (5: int, 10: long). */
static inline int datum_varint(struct datum_cur *r, unsigned int max, int64_t *v)
{
	uint64_t u = 0;
	unsigned int i;

	for (i = 0; i < max; i++) {
		uint8_t b;

		if (r->p == r->end)
			return datum_bad(r, XRELAY_REJECT_TRUNCATED);
		b = *r->p++;
		/* The last byte may only hold the bits left: 4 of an int's 32, 1 of a long's 64. */
		if (i == max - 1 && (b & (max == 5 ? 0xf0 : 0xfe)))
			return datum_bad(r, XRELAY_REJECT_BAD_VARINT);
		u |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
			return 0;
		}
	}
	return datum_bad(r, XRELAY_REJECT_BAD_VARINT);
}

#endif /* XRELAY_LIB_DATUM_INT_H */
