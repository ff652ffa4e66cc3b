// The worker's checked downloads (web/fetching.js, a classic script the worker loads with
// importScripts): run here in a context of its own, against a fetch that plays the server,
// including the browser's refusal of a response whose bytes fail the integrity check.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import vm from "node:vm";

const good = new TextEncoder().encode("the listed bytes");
const sha256 = createHash("sha256").update(good).digest("hex");

/* fetchVerified in a context whose fetch answers `serve(url)`: a status and bytes, or null
   for a failed request; with an integrity option it rejects other bytes as browsers do. */
function load(serve) {
  const asked = [];
  const fetch = async (url, options = {}) => {
    asked.push({ url, integrity: options.integrity });
    const answer = serve(url);
    if (!answer) throw new TypeError("Failed to fetch");
    const [status, bytes] = answer;
    if (options.integrity) {
      const digest = createHash("sha256").update(bytes).digest("base64");
      if (options.integrity !== `sha256-${digest}`) throw new TypeError("Failed to fetch");
    }
    return new Response(bytes, { status });
  };
  const context = vm.createContext({ fetch, btoa, crypto, Response, TypeError, Error, Uint8Array });
  vm.runInContext(readFileSync(new URL("../../web/fetching.js", import.meta.url), "utf8"), context);
  return { fetchVerified: context.fetchVerified, integrityOf: context.integrityOf, asked };
}

test("the integrity option is the base64 of the sha256", () => {
  const { integrityOf } = load(() => null);
  assert.equal(integrityOf(sha256), `sha256-${createHash("sha256").update(good).digest("base64")}`);
});

test("the listed bytes come back, asked for once with their integrity", async () => {
  const { fetchVerified, integrityOf, asked } = load(() => [200, good]);
  const response = await fetchVerified("data/a.npz", sha256, "data/a.npz", "manifest.json");
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), good);
  assert.deepEqual(asked, [{ url: "data/a.npz", integrity: integrityOf(sha256) }]);
});

test("other bytes: the file is damaged, both hashes named", async () => {
  const { fetchVerified } = load(() => [200, new TextEncoder().encode("other bytes")]);
  await assert.rejects(fetchVerified("data/a.npz", sha256, "data/a.npz", "manifest.json"),
    new RegExp(`^Error: data/a\\.npz is damaged: its sha256 is [0-9a-f]{64}, manifest\\.json lists ${sha256}$`));
});

test("an HTTP error or no answer: the file could not be downloaded", async () => {
  for (const [serve, why] of [[() => [404, new Uint8Array(0)], "HTTP 404"], [() => null, "Failed to fetch"]]) {
    const { fetchVerified } = load(serve);
    await assert.rejects(fetchVerified("data/a.npz", sha256, "data/a.npz", "manifest.json"),
      { message: `data/a.npz could not be downloaded (${why})` });
  }
});

/* fetching.js in a context with the given globals (fetch, caches), as the worker has them. */
function loadWith(globals) {
  const context = vm.createContext({ btoa, crypto, Response, Request, TypeError, Error, Uint8Array,
    DecompressionStream, String, ...globals });
  vm.runInContext(readFileSync(new URL("../../web/fetching.js", import.meta.url), "utf8"), context);
  return context;
}

test("gunzippingFetch asks for the .gz of a listed URL and answers with its bytes gunzipped, as the listed type", async () => {
  const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  const asked = [];
  const fetch = async (url) => {
    asked.push(String(url));
    if (url === "r/pyodide.asm.wasm.gz") return new Response(gzipSync(wasm), { status: 200 });
    return new Response("other", { status: url === "r/missing.wasm.gz" ? 404 : 200 });
  };
  const { gunzippingFetch } = loadWith({});
  const wrapped = gunzippingFetch(fetch, { "r/pyodide.asm.wasm": "application/wasm", "r/missing.wasm": "application/wasm" });
  const response = await wrapped("r/pyodide.asm.wasm");
  assert.equal(response.headers.get("Content-Type"), "application/wasm");
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), wasm);
  assert.equal(await (await wrapped("r/pyodide.js")).text(), "other");        // not listed: as it is
  assert.equal((await wrapped("r/missing.wasm")).status, 404);                 // an HTTP error as it came
  assert.deepEqual(asked, ["r/pyodide.asm.wasm.gz", "r/pyodide.js", "r/missing.wasm.gz"]);
});

test("inCache: true only when a cache holds the URL, looked up once per URL", async () => {
  const url = "r/snapshot.bin.gz";
  assert.equal(await loadWith({}).inCache(url), false);                 // no caches (no secure context)
  let lookups = 0;
  const holding = (answer) => loadWith({ caches: { match: async () => { lookups += 1; return answer(); } } });
  assert.equal(await holding(() => new Response("x")).inCache(url), true);
  assert.equal(await holding(() => undefined).inCache(url), false);
  assert.equal(await holding(() => { throw new Error("denied"); }).inCache(url), false);
  const once = holding(() => new Response("x"));
  lookups = 0;
  assert.deepEqual([await once.inCache(url), await once.inCache(url), await once.inCache("r/other")], [true, true, true]);
  assert.equal(lookups, 2);
});

test("gunzippingFetch's prefetch: asked for at once (or a request already started is used), given to the next request", async () => {
  const wasm = new Uint8Array([0, 97, 115, 109]);
  const asked = [];
  const fetch = async (url) => {
    asked.push(String(url));
    return new Response(gzipSync(wasm), { status: 200 });
  };
  const { gunzippingFetch } = loadWith({});
  const started = fetch("r/a.wasm.gz");
  const wrapped = gunzippingFetch(fetch, { "r/a.wasm": "application/wasm", "r/b.wasm": "application/wasm" },
    { "r/a.wasm": started });
  await wrapped.prefetch("r/a.wasm");           // resolves once the bytes have arrived
  await wrapped.prefetch("r/b.wasm");
  for (const url of ["r/a.wasm", "r/b.wasm"]) {
    assert.deepEqual(new Uint8Array(await (await wrapped(url)).arrayBuffer()), wasm);
  }
  assert.deepEqual(asked, ["r/a.wasm.gz", "r/b.wasm.gz"]);   // each once: the started one, the prefetched one
});

test("loadPyodideOrFail: the load's result; or, when Pyodide only warns that the wasm failed, the error it logs next", async () => {
  const warned = [];
  const console = { warn: (...args) => warned.push(args[0]) };
  const { loadPyodideOrFail } = loadWith({ console, Promise });
  const original = console.warn;
  assert.equal(await loadPyodideOrFail(async (options) => options.indexURL, { indexURL: "r/" }), "r/");
  const hanging = () => {
    console.warn("wasm instantiation failed! CompileError: expected magic word");
    console.warn("Aborted(CompileError: expected magic word)");
    return new Promise(() => {});   // loadPyodide never settles then
  };
  await assert.rejects(loadPyodideOrFail(hanging, {}), (error) => error === "Aborted(CompileError: expected magic word)");
  assert.equal(console.warn, original);   // restored, and what was warned still reached it
  assert.equal(warned.length, 2);
});

test("gunzippingFetch: a URL a cache holds gunzipped is answered by fetch's own response for it, the .gz cancelled", async () => {
  const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  const asked = [];
  const responses = new Map();
  const fetch = async (url) => {
    asked.push(String(url));
    const response = String(url).endsWith(".gz") ? new Response(gzipSync(wasm)) : new Response(wasm);
    responses.set(String(url), response);
    return response;
  };
  const caches = { match: async (url) => (url === "r/a.wasm" ? new Response("kept") : undefined) };
  const { gunzippingFetch } = loadWith({ caches });
  const started = fetch("r/a.wasm.gz");
  const wrapped = gunzippingFetch(fetch, { "r/a.wasm": "application/wasm", "r/b.wasm": "application/wasm" },
    { "r/a.wasm": started });
  const kept = await wrapped("r/a.wasm");
  assert.equal(kept, responses.get("r/a.wasm"));         // the very response: the browser's code cache keys on it
  assert.deepEqual(new Uint8Array(await kept.arrayBuffer()), wasm);
  assert.deepEqual(new Uint8Array(await (await wrapped("r/b.wasm")).arrayBuffer()), wasm);   // not kept: its .gz
  assert.deepEqual(asked, ["r/a.wasm.gz", "r/a.wasm", "r/b.wasm.gz"]);
  // the .gz asked for early is cancelled: its body gives nothing more
  assert.equal((await responses.get("r/a.wasm.gz").body.getReader().read()).done, true);
});

test("gunzippingFetch: when the kept file cannot be fetched, the .gz is fetched and gunzipped as on a first visit", async () => {
  const wasm = new Uint8Array([0, 97, 115, 109]);
  const asked = [];
  const fetch = async (url) => {
    asked.push(String(url));
    if (url === "r/a.wasm") return new Response("gone", { status: 404 });
    if (url === "r/b.wasm") throw new TypeError("Failed to fetch");
    return new Response(gzipSync(wasm));
  };
  const { gunzippingFetch } = loadWith({ caches: { match: async () => new Response("listed") } });
  const wrapped = gunzippingFetch(fetch, { "r/a.wasm": "application/wasm", "r/b.wasm": "application/wasm" });
  for (const url of ["r/a.wasm", "r/b.wasm"]) {
    const response = await wrapped(url);
    assert.equal(response.headers.get("Content-Type"), "application/wasm");
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), wasm);
  }
  assert.deepEqual(asked, ["r/a.wasm", "r/a.wasm.gz", "r/b.wasm", "r/b.wasm.gz"]);
});

test("fetchSnapshot: the kept bytes when a cache holds them gunzipped, else the .gz gunzipped", async () => {
  const memory = new Uint8Array([1, 2, 3, 4, 5]);
  const asked = [];
  const fetch = async (url) => {
    asked.push(String(url));
    return new Response(String(url).endsWith(".gz") ? gzipSync(memory) : memory);
  };
  for (const [kept, expected] of [[true, ["r/snapshot.bin"]], [false, ["r/snapshot.bin.gz"]]]) {
    asked.length = 0;
    const caches = { match: async (url) => (kept && url === "r/snapshot.bin" ? new Response("x") : undefined) };
    const { fetchSnapshot } = loadWith({ fetch, caches });
    assert.deepEqual(new Uint8Array(await fetchSnapshot("r/snapshot.bin.gz")), memory);
    assert.deepEqual(asked, expected);
  }
});
