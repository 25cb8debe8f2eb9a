import { SearchForm } from "./search-form";

export default function Page() {
  return (
    <main>
      <h1>crossrank in Next.js</h1>
      <SearchForm />
    </main>
  );
}
