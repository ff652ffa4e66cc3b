// The worker's checked downloads (web/fetching.js, a classic script the worker loads with
// importScripts): run here in a context of its own, against a fetch that plays the server,
// including the browser's refusal of a response whose bytes fail the integrity check.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
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
