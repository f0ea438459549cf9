/* ExplorerMount: what every component shares. A component's controller, made once per element Streamlit mounts
 * the component in; building DOM nodes from properties (never from markup); the arrays Python packs.
 *
 * Streamlit calls a component's default export on every script run that draws it. The controller is kept on
 * the element rather than in a module variable, so a re-evaluated module finds the same one (and its canvas,
 * pointer state and loaded models) instead of building a second beside it.
 */
/** @typedef {import("./contract").PackedFloat32} PackedFloat32 */
/** @typedef {import("./contract").PackedFloat16} PackedFloat16 */
/** @typedef {import("./contract").PackedInt32} PackedInt32 */
/** @typedef {import("./contract").PackedUint8} PackedUint8 */

const ExplorerMount = {
  /**
   * The controller kept on `element` under `slot`; `create()` makes it the first time.
   * @template T
   * @param {HTMLElement} element
   * @param {string} slot
   * @param {() => T} create
   * @returns {T}
   */
  once(element, slot, create) {
    const slots = /** @type {Record<string, T>} */ (/** @type {unknown} */ (element));
    if (!slots[slot]) slots[slot] = create();
    return slots[slot];
  },

  /**
   * A new `tag` element with `props` assigned (textContent, className, ...) and `children` appended.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Partial<HTMLElementTagNameMap[K]> | Record<string, unknown>} [props]
   * @param {(Node | string)[]} [children]
   * @returns {HTMLElementTagNameMap[K]}
   */
  element(tag, props = {}, children = []) {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  },

  /**
   * The bytes a base64 string encodes, as an ArrayBuffer (nothing gives an empty one).
   * @param {string | null | undefined} base64
   * @returns {ArrayBuffer}
   */
  bytes(base64) {
    return Uint8Array.from(atob(base64 || ""), (c) => c.charCodeAt(0)).buffer;
  },

  /**
   * An array Python packed (explorer/shared/browser/packing.py): base64 of little-endian values of `dtype`.
   * float16 comes back as float32 values (not every browser this runs in has Float16Array).
   * @overload
   * @param {PackedFloat32} text
   * @param {"<f4"} dtype
   * @returns {Float32Array}
   */
  /**
   * @overload
   * @param {PackedFloat16} text
   * @param {"<f2"} dtype
   * @returns {Float32Array}
   */
  /**
   * @overload
   * @param {PackedInt32} text
   * @param {"<i4"} dtype
   * @returns {Int32Array}
   */
  /**
   * @overload
   * @param {PackedUint8} text
   * @param {"u1"} dtype
   * @returns {Uint8Array}
   */
  /**
   * @param {string} text
   * @param {"<f4" | "<f2" | "<i4" | "u1"} dtype
   * @returns {Float32Array | Int32Array | Uint8Array}
   */
  unpack(text, dtype) {
    const buffer = ExplorerMount.bytes(text);
    if (dtype === "<f4") return new Float32Array(buffer);
    if (dtype === "<i4") return new Int32Array(buffer);
    if (dtype === "u1") return new Uint8Array(buffer);
    return Float32Array.from(new Uint16Array(buffer), ExplorerMount.half);
  },

  /**
   * A float16's bits as a number.
   * @param {number} bits
   * @returns {number}
   */
  half(bits) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  },
};
/** @type {any} */ (globalThis).ExplorerMount = ExplorerMount;
