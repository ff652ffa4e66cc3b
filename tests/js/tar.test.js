// The worker's tar reader (web/tar.js, a classic script the worker loads with importScripts):
// run here in a context of its own, on archives made by hand in the ustar format build.py writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const context = vm.createContext({ TextDecoder });
vm.runInContext(readFileSync(new URL("../../web/tar.js", import.meta.url), "utf8"), context);
const { readTar } = context;

/* One ustar member: a 512-byte header and the data padded to 512 bytes. */
function member(name, data, { type = "0", prefix = "" } = {}) {
  const header = new Uint8Array(512);
  const put = (at, text) => header.set(new TextEncoder().encode(text), at);
  put(0, name);
  put(100, "0000644\0");
  put(124, `${data.length.toString(8).padStart(11, "0")}\0`);
  put(136, "00000000000\0");
  header[156] = type.charCodeAt(0);
  put(257, "ustar\0");
  put(345, prefix);
  header.fill(32, 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  const padded = new Uint8Array(512 * Math.ceil(data.length / 512));
  padded.set(data);
  return [header, padded];
}

function archive(...members) {
  const parts = [...members.flat(), new Uint8Array(1024)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const bytes = (text) => new TextEncoder().encode(text);

test("regular files come back with their names and bytes, prefix included", () => {
  const tar = archive(member("numpy/__init__.py", bytes("x = 1\n")),
    member("core/_a.so", new Uint8Array(700).fill(7), { prefix: "numpy" }),
    member("empty.txt", new Uint8Array(0)));
  const files = readTar(tar, "numpy.tar");
  assert.deepEqual([...files.map((f) => f.name)], ["numpy/__init__.py", "numpy/core/_a.so", "empty.txt"]);
  assert.equal(new TextDecoder().decode(files[0].data), "x = 1\n");
  assert.equal(files[1].data.length, 700);
  assert.ok(files[1].data.every((b) => b === 7));
  assert.equal(files[2].data.length, 0);
});

test("a damaged header is refused", () => {
  const tar = archive(member("a.py", bytes("pass\n")));
  tar[10] ^= 0xff;
  assert.throws(() => readTar(tar, "numpy.tar"), /numpy.tar is damaged \(at byte 0\)/);
});

test("a member running past the end is refused", () => {
  const tar = archive(member("a.py", new Uint8Array(2000))).subarray(0, 1024);
  assert.throws(() => readTar(tar, "numpy.tar"), /damaged/);
});

test("links, folders and paths leaving the package are refused", () => {
  assert.throws(() => readTar(archive(member("link", new Uint8Array(0), { type: "2" })), "t"), /not a plain file/);
  assert.throws(() => readTar(archive(member("dir/", new Uint8Array(0), { type: "5" })), "t"), /not a plain file/);
  assert.throws(() => readTar(archive(member("../evil.py", bytes("x"))), "t"), /not a plain file/);
  assert.throws(() => readTar(archive(member("/etc/passwd", bytes("x"))), "t"), /not a plain file/);
});

test("an empty archive is refused", () => {
  assert.throws(() => readTar(new Uint8Array(1024), "numpy.tar"), /holds no files/);
});
