// SPDX-License-Identifier: MIT
/*
 * The datum validator (datum_check in xrelay/datum.h): a compiled program (lib/datum_int.h)
 * run over one datagram's bytes, no allocation, nesting bounded. Compiling is lib/datum.c's.
 */
#include <errno.h>
#include <stdbool.h>

#include "datum_int.h"

static int skip(struct datum_cur *r, uint64_t n)
{
	if (n > (uint64_t)(r->end - r->p))
		return datum_bad(r, XRELAY_REJECT_TRUNCATED);
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

static int check(const struct datum_prog *p, uint32_t n, struct datum_cur *r, unsigned int depth);

static int check_blocks(const struct datum_prog *p, const struct dnode *d, struct datum_cur *r,
			unsigned int depth)
{
	const struct dnode *item = &p->node[d->a];
	int64_t count, size;
	const uint8_t *start;
	int ret;

	for (;;) {
		ret = datum_varint(r, 10, &count);
		if (ret)
			return ret;
		if (!count)
			return 0;
		size = -1;
		if (count < 0) {
			if (count == INT64_MIN)
				return datum_bad(r, XRELAY_REJECT_BAD_LENGTH);
			count = -count;
			ret = datum_varint(r, 10, &size);
			if (ret)
				return ret;
			if (size < 0)
				return datum_bad(r, XRELAY_REJECT_BAD_LENGTH);
		}
		start = r->p;
		/* Each item takes a byte at least, or it is paid from the budget of empty ones. */
		if (d->kind == K_MAP || !item->may_empty) {
			if ((uint64_t)count > (uint64_t)(r->end - r->p))
				return datum_bad(r, XRELAY_REJECT_BAD_LENGTH);
		} else {
			if ((uint64_t)count > r->empty_left)
				return datum_bad(r, XRELAY_REJECT_BAD_LENGTH);
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
			return datum_bad(r, XRELAY_REJECT_BAD_LENGTH);
	}
}

static int check(const struct datum_prog *p, uint32_t n, struct datum_cur *r, unsigned int depth)
{
	const struct dnode *d = &p->node[n];
	int64_t v;
	uint32_t i;
	int ret;

	if (depth > DATUM_DEPTH_MAX)
		return datum_bad(r, XRELAY_REJECT_TOO_DEEP);
	switch ((enum kind)d->kind) {
	case K_NULL:
		return 0;
	case K_BOOLEAN:
		if (r->p == r->end)
			return datum_bad(r, XRELAY_REJECT_TRUNCATED);
		if (*r->p > 1)
			return datum_bad(r, XRELAY_REJECT_BAD_VALUE);
		r->p++;
		return 0;
	case K_INT:
		return datum_varint(r, 5, &v);
	case K_LONG:
		return datum_varint(r, 10, &v);
	case K_FLOAT:
		return skip(r, 4);
	case K_DOUBLE:
		return skip(r, 8);
	case K_BYTES:
	case K_STRING:
		ret = datum_varint(r, 10, &v);
		if (ret)
			return ret;
		if (v < 0)
			return datum_bad(r, XRELAY_REJECT_BAD_LENGTH);
		if ((uint64_t)v > (uint64_t)(r->end - r->p))
			return datum_bad(r, XRELAY_REJECT_TRUNCATED);
		if (d->kind == K_STRING && !utf8_ok(r->p, (size_t)v))
			return datum_bad(r, XRELAY_REJECT_BAD_VALUE);
		r->p += v;
		return 0;
	case K_FIXED:
		return skip(r, d->n);
	case K_ENUM:
		ret = datum_varint(r, 5, &v);
		if (!ret && (v < 0 || v >= d->n))
			return datum_bad(r, XRELAY_REJECT_BAD_ENUM);
		return ret;
	case K_UNION:
		ret = datum_varint(r, 10, &v);
		if (ret)
			return ret;
		if (v < 0 || v >= d->n)
			return datum_bad(r, XRELAY_REJECT_BAD_UNION);
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
	return datum_bad(r, XRELAY_REJECT_BAD_VALUE);
}

int datum_check_one(const struct datum_prog *p, const uint8_t *buf, size_t len, size_t *ret_len,
		    unsigned int *ret_why)
{
	struct datum_cur r = { .p = buf, .end = buf + len, .empty_left = DATUM_EMPTY_ITEMS_MAX };
	int ret = check(p, p->root, &r, 0);

	if (ret)
		*ret_why = r.why;
	else
		*ret_len = (size_t)(r.p - buf);
	return ret;
}

int datum_check(const struct datum_prog *p, const uint8_t *buf, size_t len, unsigned int *ret_why)
{
	size_t used = 0;
	int ret = datum_check_one(p, buf, len, &used, ret_why);

	if (!ret && used != len) {
		*ret_why = XRELAY_REJECT_TRAILING;
		ret = -EBADMSG;
	}
	return ret;
}
