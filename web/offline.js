/* Offline use: the service worker (sw.js) and body[data-offline], and, when a new build's
   service worker takes over a page that an older one served, a notice offering a reload
   (#update): until then the page on screen is the old version. */

export class Offline {
  /* Made as the page loads, so that no takeover is missed while Python starts. */
  constructor({ notice, reload }) {
    this.supported = "serviceWorker" in navigator;
    if (!this.supported) return;
    // A page served by an older service worker: the new one (sw.js skips waiting and claims
    // its pages) takes control once it has cached the new build. On a first visit there is
    // no controller yet, and the first one's arrival is no news.
    const servedByOlder = navigator.serviceWorker.controller !== null;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (!servedByOlder) return;
      notice.hidden = false;
      document.body.dataset.update = "ready";
    });
    reload.addEventListener("click", () => window.location.reload());
  }

  /* Register sw.js (after the start: its precaching competes with the page's own loading). */
  register() {
    const body = document.body;
    if (!this.supported) {
      body.dataset.offline = "unsupported";
      return;
    }
    navigator.serviceWorker.register("sw.js")
      .then(() => navigator.serviceWorker.ready)
      .then(() => {
        body.dataset.offline = "ready";
      })
      .catch(() => {
        body.dataset.offline = "unavailable";
      });
  }
}
