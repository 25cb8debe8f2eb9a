import { readFile } from "node:fs/promises";
import { join } from "node:path";

export interface BenchQuery {
  query: string;
  passages: string[];
}

/** The 43 DL19 queries with BM25's top-100 passages, from ../shared (never copied into the repository). */
export async function loadDl19(dir: string, limit?: number): Promise<BenchQuery[]> {
  const raw = JSON.parse(await readFile(join(dir, "bm25-top100.json"), "utf8")) as { query: string; hits: { content: string }[] }[];
  return raw.slice(0, limit).map((q) => ({ query: q.query, passages: q.hits.map((h) => h.content) }));
}
