// SPDX-License-Identifier: MIT
// Drives Debian's headless chromium (puppeteer-core) through xrelay-api's status page, as a
// person would, for tests/net/test_status_page.sh: the token flow, then the numbers shown
// against the /stats answers the page itself received, while traffic flows and at rest.
// Prints "ok: ..." / "NOT OK: ..." lines, and at the end one JSON line of what was shown at
// rest; exits 1 if any check failed.
//
// Environment: XR_URL (the API with --token-file, e.g. http://127.0.0.1:8081/), XR_TOKEN,
// XR_WRONG_TOKEN, XR_CHANNEL (has traffic, a destination and moving fragment drops), XR_RATE
// (datagrams/s sent to it), XR_STOP_FILE (created when the traffic is to stop), XR_SHOTS (folder
// of the screenshots), XR_NODE (the folder with node_modules), XR_CHROMIUM (the browser).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const env = (k) => {
	if (!process.env[k]) {
		console.log(`NOT OK: ${k} is not set`);
		process.exit(2);
	}
	return process.env[k];
};
const URL0 = env('XR_URL');
const TOKEN = env('XR_TOKEN');
const WRONG = env('XR_WRONG_TOKEN');
const CH = env('XR_CHANNEL');
const RATE = Number(env('XR_RATE'));
const STOP = env('XR_STOP_FILE');
const SHOTS = env('XR_SHOTS');
const require = createRequire(path.join(env('XR_NODE'), 'node_modules', 'x.js'));
const puppeteer = require('puppeteer-core');

let failed = 0;
function check(cond, what, detail) {
	if (cond) console.log(`ok: ${what}`);
	else {
		failed++;
		console.log(`NOT OK: ${what}${detail !== undefined ? ': ' + detail : ''}`);
	}
	return cond;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const origin = new URL(URL0).origin;
const browser = await puppeteer.launch({
	executablePath: env('XR_CHROMIUM'),
	headless: true,
	// root in a container: chromium's sandbox needs user namespaces it may not get.
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions'],
});
const done = async (code) => {
	await browser.close().catch(() => {});
	process.exit(code);
};
setTimeout(() => {
	console.log('NOT OK: the browser checks did not end within 45 s');
	done(1);
}, 45000).unref();

try {
	const page = await browser.newPage();
	await page.setViewport({ width: 1280, height: 900 });
	// Every request the page makes, and every /stats answer it got, in order, with its time.
	const requests = [];
	const statsSeen = [];
	const problems = [];
	page.on('request', (r) => requests.push({ url: r.url(), headers: r.headers() }));
	page.on('response', async (r) => {
		const u = new URL(r.url());
		if (u.pathname !== '/stats' || r.status() !== 200) return;
		const t = Date.now();
		try {
			statsSeen.push({ t, body: JSON.parse(await r.text()) });
		} catch {
			/* the page went away */
		}
	});
	page.on('console', (m) => {
		if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) problems.push(m.text());
	});
	page.on('pageerror', (e) => problems.push(String(e)));

	// 1. The page loads without the token and asks for it.
	const first = await page.goto(URL0, { waitUntil: 'load' });
	check(first.status() === 200, 'GET / without the token: 200', first.status());
	await page.waitForSelector('#login', { visible: true, timeout: 5000 });
	check(true, 'the page asks for the token (its /stats read answered 401)');

	// 2. A wrong token is refused and asked again; the right one shows the status.
	await page.type('#token', WRONG);
	await page.click('#login button[type=submit]');
	await page.waitForFunction(() => document.getElementById('login-error').textContent !== '', { timeout: 5000 });
	check(await page.$eval('#login-error', (e) => e.textContent) === 'That token was refused.',
		'a wrong token: "That token was refused." and the form again');
	await page.type('#token', TOKEN);
	await page.click('#login button[type=submit]');
	await page.waitForSelector(`section[data-channel="${CH}"]`, { timeout: 5000 });
	check(await page.$eval('#login', (e) => getComputedStyle(e).display) === 'none',
		'the right token: the form goes, the channels show');
	check(await page.evaluate(() => sessionStorage.getItem('xrelay-token')) === TOKEN,
		'the token is kept in the tab\'s sessionStorage');

	// 3. A reload keeps the token (same tab): no form, data at once. The page counts the
	// /stats answers it rendered from its load on (data-polls), so the list starts anew too.
	statsSeen.length = 0;
	await page.reload({ waitUntil: 'load' });
	await page.waitForSelector(`section[data-channel="${CH}"]`, { timeout: 5000 });
	check(await page.$eval('#login', (e) => getComputedStyle(e).display) === 'none',
		'after a reload the tab still has the token: no form');

	// The state shown right after the page rendered a /stats answer, with that answer and the
	// one before it (rates are their deltas).
	const polls = () => page.$eval('#updated', (e) => Number(e.dataset.polls || 0));
	async function shown() {
		const k = await polls();
		await page.waitForFunction((n) => Number(document.getElementById('updated').dataset.polls) > n,
			{ timeout: 5000 }, k);
		const s = await page.evaluate((ch) => {
			const sec = document.querySelector(`section[data-channel="${ch}"]`);
			const val = (root, key) => {
				const e = root.querySelector(`[data-key="${key}"]`);
				return e ? e.dataset.value ?? e.textContent : undefined;
			};
			const o = { totals: {}, rates: {}, drops: {}, moving: [], dests: [], dp: {}, queues: [] };
			for (const e of sec.querySelectorAll('.grid [data-key]')) {
				if (e.dataset.key.startsWith('rate.')) o.rates[e.dataset.key.slice(5)] = e.dataset.value;
				else o.totals[e.dataset.key] = e.dataset.value;
			}
			for (const e of sec.querySelectorAll('.drop')) {
				o.drops[e.dataset.cause] = e.dataset.value;
				if (e.classList.contains('moving')) o.moving.push(e.dataset.cause);
			}
			for (const tr of sec.querySelectorAll('tr[data-dest]')) {
				const d = {};
				for (const e of tr.querySelectorAll('[data-key]')) d[e.dataset.key] = e.dataset.value;
				o.dests.push(d);
			}
			const dp = document.getElementById('dataplane');
			for (const k of ['mode', 'zero_copy', 'interface', 'queues', 'pid', 'heartbeat'])
				o.dp[k] = val(dp, k);
			o.dp.state = document.getElementById('dp-state').textContent;
			for (const tr of document.querySelectorAll('#queues tbody tr'))
				o.queues.push(Object.fromEntries([...tr.querySelectorAll('[data-key]')].map((e) => [e.dataset.key, e.dataset.value])));
			o.files = sec.querySelector('[data-key="files"]').textContent;
			o.polls = Number(document.getElementById('updated').dataset.polls);
			return o;
		}, CH);
		// The k-th answer of this document is the one the k-th render showed.
		for (let i = 0; i < 50 && statsSeen.length < s.polls; i++) await sleep(20);
		return { s, cur: statsSeen[s.polls - 1], old: statsSeen[s.polls - 2] };
	}
	const eq = (a, b) => String(a) === String(b);
	function compareTotals(tag, s, body) {
		const c = body.channels[CH];
		const keys = Object.keys(s.totals);
		const bad = keys.filter((k) => !eq(s.totals[k], c[k]));
		check(keys.length >= 10 && bad.length === 0, `${tag}: the ${keys.length} totals shown equal /stats`,
			bad.map((k) => `${k} shown ${s.totals[k]}, /stats ${c[k]}`).join('; '));
		const want = Object.entries(c.drops).filter(([, n]) => n > 0);
		check(want.length === Object.keys(s.drops).length && want.every(([k, n]) => eq(s.drops[k], n)),
			`${tag}: the drops shown by cause equal /stats (${want.map(([k, n]) => k + ' ' + n).join(', ') || 'none'})`,
			JSON.stringify(s.drops));
		const dbad = [];
		c.destinations.forEach((d, i) => {
			for (const k of ['selected', 'sent_packets', 'sent_bytes', 'send_errors', 'send_queue_full'])
				if (!s.dests[i] || !eq(s.dests[i][k], d[k])) dbad.push(`${i}.${k} shown ${s.dests[i] && s.dests[i][k]}, /stats ${d[k]}`);
		});
		check(c.destinations.length > 0 && s.dests.length === c.destinations.length && dbad.length === 0,
			`${tag}: the ${c.destinations.length} destination(s)' counters shown equal /stats`, dbad.join('; '));
		const q = body.sockets;
		check(s.queues.length === q.length && q.every((x, i) => eq(s.queues[i].rx_frames, x.rx_frames) &&
			eq(s.queues[i].rx_ring_full, x.rx_ring_full)),
			`${tag}: the ${q.length} queue(s)' counters shown equal /stats`, JSON.stringify(s.queues));
	}

	// 4. Under traffic: the numbers shown are those of the /stats answer the page rendered;
	// the rates are its deltas and about the rate sent; the fragment drops move, highlighted.
	let under = null;
	for (let i = 0; i < 8; i++) {
		const x = await shown();
		if (x.old && x.cur.body.channels[CH].rx_packets > x.old.body.channels[CH].rx_packets &&
			x.s.moving.includes('fragments')) {
			under = x;
			break;
		}
	}
	check(under !== null, 'traffic and fragment drops seen moving within 8 readings');
	if (under) {
		const { s, cur, old } = under;
		const b = cur.body;
		compareTotals('under traffic', s, b);
		const dt = (cur.t - old.t) / 1000;
		const c = b.channels[CH];
		const o = old.body.channels[CH];
		for (const k of ['rx_packets', 'rx_bytes', 'recorded_packets', 'sent_packets']) {
			const got = Number(s.rates[k]);
			const want = (c[k] - o[k]) / dt;
			check(Math.abs(got - want) <= 0.25 * want + 1,
				`under traffic: ${k}/s shown ${got.toFixed(0)} = the delta of two /stats readings ${want.toFixed(0)} (±25%)`);
		}
		const rx = Number(s.rates.rx_packets);
		check(rx > 0.6 * RATE && rx < 1.4 * RATE,
			`under traffic: rx packets/s shown ${rx.toFixed(0)} is about the ${RATE}/s sent (±40%)`);
		check(s.moving.includes('fragments'), 'under traffic: the fragments drop cause is highlighted as moving',
			JSON.stringify(s.moving));
		check(s.dp.mode === b.dataplane.mode && s.dp.mode === 'xdp-native', `the mode shown: ${s.dp.mode}`, b.dataplane.mode);
		check(s.dp.zero_copy === (b.dataplane.zero_copy ? 'zero-copy' : 'copy'), `AF_XDP shown: ${s.dp.zero_copy}`);
		check(s.dp.interface === b.dataplane.interface && eq(s.dp.queues, b.dataplane.queues) &&
			eq(s.dp.pid, b.dataplane.pid) && s.dp.state === 'running',
			`interface ${s.dp.interface}, ${s.dp.queues} queue(s), pid ${s.dp.pid}, running, as /stats says`);
		check(/^\d[\d,]* ms ago$/.test(s.dp.heartbeat), `heartbeat shown: ${s.dp.heartbeat}`);
		check(s.files === `<out>/${CH}/${CH}-q<queue>-<UTC start>-<n>.avro`, `files shown: ${s.files}`);

		fs.mkdirSync(SHOTS, { recursive: true });
		await page.screenshot({ path: path.join(SHOTS, 'status-page.png'), fullPage: true });
		// Readable on a phone: at 390 px nothing makes the page itself wider than the screen.
		await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
		await polls();
		await shown();
		const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
		check(w[0] <= w[1], `on a 390 px phone screen the page is ${w[0]} px wide, no wider than the screen`);
		await page.screenshot({ path: path.join(SHOTS, 'status-page-phone.png'), fullPage: true });
		await page.setViewport({ width: 1280, height: 900 });
	}

	// 5. At rest: the traffic stops; the totals shown equal /stats, the rates fall to 0 and the
	// drops stop being highlighted.
	fs.writeFileSync(STOP, '');
	let rest = null;
	for (let i = 0; i < 12; i++) {
		const x = await shown();
		if (x.old && JSON.stringify(x.old.body.channels[CH]) === JSON.stringify(x.cur.body.channels[CH])) {
			rest = x;
			break;
		}
	}
	check(rest !== null, 'the counters came to rest within 12 readings after the traffic stopped');
	if (rest) {
		const { s, cur } = rest;
		compareTotals('at rest', s, cur.body);
		check(['rx_packets', 'rx_bytes', 'recorded_packets', 'sent_packets'].every((k) => Number(s.rates[k]) === 0),
			'at rest: the rates shown are 0', JSON.stringify(s.rates));
		check(s.moving.length === 0 && 'fragments' in s.drops, 'at rest: the fragment drops shown, no longer highlighted',
			JSON.stringify(s.moving));
		console.log(JSON.stringify({ shown: s.totals, drops: s.drops, dests: s.dests }));
	}

	// 6. What the page did: only this server, the token only in Authorization, no error.
	const foreign = requests.filter((r) => !r.url.startsWith(origin + '/') && !r.url.startsWith('data:'));
	check(foreign.length === 0, `all ${requests.length} requests went to ${origin} (nothing fetched from elsewhere)`,
		foreign.map((r) => r.url).join(' '));
	check(requests.every((r) => !r.url.includes(TOKEN)), 'the token never appears in a URL');
	const api = requests.filter((r) => /\/(stats|channels)$/.test(new URL(r.url).pathname));
	check(api.length > 0 && api.slice(-3).every((r) => r.headers.authorization === 'Bearer ' + TOKEN),
		'the page reads /stats and /channels with Authorization: Bearer <token>');
	check(problems.length === 0, 'no script error and no Content-Security-Policy violation', problems.join(' | '));
} catch (e) {
	check(false, 'the browser session', e.stack || String(e));
}
await done(failed ? 1 : 0);
