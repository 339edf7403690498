/**
 * "Did you mean" for names a person typed: fields, regions, clouds, cell and stack ids.
 */

/** Edit distance with adjacent transpositions (optimal string alignment), ignoring case and spaces. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase().replace(/\s+/g, "");
  const t = b.toLowerCase().replace(/\s+/g, "");
  const rows = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[s.length]![t.length]!;
}

/**
 * The candidate a typo most likely meant: the nearest within a quarter of the value's length (at
 * least one edit), else the first that starts with the value (3 characters or more: `cell` for
 * `cellId`). Ties go to the earlier candidate; nothing close enough gives `undefined`.
 */
export function closest(value: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(value.length / 4));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(value, candidate);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined && value.length >= 3) best = candidates.find((c) => c.toLowerCase().startsWith(value.toLowerCase()));
  return best;
}

/** `; did you mean 'x'?` when a candidate is close, else an empty string: ready to append to a message. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  const guess = closest(value, candidates);
  return guess === undefined ? "" : `; did you mean '${guess}'?`;
}
