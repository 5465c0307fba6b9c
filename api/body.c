// SPDX-License-Identifier: MIT
/*
 * Request bodies before any resource looks at them (api/body.h): the JSON object loaded with
 * its depth bounded and duplicate keys refused by path, unknown members refused, and the
 * sentences of a 400 or 422 (what a value is, a user's string made fit to quote). Pure: no
 * I/O, no maps, no logging, no mutable globals.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "xrelay/errmsg.h"

int body_fail(struct api_error *err, int status, const char *field, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	errmsg_vset(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

const char *body_echo(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

const char *body_describe(const json_t *v, char *buf, size_t size)
{
	char s[40];

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		return "a number with a fraction or exponent";
	case JSON_STRING:
		snprintf(buf, size, "a string (\"%s\")",
			 body_echo(s, sizeof(s), json_string_value(v), json_string_length(v)));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	}
	return "an unknown value";
}

const char *body_describe_char(char c, char *buf, size_t size)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", u);
	return buf;
}

/*
 * Append member @key to the field path @path ("destinations/2/port"): '/' between, the key
 * escaped as a JSON pointer token (~ -> ~0, / -> ~1) and anything not printable ASCII as '?'.
 */
static void path_key(char *path, size_t size, const char *key)
{
	size_t n = strlen(path);

	if (n && n + 1 < size)
		path[n++] = '/';
	for (; *key && n + 2 < size; key++) {
		unsigned char c = (unsigned char)*key;

		if (c == '~' || c == '/') {
			path[n++] = '~';
			path[n++] = c == '~' ? '0' : '1';
		} else {
			path[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	path[n] = '\0';
}

static void path_index(char *path, size_t size, size_t index)
{
	size_t n = strlen(path);

	snprintf(path + n, size - n, "%s%zu", n ? "/" : "", index);
}

static bool key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcmp(key, *allowed))
			return true;
	return false;
}

int body_check_fields(const json_t *obj, const char *const *allowed, const char *prefix,
		      const char *accepts, struct api_error *err)
{
	char path[sizeof(err->field)], shown[48];
	const char *key;
	void *it;

	/* jansson's iterator API takes a non-const object; it does not change it. */
	for (it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it)) {
		key = json_object_iter_key(it);
		if (key_allowed(key, allowed))
			continue;
		snprintf(path, sizeof(path), "%s", prefix);
		path_key(path, sizeof(path), key);
		return body_fail(err, 400, path, "unknown member \"%s\"%s%s; accepted: %s.",
				 body_echo(shown, sizeof(shown), key, strlen(key)),
				 *prefix ? " in " : "", prefix, accepts);
	}
	return 0;
}

/* Whether [ and { nest deeper than API_MAX_DEPTH, not counting those inside strings. */
static bool too_deep(const char *s, size_t len)
{
	bool in_string = false;
	unsigned int depth = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++; /* the escaped character cannot end the string */
			else if (s[i] == '"')
				in_string = false;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > API_MAX_DEPTH)
				return true;
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			break;
		}
	}
	return false;
}

/*
 * The field path of the member jansson found given twice, into @path. jansson stops right
 * after the second key, so the text before @end is valid JSON cut short, and one walk over it
 * knows every enclosing member and array index. Keys are decoded by jansson itself.
 */
static void dup_path(const char *s, size_t end, char *path, size_t size)
{
	struct {
		bool object;
		size_t index, key, key_len;
	} fr[API_MAX_DEPTH];
	bool want_key = false;
	size_t i, start, d, depth = 0;
	json_t *key;

	path[0] = '\0';
	for (i = 0; i < end; i++) {
		switch (s[i]) {
		case '"':
			for (start = i++; i < end && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (i >= end)
				break;
			if (depth && fr[depth - 1].object && want_key) {
				fr[depth - 1].key = start;
				fr[depth - 1].key_len = i + 1 - start;
				want_key = false;
			}
			break;
		case '{':
		case '[':
			if (depth == API_MAX_DEPTH) /* too_deep() has refused such a body */
				return;
			fr[depth].object = s[i] == '{';
			fr[depth].index = 0;
			fr[depth].key_len = 0;
			depth++;
			want_key = s[i] == '{';
			break;
		case '}':
		case ']':
			if (depth)
				depth--;
			want_key = false;
			break;
		case ',':
			if (depth && !fr[depth - 1].object)
				fr[depth - 1].index++;
			else
				want_key = true;
			break;
		}
	}
	for (d = 0; d < depth; d++) {
		if (!fr[d].object) {
			path_index(path, size, fr[d].index);
			continue;
		}
		key = json_loadb(s + fr[d].key, fr[d].key_len, JSON_DECODE_ANY, NULL);
		path_key(path, size, json_is_string(key) ? json_string_value(key) : "?");
		json_decref(key);
	}
}

json_t *body_load(const char *body, size_t len, struct api_error *err)
{
	char what[64], text[JSON_ERROR_TEXT_LENGTH], path[sizeof(err->field)] = "";
	json_error_t jerr;
	json_t *root;

	if (!body || !len) {
		body_fail(err, 400, "", "the body is empty; send a JSON object.");
		return NULL;
	}
	if (too_deep(body, len)) {
		body_fail(err, 400, "", "the body nests [ and { deeper than %d levels.",
			  API_MAX_DEPTH);
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		body_echo(text, sizeof(text), jerr.text, strnlen(jerr.text, sizeof(jerr.text)));
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			body_fail(err, 500, "", "out of memory while reading the body.");
		} else if (json_error_code(&jerr) == json_error_duplicate_key) {
			if (jerr.position > 0 && (size_t)jerr.position <= len)
				dup_path(body, (size_t)jerr.position, path, sizeof(path));
			body_fail(err, 400, path,
				  "member \"%s\" is given twice; send each member once.", path);
		} else {
			body_fail(err, 400, "",
				  "the body is not valid JSON: %s (line %d, column %d).", text,
				  jerr.line, jerr.column);
		}
		return NULL;
	}
	if (!json_is_object(root)) {
		body_fail(err, 400, "", "the body must be a JSON object, got %s.",
			  body_describe(root, what, sizeof(what)));
		json_decref(root);
		return NULL;
	}
	return root;
}
