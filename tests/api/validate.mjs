#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Checks recorded HTTP responses against an OpenAPI 3.1 document.
//
//   node validate.mjs openapi.yaml responses.jsonl
//
// Each JSONL line is one response:
//   {"method": "POST", "path": "/v1/channels?x=1", "status": 201,
//    "content_type": "application/json", "headers": {"location": "/v1/channels/a"},
//    "body": <parsed JSON | string for text bodies | null for an empty body>}
// ("headers" is optional; without it headers are not checked.)
//
// For each response: the operation is found by matching the path (query dropped) against the
// document's path templates (as is, without the servers' base path, and with or without a
// leading /v1); the response by exact status, then "4XX"-style ranges, then "default"; the
// content type must be one the response declares (parameters ignored); the body must be valid
// against that media type's schema (Ajv, JSON Schema draft 2020-12, $refs resolved inside the
// document); declared required headers must be present and match their schemas; a response
// the document gives no content must have an empty body. A 405 for a method the path does not
// list is checked against the path's documented 405 response (and a 405 for a method it lists
// fails). HEAD on a path with GET but no HEAD operation is checked as GET, with no body.
//
// Prints one line per failed response and then "N responses validated, N failed".
// Exit 0: all valid; 1: any failed (or nothing to validate); 2: usage, or the document or
// the packages could not be loaded.
//
// The packages (ajv, ajv-formats, yaml) are loaded from the first of: $XRELAY_NODE_DIR, the
// parents of $NODE_PATH's node_modules folders, $BUILD/node, <repo>/build/node (where
// tests/api/npm-setup.sh installs them), and the usual resolution from this file.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DOC_ID = 'urn:xrelay:openapi-document';

function die(msg) {
	process.stderr.write(`validate.mjs: ${msg}\n`);
	process.exit(2);
}

function loadPackages() {
	const repo = path.resolve(HERE, '..', '..');
	const dirs = [];
	if (process.env.XRELAY_NODE_DIR) dirs.push(path.resolve(process.env.XRELAY_NODE_DIR));
	for (const p of (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean))
		dirs.push(path.resolve(p, '..'));
	if (process.env.BUILD) dirs.push(path.resolve(repo, process.env.BUILD, 'node'));
	dirs.push(path.join(repo, 'build', 'node'));
	dirs.push(HERE);
	let lastErr;
	for (const dir of dirs) {
		const req = createRequire(path.join(dir, 'package.json'));
		try {
			const ajvMod = req('ajv/dist/2020');
			const formatsMod = req('ajv-formats');
			const yaml = req('yaml');
			return {
				Ajv2020: ajvMod.default ?? ajvMod.Ajv2020 ?? ajvMod,
				addFormats: formatsMod.default ?? formatsMod,
				yaml,
			};
		} catch (e) {
			lastErr = e;
		}
	}
	die(`cannot load ajv, ajv-formats and yaml (${lastErr && lastErr.message.split('\n')[0]});` +
	    ' run tests/api/npm-setup.sh first, or set XRELAY_NODE_DIR to where it installed them');
}

// JSON pointer helpers (RFC 6901).
const escPtr = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
function getPtr(doc, ptr) {
	if (ptr === '' || ptr === '#') return doc;
	const parts = ptr.replace(/^#/, '').split('/').slice(1)
		.map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
	let cur = doc;
	for (const p of parts) {
		if (cur === null || typeof cur !== 'object' || !(p in cur)) return undefined;
		cur = cur[p];
	}
	return cur;
}

// Follow local $refs of a non-schema object (path item, response, header, ...).
// Returns {node, ptr} where ptr is the JSON pointer of the object finally reached.
function deref(doc, node, ptr) {
	const seen = new Set();
	while (node && typeof node === 'object' && typeof node.$ref === 'string') {
		const ref = node.$ref;
		if (!ref.startsWith('#')) throw new Error(`external $ref not supported: ${ref} (at ${ptr})`);
		if (seen.has(ref)) throw new Error(`$ref loop at ${ref}`);
		seen.add(ref);
		const target = getPtr(doc, ref);
		if (target === undefined) throw new Error(`unresolved $ref ${ref} (at ${ptr})`);
		// Siblings of a $ref (allowed on path items in 3.1) override the target's fields.
		const { $ref: _r, ...siblings } = node;
		node = Object.keys(siblings).length ? { ...target, ...siblings } : target;
		ptr = ref.slice(1);
	}
	return { node, ptr };
}

function templateRegex(tpl) {
	let re = '';
	const names = [];
	for (const part of tpl.split(/(\{[^}]+\})/)) {
		if (/^\{[^}]+\}$/.test(part)) {
			names.push(part.slice(1, -1));
			re += '([^/]+)';
		} else {
			re += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		}
	}
	return { re: new RegExp(`^${re}$`), params: names.length };
}

function serverBases(doc) {
	const bases = new Set();
	for (const s of doc.servers ?? []) {
		if (typeof s?.url !== 'string') continue;
		let url = s.url.replace(/\{([^}]+)\}/g, (_, v) => String(s.variables?.[v]?.default ?? ''));
		let p;
		try {
			p = new URL(url, 'http://relative.invalid').pathname;
		} catch {
			continue;
		}
		p = p.replace(/\/+$/, '');
		if (p) bases.add(p);
	}
	return [...bases];
}

function mediaBase(ct) {
	return String(ct ?? '').split(';')[0].trim().toLowerCase();
}

function mediaMatches(declared, actual) {
	const d = mediaBase(declared);
	if (d === actual || d === '*/*') return true;
	if (d.endsWith('/*')) return actual.startsWith(d.slice(0, -1));
	return false;
}

function isEmptyBody(b) {
	return b === null || b === undefined || b === '';
}

function fmtErrors(errors) {
	return (errors ?? [])
		.map((e) => {
			let extra = '';
			if (e.keyword === 'false schema') return `${e.instancePath || '/'} must not be present [${e.schemaPath}]`;
			if (e.keyword === 'additionalProperties') extra = ` '${e.params.additionalProperty}'`;
			else if (e.keyword === 'const') extra = ` ${JSON.stringify(e.params.allowedValue)}`;
			else if (e.keyword === 'enum') extra = ` ${JSON.stringify(e.params.allowedValues)}`;
			return `${e.instancePath || '/'} ${e.message}${extra} [${e.schemaPath}]`;
		})
		.join('; ');
}

function main() {
	const [docPath, jsonlPath] = process.argv.slice(2);
	if (!docPath || !jsonlPath || process.argv.length > 4)
		die('usage: node validate.mjs openapi.yaml responses.jsonl');

	const { Ajv2020, addFormats, yaml } = loadPackages();

	let doc;
	try {
		doc = yaml.parse(fs.readFileSync(docPath, 'utf8'));
	} catch (e) {
		die(`cannot read ${docPath}: ${e.message}`);
	}
	if (!doc || typeof doc !== 'object' || !doc.paths) die(`${docPath} has no paths`);
	if (!/^3\.1\./.test(String(doc.openapi)))
		die(`${docPath} is OpenAPI ${doc.openapi}; this validator reads 3.1 (JSON Schema 2020-12)`);

	const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
	addFormats(ajv);
	// Keywords of the OpenAPI 3.1 base dialect that are annotations for validation.
	ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
	// The whole document is added as one schema resource so that its internal $refs
	// ("#/components/schemas/...") resolve; Ajv compiles that root, so the document's top-level
	// members are declared as annotation keywords (strict mode stays on for every real schema).
	const topLevel = Object.keys(doc).filter((k) => !ajv.getKeyword(k) && k !== '$id');
	ajv.addVocabulary(topLevel);
	try {
		ajv.addSchema({ ...doc, $id: DOC_ID });
	} catch (e) {
		die(`cannot load ${docPath} as a schema resource: ${e.message}`);
	}
	const validators = new Map();
	function validatorAt(ptr) {
		if (!validators.has(ptr)) {
			let v;
			try {
				v = ajv.compile({ $ref: `${DOC_ID}#${ptr.split('/').map(encodeURIComponent).join('/')}` });
			} catch (e) {
				die(`schema at #${ptr} does not compile: ${e.message}`);
			}
			validators.set(ptr, v);
		}
		return validators.get(ptr);
	}

	const templates = Object.keys(doc.paths).map((t) => ({ tpl: t, ...templateRegex(t) }));
	const bases = serverBases(doc);

	function findPath(reqPath) {
		const cands = [reqPath];
		for (const b of bases) if (reqPath === b || reqPath.startsWith(`${b}/`)) cands.push(reqPath.slice(b.length) || '/');
		for (const c of [...cands]) {
			if (c.startsWith('/v1/')) cands.push(c.slice(3));
			else cands.push(`/v1${c}`);
		}
		for (const c of cands) {
			const hits = templates.filter((t) => t.re.test(c)).sort((a, b) => a.params - b.params);
			if (hits.length) return hits[0].tpl;
		}
		return null;
	}

	function checkOne(rec) {
		const problems = [];
		if (!rec || typeof rec !== 'object') return ['the line is not a JSON object'];
		if (typeof rec.method !== 'string' || !rec.method) return ['"method" missing'];
		if (typeof rec.path !== 'string' || !rec.path.startsWith('/')) return ['"path" missing or not absolute'];
		if (!Number.isInteger(rec.status)) return ['"status" missing or not an integer'];

		const reqPath = rec.path.split(/[?#]/)[0];
		const tpl = findPath(reqPath);
		if (!tpl) return [`no documented path matches ${reqPath}`];
		const tplPtr = `/paths/${escPtr(tpl)}`;
		const { node: item, ptr: itemPtr } = deref(doc, doc.paths[tpl], tplPtr);
		const method = rec.method.toLowerCase();

		let op = item[method];
		let opPtr = `${itemPtr}/${method}`;
		// HEAD without its own operation is GET without a body (RFC 9110, section 9.3.2).
		const headAsGet = method === 'head' && !op && !!item.get;
		if (headAsGet) {
			op = item.get;
			opPtr = `${itemPtr}/get`;
		}
		if (!METHODS.includes(method) || !op) {
			// A method the path does not list: only a 405 is right, and it is checked against
			// the path's documented 405 response.
			const listed = METHODS.filter((m) => item[m]);
			const with405 = listed.find((m) => item[m].responses?.['405']);
			if (rec.status !== 405 || !with405)
				return [`${rec.method.toUpperCase()} is not documented for ${tpl} (documented: ${listed.map((m) => m.toUpperCase()).join(', ')}); status ${rec.status}${with405 ? ', expected 405' : ''}`];
			op = item[with405];
			opPtr = `${itemPtr}/${with405}`;
		} else if (rec.status === 405) {
			return [`405 for ${rec.method.toUpperCase()}, which ${tpl} documents`];
		}

		const responses = op.responses ?? {};
		const st = String(rec.status);
		const key = [st, `${st[0]}XX`, `${st[0]}xx`, 'default'].find((k) => k in responses);
		if (!key)
			return [`status ${rec.status} is not documented for ${rec.method.toUpperCase()} ${tpl} (documented: ${Object.keys(responses).join(', ')})`];
		const { node: resp, ptr: respPtr } = deref(doc, responses[key], `${opPtr}/responses/${escPtr(key)}`);

		// Body and content type.
		const content = resp.content ?? {};
		const mediaKeys = Object.keys(content);
		if (headAsGet) {
			if (!isEmptyBody(rec.body)) problems.push('a response to HEAD has a body');
			const ct = mediaBase(rec.content_type);
			if (ct && mediaKeys.length && !mediaKeys.some((k) => mediaMatches(k, ct)))
				problems.push(`content type ${rec.content_type} is not declared (declared: ${mediaKeys.join(', ')})`);
		} else if (mediaKeys.length === 0) {
			if (!isEmptyBody(rec.body))
				problems.push(`status ${rec.status} has no content in the document, but the body is not empty`);
		} else {
			const ct = mediaBase(rec.content_type);
			const mk = ct ? mediaKeys.find((k) => mediaBase(k) === ct) ?? mediaKeys.find((k) => mediaMatches(k, ct)) : undefined;
			if (!ct) {
				problems.push(`no content type; the document declares ${mediaKeys.join(', ')}`);
			} else if (!mk) {
				problems.push(`content type ${rec.content_type} is not declared (declared: ${mediaKeys.join(', ')})`);
			} else if (isEmptyBody(rec.body) && rec.body !== '') {
				problems.push(`empty body; the document declares ${mk} content`);
			} else if (content[mk].schema !== undefined) {
				const schemaPtr = `${respPtr}/content/${escPtr(mk)}/schema`;
				const v = validatorAt(schemaPtr);
				if (!v(rec.body)) problems.push(`body does not match ${mk} schema: ${fmtErrors(v.errors)}`);
			}
		}

		// Headers, when recorded.
		if (rec.headers !== undefined && rec.headers !== null) {
			if (typeof rec.headers !== 'object') {
				problems.push('"headers" is not an object');
			} else {
				const got = {};
				for (const [k, v] of Object.entries(rec.headers)) got[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
				for (const [name, h0] of Object.entries(resp.headers ?? {})) {
					if (name.toLowerCase() === 'content-type') continue;
					const { node: h, ptr: hPtr } = deref(doc, h0, `${respPtr}/headers/${escPtr(name)}`);
					const val = got[name.toLowerCase()];
					if (val === undefined) {
						if (h.required) problems.push(`missing required header ${name}`);
						continue;
					}
					if (h.schema !== undefined) {
						const { node: hs } = deref(doc, h.schema, `${hPtr}/schema`);
						let value = String(val);
						const types = [].concat(hs?.type ?? []);
						if ((types.includes('integer') || types.includes('number')) && value.trim() !== '' && !Number.isNaN(Number(value)))
							value = Number(value);
						const v = validatorAt(`${hPtr}/schema`);
						if (!v(value)) problems.push(`header ${name}: ${JSON.stringify(val)} ${fmtErrors(v.errors)}`);
					}
				}
			}
		}
		return problems;
	}

	let text;
	try {
		text = fs.readFileSync(jsonlPath, 'utf8');
	} catch (e) {
		die(`cannot read ${jsonlPath}: ${e.message}`);
	}
	let total = 0;
	let failed = 0;
	text.split('\n').forEach((line, i) => {
		if (!line.trim()) return;
		total++;
		let rec;
		let problems;
		try {
			rec = JSON.parse(line);
		} catch (e) {
			problems = [`not JSON: ${e.message}`];
		}
		if (!problems) {
			try {
				problems = checkOne(rec);
			} catch (e) {
				problems = [`cannot check: ${e.message}`];
			}
		}
		if (problems.length) {
			failed++;
			const what = rec && typeof rec === 'object'
				? `${String(rec.method ?? '?').toUpperCase()} ${rec.path ?? '?'} -> ${rec.status ?? '?'}`
				: '?';
			console.log(`FAIL ${jsonlPath}:${i + 1}: ${what}: ${problems.join(' | ')}`);
		}
	});
	if (total === 0) {
		console.log(`FAIL ${jsonlPath}: no responses to validate`);
		console.log('0 responses validated, 0 failed');
		process.exit(1);
	}
	console.log(`${total} responses validated, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

main();
