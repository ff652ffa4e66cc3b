/* When to ask the worker for a prediction, and which answers to show. No DOM: Node's test
   runner tests it (tests/js/scheduler.test.js).

   - While a stroke is drawn, live predictions go out at most once every `interval` ms.
   - When a stroke ends (a final request), the next prediction goes out at once: a
     prediction always follows the end of a stroke.
   - One request is in flight at a time; a change made meanwhile is sent when it returns,
     with the drawing as it is then (predict() takes the snapshot).
   - drop(): the drawing was cleared or replaced; a reply for what was drawn before is not
     shown, and a change not yet sent is forgotten.
*/

export class PredictionScheduler {
  /* predict(): a promise of a result for the drawing as it is now;
     show(result, final): render it (final: it answers a stroke's end);
     fail(error): a prediction failed; onBusy(busy): whether a prediction is wanted or out. */
  constructor({ predict, show, fail = () => {}, onBusy = () => {}, interval = 60,
                now = () => performance.now(), setTimer = (callback, ms) => setTimeout(callback, ms),
                clearTimer = (timer) => clearTimeout(timer) }) {
    Object.assign(this, { predict, show, fail, onBusy, interval, now, setTimer, clearTimer });
    this.running = false;      // start() was called: the predictor is ready
    this.generation = 0;       // bumped by drop(): replies for older drawings are not shown
    this.inFlight = false;
    this.wanted = false;       // the drawing changed since the last request
    this.urgent = false;       // ... and a stroke ended: no throttling
    this.lastSent = -Infinity;
    this.timer = null;
  }

  get busy() {
    return this.inFlight || this.wanted;
  }

  start() {
    this.running = true;
    this.pump();
  }

  /* The drawing changed; final: a stroke ended (or a picture or an undo is to be shown). */
  request(final = false) {
    this.wanted = true;
    this.urgent = this.urgent || final;
    this.onBusy(this.busy);
    this.pump();
  }

  drop() {
    this.generation += 1;
    this.wanted = this.urgent = false;
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    this.onBusy(this.busy);
  }

  pump() {
    if (!this.running || this.inFlight || !this.wanted) return;
    const wait = this.lastSent + this.interval - this.now();
    if (!this.urgent && wait > 0) {
      if (this.timer === null) {
        this.timer = this.setTimer(() => {
          this.timer = null;
          this.pump();
        }, wait);
      }
      return;
    }
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    const final = this.urgent;
    this.wanted = this.urgent = false;
    this.inFlight = true;
    this.lastSent = this.now();
    const sentFor = this.generation;
    let reply;
    try {
      reply = Promise.resolve(this.predict());   // the snapshot is taken now
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply
      .then((result) => {
        if (sentFor === this.generation) this.show(result, final);
      })
      .catch((error) => this.fail(error))
      .finally(() => {
        this.inFlight = false;
        this.onBusy(this.busy);
        this.pump();
      });
  }
}
