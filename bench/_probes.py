"""In-page probes the browser benchmarks share (installed with ``add_init_script`` before Streamlit's scripts)."""

# When a key went down last (window.__keys.t0, ms of the page's clock) and each change of the address after one
# (window.__keys.answers: {t0, t1}). Streamlit writes query parameters with the history API, and on the live
# sliders page a new code= is the server's answer to a release: its fragment reran and wrote the link.
KEY_CLOCK_JS = r"""
(() => {
  const K = (window.__keys = {t0: null, url: location.href, answers: []});
  document.addEventListener('keydown', () => { K.t0 = performance.now(); }, true);
  for (const name of ['pushState', 'replaceState']) {
    const native = history[name];
    history[name] = function (...args) {
      const result = native.apply(this, args);
      if (location.href !== K.url) {
        K.url = location.href;
        if (K.t0 !== null) K.answers.push({t0: K.t0, t1: performance.now()});
      }
      return result;
    };
  }
})();
"""
