/* The worker's files beyond its start: manifest.json's lazy files (data/*.npz, NumPy's
   extras), fetched and checked against the sha256 it lists, and archives written into
   Pyodide's file system. A classic script worker.js loads (importScripts): self.WorkerFiles,
   made with the site's base URL and given Python (attach) once it runs. */
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

self.WorkerFiles = class WorkerFiles {
  constructor(base) {
    this.base = base;
    this.manifest = null;   // Promise of manifest.json, its files as a Map path -> entry, read once
    this.extras = null;     // Promise: NumPy's extras unpacked (ensureExtras)
    this.pyodide = null;
    this.sitePackages = null;
  }

  /* Python is running; packages go to sitePackages (site.getsitepackages()[0]). */
  attach(pyodide, sitePackages) {
    Object.assign(this, { pyodide, sitePackages });
  }

  readManifest(path) {
    this.manifest ??= fetch(new URL("manifest.json", this.base)).then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const listing = await response.json();
      return { ...listing, files: new Map(listing.files.map((file) => [file.path, file])) };
    }).catch((error) => {
      this.manifest = null;   // asked again next time
      throw new Error(`manifest.json could not be downloaded (${error.message}), so ${path} cannot be`);
    });
    return this.manifest;
  }

  /* The bytes of a file manifest.json lists (the lazy files: data/*.npz, NumPy's extras; the
     service worker caches them once fetched), checked by the browser against the listed sha256. */
  async fetchDataset(path) {
    const manifest = await this.readManifest(path);
    const file = manifest.files.get(path);
    if (!file) throw new Error(`${path} could not be downloaded: manifest.json does not list it`);
    const url = new URL(path, this.base).href;
    const response = await self.fetchVerified(url, file.sha256, path, "manifest.json");
    const bytes = new Uint8Array(await response.arrayBuffer());
    this.keep(url, bytes, response.headers, manifest.version);
    return bytes;
  }

  /* A lazy file fetched while no service worker controls the page (a first visit, before
     sw.js has installed; a reload that bypassed it) reached the network directly, and the
     service worker, which keeps what it fetched itself, never saw it: kept here in the cache
     the service worker of this version reads (sw.js's CACHE: "mnist-draw-" and manifest.json's
     version), so that it works offline from then on too. Only verified bytes come here; one
     that a cache holds already is left; one that cannot be kept is only a missed saving. */
  async keep(url, bytes, headers, version) {
    if (typeof caches === "undefined" || !version) return;
    try {
      if (await caches.match(url, { ignoreSearch: true })) return;
      const cache = await caches.open(`mnist-draw-${version}`);
      const type = headers.get("Content-Type");
      await cache.put(url, new Response(bytes, type ? { headers: { "Content-Type": type } } : {}));
    } catch {
      // fetched again when next asked for
    }
  }

  /* NumPy's files that only teaching and training import (numpy.random, numpy.fft, ...:
     manifest.json's numpy_extras, a lazy .tar.gz made by build.py from what those paths
     read), fetched, checked, gunzipped and written into site-packages, once. Teaching and
     training await it before they first import pycore.datasets, pycore.teach or
     pycore.training (docs/architecture.md, "NumPy's extras"). */
  ensureExtras() {
    this.extras ??= (async () => {
      const path = (await this.readManifest("NumPy's extras")).numpy_extras;
      if (!path) return;   // a build whose teaching and training read nothing more
      const bytes = await this.fetchDataset(path);
      const tar = new Uint8Array(await new Response(new Blob([bytes]).stream()
        .pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
      this.untar(tar, this.sitePackages, path);
      // New folders (numpy/random, ...): every finder under site-packages forgets its listing.
      const scope = this.pyodide.toPy({ top: this.sitePackages });
      try {
        this.pyodide.runPython("import sys\nfor path, finder in list(sys.path_importer_cache.items()):\n"
          + "    if path.startswith(top) and finder is not None:\n        finder.invalidate_caches()\n",
        { globals: scope });
      } finally {
        scope.destroy();
      }
    })().catch((error) => {
      this.extras = null;   // tried again next time
      throw new Error(`NumPy's extras could not be loaded: ${error.message}`);
    });
    return this.extras;
  }

  /* Write the files of an uncompressed ustar archive (tar.js's readTar) under dir. */
  untar(tar, dir, file) {
    for (const { name, data } of self.readTar(tar, file)) {
      const path = `${dir}/${name}`;
      this.pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
      this.pyodide.FS.writeFile(path, data);
    }
  }
};
