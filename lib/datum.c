// SPDX-License-Identifier: MIT
/*
 * Avro schemas compiled into validators (xrelay/datum.h): JSON into the program of
 * lib/datum_int.h, every fault named by its path, and the names the decoder needs kept. The
 * validator that runs a program is lib/datum_check.c's, the decoder lib/datum_json.c's. Past
 * 500 lines: one recursive descent over the schema's grammar, better read in one place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_int.h"

static const char *const prim_names[NPRIM] = { "null",	"boolean", "int",   "long",
					       "float", "double",  "bytes", "string" };

/* Compiling: the program, the named types so far, where we are for the error. */
struct named {
	char *fullname;
	uint32_t node;
};

struct compiler {
	struct datum_prog *p;
	struct named names[DATUM_NODES_MAX];
	unsigned int nnames;
	char path[96];
	struct datum_error *err;
};

static int fail(struct compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct compiler *c, const char *fmt, ...)
{
	va_list ap;

	snprintf(c->err->path, sizeof(c->err->path), "%s", c->path);
	va_start(ap, fmt);
	vsnprintf(c->err->detail, sizeof(c->err->detail), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Append a path step; returns the old length to restore. */
static size_t path_push(struct compiler *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_push(struct compiler *c, const char *fmt, ...)
{
	size_t old = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

/* Keep @s in the program's names: its offset in *@ret. */
static int text_add(struct compiler *c, const char *s, uint32_t *ret)
{
	struct datum_prog *p = c->p;
	size_t n = strlen(s) + 1;
	char *nt;

	if (p->text_len + n > p->text_cap) {
		uint32_t cap = p->text_cap ? p->text_cap : 1024;

		while (cap < p->text_len + n)
			cap *= 2;
		nt = realloc(p->text, cap);
		if (!nt)
			return -ENOMEM;
		p->text = nt;
		p->text_cap = cap;
	}
	memcpy(p->text + p->text_len, s, n);
	*ret = p->text_len;
	p->text_len += (uint32_t)n;
	return 0;
}

/* Keep an enum's symbol @s (the next of p->sym). */
static int sym_add(struct compiler *c, const char *s)
{
	struct datum_prog *p = c->p;
	uint32_t *ns;

	if (p->nsym == p->sym_cap) {
		ns = realloc(p->sym, (p->sym_cap ? 2 * p->sym_cap : 64) * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		p->sym = ns;
		p->sym_cap = p->sym_cap ? 2 * p->sym_cap : 64;
	}
	return text_add(c, s, &p->sym[p->nsym++]);
}

static int node_new(struct compiler *c, enum kind k, uint32_t *ret)
{
	if (c->p->nnodes >= DATUM_NODES_MAX)
		return fail(c, "the schema has more than %d types", DATUM_NODES_MAX);
	*ret = c->p->nnodes++;
	c->p->node[*ret] = (struct dnode){ .kind = (uint8_t)k };
	return 0;
}

/* Room for @n children (a record's fields, a union's branches) in kids[]. */
static int kids_take(struct compiler *c, size_t n, uint32_t *ret_first)
{
	if (c->p->nkids + n > DATUM_NODES_MAX)
		return fail(c, "the schema has more than %d union branches and fields",
			    DATUM_NODES_MAX);
	*ret_first = c->p->nkids;
	c->p->nkids += (uint32_t)n;
	return 0;
}

/* An Avro name: [A-Za-z_][A-Za-z0-9_]*, or dotted ones when @dotted. */
static bool name_ok(const char *s, bool dotted)
{
	bool start = true;

	if (!*s)
		return false;
	for (; *s; s++) {
		char ch = *s;

		if (ch == '.' && dotted && !start && s[1]) {
			start = true;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
		      (!start && ch >= '0' && ch <= '9')))
			return false;
		start = false;
	}
	return true;
}

static int fullname_of(struct compiler *c, const char *name, const char *ns, char *out, size_t len)
{
	int n;

	if (strchr(name, '.') || !ns || !*ns)
		n = snprintf(out, len, "%s", name);
	else
		n = snprintf(out, len, "%s.%s", ns, name);
	if (n < 0 || (size_t)n >= len)
		return fail(c, "the name \"%.40s...\" is too long", name);
	return 0;
}

static int prim_of(const char *s)
{
	int i;

	for (i = 0; i < NPRIM; i++)
		if (!strcmp(s, prim_names[i]))
			return i;
	return -1;
}

static const struct named *name_find(const struct compiler *c, const char *full)
{
	unsigned int i;

	for (i = 0; i < c->nnames; i++)
		if (!strcmp(c->names[i].fullname, full))
			return &c->names[i];
	return NULL;
}

/* Define a named type: its name (and namespace) checked, registered before its body. */
static int name_define(struct compiler *c, const json_t *s, const char *ns, enum kind k,
		       char *ret_ns, size_t nslen, uint32_t *ret)
{
	const json_t *jn = json_object_get(s, "name"), *jns = json_object_get(s, "namespace");
	char full[256];
	const char *dot;
	size_t old;
	int r;

	if (!json_is_string(jn)) {
		old = path_push(c, "%sname", c->path[0] ? "." : "");
		r = fail(c, "a named type needs a \"name\" string");
		c->path[old] = '\0';
		return r;
	}
	if (jns && !json_is_null(jns) && !json_is_string(jns)) {
		old = path_push(c, "%snamespace", c->path[0] ? "." : "");
		r = fail(c, "\"namespace\" must be a string");
		c->path[old] = '\0';
		return r;
	}
	if (json_is_string(jns))
		ns = json_string_value(jns);
	if (!name_ok(json_string_value(jn), true) || (ns && *ns && !name_ok(ns, true))) {
		old = path_push(c, "%sname", c->path[0] ? "." : "");
		r = fail(c, "\"%.60s\" is not an Avro name ([A-Za-z_][A-Za-z0-9_]*, dotted)",
			 json_string_value(jn));
		c->path[old] = '\0';
		return r;
	}
	r = fullname_of(c, json_string_value(jn), ns, full, sizeof(full));
	if (r)
		return r;
	if (prim_of(full) >= 0 || name_find(c, full))
		return fail(c, "the name \"%.60s\" is already defined", full);
	r = node_new(c, k, ret);
	if (!r)
		r = text_add(c, full, &c->p->name[*ret]);
	if (r)
		return r;
	c->names[c->nnames].fullname = strdup(full);
	if (!c->names[c->nnames].fullname)
		return -ENOMEM;
	c->names[c->nnames++].node = *ret;
	/* The namespace of what is inside: the one of the full name. */
	dot = strrchr(full, '.');
	snprintf(ret_ns, nslen, "%.*s", dot ? (int)(dot - full) : 0, full);
	return 0;
}

static int compile(struct compiler *c, const json_t *s, const char *ns, unsigned int depth,
		   uint32_t *ret);

/* Compile @s at path step @step (printf-style), then restore the path. */
static int compile_at(struct compiler *c, const json_t *s, const char *ns, unsigned int depth,
		      uint32_t *ret, const char *step)
{
	size_t old = path_push(c, "%s", step);
	int r = compile(c, s, ns, depth, ret);

	if (!r)
		c->path[old] = '\0';
	return r;
}

static int compile_name(struct compiler *c, const char *s, const char *ns, uint32_t *ret)
{
	char full[256];
	const struct named *nd;
	int prim = prim_of(s), r;

	if (prim >= 0) {
		*ret = (uint32_t)prim;
		return 0;
	}
	if (!name_ok(s, true))
		return fail(c, "\"%.60s\" is neither a type nor a type name", s);
	r = fullname_of(c, s, ns, full, sizeof(full));
	if (r)
		return r;
	nd = name_find(c, full);
	if (!nd)
		return fail(c,
			    "unknown type \"%.60s\" (a named type must be defined before its use)",
			    full);
	*ret = nd->node;
	return 0;
}

static int compile_union(struct compiler *c, const json_t *s, const char *ns, unsigned int depth,
			 uint32_t *ret)
{
	size_t i, j, n = json_array_size(s);
	uint32_t me = 0, first = 0, b;
	char step[24];
	int r;

	if (!n)
		return fail(c, "a union needs at least one branch");
	r = node_new(c, K_UNION, &me);
	if (!r)
		r = kids_take(c, n, &first);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		const json_t *bs = json_array_get(s, i);

		snprintf(step, sizeof(step), "[%zu]", i);
		if (json_is_array(bs)) {
			path_push(c, "%s", step);
			return fail(c, "a union may not hold a union directly");
		}
		r = compile_at(c, bs, ns, depth + 1, &b, step);
		if (r)
			return r;
		c->p->kids[first + i] = b;
		for (j = 0; j < i; j++) {
			uint32_t o = c->p->kids[first + j];
			enum kind k = c->p->node[b].kind;
			bool named = k == K_RECORD || k == K_ENUM || k == K_FIXED;

			if (o == b || (!named && c->p->node[o].kind == k)) {
				path_push(c, "%s", step);
				return fail(c,
					    "a union may hold each type once (branch %zu is "
					    "the same as %zu)",
					    i, j);
			}
		}
	}
	c->p->node[me].a = first;
	c->p->node[me].n = (uint32_t)n;
	*ret = me;
	return 0;
}

static int compile_record(struct compiler *c, const json_t *s, const char *ns, unsigned int depth,
			  uint32_t *ret)
{
	const json_t *fields = json_object_get(s, "fields");
	char inner[256], step[40];
	size_t i, j, n;
	uint32_t me = 0, first = 0, f;
	int r;

	r = name_define(c, s, ns, K_RECORD, inner, sizeof(inner), &me);
	if (r)
		return r;
	if (!json_is_array(fields)) {
		path_push(c, "%sfields", c->path[0] ? "." : "");
		return fail(c, "a record needs a \"fields\" array");
	}
	n = json_array_size(fields);
	r = kids_take(c, n, &first);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		const json_t *fd = json_array_get(fields, i), *fn = json_object_get(fd, "name");

		snprintf(step, sizeof(step), "%sfields[%zu]", c->path[0] ? "." : "", i);
		if (!json_is_object(fd) || !json_is_string(fn) ||
		    !name_ok(json_string_value(fn), false)) {
			path_push(c, "%s%s", step, json_is_object(fd) ? ".name" : "");
			return fail(c,
				    "a field is an object with a \"name\" ([A-Za-z_][A-Za-z0-9_]*) "
				    "and a \"type\"");
		}
		for (j = 0; j < i; j++)
			if (!strcmp(json_string_value(fn),
				    json_string_value(
					    json_object_get(json_array_get(fields, j), "name")))) {
				path_push(c, "%s.name", step);
				return fail(c, "the field name \"%s\" is used twice",
					    json_string_value(fn));
			}
		if (!json_object_get(fd, "type")) {
			path_push(c, "%s.type", step);
			return fail(c, "a field needs a \"type\"");
		}
		strcat(step, ".type");
		r = compile_at(c, json_object_get(fd, "type"), inner, depth + 1, &f, step);
		if (!r)
			r = text_add(c, json_string_value(fn), &c->p->kid_name[first + i]);
		if (r)
			return r;
		c->p->kids[first + i] = f;
	}
	c->p->node[me].a = first;
	c->p->node[me].n = (uint32_t)n;
	*ret = me;
	return 0;
}

static int compile_enum(struct compiler *c, const json_t *s, const char *ns, uint32_t *ret)
{
	const json_t *syms = json_object_get(s, "symbols");
	char inner[256];
	size_t i, j, n;
	uint32_t me = 0;
	int r;

	r = name_define(c, s, ns, K_ENUM, inner, sizeof(inner), &me);
	if (r)
		return r;
	n = json_array_size(syms);
	if (!json_is_array(syms) || !n) {
		path_push(c, "%ssymbols", c->path[0] ? "." : "");
		return fail(c, "an enum needs a non-empty \"symbols\" array");
	}
	c->p->node[me].a = c->p->nsym;
	for (i = 0; i < n; i++) {
		const json_t *y = json_array_get(syms, i);

		if (!json_is_string(y) || !name_ok(json_string_value(y), false)) {
			path_push(c, "%ssymbols[%zu]", c->path[0] ? "." : "", i);
			return fail(c, "a symbol is a name ([A-Za-z_][A-Za-z0-9_]*)");
		}
		for (j = 0; j < i; j++)
			if (json_equal(y, json_array_get(syms, j))) {
				path_push(c, "%ssymbols[%zu]", c->path[0] ? "." : "", i);
				return fail(c, "the symbol \"%s\" is listed twice",
					    json_string_value(y));
			}
		r = sym_add(c, json_string_value(y));
		if (r)
			return r;
	}
	c->p->node[me].n = (uint32_t)n;
	*ret = me;
	return 0;
}

static int compile_fixed(struct compiler *c, const json_t *s, const char *ns, uint32_t *ret)
{
	const json_t *size = json_object_get(s, "size");
	char inner[256];
	uint32_t me = 0;
	int r;

	r = name_define(c, s, ns, K_FIXED, inner, sizeof(inner), &me);
	if (r)
		return r;
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    json_integer_value(size) > DATUM_FIXED_MAX) {
		path_push(c, "%ssize", c->path[0] ? "." : "");
		return fail(c, "a fixed needs a \"size\" from 0 to %d", DATUM_FIXED_MAX);
	}
	c->p->node[me].n = (uint32_t)json_integer_value(size);
	*ret = me;
	return 0;
}

static int compile_object(struct compiler *c, const json_t *s, const char *ns, unsigned int depth,
			  uint32_t *ret)
{
	const json_t *type = json_object_get(s, "type");
	const char *t;
	uint32_t me = 0, item = 0;
	const char *sub;
	int r;

	if (!json_is_string(type)) {
		path_push(c, "%stype", c->path[0] ? "." : "");
		return fail(c, "a type object needs a \"type\" string");
	}
	t = json_string_value(type);
	if (!strcmp(t, "record") || !strcmp(t, "error"))
		return compile_record(c, s, ns, depth, ret);
	if (!strcmp(t, "enum"))
		return compile_enum(c, s, ns, ret);
	if (!strcmp(t, "fixed"))
		return compile_fixed(c, s, ns, ret);
	if (!strcmp(t, "array") || !strcmp(t, "map")) {
		sub = t[0] == 'a' ? "items" : "values";
		if (!json_object_get(s, sub)) {
			path_push(c, "%s%s", c->path[0] ? "." : "", sub);
			return fail(c, "an %s needs \"%s\"", t, sub);
		}
		r = node_new(c, t[0] == 'a' ? K_ARRAY : K_MAP, &me);
		if (r)
			return r;
		r = compile_at(c, json_object_get(s, sub), ns, depth + 1, &item,
			       t[0] == 'a' ? (c->path[0] ? ".items" : "items")
					   : (c->path[0] ? ".values" : "values"));
		if (r)
			return r;
		c->p->node[me].a = item;
		*ret = me;
		return 0;
	}
	/* A primitive with attributes (a logical type, say), or a reference to a named type. */
	r = compile_name(c, t, ns, ret);
	if (r) {
		char detail[sizeof(c->err->detail)];

		memcpy(detail, c->err->detail, sizeof(detail));
		path_push(c, "%stype", c->path[0] ? "." : "");
		return fail(c, "%s", detail);
	}
	return 0;
}

static int compile(struct compiler *c, const json_t *s, const char *ns, unsigned int depth,
		   uint32_t *ret)
{
	if (depth > DATUM_DEPTH_MAX)
		return fail(c, "the schema nests deeper than %d types", DATUM_DEPTH_MAX);
	if (json_is_string(s))
		return compile_name(c, json_string_value(s), ns, ret);
	if (json_is_array(s))
		return compile_union(c, s, ns, depth, ret);
	if (json_is_object(s))
		return compile_object(c, s, ns, depth, ret);
	return fail(c, "a type is a name, an object or a union (array)");
}

/* Which types may take no bytes: the greatest fixed point, from "all may". */
static void mark_empty(struct datum_prog *p)
{
	bool changed = true;
	uint32_t i, k;

	for (i = 0; i < p->nnodes; i++)
		p->node[i].may_empty = p->node[i].kind == K_NULL || p->node[i].kind == K_RECORD ||
				       (p->node[i].kind == K_FIXED && !p->node[i].n);
	while (changed) {
		changed = false;
		for (i = 0; i < p->nnodes; i++) {
			struct dnode *d = &p->node[i];

			if (d->kind != K_RECORD || !d->may_empty)
				continue;
			for (k = 0; k < d->n; k++)
				if (!p->node[p->kids[d->a + k]].may_empty) {
					d->may_empty = 0;
					changed = true;
					break;
				}
		}
	}
}

int datum_compile(const json_t *schema, struct datum_prog **ret, struct datum_error *err)
{
	struct compiler *c = calloc(1, sizeof(*c));
	unsigned int i;
	uint32_t root;
	int r;

	if (!c)
		return -ENOMEM;
	c->err = err;
	memset(err, 0, sizeof(*err));
	c->p = calloc(1, sizeof(*c->p));
	if (!c->p) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < NPRIM; i++)
		c->p->node[c->p->nnodes++] = (struct dnode){ .kind = (uint8_t)i };
	r = compile(c, schema, NULL, 0, &root);
	if (r)
		goto out;
	c->p->root = root;
	mark_empty(c->p);
	*ret = c->p;
	c->p = NULL;
out:
	for (i = 0; i < c->nnames; i++)
		free(c->names[i].fullname);
	datum_free(c->p);
	free(c);
	return r;
}

int datum_compile_text(const char *json, size_t len, struct datum_prog **ret,
		       struct datum_error *err)
{
	json_error_t jerr;
	json_t *s = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	int r;

	if (!s) {
		memset(err, 0, sizeof(*err));
		snprintf(err->detail, sizeof(err->detail), "not JSON: %s", jerr.text);
		return -EINVAL;
	}
	r = datum_compile(s, ret, err);
	json_decref(s);
	return r;
}

void datum_free(struct datum_prog *p)
{
	if (!p)
		return;
	free(p->sym);
	free(p->text);
	free(p);
}

const char *datum_name(const struct datum_prog *p)
{
	const struct dnode *d = &p->node[p->root];

	if (d->kind == K_RECORD || d->kind == K_ENUM || d->kind == K_FIXED)
		return p->text + p->name[p->root];
	if (d->kind < NPRIM)
		return prim_names[d->kind];
	return d->kind == K_ARRAY ? "array" : d->kind == K_MAP ? "map" : "union";
}
