/* The worker's helpers for crossing into Python (Pyodide's PyProxies): a classic script
   that worker.js loads (importScripts) before lessons.js and training.js, which use them
   too. Every PyProxy costs wasm memory until it is destroyed, so each crossing destroys
   what it made (withProxies), and arrays come back as copies (copyFloat32, copyBytes). */
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

/* use(keep): every PyProxy passed through keep() is destroyed when use returns. */
self.withProxies = (use) => {
  const proxies = [];
  const keep = (proxy) => {
    if (proxy !== undefined && proxy !== null && typeof proxy.destroy === "function") proxies.push(proxy);
    return proxy;
  };
  try {
    return use(keep);
  } finally {
    for (const proxy of proxies) proxy.destroy();
  }
};

/* The message of a Python exception, without the traceback. */
self.pythonMessage = (error) => {
  const text = String(error?.message || error).trim();
  const lines = text.split("\n").filter((line) => line.trim());
  return lines.length ? lines[lines.length - 1] : text;
};

/* Copy a float32, C-contiguous NumPy array (what pycore returns to the page) out of the
   wasm heap as a Float32Array; the buffer view is released at once. */
self.copyFloat32 = (array) => {
  const view = array.getBuffer("f32");
  try {
    if (view.format !== "f" || !view.c_contiguous) throw new Error(`expected a C-contiguous float32 array, got ${view.format}`);
    return new Float32Array(view.data);
  } finally {
    view.release();
  }
};

/* The same for a uint8 array or a bytes object: a Uint8Array copy. */
self.copyBytes = (array) => {
  const view = array.getBuffer("u8");
  try {
    if (!view.c_contiguous) throw new Error("expected a C-contiguous array of bytes");
    return new Uint8Array(view.data);
  } finally {
    view.release();
  }
};
