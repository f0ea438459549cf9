/* ExplorerMount: a component's controller, made once per element Streamlit mounts the component in.
 *
 * Streamlit calls a component's default export on every script run that draws it. The controller is kept on
 * the element rather than in a module variable, so a re-evaluated module finds the same one (and its canvas,
 * pointer state and loaded models) instead of building a second beside it.
 */
const ExplorerMount = {
  /** The controller kept on `element` under `slot`; `create()` makes it the first time. */
  once(element, slot, create) {
    if (!element[slot]) element[slot] = create();
    return element[slot];
  },
};
globalThis.ExplorerMount = ExplorerMount;
