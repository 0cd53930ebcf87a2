// Stand-ins for the few DOM objects the view's methods touch, so their logic runs in node.
// (What the browser does with the elements is tested in a real chromium: tests/test_widget_bundle.py.)

/** An element that records its attributes, style and display, as the view's code sets them. */
export function fakeEl() {
  return { attrs: {}, style: {}, dataset: {}, setAttribute(k, v) { this.attrs[k] = String(v); } };
}

/** A view-like object: `methods` (e.g. zoomMethods) over the fields a test gives. */
export function fakeView(fields, ...methods) {
  const v = Object.assign({}, ...methods);
  v.root = { dataset: {} };
  v.scene = fakeEl();
  v.canvas = { clientWidth: 600, clientHeight: 400, style: {} };
  v.model = { traits: {}, get(k) { return this.traits[k]; } };
  v.scheduleCull = () => {};
  if (!v.placeOverview) v.placeOverview = () => {}; // the map (view/overview.js), when not tested
  return Object.assign(v, fields);
}
