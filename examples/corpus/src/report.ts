export interface Ranked {
  id: string;
  score?: number;
}

/** Prints one query's first-stage order beside the reranked order. */
export function printComparison(log: (line: string) => void, query: string, firstStage: string[], reranked: Ranked[], servedBy: string): void {
  log(`\nquery: ${query}`);
  log(`  first stage (top ${Math.min(5, firstStage.length)} of ${firstStage.length}): ${firstStage.slice(0, 5).join(", ")}`);
  log(`  reranked by ${servedBy}:`);
  reranked.forEach((r, i) => log(`    ${i + 1}. ${r.id.padEnd(10)} ${r.score === undefined ? "" : r.score.toFixed(4)}  (was #${firstStage.indexOf(r.id) + 1})`));
}
