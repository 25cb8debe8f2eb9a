"use server";

import { search, type Hit } from "@/lib/search";

/** A server action: the search form on the page calls it with the query and shows what it returns. */
export async function searchQuery(query: string): Promise<Hit[]> {
  return search(query);
}
