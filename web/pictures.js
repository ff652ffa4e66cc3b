/* Opening a picture: the "Open a picture…" button and its file input, drag and drop, the
   checks a file must pass, decoding, and the message under the box. A decoded picture
   goes to onPicture(bitmap, name); what happens to it is the caller's. */

export const MAX_FILE_BYTES = 20_000_000;   // 20 MB (decimal, as the message says): a phone photo is 2-8 MB
export const MAX_SIDE = 12000;              // pixels a side, after decoding
// The raster formats every current browser decodes (input#file's accept lists the same).
// SVG is left out: createImageBitmap cannot decode a vector drawing from a file.
export const TYPES = { "image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP",
  "image/gif": "GIF", "image/bmp": "BMP" };
const ASK = "Open a PNG, JPEG, WebP, GIF or BMP picture of one handwritten digit.";

/* Why a file cannot be opened (before decoding), or null. size in bytes, type a MIME type. */
export function refusal(name, size, type) {
  if (size > MAX_FILE_BYTES) {
    return `“${name}” is too large (${(size / 1e6).toFixed(1)} MB): pictures up to ` +
      `${MAX_FILE_BYTES / 1e6} MB can be opened.`;
  }
  if (type === "image/svg+xml") return `“${name}” is an SVG drawing, which cannot be read as a picture. ${ASK}`;
  if (type && !type.startsWith("image/")) return `“${name}” is not an image (${type}). ${ASK}`;
  return null;
}

export class Pictures {
  constructor({ button, input, message, target = document, onPicture }) {
    this.message = message;
    this.onPicture = onPicture;
    input.accept = Object.keys(TYPES).join(",");
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      this.open(input.files[0]);
      input.value = "";     // the same file can be opened again
    });
    // A file dropped anywhere on the page is opened (instead of the browser leaving the page).
    const body = document.body;
    target.addEventListener("dragover", (event) => {
      if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        body.dataset.dropping = "true";
      }
    });
    target.addEventListener("dragleave", (event) => {
      if (event.relatedTarget === null) delete body.dataset.dropping;
    });
    target.addEventListener("drop", (event) => {
      delete body.dataset.dropping;
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      this.open(event.dataTransfer.files[0]);
    });
  }

  say(text, isError = false) {
    this.message.textContent = text;
    this.message.classList.toggle("error", isError);
  }

  /* Check, decode and hand on a file; the marks "picture-chosen" and "picture-shown" time
     the page's part (bench/pictures.py reads them). */
  async open(file) {
    if (!file) return;
    performance.mark("picture-chosen");
    const name = file.name || "The file";
    const refused = refusal(name, file.size, file.type);
    if (refused) {
      this.say(refused, true);
      return;
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      this.say(`“${name}” is not an image this browser can read. ${ASK}`, true);
      return;
    }
    if (bitmap.width > MAX_SIDE || bitmap.height > MAX_SIDE) {
      this.say(`“${name}” is too large (${bitmap.width}×${bitmap.height} pixels): ` +
        `pictures up to ${MAX_SIDE} pixels a side can be opened.`, true);
      bitmap.close();
      return;
    }
    this.onPicture(bitmap, name);
    performance.mark("picture-shown");
    this.say(`Showing “${name}” (${bitmap.width}×${bitmap.height}); ` +
      "the network reads it like a drawing. You can draw on it too.");
  }
}
