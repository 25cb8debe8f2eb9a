"use client";

import { useState, useTransition } from "react";
import type { Hit } from "@/lib/search";
import { searchQuery } from "./actions";

export function SearchForm() {
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [pending, startTransition] = useTransition();
  const submit = (form: FormData) => startTransition(async () => setHits(await searchQuery(String(form.get("q") ?? ""))));
  return (
    <form action={submit}>
      <input name="q" defaultValue="when is low tide" />
      <button type="submit" disabled={pending}>Search</button>
      <ol>
        {hits?.map((h) => (
          <li key={h.id}>
            {h.text} <small>({h.relevanceScore.toFixed(3)})</small>
          </li>
        ))}
      </ol>
    </form>
  );
}
