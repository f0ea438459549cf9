/* ExplorerMount: what every component shares. A component's controller, made once per element Streamlit mounts
 * the component in; building DOM nodes from properties (never from markup); the bytes of a base64 payload.
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
  /** A new `tag` element with `props` assigned (textContent, className, ...) and `children` appended. */
  element(tag, props = {}, children = []) {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  },
  /** The bytes a base64 string encodes, as an ArrayBuffer (nothing gives an empty one). */
  bytes(base64) {
    return Uint8Array.from(atob(base64 || ""), (c) => c.charCodeAt(0)).buffer;
  },
};
globalThis.ExplorerMount = ExplorerMount;
