//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The Node side of test_compression.py: clients written by others, pointed
// at a reference server started with --compress, and a brotli decoder for
// the bytes the Python side read off raw sockets.
//
//     node compression_clients.mjs browser CHROMIUM PLAYWRIGHT_PREFIX BASE_URL WANT_CODING
//     node compression_clients.mjs eventsource EVENTSOURCE_PREFIX BASE_URL DEFAULT_CODINGS BR_CODING
//     node compression_clients.mjs brotli-decode < JSON
//
// browser: headless Chromium (the system's, driven by playwright-core from
//   PLAYWRIGHT_PREFIX, a fresh profile) opens an EventSource on
//   /subscribe; 20 events are published 20 ms apart from here, each only
//   once the page's onmessage had the one before (an event held back in a
//   compressor would stall them: the wait ends after 5 s and the check
//   fails); the delays from each POST's completion to onmessage are printed
//   (both sides read the machine's clock, Date.now()). The stream the page
//   got must carry Content-Encoding WANT_CODING (seen by the browser's
//   network stack and by a fetch in the page).
// eventsource: Node's `eventsource` package (4.1.1, from EVENTSOURCE_PREFIX,
//   which reads through fetch) gets all 100 events of /stream?count=100,
//   data and ids exact: with fetch's own Accept-Encoding (the stream must
//   come in one of DEFAULT_CODINGS, `|`-separated: Node 20's fetch offers
//   br over https only), asking for gzip only (gzip), and for br only
//   (BR_CODING; `none` for no Content-Encoding).
// brotli-decode: stdin is a JSON array of base64 strings, each a br body;
//   stdout a JSON array of {data: base64, complete: bool, error}: the
//   decoded bytes, and whether the body is a whole brotli stream (its last
//   block came); a body cut short is decoded as far as it goes.
//
// The checks print `ok` or `FAILED` lines; the exit status is 1 when one
// failed. Every wait is bounded.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const failures = [];
function check(condition, what) {
    console.log((condition ? 'ok      ' : 'FAILED  ') + what);
    if (!condition)
        failures.push(what);
    return condition;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate, ms) {
    const deadline = Date.now() + ms;
    while (!predicate() && Date.now() < deadline)
        await sleep(10);
    return predicate();
}

// ---------------------------------------------------------------- browser

const PUBLISHED = 20;
const INTERVAL_MS = 20;
const LIVENESS_MS = 5000; // an event not at onmessage by then was held back

async function browser(chromiumExe, prefix, base, wantCoding) {
    const { chromium } = createRequire(path.resolve(prefix, 'package.json'))('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-compression-chromium-'));
    let context;
    try {
        context = await chromium.launchPersistentContext(profile, {
            executablePath: chromiumExe,
            timeout: 20000,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        const topic = `browser-${process.pid}`;
        const streamPath = `/subscribe?topic=${topic}`;

        // What the browser's network stack sent and got for the EventSource.
        const seen = [];
        context.on('response', async (response) => {
            if (!response.url().endsWith(streamPath))
                return;
            const entry = { request: null, response: null };
            seen.push(entry);
            try {
                entry.request = await response.request().allHeaders();
                entry.response = await response.allHeaders();
            } catch (e) {
                entry.error = String(e);
            }
        });

        const page = context.pages()[0] ?? await context.newPage();
        page.setDefaultTimeout(10000);
        await page.goto(`${base}/stats`); // any page of the server's origin
        await page.evaluate((url) => {
            window.received = [];
            window.opened = false;
            window.errors = 0;
            const es = new EventSource(url);
            window.source = es;
            es.onopen = () => { window.opened = true; };
            es.onerror = () => { window.errors += 1; };
            es.onmessage = (e) => { window.received.push({ t: Date.now(), data: e.data, id: e.lastEventId }); };
        }, streamPath);
        await page.waitForFunction(() => window.opened === true);
        check(true, 'the page\'s EventSource is open');

        // 20 events, 20 ms apart, each once the page had the one before;
        // each timed from the completion of its POST.
        const published = [];
        let held = null;
        const start = Date.now();
        for (let i = 0; i < PUBLISHED; ++i) {
            if (i > 0) {
                const came = await page.waitForFunction((n) => window.received.length >= n, i, { timeout: LIVENESS_MS })
                    .then(() => true, () => false);
                if (!came) {
                    held = i;
                    break;
                }
            }
            const wait = start + i * INTERVAL_MS - Date.now();
            if (wait > 0)
                await sleep(wait);
            const data = JSON.stringify({ seq: i + 1, kind: 'tick', symbol: 'SSE', price: 100 + i / 4, note: 'x'.repeat(i * 7) });
            const r = await fetch(`${base}/publish?topic=${topic}`, { method: 'POST', body: data });
            const id = await r.text();
            published.push({ t: Date.now(), data, id, status: r.status });
        }
        check(held === null, `each event reached onmessage before the next was published${
            held === null ? '' : ` (event ${held} not within ${LIVENESS_MS} ms)`}`);
        check(published.length === PUBLISHED && published.every((p, i) => p.status === 202 && p.id === String(i + 1)),
            `the 20 publications were answered 202 with ids 1 to 20: ${JSON.stringify(published.map((p) => [p.status, p.id]))}`);
        await page.waitForFunction((n) => window.received.length >= n, PUBLISHED, { timeout: 5000 }).catch(() => {});
        const received = await page.evaluate(() => window.received);

        check(received.length === PUBLISHED && received.every((e, i) => e.data === published[i].data && e.id === String(i + 1)),
            `the page got the 20 events, data and ids exact, in order (${received.length} received)`);
        const delays = published.map((p) => {
            const r = received.find((e) => e.data === p.data);
            return r ? r.t - p.t : Infinity;
        });
        console.log(`        publish to onmessage, ms: ${delays.join(' ')}`);
        check(await page.evaluate(() => window.errors) === 0, 'the EventSource saw no error');

        // The stream was compressed: as the network stack saw it...
        await waitFor(() => seen.length > 0 && (seen[0].response || seen[0].error), 3000);
        const first = seen[0];
        const sentAccept = first?.request?.['accept-encoding'];
        console.log(`        the browser sent Accept-Encoding: ${sentAccept}`);
        check(/\bbr\b/.test(sentAccept ?? '') && /\bgzip\b/.test(sentAccept ?? ''),
            `the EventSource request accepts br and gzip (Accept-Encoding: ${sentAccept})`);
        const gotCoding = first?.response ? (first.response['content-encoding'] ?? 'none') : undefined;
        check(gotCoding === wantCoding,
            `the EventSource response has Content-Encoding: ${wantCoding} (${gotCoding}, ${first?.error ?? 'no error'})`);
        check(/accept-encoding/i.test(first?.response?.vary ?? ''), `and Vary: Accept-Encoding (${first?.response?.vary})`);

        // ... and as a page reads it, a fetch of the same kind of stream.
        const fetched = await page.evaluate(async (url) => {
            const abort = new AbortController();
            const r = await fetch(url, { signal: abort.signal, headers: { Accept: 'text/event-stream' } });
            const out = { status: r.status, coding: r.headers.get('content-encoding') ?? 'none', type: r.headers.get('content-type') };
            abort.abort();
            return out;
        }, `/subscribe?topic=${topic}-probe`);
        check(fetched.status === 200 && fetched.coding === wantCoding && fetched.type === 'text/event-stream',
            `a fetch in the page reads Content-Encoding: ${wantCoding} on a stream: ${JSON.stringify(fetched)}`);
        await page.evaluate(() => window.source.close());
    } finally {
        if (context)
            await context.close().catch(() => {});
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

// ------------------------------------------------------------ eventsource

async function eventsource(prefix, base, defaultCodings, brCoding) {
    const require = createRequire(path.resolve(prefix, 'package.json'));
    const { EventSource } = await import(require.resolve('eventsource'));
    const count = 100;
    const size = 64;

    async function run(label, acceptEncoding, wantCoding) {
        const codings = [];
        const fetchSpy = async (input, init) => {
            const headers = new Headers(init?.headers);
            if (acceptEncoding)
                headers.set('Accept-Encoding', acceptEncoding);
            const r = await fetch(input, { ...init, headers });
            codings.push(r.headers.get('content-encoding') ?? 'none');
            return r;
        };
        const events = [];
        const es = new EventSource(`${base}/stream?count=${count}&size=${size}`, { fetch: fetchSpy });
        es.onmessage = (e) => events.push({ type: e.type, data: e.data, id: e.lastEventId });
        await waitFor(() => events.length >= count, 10000);
        es.close();
        const want = Array.from({ length: count }, (_, k) => ({ type: 'message', data: `${k + 1}:`.padEnd(size, 'x'), id: String(k + 1) }));
        const got = events.slice(0, count);
        const bad = got.findIndex((e, k) => JSON.stringify(e) !== JSON.stringify(want[k]));
        check(got.length === count && bad < 0,
            `${label}: all ${count} events, data and ids exact (${events.length} received${bad >= 0 ? `, first wrong: ${JSON.stringify(got[bad])}` : ''})`);
        check(codings.length >= 1 && wantCoding.split('|').includes(codings[0]),
            `${label}: the stream came with Content-Encoding: ${wantCoding} (${JSON.stringify(codings)})`);
    }

    await run('eventsource with fetch\'s own Accept-Encoding', null, defaultCodings);
    await run('eventsource asking for gzip only', 'gzip', 'gzip');
    await run('eventsource asking for br only', 'br', brCoding);
}

// ---------------------------------------------------------- brotli-decode

function brotliDecode() {
    const bodies = JSON.parse(fs.readFileSync(0, 'utf8'));
    const out = bodies.map((b64) => {
        const body = Buffer.from(b64, 'base64');
        try {
            return { data: zlib.brotliDecompressSync(body).toString('base64'), complete: true, error: null };
        } catch (e) {
            try {
                const data = zlib.brotliDecompressSync(body, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
                return { data: data.toString('base64'), complete: false, error: String(e.message) };
            } catch (e2) {
                return { data: '', complete: false, error: String(e2.message) };
            }
        }
    });
    process.stdout.write(JSON.stringify(out));
}

// ------------------------------------------------------------------- main

// Runs the checks of a mode; exits 1 when one failed.
async function runChecks(mode, rest) {
    const watchdog = setTimeout(() => {
        console.error('FAILED  the Node client took more than 45 s');
        process.exit(1);
    }, 45000);
    try {
        if (mode === 'browser' && rest.length === 4)
            await browser(...rest);
        else if (mode === 'eventsource' && rest.length === 4)
            await eventsource(...rest);
        else {
            console.error('usage: see the head of compression_clients.mjs');
            process.exit(2);
        }
    } catch (e) {
        check(false, `unexpected error: ${e.stack || e}`);
    }
    clearTimeout(watchdog);
    console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
    process.exit(failures.length ? 1 : 0);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'brotli-decode')
    brotliDecode(); // the process ends once stdout is written out
else
    await runChecks(mode, rest);
