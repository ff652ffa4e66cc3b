/* The verdict's statistics of the shipped network's features (model/digit-features.npz,
   pycore.novelty): "not a digit" for what lies far from every digit the network was trained
   on, such as a letter. A classic script the worker loads (importScripts). */
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

/* Give the statistics file `name` (`request`: the promise of its fetch's Response) to
   `classifier` (a PyProxy of pycore.inference.Classifier), checked by pycore.novelty against
   the weights' bytes. A file missing or refused is no failure: the verdict keeps its other
   signals, and the reason is logged and returned ("" when the statistics are in use). */
self.useNovelty = async ({ pyodide, withProxies, pythonMessage }, classifier, name, request, weightsBytes) => {
  try {
    const response = await request;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = new Uint8Array(await response.arrayBuffer());
    withProxies((keep) => {
      const novelty = keep(pyodide.pyimport("pycore.novelty"));
      classifier.novelty = keep(novelty.from_bytes(keep(pyodide.toPy(data)), keep(pyodide.toPy(weightsBytes))));
    });
    return "";
  } catch (error) {
    const message = `${name} is not usable (${pythonMessage(error)}): "not a digit" goes without it`;
    console.warn(message);
    return message;
  }
};
