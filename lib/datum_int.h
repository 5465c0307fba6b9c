/* SPDX-License-Identifier: MIT */
/*
 * The inside of a compiled datum program, shared by its compiler (lib/datum.c) and the
 * validator that runs it (lib/datum_check.c) only. A program is an array of nodes, one per
 * type; records and unions list their children in a second array. Named types are nodes too,
 * so a recursive type is a node that reaches itself.
 */
#ifndef XRELAY_LIB_DATUM_INT_H
#define XRELAY_LIB_DATUM_INT_H

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
};

#endif /* XRELAY_LIB_DATUM_INT_H */
