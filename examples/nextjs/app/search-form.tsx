"use client";

import { useActionState } from "react";
import { searchAction } from "./actions";

export function SearchForm() {
  const [hits, action, pending] = useActionState(searchAction, null);
  return (
    <form action={action}>
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
