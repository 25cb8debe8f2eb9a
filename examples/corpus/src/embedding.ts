/**
 * A deterministic bag-of-words embedding (hashed into 128 dimensions, L2-normalised): a stand-in first stage
 * that needs no model or network. It matches words, not meaning, as a cheap first stage does.
 */
export const EMBEDDING_DIMENSIONS = 128;

export function embedText(text: string): number[] {
  const v = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619) >>> 0;
    v[h % EMBEDDING_DIMENSIONS]! += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
