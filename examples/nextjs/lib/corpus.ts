/** A tiny knowledge base; a real app would have a vector store or a search index here. */
export const PASSAGES = [
  { id: "tides-1", text: "Low tide comes about six hours after high tide, twice a day on most coasts.", source: "harbour-guide" },
  { id: "ferry-1", text: "The island ferry leaves the harbour at noon and returns at six in the evening.", source: "timetable" },
  { id: "bread-1", text: "Knead the dough for ten minutes, then let it rise until doubled in size.", source: "recipes" },
  { id: "tides-2", text: "Spring tides, with the largest range, follow a new or full moon.", source: "harbour-guide" },
  { id: "whales-1", text: "Whales breathe air through blowholes on the top of their heads.", source: "field-notes" },
  { id: "ferry-2", text: "Tickets for the ferry can be bought at the harbour office or on board.", source: "timetable" },
];
