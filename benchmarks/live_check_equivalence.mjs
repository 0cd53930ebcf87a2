// The live layout check by difference (tests/layout/live_check.mjs, the default) against the check of
// the whole picture after every batch (--full), on the same recordings: the list of edge crossings
// after every batch must be identical. Run with the view's router and with it switched off
// (--no-router: new edges drawn as curves, so crossings appear and disappear), so the comparison
// is not one of empty lists only.
//     python tests/layout/live_docs.py /tmp/live && node benchmarks/live_check_equivalence.mjs /tmp/live/*.json
import { readFileSync } from "node:fs";
import { replay } from "../tests/layout/live_check.mjs";

const rows = [];
let differ = 0;
for (const file of process.argv.slice(2)) {
  const rec = JSON.parse(readFileSync(file, "utf8"));
  for (const noRouter of [false, true]) {
    const run = (full) => {
      const perBatch = [];
      const t0 = performance.now();
      const r = replay(rec, { full, noRouter, perBatch });
      return { r, perBatch, s: (performance.now() - t0) / 1000 };
    };
    const whole = run(true);
    const diff = run(false);
    const same = JSON.stringify(whole.perBatch) === JSON.stringify(diff.perBatch);
    if (!same) differ += 1;
    const firstDiff = whole.perBatch.findIndex((b, i) => JSON.stringify(b) !== JSON.stringify(diff.perBatch[i]));
    rows.push([rec.name, noRouter ? "off" : "on", whole.r.batches,
      whole.perBatch.filter((b) => b.length).length, diff.perBatch.filter((b) => b.length).length,
      whole.perBatch.reduce((n, b) => n + b.length, 0), same ? "yes" : `NO (batch ${firstDiff})`,
      whole.s.toFixed(1), diff.s.toFixed(1)]);
  }
}
const head = ["recording", "router", "batches", "batches w/ crossings: whole", "by difference",
  "crossings listed", "identical after every batch", "whole s", "by difference s"];
console.log(head.join(" | "));
for (const r of rows) console.log(r.join(" | "));
process.exit(differ ? 1 : 0);
