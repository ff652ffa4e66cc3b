/* The status line above the box: loading steps, ready, or an error in words, and
   body[data-state] (loading -> ready, or error). */

export class Status {
  constructor(root = document) {
    this.box = root.querySelector("#status");
    this.text = root.querySelector("#status-text");
    this.bar = root.querySelector("#progress");
  }

  set(state, message) {
    document.body.dataset.state = state;
    if (message !== undefined) this.text.textContent = message;
  }

  progress({ stage, stages, label }) {
    this.bar.max = stages;
    this.bar.value = stage - 0.5;
    this.text.textContent = `Loading, step ${stage} of ${stages}: ${label}…`;
  }

  ready(message) {
    this.bar.value = this.bar.max;
    this.set("ready", message);
  }

  fail(message) {
    const trimmed = message.trim();
    const sentence = /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
    this.set("error", `${sentence} Reload the page to try again.`);
    this.box.setAttribute("role", "alert");
  }
}
