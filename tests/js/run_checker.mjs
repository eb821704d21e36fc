// Run pwa/js/checker.js over cases for tests/test_checker.py.
//
// Usage: node run_checker.mjs RULES.json < cases.json
// cases.json is [{"text", "kind", "child_name"}, ...]; prints a JSON array of
// flag arrays, one per case, in the same order.

import { readFileSync } from "node:fs";
import { check } from "../../pwa/js/checker.js";

const rules = JSON.parse(readFileSync(process.argv[2], "utf8"));
const cases = JSON.parse(readFileSync(0, "utf8"));
const results = cases.map(({ text, kind, child_name: childName }) =>
  check(text, kind, rules, { childName: childName ?? undefined }),
);
process.stdout.write(JSON.stringify(results));
