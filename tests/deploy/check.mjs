// SPDX-License-Identifier: MIT
// Checks deploy/kubernetes/xrelay.yaml as `kubectl apply --validate=strict` would, without a
// cluster, for tests/deploy/test_manifests.sh:
//  - every document against the Kubernetes API's own schemas (npm kubernetes-models: the
//    official OpenAPI definitions compiled for ajv): types, required fields, enums;
//  - no field the API does not know (a typo such as `hostNetwrok` would be silently dropped by
//    the API server), from the same package's definitions of every object's properties;
//  - a self-test: broken copies of the manifest must be refused, so the check can fail;
//  - what the fleet needs, as an operator would read it: host network, the capabilities, the
//    host's /sys/fs/bpf and output folder where the programs' flags point, the API on the host's
//    loopback with the token file from the Secret, readiness from /healthz, and the Prometheus
//    scrape of that API with that token.
// Prints "ok: ..." / "NOT OK: ..." lines and the flags the programs are started with (one
// "flags: PROGRAM FLAG..." line each, for the script to check against their --help); exits 1
// on any failure. Usage: node check.mjs NODE_DIR MANIFEST
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [nodeDir, manifest] = process.argv.slice(2);
const require = createRequire(path.resolve(nodeDir, 'node_modules', 'x.js'));
const YAML = require('yaml');
const modelsDir = path.dirname(require.resolve('kubernetes-models/package.json'));

let failed = 0;
function check(cond, what, detail) {
	if (cond) console.log(`ok: ${what}`);
	else {
		failed++;
		console.log(`NOT OK: ${what}${detail ? ': ' + detail : ''}`);
	}
	return cond;
}

// --- the API's schemas --------------------------------------------------------------------------
function model(doc) {
	const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : [null, doc.apiVersion];
	const dir = group ? `${group}/${version}` : version;
	const mod = require(`kubernetes-models/${dir}/${doc.kind}`);
	return { Cls: mod[doc.kind], dts: path.join(modelsDir, dir, doc.kind + '.d.ts') };
}

// The properties of the interface declared in a .d.ts of the package, with the file of each
// property's own type where it is an object of the API.
const ifaceCache = new Map();
function iface(dts) {
	if (ifaceCache.has(dts)) return ifaceCache.get(dts);
	const text = fs.readFileSync(dts, 'utf8');
	const imports = {};
	for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
		const from = m[2].startsWith('.') ? path.join(path.dirname(dts), m[2])
			: path.join(path.dirname(require.resolve(m[2].split('/').slice(0, 2).join('/') + '/package.json')),
				m[2].split('/').slice(2).join('/'));
		imports[m[1]] = from + '.d.ts';
	}
	const body = text.match(/^export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/m);
	const props = {};
	// One property a line (a map type opens a brace and goes on below).
	for (const m of (body ? body[1] : '').matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) {
		const t = m[2].replace(/^Array<(.+)>$/, '$1');
		props[m[1]] = imports[t] || null;
	}
	const r = { props, extendsTypeMeta: /extends TypeMeta/.test(text) };
	ifaceCache.set(dts, r);
	return r;
}
// Fields of @obj (at @where) the API's definition in @dts does not have.
function unknownFields(obj, dts, where, out) {
	if (obj === null || typeof obj !== 'object') return out;
	if (Array.isArray(obj)) {
		obj.forEach((x, i) => unknownFields(x, dts, `${where}[${i}]`, out));
		return out;
	}
	const { props, extendsTypeMeta } = iface(dts);
	for (const [k, v] of Object.entries(obj)) {
		if (!(k in props) && !(extendsTypeMeta && (k === 'apiVersion' || k === 'kind'))) out.push(`${where}.${k}`);
		else if (props[k]) unknownFields(v, props[k], `${where}.${k}`, out);
	}
	return out;
}
// The problems of one document: the schema's, then unknown fields.
function problems(doc) {
	let m;
	try {
		m = model(doc);
	} catch {
		return [`no Kubernetes model for ${doc.apiVersion} ${doc.kind}`];
	}
	try {
		new m.Cls(doc).validate();
	} catch (e) {
		return [e.message];
	}
	return unknownFields(doc, m.dts, doc.kind, []).map((f) => `unknown field ${f}`);
}

// --- the manifest -------------------------------------------------------------------------------
const parsed = YAML.parseAllDocuments(fs.readFileSync(manifest, 'utf8'), { uniqueKeys: true });
const docs = [];
for (const d of parsed) {
	check(d.errors.length === 0, `${manifest}: YAML document ${docs.length + 1} parses`, d.errors.map(String).join('; '));
	docs.push(d.toJS());
}
for (const d of docs) {
	const p = problems(d);
	check(p.length === 0, `${d.kind} ${d.metadata && d.metadata.name}: valid against the Kubernetes API schema, no unknown field`, p.join('; '));
}

// --- the self-test: broken copies are refused ---------------------------------------------------
const ds = docs.find((d) => d.kind === 'DaemonSet');
const clone = (x) => JSON.parse(JSON.stringify(x));
const breakages = [
	['hostNetwork: "yes"', (x) => { x.spec.template.spec.hostNetwork = 'yes'; }],
	['a container without a name', (x) => { delete x.spec.template.spec.containers[0].name; }],
	['a typo: hostNetwrok', (x) => { x.spec.template.spec.hostNetwrok = x.spec.template.spec.hostNetwork; delete x.spec.template.spec.hostNetwork; }],
	['a typo in a probe: initalDelaySeconds', (x) => { x.spec.template.spec.containers[0].readinessProbe.initalDelaySeconds = 5; }],
	['capabilities.add a string', (x) => { x.spec.template.spec.containers[0].securityContext.capabilities.add = 'BPF'; }],
	['a hostPath without path', (x) => { delete x.spec.template.spec.volumes[0].hostPath.path; }],
	['a DaemonSet without a selector', (x) => { delete x.spec.selector; }],
];
for (const [what, f] of breakages) {
	const x = clone(ds);
	f(x);
	const p = problems(x);
	check(p.length > 0, `self-test: ${what} is refused`, 'it passed the check');
}

// --- what the fleet needs -----------------------------------------------------------------------
const pod = ds.spec.template.spec;
const byName = Object.fromEntries(pod.containers.map((c) => [c.name, c]));
const dp = byName.dataplane;
const api = byName.api;
check(pod.hostNetwork === true, 'the pod runs on the host network (the NIC and its XDP program are the host\'s)');
check(ds.spec.selector.matchLabels && Object.entries(ds.spec.selector.matchLabels)
	.every(([k, v]) => ds.spec.template.metadata.labels[k] === v), 'the selector matches the pod template\'s labels');
// The command lines, as the container runs them: $VAR from the container's env, with the
// values of the ConfigMaps it names.
const configValue = (ref) => {
	const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === ref.name);
	return cm && cm.data[ref.key];
};
const argv = (c) => {
	const all = [...(c.command || []), ...(c.args || [])];
	if (all[0] !== '/bin/sh' || all[1] !== '-c') return all;
	const env = Object.fromEntries((c.env || []).map((e) => [e.name,
		e.value ?? (e.valueFrom && e.valueFrom.configMapKeyRef ? configValue(e.valueFrom.configMapKeyRef) : '')]));
	return all[2].replace(/^exec /, '').replace(/"?\$(\w+)"?/g, (_, v) => env[v] ?? '').split(/\s+/).filter(Boolean);
};
const flag = (a, f) => (a.indexOf(f) >= 0 ? a[a.indexOf(f) + 1] : undefined);
const dpArgs = argv(dp);
const apiArgs = argv(api);
check(dpArgs[0] === 'xrelay-dataplane' && apiArgs[0] === 'xrelay-api', 'containers run xrelay-dataplane and xrelay-api');
// The capabilities are those of the systemd units, which tests/install proves each needed
// (IPC_LOCK in a container stands for the units' LimitMEMLOCK=infinity).
const unitCaps = (unit) => {
	const text = fs.readFileSync(path.join(path.dirname(manifest), '../../dist/systemd', unit), 'utf8');
	const line = text.split('\n').find((l) => l.startsWith('CapabilityBoundingSet='));
	return line.slice(line.indexOf('=') + 1).trim().split(/\s+/).map((c) => c.replace(/^CAP_/, '')).sort();
};
const caps = dp.securityContext.capabilities;
const dpWant = [...unitCaps('xrelay-dataplane@.service.in'), 'IPC_LOCK'].sort();
check(caps.add.slice().sort().join() === dpWant.join() && caps.drop.includes('ALL') &&
	!dp.securityContext.privileged,
	`the dataplane has ${caps.add.join(', ')} (its unit's set) and no other capability, not privileged`,
	`the unit's: ${dpWant.join(', ')}`);
const apiCaps = api.securityContext.capabilities;
const apiWant = unitCaps('xrelay-api.service.in');
check(apiCaps.add.slice().sort().join() === apiWant.join() && apiCaps.drop.includes('ALL'),
	`the API has ${apiCaps.add.join(', ')} (its unit's set) only`, `the unit's: ${apiWant.join(', ')}`);
const vol = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
const mountOf = (c, dir) => (c.volumeMounts || []).find((m) => dir === m.mountPath || dir.startsWith(m.mountPath + '/'));
for (const [c, args, name] of [[dp, dpArgs, 'dataplane'], [api, apiArgs, 'API']]) {
	const pin = flag(args, '--pin-dir');
	const m = pin && mountOf(c, pin);
	check(m && vol[m.name].hostPath && vol[m.name].hostPath.path === '/sys/fs/bpf' && m.mountPath === '/sys/fs/bpf',
		`the ${name}'s --pin-dir ${pin} is on the host's /sys/fs/bpf`);
}
const out = flag(dpArgs, '--out');
const om = out && mountOf(dp, out);
check(om && vol[om.name].hostPath && !om.readOnly, `the dataplane's --out ${out} is the host's ${om && vol[om.name].hostPath.path}, writable`);
const listen = flag(apiArgs, '--listen');
check(/^127\.0\.0\.1:\d+$|^\[::1\]:\d+$|^unix:/.test(listen), `the API listens on the host's loopback only (${listen})`);
const tokenFile = flag(apiArgs, '--token-file');
const tm = tokenFile && mountOf(api, tokenFile);
const sec = tm && vol[tm.name].secret;
check(sec && sec.secretName && path.basename(tokenFile) === 'token' && path.dirname(tokenFile) === tm.mountPath,
	`the API's --token-file ${tokenFile} is key "token" of Secret ${sec && sec.secretName}`);
const probeText = (p) => (p && p.exec ? p.exec.command.join(' ') : p && p.httpGet ? p.httpGet.path : '');
const port = listen.split(':').pop();
check(probeText(api.readinessProbe).includes(`http://127.0.0.1:${port}/healthz`) && probeText(api.readinessProbe).includes(tokenFile),
	'the API is ready when /healthz answers 200 with the token');
check(probeText(dp.readinessProbe).includes(`127.0.0.1:${port}/healthz`) && probeText(dp.readinessProbe).includes('"running": true'),
	'the dataplane is ready when /healthz says it runs');

// The Prometheus scrape: the agent reads the API's /metrics with the Secret's token.
const cm = docs.find((d) => d.kind === 'ConfigMap' && d.data && d.data['prometheus.yml']);
const prom = cm && YAML.parse(cm.data['prometheus.yml']);
const job = prom && prom.scrape_configs.find((j) => j.job_name === 'xrelay');
const agent = pod.containers.find((c) => (c.volumeMounts || []).some((m) => vol[m.name].configMap && vol[m.name].configMap.name === cm.metadata.name));
check(job && job.metrics_path === '/metrics' && job.static_configs[0].targets.includes(`127.0.0.1:${port}`),
	`the Prometheus example scrapes 127.0.0.1:${port}/metrics`);
const cf = job && job.authorization && job.authorization.credentials_file;
check(agent && cf === tokenFile && mountOf(agent, cf) && vol[mountOf(agent, cf).name].secret,
	`the scrape sends the token from the same Secret (${cf}), mounted in the agent`);

check(flag(dpArgs, '--iface'), `the dataplane's --iface comes from ConfigMap xrelay (${flag(dpArgs, '--iface')})`);
console.log('flags: xrelay-dataplane ' + dpArgs.filter((a) => a.startsWith('--')).join(' '));
console.log('flags: xrelay-api ' + apiArgs.filter((a) => a.startsWith('--')).join(' '));
console.log('probe: api ' + JSON.stringify(api.readinessProbe.exec.command));
console.log('probe: dataplane ' + JSON.stringify(dp.readinessProbe.exec.command));
process.exit(failed ? 1 : 0);
