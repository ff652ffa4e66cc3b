/* Reading an uncompressed ustar archive, the only kind build.py makes (NumPy's files, see
   build.py's numpy_archive). A classic script: worker.js loads it with importScripts, and
   Node's tests (tests/js/tar.test.js) run the same file.

   readTar(tar, file): tar a Uint8Array, file its name for messages. Returns
   [{name, data}] for its regular files, data a view into tar; a damaged header, or
   anything but a plain file inside the package, is an error. */

// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
function readTar(tar, file) {
  const text = new TextDecoder();
  const field = (at, length) => text.decode(tar.subarray(at, at + length)).replace(/\0.*$/s, "");
  const files = [];
  let offset = 0;
  for (; offset + 512 <= tar.length && tar[offset] !== 0; offset += 512) {
    const header = tar.subarray(offset, offset + 512);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];   // checksum field as spaces
    const size = parseInt(field(offset + 124, 12), 8);
    const prefix = field(offset + 345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(offset, 100);
    if (sum !== parseInt(field(offset + 148, 8), 8) || !(size >= 0) || offset + 512 + size > tar.length) {
      throw new Error(`${file} is damaged (at byte ${offset})`);
    }
    if (header[156] !== 48 || name.startsWith("/") || name.split("/").includes("..")) {
      throw new Error(`${file} holds ${name}, which is not a plain file inside the package`);
    }
    files.push({ name, data: tar.subarray(offset + 512, offset + 512 + size) });
    offset += Math.ceil(size / 512) * 512;
  }
  if (offset === 0) throw new Error(`${file} holds no files`);
  return files;
}
