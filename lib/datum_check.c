// SPDX-License-Identifier: MIT
/*
 * The datum validator (datum_check in xrelay/datum.h): a compiled program (lib/datum_int.h)
 * run over one datagram's bytes, no allocation, nesting bounded. Compiling is lib/datum.c's.
 */
#include <errno.h>
#include <stdbool.h>

#include "datum_int.h"

/* Checking: a cursor over the datum, the reason of the first fault, a budget of empty items. */
struct cur {
	const uint8_t *p, *end;
	uint32_t empty_left;
	unsigned int why;
};

static int bad(struct cur *r, unsigned int why)
{
	r->why = why;
	return -EBADMSG;
}

/* A zigzag varint of at most @max bytes (5: int, 10: long). */
static int get_varint(struct cur *r, unsigned int max, int64_t *v)
{
	uint64_t u = 0;
	unsigned int i;

	for (i = 0; i < max; i++) {
		uint8_t b;

		if (r->p == r->end)
			return bad(r, XRELAY_REJECT_TRUNCATED);
		b = *r->p++;
		/* The last byte may only hold the bits left: 4 of an int's 32, 1 of a long's 64. */
		if (i == max - 1 && (b & (max == 5 ? 0xf0 : 0xfe)))
			return bad(r, XRELAY_REJECT_BAD_VARINT);
		u |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
			return 0;
		}
	}
	return bad(r, XRELAY_REJECT_BAD_VARINT);
}

static int skip(struct cur *r, uint64_t n)
{
	if (n > (uint64_t)(r->end - r->p))
		return bad(r, XRELAY_REJECT_TRUNCATED);
	r->p += n;
	return 0;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), as Python decodes. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		unsigned int need, k;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += need + 1;
	}
	return true;
}

static int check(const struct datum_prog *p, uint32_t n, struct cur *r, unsigned int depth);

static int check_blocks(const struct datum_prog *p, const struct dnode *d, struct cur *r,
			unsigned int depth)
{
	const struct dnode *item = &p->node[d->a];
	int64_t count, size;
	const uint8_t *start;
	int ret;

	for (;;) {
		ret = get_varint(r, 10, &count);
		if (ret)
			return ret;
		if (!count)
			return 0;
		size = -1;
		if (count < 0) {
			if (count == INT64_MIN)
				return bad(r, XRELAY_REJECT_BAD_LENGTH);
			count = -count;
			ret = get_varint(r, 10, &size);
			if (ret)
				return ret;
			if (size < 0)
				return bad(r, XRELAY_REJECT_BAD_LENGTH);
		}
		start = r->p;
		/* Each item takes a byte at least, or it is paid from the budget of empty ones. */
		if (d->kind == K_MAP || !item->may_empty) {
			if ((uint64_t)count > (uint64_t)(r->end - r->p))
				return bad(r, XRELAY_REJECT_BAD_LENGTH);
		} else {
			if ((uint64_t)count > r->empty_left)
				return bad(r, XRELAY_REJECT_BAD_LENGTH);
			r->empty_left -= (uint32_t)count;
		}
		while (count--) {
			if (d->kind == K_MAP) {
				ret = check(p, K_STRING, r, depth + 1);
				if (ret)
					return ret;
			}
			ret = check(p, d->a, r, depth + 1);
			if (ret)
				return ret;
		}
		if (size >= 0 && r->p - start != size)
			return bad(r, XRELAY_REJECT_BAD_LENGTH);
	}
}

static int check(const struct datum_prog *p, uint32_t n, struct cur *r, unsigned int depth)
{
	const struct dnode *d = &p->node[n];
	int64_t v;
	uint32_t i;
	int ret;

	if (depth > DATUM_DEPTH_MAX)
		return bad(r, XRELAY_REJECT_TOO_DEEP);
	switch ((enum kind)d->kind) {
	case K_NULL:
		return 0;
	case K_BOOLEAN:
		if (r->p == r->end)
			return bad(r, XRELAY_REJECT_TRUNCATED);
		if (*r->p > 1)
			return bad(r, XRELAY_REJECT_BAD_VALUE);
		r->p++;
		return 0;
	case K_INT:
		return get_varint(r, 5, &v);
	case K_LONG:
		return get_varint(r, 10, &v);
	case K_FLOAT:
		return skip(r, 4);
	case K_DOUBLE:
		return skip(r, 8);
	case K_BYTES:
	case K_STRING:
		ret = get_varint(r, 10, &v);
		if (ret)
			return ret;
		if (v < 0)
			return bad(r, XRELAY_REJECT_BAD_LENGTH);
		if ((uint64_t)v > (uint64_t)(r->end - r->p))
			return bad(r, XRELAY_REJECT_TRUNCATED);
		if (d->kind == K_STRING && !utf8_ok(r->p, (size_t)v))
			return bad(r, XRELAY_REJECT_BAD_VALUE);
		r->p += v;
		return 0;
	case K_FIXED:
		return skip(r, d->n);
	case K_ENUM:
		ret = get_varint(r, 5, &v);
		if (!ret && (v < 0 || v >= d->n))
			return bad(r, XRELAY_REJECT_BAD_ENUM);
		return ret;
	case K_UNION:
		ret = get_varint(r, 10, &v);
		if (ret)
			return ret;
		if (v < 0 || v >= d->n)
			return bad(r, XRELAY_REJECT_BAD_UNION);
		return check(p, p->kids[d->a + (uint32_t)v], r, depth + 1);
	case K_RECORD:
		for (i = 0; i < d->n; i++) {
			ret = check(p, p->kids[d->a + i], r, depth + 1);
			if (ret)
				return ret;
		}
		return 0;
	case K_ARRAY:
	case K_MAP:
		return check_blocks(p, d, r, depth);
	}
	return bad(r, XRELAY_REJECT_BAD_VALUE);
}

int datum_check(const struct datum_prog *p, const uint8_t *buf, size_t len, unsigned int *ret_why)
{
	struct cur r = { .p = buf, .end = buf + len, .empty_left = DATUM_EMPTY_ITEMS_MAX };
	int ret = check(p, p->root, &r, 0);

	if (!ret && r.p != r.end)
		ret = bad(&r, XRELAY_REJECT_TRAILING);
	if (ret)
		*ret_why = r.why;
	return ret;
}
