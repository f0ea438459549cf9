/* Every chart in the app: a Plotly figure that stays mounted while it changes. The Train page's curves and latent
 * bars grow every epoch, and st.plotly_chart, which puts the figure into its element's identity, would mount a
 * new chart each time. Here Streamlit keeps the element for the key and every new figure goes to Plotly.react,
 * which updates the same plot in place.
 *
 * plotly.js is its cartesian bundle (static/vendor/, from npm, MIT licence), loaded once per page from the app's
 * static folder (data.src) and cached by the browser; nothing comes from a CDN.
 *
 * data: LiveChartData (./contract.d.ts): plotly.js's URL, the test id, the figure's JSON text (Plotly's own encoding
 * of numpy arrays). For tests the root carries data-testid, data-state ("loading", "ready" or "error"), data-paints
 * (figures drawn so far) and data-points (y values plotted); the plot keeps its DOM node across paints.
 */
/** @typedef {import("./contract").LiveChartData} LiveChartData */
const LIVE_CHART_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

/** plotly.js, loaded once per page. @param {string} src @returns {Promise<any>} */
function loadPlotly(src) {
  /** @type {{promise: Promise<any>}} */
  const shared = (/** @type {any} */ (globalThis).__explorerPlotly ??= { promise: null });
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  if (!shared.promise) {
    shared.promise = new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement("script"), { src, async: true });
      script.onload = () => resolve(globalThis.Plotly);
      script.onerror = () => {
        shared.promise = null; // let a later paint try again
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(script);
    });
  }
  return shared.promise;
}

class LiveChart {
  /** @param {HTMLElement} parent */
  constructor(parent) {
    this.root = Object.assign(document.createElement("div"), { className: "explorer-live-chart" });
    this.root.dataset.state = "loading";
    this.root.dataset.paints = "0";
    this.plot = document.createElement("div");
    this.message = document.createElement("p");
    this.message.hidden = true;
    this.root.append(this.plot, this.message);
    parent.append(this.root);
    /** @type {LiveChartData} */
    this.latest = null;
  }

  /** @param {LiveChartData} data */
  setData(data) {
    this.root.dataset.testid = data.testid || "";
    this.latest = data;
    loadPlotly(data.src)
      .then((Plotly) => {
        if (this.latest !== data) return; // a newer figure arrived while plotly.js loaded
        const figure = JSON.parse(data.figure);
        this.plot.style.height = `${figure.layout?.height || 300}px`;
        return Plotly.react(this.plot, figure.data, figure.layout, LIVE_CHART_CONFIG).then(() => {
          if (this.root.dataset.paints === "0") performance.mark("explorer:drawn:chart"); // the benchmarks' first content
          this.root.dataset.paints = String(Number(this.root.dataset.paints) + 1);
          this.root.dataset.points = String(figure.data.reduce((n, trace) => n + (trace.y?.length ?? 0), 0));
          this.root.dataset.state = "ready";
          this.message.hidden = true;
        });
      })
      .catch((error) => {
        this.root.dataset.state = "error";
        this.message.textContent = `This chart cannot be drawn: ${error.message}`;
        this.message.hidden = false;
      });
  }
}

/** @param {import("../shared/browser/streamlit").ComponentArgs<LiveChartData>} component */
export default function (component) {
  const { data, parentElement } = component;
  const chart = ExplorerMount.once(parentElement, "__explorerLiveChart", () => new LiveChart(parentElement));
  chart.setData(data);
}
