/* InsideLayout: the Inside the VAE page's DOM skeleton (inside.js): the digit and its drawing canvas, the encoder's
 * bars and planes, the reparameterisation's buttons and table, the decoder's pictures, the ELBO's formula and
 * controls; every element built from properties, never from markup; the code table and the numbers' format. Also
 * the sizes the painters (inside_view.js) draw at.
 *
 * A plain script (no import/export) like runner.js: it defines one namespace, InsideLayout, also set on globalThis.
 * Needs mount.js in front of it (ExplorerMount.element).
 */
const InsideLayout = (() => {
  const INSIDE_PLANE = 300; // CSS px of the VAE's plane
  const INSIDE_AE_PLANE = 170;
  const SAMPLE_GRID = 4; // 4 x 4 pixel samples
  const K_CHOICES = [1, 10, 100, 1000, 5000];

  const { element: node } = ExplorerMount;

  /** A number for the page's text, "…" while it is not one. @param {number} value @param {number} [digits] */
  function fmt(value, digits = 2) {
    return Number.isFinite(value) ? value.toFixed(digits) : "…";
  }

  /** The reparameterisation's table: mu, sigma, eps and z of the first `limit` dimensions in `order`.
   * @param {HTMLTableElement} table @param {number[]} order @param {{mu: ArrayLike<number>, sigma: ArrayLike<number>}} post
   * @param {ArrayLike<number>} eps @param {ArrayLike<number>} z @param {number} [limit] */
  function codeTable(table, order, post, eps, z, limit = 16) {
    const header = node("tr", {}, ["", "mu", "sigma", "eps", "z"].map((t) => node("th", { textContent: t })));
    const rows = order.slice(0, limit).map((dim) =>
      node("tr", {}, [`z${dim}`, fmt(post.mu[dim]), fmt(post.sigma[dim], 3), fmt(eps[dim]), fmt(z[dim])].map((t) => node("td", { textContent: t }))),
    );
    table.replaceChildren(header, ...rows);
  }

  /** @param {string} title @param {Node[]} children @param {string} [className] */
  function section(title, children, className = "") {
    return node("section", { className: `panel ${className}` }, [node("h4", { textContent: title }), ...children]);
  }

  function control(label, input, after = null) {
    return node("label", { className: "control" }, [node("span", { textContent: label }), input, ...(after ? [after] : [])]);
  }

  /** @param {number} side the drawing canvas's pixels a side */
  function buildInput(side) {
    const pad = node("canvas", { className: "draw-pad", width: side, height: side });
    pad.setAttribute("aria-label", "Drawing canvas: draw one digit");
    const clear = node("button", { type: "button", className: "clear", textContent: "Clear" });
    const digit = node("canvas", { className: "digit input-digit", width: 28, height: 28 });
    const caption = node("figcaption", { className: "caption" });
    const drawBox = node("div", { className: "draw-box" }, [pad, clear]);
    const figure = node("figure", {}, [digit, caption]);
    return { pad, clear, digit, caption, drawBox, block: section("The digit x", [drawBox, figure], "input") };
  }

  function buildEncoder() {
    const bars = node("canvas", { className: "bars" });
    const plane = node("canvas", { className: "plane" });
    plane.setAttribute("aria-label", "The VAE's latent plane: drag the dot to move z");
    const planeNote = node("p", { className: "note plane-note" });
    const aeMap = node("canvas", { className: "ae-map" });
    const aeNote = node("p", { className: "note ae-note" });
    return {
      bars,
      plane,
      planeNote,
      aeMap,
      aeNote,
      block: section("1. Encoder → q(z|x)", [
        node("p", { className: "note", textContent: "mu of each dimension (bar) with ±sigma (whisker); the dot is z." }),
        bars,
        node("div", { className: "maps" }, [
          node("div", {}, [plane, planeNote]),
          node("div", { className: "ae-column" }, [node("div", { className: "sub", textContent: "Autoencoder: one point, no spread" }), aeMap, aeNote]),
        ]),
      ], "encoder"),
    };
  }

  function buildDraw() {
    const again = node("button", { type: "button", className: "eps-again primary", textContent: "Draw eps again" });
    const play = node("button", { type: "button", className: "play", textContent: "Play" });
    const atMean = node("button", { type: "button", className: "at-mean", textContent: "z = mu" });
    const table = node("table", { className: "codes" });
    return { again, play, atMean, table, block: section("2. Reparameterise: z = mu + sigma · eps", [node("div", { className: "buttons" }, [again, play, atMean]), table], "draw") };
  }

  function buildDecoder() {
    const mean = node("canvas", { className: "digit mean-image", width: 28, height: 28 });
    const samples = node("canvas", { className: "samples", width: 28 * SAMPLE_GRID, height: 28 * SAMPLE_GRID });
    const why = node("p", {
      className: "note why",
      textContent:
        "Given z the decoder makes every pixel an independent coin with its own probability. The picture the app " +
        "usually shows is the coins' means, so wherever the model is unsure the mean is grey and the digit looks " +
        "blurry; a sample tosses each coin, so unsure pixels come out as scattered black and white specks.",
    });
    const figures = node("div", { className: "pictures" }, [
      node("figure", {}, [mean, node("figcaption", { textContent: "mean of p(x|z)" })]),
      node("figure", {}, [samples, node("figcaption", { textContent: `${SAMPLE_GRID * SAMPLE_GRID} samples x ~ p(x|z)` })]),
    ]);
    return { mean, samples, block: section("3. Decoder → p(x|z)", [figures, why], "decoder") };
  }

  function term(name, className) {
    const value = node("div", { className: "value" });
    const cell = node("div", { className: `term ${className}` }, [node("div", { className: "name", textContent: name }), value]);
    return { cell, value };
  }

  function buildElbo() {
    const n = node("input", { type: "number", min: 2, max: 1000, step: 1, value: 16, className: "n-draws" });
    const k = node("select", { className: "k-samples" });
    for (const choice of K_CHOICES) k.append(node("option", { value: String(choice), textContent: String(choice), selected: choice === 100 }));
    const beta = node("input", { type: "range", min: 0, max: 4, step: 0.05, value: 1, className: "beta" });
    const betaValue = node("span", { className: "beta-value", textContent: "1.00" });
    const redo = node("button", { type: "button", className: "redo", textContent: "New estimator draws" });
    const terms = {
      neg: term("−ELBO(x)", "neg-elbo"),
      recon: term("E_q[−log p(x|z)]", "recon"),
      kl: term("KL(q(z|x) ‖ N(0, I))", "kl"),
    };
    const formula = node("div", { className: "formula" }, [
      terms.neg.cell, node("div", { className: "op", textContent: "=" }), terms.recon.cell,
      node("div", { className: "op", textContent: "+" }), terms.kl.cell,
    ]);
    const beta_line = node("p", { className: "beta-line" });
    const klBars = node("canvas", { className: "kl-bars" });
    const iw = node("div", { className: "iw" });
    const ae = node("p", { className: "ae-elbo" });
    const controls = node("div", { className: "controls" }, [control("n draws", n), control("k samples", k), control("beta", beta, betaValue), redo]);
    const children = [controls, formula, beta_line, node("div", { className: "sub", textContent: "KL per dimension (nats)" }), klBars, iw, ae];
    return { n, k, beta, betaValue, redo, terms, betaLine: beta_line, klBars, iw, ae, block: section("4. The ELBO of this digit", children, "elbo") };
  }

  /** The whole page in `parent`; `side`: the drawing canvas's pixels a side (explorer.draw.drawing.CANVAS_SIDE).
   * @param {HTMLElement} parent @param {number} side */
  function buildView(parent, side) {
    const status = node("p", { className: "status" });
    const input = buildInput(side);
    const encoder = buildEncoder();
    const draw = buildDraw();
    const decoder = buildDecoder();
    const elbo = buildElbo();
    const root = node("div", { className: "inside-vae explorer-buttons" }, [
      status,
      node("div", { className: "columns" }, [
        node("div", { className: "column left" }, [input.block, draw.block]),
        node("div", { className: "column right" }, [encoder.block, decoder.block]),
      ]),
      elbo.block,
    ]);
    root.dataset.state = "loading";
    parent.append(root);
    return { root, status, input, encoder, draw, decoder, elbo };
  }

  return { INSIDE_PLANE, INSIDE_AE_PLANE, SAMPLE_GRID, K_CHOICES, buildView, fmt, codeTable };
})();
/** @type {any} */ (globalThis).InsideLayout = InsideLayout;
