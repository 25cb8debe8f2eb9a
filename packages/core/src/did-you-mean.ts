/** Inputs longer than this get no suggestion: a name is short, and the distance costs length × length. */
const MAX_LENGTH = 64;

/** Levenshtein distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to `input` (ignoring case), if it is close enough to be a typo of it: at most 2 edits,
 * or a third of the name for long names.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const wanted = input.trim().toLowerCase();
  if (!wanted || wanted.length > MAX_LENGTH) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(wanted, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return best && best.distance <= limit ? best.name : undefined;
}
