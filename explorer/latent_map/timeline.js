/* Training timeline: how the latent space formed, epoch by epoch, for one or two models side by side.
 *
 * data: TimelineData (./contract.d.ts, built by explorer.latent_map.timeline_chart.payload): per model its epochs,
 * its subset's packed places at every epoch on fixed axes, where z = 0 lands, that epoch's reconstructions and
 * prior samples, the losses and the KL per dimension; the colours and the prior's circles. Everything for every
 * epoch is in the data, so the slider and play never ask the server. data may instead be a TimelineSource ({src: a
 * URL of that JSON, content-hashed and fetched once, testid}). When new epochs arrive (a run still training) and
 * the slider was at the last epoch, it follows.
 * Each model's column (its map, strips, curves and bars) is a TimelinePanel (timeline_panel.js, in front of this).
 * For tests the root carries data-state, data-epoch (the epoch shown) and each map data-drawn and data-epoch.
 */
/** @typedef {import("./contract").TimelineData} TimelineData */
/** @typedef {import("./contract").TimelineSource} TimelineSource */

const TL_PLAY_MS = 300; // per epoch while playing

const { element: tlElement } = ExplorerMount;

class TrainingTimeline {
  /** @param {HTMLElement} parent */
  constructor(parent) {
    this.slider = tlElement("input", { type: "range", min: "0", max: "0", step: "1", value: "0" });
    this.slider.setAttribute("aria-label", "Epoch");
    this.play = tlElement("button", { type: "button", textContent: "\u25b6 Play" });
    this.label = tlElement("span", { className: "epoch" });
    this.panels = tlElement("div", { className: "panels" });
    this.root = tlElement("div", { className: "training-timeline" }, [
      tlElement("div", { className: "controls" }, [this.play, this.slider, this.label]),
      this.panels,
    ]);
    parent.append(this.root);
    this.slider.addEventListener("input", () => {
      this.stopPlaying();
      this.show(this.epochs[Number(this.slider.value)]);
    });
    this.play.addEventListener("click", () => (this.timer ? this.stopPlaying() : this.startPlaying()));
    /** @type {InstanceType<typeof TimelinePanel>[]} */
    this.views = [];
    /** @type {number[]} */
    this.epochs = [];
    this.timer = 0;
  }

  /** @param {TimelineData | TimelineSource} data */
  setData(data) {
    this.root.dataset.testid = data.testid || "";
    if (!("src" in data)) return this.apply(data);
    if (data.src === this.src) return undefined;
    this.src = data.src;
    return fetch(data.src)
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((/** @type {TimelineData} */ loaded) => data.src === this.src && this.apply(loaded))
      .catch((error) => {
        this.root.dataset.state = "error";
        this.label.textContent = `The timeline could not be loaded (${error.message}).`;
      });
  }

  /** @param {TimelineData} data */
  apply(data) {
    const models = data.models || [];
    const following = !this.epochs.length || this.epoch === this.epochs[this.epochs.length - 1];
    while (this.views.length < models.length) this.views.push(new TimelinePanel(data.colors || [], data.sigmas || []));
    this.views.length = models.length;
    this.panels.replaceChildren(...this.views.map((v) => v.root));
    models.forEach((model, i) => this.views[i].setModel(model));
    this.epochs = [...new Set(models.flatMap((m) => m.epochs))].sort((a, b) => a - b);
    this.slider.max = String(Math.max(0, this.epochs.length - 1));
    for (const view of this.views) view.span = [this.epochs[0], this.epochs[this.epochs.length - 1]];
    if (!this.epochs.length) return;
    const keep = this.epochs.includes(this.epoch) && !following;
    this.show(keep ? this.epoch : this.epochs[this.epochs.length - 1]);
  }

  /** @param {number} epoch */
  show(epoch) {
    const started = performance.now();
    this.epoch = epoch;
    this.slider.value = String(this.epochs.indexOf(epoch));
    this.label.textContent = `epoch ${epoch} of ${this.epochs[this.epochs.length - 1]}`;
    for (const view of this.views) view.show(epoch);
    this.root.dataset.epoch = String(epoch);
    this.root.dataset.repaintMs = String(performance.now() - started);
    this.root.dataset.state = "ready";
  }

  /** Where point `i` of model `m` is drawn at the epoch shown (CSS px in its map); for the tests.
   * @param {number} m @param {number} i */
  screenOf(m, i) {
    const view = this.views[m];
    const base = view.rowOf(this.epoch) * view.model.count * 2;
    return view.toScreen(view.points[base + 2 * i], view.points[base + 2 * i + 1]);
  }

  startPlaying() {
    if (this.epoch === this.epochs[this.epochs.length - 1]) this.show(this.epochs[0]);
    this.play.textContent = "\u275a\u275a Pause";
    this.timer = setInterval(() => {
      const next = this.epochs.indexOf(this.epoch) + 1;
      if (next >= this.epochs.length) return this.stopPlaying();
      this.show(this.epochs[next]);
    }, TL_PLAY_MS);
  }

  stopPlaying() {
    clearInterval(this.timer);
    this.timer = 0;
    this.play.textContent = "\u25b6 Play";
  }
}

/** @param {import("../shared/browser/streamlit").ComponentArgs<TimelineData | TimelineSource>} component */
export default function (component) {
  const { data, parentElement } = component;
  const timeline = ExplorerMount.once(parentElement, "__timeline", () => new TrainingTimeline(parentElement));
  timeline.setData(data);
}
