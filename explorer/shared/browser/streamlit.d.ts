// What Streamlit's Components v2 passes a component module's default export on every run that draws it (written
// by hand: the fields the modules here use). `Data` is the component's contract (explorer/<feature>/contract.d.ts).
export interface ComponentArgs<Data> {
  /** the `data` Python gave the component, as JSON */
  data: Data;
  /** the element Streamlit mounted the component's html in; the same one on every run */
  parentElement: HTMLElement;
  /** a value that stays until the next one, read by Python as result.<name> (on_<name>_change runs) */
  setStateValue: (name: string, value: unknown) => void;
  /** a value Python reads on the next run only */
  setTriggerValue: (name: string, value: unknown) => void;
}
