/* The start's downloads (NumPy, pycore, the weights) in a worker of their own, which
   worker.js starts: while worker.js runs Python's start-up (seconds of wasm that hold its
   thread) nothing there reads the responses, and the browser stops receiving them; here
   they keep arriving meanwhile. A classic script, run as a nested Web Worker.

   One message in: {runtime, weights} (URLs; weights null: none asked for). Out, as each
   settles: {packages} (fetching.js's fetchPackages: [{file, format, bytes}], the bytes
   transferred) or {packagesError}, and, unless weights was null, {weights} (a Uint8Array,
   transferred) or {weightsError} ("HTTP 404" or the network's reason). */
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

importScripts("fetching.js");   // self.fetchPackages

self.onmessage = ({ data: { runtime, weights } }) => {
  self.fetchPackages(runtime).then(
    (packages) => self.postMessage({ packages }, packages.map(({ bytes }) => bytes.buffer)),
    (error) => self.postMessage({ packagesError: error.message }));
  if (weights === null) return;
  fetch(weights).then(async (response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    self.postMessage({ weights: bytes }, [bytes.buffer]);
  }).catch((error) => self.postMessage({ weightsError: error.message }));
};
