/**
 * A guide to an imaginary harbour town, written for crossrank's examples. Several passages share a query's words
 * without answering it, so a first stage that matches words ranks them high and a reranker has work to do.
 */
export interface Passage {
  id: string;
  title: string;
  text: string;
}

export const PASSAGES: Passage[] = [
  { id: "tide-1", title: "Tide tables", text: "Low tide at Greyharbour falls about six hours after high tide; the harbour office posts the day's tide table by the slipway each morning." },
  { id: "tide-2", title: "Walking the sandbar", text: "The sandbar to Gull Island can only be crossed on foot at low tide. Start back at least an hour before the tide turns." },
  { id: "tide-3", title: "Tide song", text: "The old fishermen's song about the tide is sung every summer at the harbour festival; nobody remembers who wrote it." },
  { id: "tide-4", title: "Tide mill museum", text: "The tide mill museum shows how the town once ground flour with the power of the incoming tide. Open daily except Monday." },
  { id: "ferry-1", title: "Ferry timetable", text: "Ferries to Gull Island leave the north pier at 8:00, 11:30 and 16:00 in summer; in winter only the 11:30 sailing runs." },
  { id: "ferry-2", title: "Ferry tickets", text: "Tickets for the island ferry are sold on board; bicycles travel free, dogs must be on a lead." },
  { id: "ferry-3", title: "Ferry history", text: "The first steam ferry crossed to the island in 1887. The ticket booth from that time now sells ice cream." },
  { id: "fish-1", title: "Fishing permits", text: "A permit is needed to fish from the harbour wall. Buy one at the harbour office; children under twelve fish free." },
  { id: "fish-2", title: "Fish market", text: "The fish market opens at dawn when the boats come in and closes at noon, or earlier when the catch is sold." },
  { id: "fish-3", title: "Fish and chips", text: "The best fish and chips in town come from the blue kiosk near the market; expect a queue on Saturdays." },
  { id: "weather-1", title: "Storm warnings", text: "When the storm flag flies over the harbour office, small boats must stay in port and the sea wall path is closed." },
  { id: "weather-2", title: "Weather station", text: "The weather station on the headland records wind, rain and sea temperature; readings are shown on a screen in the library." },
  { id: "weather-3", title: "Fog", text: "Sea fog rolls in on warm spring afternoons; the foghorn on the lighthouse sounds every thirty seconds until it clears." },
  { id: "museum-1", title: "Maritime museum", text: "The maritime museum keeps ship models, old charts and the lighthouse's first lamp. Entry is free on the first Sunday of the month." },
  { id: "museum-2", title: "Lighthouse tours", text: "Guided tours climb the lighthouse's 112 steps on weekends; children must be at least eight years old." },
  { id: "food-1", title: "Bakery", text: "The harbour bakery sells saffron buns, still made with flour from the tide mill on festival days." },
  { id: "food-2", title: "Cafe opening hours", text: "The pier cafe opens at seven for the ferry crowd and stays open late on summer evenings." },
  { id: "travel-1", title: "Getting here by train", text: "The nearest station is Millford; a bus meets every train and reaches the harbour in twenty minutes." },
  { id: "travel-2", title: "Parking", text: "Park in the long-stay car park above the town; the harbour front is closed to cars in summer." },
  { id: "travel-3", title: "Bicycles", text: "Bicycles can be hired by the north pier and taken on the island ferry at no charge." },
  { id: "island-1", title: "Gull Island birds", text: "Gull Island is a nesting ground for puffins from April to July; keep to the marked path to avoid the burrows." },
  { id: "island-2", title: "Island cottages", text: "Three holiday cottages on Gull Island can be rented by the week; supplies come over on the morning ferry." },
  { id: "safety-1", title: "Swimming", text: "Swim only at the town beach between the red and yellow flags; currents by the harbour mouth are strong at every tide." },
  { id: "safety-2", title: "Lifeboat station", text: "The lifeboat station welcomes visitors on Sunday mornings; the crew trains in the bay on Thursday evenings." },
];

export const QUERIES = [
  "when can I walk across to the island at low tide",
  "can I take my bicycle on the ferry to Gull Island",
  "where do I buy a fishing permit",
];
