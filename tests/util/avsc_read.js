// SPDX-License-Identifier: MIT
// Read Avro object container files with npm's avsc (an independent JavaScript reader) and print
// them like tests/util/avro_read.py: per file a line {"file", "codec", "meta"}, then one JSON
// line per record (bytes and fixed as lowercase hex, longs exact, decimals as text with their
// scale, unions unwrapped, enums as their symbol).
//
// usage: node avsc_read.js NODE_MODULES_DIR FILE...
// avsc as it comes refuses longs past 2^53 ("potential precision loss"), which every envelope's
// ts_ns is, and has no snappy: longs are read as BigInt (a type hook), snappy blocks are
// uncompressed with snappyjs and their CRC32 checked with node's zlib.crc32.
'use strict';
const path = require('path');
const zlib = require('zlib');

const [rel, ...files] = process.argv.slice(2);
const dir = path.resolve(rel);
const avsc = require(path.join(dir, 'avsc'));
const snappy = require(path.join(dir, 'snappyjs'));

const long = avsc.types.LongType.__with({
	fromBuffer: (b) => b.readBigInt64LE(),
	toBuffer: (n) => {
		const b = Buffer.alloc(8);
		b.writeBigInt64LE(BigInt(n));
		return b;
	},
	fromJSON: BigInt,
	toJSON: Number,
	isValid: (n) => typeof n === 'bigint',
	compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
});

// decimal: two's complement big endian, shown as python's str(Decimal) shows it.
class Decimal extends avsc.types.LogicalType {
	constructor(attrs, opts) {
		super(attrs, opts);
		this.scale = attrs.scale || 0;
	}
	_fromValue(buf) {
		let n = 0n;
		for (const b of buf) n = (n << 8n) | BigInt(b);
		if (buf.length && buf[0] & 0x80) n -= 1n << BigInt(8 * buf.length);
		const neg = n < 0n;
		let s = (neg ? -n : n).toString();
		if (this.scale > 0) {
			s = s.padStart(this.scale + 1, '0');
			s = s.slice(0, -this.scale) + '.' + s.slice(-this.scale);
		}
		return (neg ? '-' : '') + s;
	}
	_toValue(v) {
		return v;
	}
	_resolve() {}
}

const codecs = {
	null: (buf, cb) => cb(null, buf),
	deflate: (buf, cb) => zlib.inflateRaw(buf, cb),
	snappy: (buf, cb) => {
		try {
			const raw = Buffer.from(snappy.uncompress(buf.subarray(0, buf.length - 4)));
			if (zlib.crc32(raw) !== buf.readUInt32BE(buf.length - 4))
				return cb(new Error('snappy CRC32 does not match'));
			cb(null, raw);
		} catch (e) {
			cb(e);
		}
	},
};

function plain(v) {
	if (Buffer.isBuffer(v)) return v.toString('hex');
	if (Array.isArray(v)) return v.map(plain);
	if (v && typeof v === 'object') {
		const o = {};
		for (const k of Object.keys(v)) o[k] = plain(v[k]);
		return o;
	}
	return v;
}

function line(v) {
	return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(
		/"@@(-?\d+)@@"/g,
		'$1'
	);
}

function readOne(file) {
	return new Promise((resolve, reject) => {
		const out = [];
		avsc.createFileDecoder(file, {
			codecs,
			parseHook: (schema) =>
				avsc.Type.forSchema(schema, {
					wrapUnions: 'never',
					logicalTypes: { decimal: Decimal },
					typeHook: (a) => (a === 'long' || (a && a.type === 'long') ? long : undefined),
				}),
		})
			.on('metadata', (type, codec, header) => {
				const meta = {};
				for (const [k, v] of Object.entries(header.meta)) meta[k] = v.toString();
				out.push(line({ file, codec, meta }));
			})
			.on('data', (r) => out.push(line(plain(r))))
			.on('error', reject)
			.on('end', () => resolve(out));
	});
}

(async () => {
	for (const f of files) {
		try {
			for (const l of await readOne(f)) process.stdout.write(l + '\n');
		} catch (e) {
			process.stderr.write(`avsc_read.js: ${f}: ${e.message}\n`);
			process.exit(1);
		}
	}
})();
