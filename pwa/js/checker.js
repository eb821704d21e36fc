// Advisory wording checker for provision lines and targets.
//
// The same engine as server/checker.py, so the page can check wording offline.
// `rules` is the parsed wording JSON for one jurisdiction
// (server/data/<jurisdiction>/wording.json), fetched from the server.
//
// - "phrase" rules flag every non-empty match of `pattern`, unless `unless`
//   matches anywhere in the text;
// - "missing" rules flag once when `pattern` does not match, but only for texts
//   of at least `min_words` words (default 4), and also not when `unless` matches;
// - `{child}` in a pattern stands for the child's name; rules that use it are
//   skipped when no name is given;
// - matching is case-insensitive and runs over the whole text.
//
// Flags use the same snake_case keys as Flag.to_dict() in Python. `start`/`end`
// are string indices (UTF-16), ready for String.prototype.slice.

const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 };
const DEFAULT_MIN_WORDS = 4;
const CHILD = "{child}";
// Escapes exactly the characters server/checker.py escapes.
const SPECIAL = /[.*+?^${}()|[\]\\/-]/g;

const compiled = new Map();

/** Return a cached case-insensitive RegExp (global when `global` is true). */
function compile(pattern, global) {
  const key = (global ? "g:" : "s:") + pattern;
  let re = compiled.get(key);
  if (!re) {
    re = new RegExp(pattern, global ? "gi" : "i");
    compiled.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Return an alternation of the name's parts, or "" when there are none. */
function childPattern(childName) {
  const parts = childName
    .split(/\s+/)
    .filter((part) => part.length > 1)
    .map((part) => part.replace(SPECIAL, "\\$&"));
  return parts.length ? "(?:" + parts.join("|") + ")" : "";
}

/** Substitute the child's name into a pattern; null if it needs one we lack. */
function fill(pattern, child) {
  if (pattern == null || !pattern.includes(CHILD)) return pattern ?? null;
  return child ? pattern.split(CHILD).join(child) : null;
}

/** Build the plain flag object for a rule. */
function makeFlag(rule, start = null, end = null, match = null) {
  return {
    rule_id: rule.id,
    severity: rule.severity,
    title: rule.title,
    explanation: rule.explanation,
    suggestion: rule.suggestion || "",
    source: rule.source,
    verified: rule.verified,
    start,
    end,
    match,
  };
}

/** Check one provision line or target; returns flags sorted by severity then position. */
export function check(text, kind, rules, { childName } = {}) {
  if (typeof text !== "string" || !text.trim()) return [];
  const child = typeof childName === "string" ? childPattern(childName) : "";
  const words = text.split(/\s+/).filter(Boolean).length;
  const found = [];
  (rules?.rules ?? []).forEach((rule, order) => {
    if (!(rule.applies_to ?? []).includes(kind)) return;
    const usesChild = ((rule.pattern ?? "") + (rule.unless ?? "")).includes(CHILD);
    if (usesChild && !child) return;
    const pattern = fill(rule.pattern, child);
    const unless = fill(rule.unless, child);
    if (unless && compile(unless, false).test(text)) return;
    if (rule.type === "phrase") {
      for (const m of text.matchAll(compile(pattern, true))) {
        if (m[0].length > 0) {
          found.push({ order, flag: makeFlag(rule, m.index, m.index + m[0].length, m[0]) });
        }
      }
    } else if (rule.type === "missing") {
      const minWords = rule.min_words ?? DEFAULT_MIN_WORDS;
      if (words >= minWords && !compile(pattern, false).test(text)) {
        found.push({ order, flag: makeFlag(rule) });
      }
    }
  });
  const rank = (severity) => SEVERITY_ORDER[severity] ?? Object.keys(SEVERITY_ORDER).length;
  found.sort(
    (a, b) =>
      rank(a.flag.severity) - rank(b.flag.severity) ||
      (a.flag.start === null) - (b.flag.start === null) ||
      (a.flag.start ?? 0) - (b.flag.start ?? 0) ||
      a.order - b.order,
  );
  return found.map((item) => item.flag);
}
