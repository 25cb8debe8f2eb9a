/** The adapters' shared test query and passages: one clearly relevant (index 3), one partly, two not. */
export const HARBOUR_QUERY = "when is low tide at the harbour";

export const HARBOUR_TEXTS: readonly string[] = [
  "The harbour opens at dawn for fishing boats.",
  "Tide tables list high and low water for each harbour.",
  "A recipe for bread with flour and water.",
  "Low tide exposes the harbour wall; check the tide tables before walking out.",
];
