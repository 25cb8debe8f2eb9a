"use server";

import { search, type Hit } from "@/lib/search";

/** A server action: the search form posts here, and the page shows what it returns. */
export async function searchAction(_previous: Hit[] | null, form: FormData): Promise<Hit[]> {
  return search(String(form.get("q") ?? ""));
}

/** The same search called directly from client code: `await searchQuery("when is low tide")`. */
export async function searchQuery(query: string): Promise<Hit[]> {
  return search(query);
}
