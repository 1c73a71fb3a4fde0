/**
 * Marathon's label selectors for GET `/v2/apps?label=…` (mesosphere/marathon,
 * src/main/scala/mesosphere/marathon/api/v2/LabelSelector.scala, `LabelSelectorParsers`), parsed
 * and matched purely. A query is selectors separated by commas, all of which must match:
 *
 * - `key`: the app has the label;
 * - `key==value`, `key!=value`: the app has the label, with (or without) that value;
 * - `key in (v1, v2)`, `key notin (v1, v2)`: the app has the label, its value in (or not in) the set.
 *
 * A term is letters and digits; any other character is written escaped with a backslash
 * (`\-`, `\.`, `\ `). Blanks between tokens are ignored. A query that does not parse is Marathon's
 * 422 (`IllegalArgumentException`): `Can not parse label selector <query>. Reason: <why>`.
 */

/** One selector: the label it needs and the test of its value. */
export interface LabelSelector {
  key: string;
  matches: (value: string) => boolean;
}

type Token = { kind: "term"; text: string } | { kind: "op"; text: "==" | "!=" | "(" | ")" | "," };

/** The tokens of `query`, or why it has none. */
function tokens(query: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = query.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      out.push({ kind: "op", text: two });
      i += 2;
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      out.push({ kind: "op", text: c });
      i++;
      continue;
    }
    let text = "";
    while (i < query.length) {
      const d = query[i]!;
      if (d === "\\" && i + 1 < query.length) {
        text += query[i + 1];
        i += 2;
      } else if (/[A-Za-z0-9]/.test(d)) {
        text += d;
        i++;
      } else break;
    }
    if (text === "") return `unexpected '${c}' at position ${i + 1} (escape it with a backslash)`;
    out.push({ kind: "term", text });
  }
  return out;
}

/** The selectors of `query` (none for an empty query, which every app matches), or why it does not parse. */
export function parseLabelSelectors(query: string): LabelSelector[] | { error: string } {
  const toks = tokens(query);
  if (typeof toks === "string") return { error: toks };
  const selectors: LabelSelector[] = [];
  let at = 0;
  const peek = () => toks[at];
  const term = (what: string): string | { error: string } => {
    const t = toks[at];
    if (t?.kind !== "term") return { error: `${what} expected${t ? ` but '${t.text}' found` : " but the query ended"}` };
    at++;
    return t.text;
  };
  while (at < toks.length) {
    const key = term("a label");
    if (typeof key !== "string") return key;
    const next = peek();
    if (next?.kind === "op" && (next.text === "==" || next.text === "!=")) {
      at++;
      const value = term("a value");
      if (typeof value !== "string") return value;
      selectors.push({ key, matches: next.text === "==" ? (v) => v === value : (v) => v !== value });
    } else if (next?.kind === "term" && (next.text === "in" || next.text === "notin") && toks[at + 1]?.text === "(") {
      at += 2;
      const set: string[] = [];
      while (peek()?.text !== ")") {
        const v = term("a value");
        if (typeof v !== "string") return v;
        set.push(v);
        if (peek()?.text === ",") at++;
        else if (peek()?.text !== ")") return { error: `',' or ')' expected in the set of '${key}'` };
      }
      at++;
      selectors.push({ key, matches: next.text === "in" ? (v) => set.includes(v) : (v) => !set.includes(v) });
    } else selectors.push({ key, matches: () => true });
    const sep = peek();
    if (sep === undefined) break;
    if (sep.text !== ",") return { error: `',' expected between selectors but '${sep.text}' found` };
    at++;
    if (at === toks.length) return { error: "a selector expected after ','" };
  }
  return selectors;
}

/** Whether `labels` satisfy every selector (Marathon's `LabelSelectors.matches`: the label must be there). */
export const labelsMatch = (selectors: readonly LabelSelector[], labels: Readonly<Record<string, string>>): boolean =>
  selectors.every((s) => Object.hasOwn(labels, s.key) && s.matches(labels[s.key]!));
