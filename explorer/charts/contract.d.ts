// Generated from explorer/charts/contract.py by `python -m explorer.shared.browser.contracts --write`: do not edit.

/** A Plotly figure for the element that stays mounted while its figures change. */
export interface LiveChartData {
  /** page-relative URL of plotly.js's cartesian bundle, loaded once per page */
  src: string;
  /** the root's data-testid, for tests */
  testid: string;
  /** the figure as Plotly's own JSON text (its encoding of numpy arrays included) */
  figure: string;
}
