// Runs every tests/js/*.test.mjs in this one node process (`node tests/js/all.mjs`): one start
// instead of one per file (`node --test tests/js/` also works, a process each).
import { readdirSync } from "node:fs";

const here = new URL("./", import.meta.url);
for (const f of readdirSync(here).filter((f) => f.endsWith(".test.mjs")).sort()) await import(new URL(f, here));
