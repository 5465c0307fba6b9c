// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the datum validator (lib/datum.c): a schema, chosen from a table by the
 * first byte or (first byte 0xff) given as JSON text up to a NUL, compiled; the rest checked
 * as a datum, from a buffer of exactly its size so that ASan sees any read past it. It must
 * not crash, leak or read out of bounds, and must say why it refuses. Built with clang
 * -fsanitize=fuzzer,address,undefined (make fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdschema.h"
#include "xrelay/datum.h"
#include "xrelay/maps.h"

static const char *const schemas[] = {
	"\"null\"",
	"\"boolean\"",
	"\"int\"",
	"\"long\"",
	"\"double\"",
	"\"string\"",
	"{\"type\":\"array\",\"items\":\"null\"}",
	"{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"int\"}}",
	"[\"null\",\"string\",{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}]",
	"{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
	"{\"name\":\"n\",\"type\":[\"null\",\"L\"]}]}",
	"{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}",
	"{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}}",
	MD_SCHEMA,
};
#define NSCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

static struct datum_prog *progs[NSCHEMAS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct datum_prog *p, *own = NULL;
	struct datum_error de;
	unsigned int why = XRELAY_REJECT__MAX;
	const uint8_t *nul;
	uint8_t *datum;
	size_t n;

	if (!size)
		return 0;
	if (data[0] == 0xff) {
		nul = memchr(data + 1, 0, size - 1);
		if (!nul)
			return 0;
		if (datum_compile_text((const char *)data + 1, (size_t)(nul - data - 1), &own, &de))
			return 0;
		p = own;
		n = (size_t)(nul - data) + 1;
		data += n;
		size -= n;
	} else {
		n = data[0] % NSCHEMAS;
		if (!progs[n] && datum_compile_text(schemas[n], strlen(schemas[n]), &progs[n], &de))
			abort(); /* the table's schemas are valid */
		p = progs[n];
		data++;
		size--;
	}
	datum = malloc(size ? size : 1);
	if (!datum)
		abort();
	memcpy(datum, data, size);
	if (datum_check(p, datum, size, &why) && why >= XRELAY_REJECT__MAX)
		abort(); /* a refusal always has its reason */
	free(datum);
	datum_free(own);
	return 0;
}
