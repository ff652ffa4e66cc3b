/* The personal examples, kept in this browser only (IndexedDB), never sent anywhere.

   An example is {id, label, image: Uint8Array(784) (the 28×28 input the network saw, 0-255),
   strokes: [{points: [{x, y}]}] (the drawing, as the pad keeps it), added: ms since 1970}.
   When IndexedDB is blocked (private browsing) or full, the store says so once (`problem`)
   and keeps the examples in memory for the visit: teaching still works. */

const DB_NAME = "mnist-draw";
const STORE = "examples";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class ExampleStore {
  constructor() {
    this.db = null;
    this.memory = [];           // the examples when nothing can be stored
    this.nextId = 1;
    this.problem = null;        // why examples are not kept, in words (null: they are)
  }

  /* Open the database; resolves with the stored examples, oldest first. */
  async open() {
    try {
      if (typeof indexedDB === "undefined") throw new Error("this browser has no IndexedDB");
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      this.db = await request(open);
      const examples = await request(this.db.transaction(STORE).objectStore(STORE).getAll());
      return examples.sort((a, b) => a.id - b.id);
    } catch (error) {
      this.fall(error);
      return [];
    }
  }

  fall(error) {
    this.db = null;
    this.problem = "Your examples cannot be kept in this browser (its storage is blocked or full: " +
      `${error?.message || error}). Teaching still works until you leave the page.`;
  }

  async write(change) {
    if (!this.db) return null;
    try {
      const transaction = this.db.transaction(STORE, "readwrite");
      const result = await change(transaction.objectStore(STORE));
      await new Promise((resolve, reject) => {
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error || new Error("the write was aborted"));
      });
      return result;
    } catch (error) {
      this.fall(error);
      return null;
    }
  }

  /* Add examples ({label, image, strokes}); resolves with them, each given its id. */
  async add(examples) {
    const added = [];
    for (const example of examples) {
      const record = { label: example.label, image: example.image, strokes: example.strokes ?? [],
        added: example.added ?? Date.now() };
      const id = await this.write((store) => request(store.add(record)));
      added.push({ ...record, id: id ?? `memory-${this.nextId++}` });
    }
    return added;
  }

  async remove(id) {
    await this.write((store) => request(store.delete(id)));
  }

  async clear() {
    await this.write((store) => request(store.clear()));
  }
}
