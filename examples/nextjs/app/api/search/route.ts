import { search } from "@/lib/search";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** GET /api/search?q=… → the first stage's candidates reranked by crossrank through LangChain. */
export async function GET(request: Request): Promise<Response> {
  const query = new URL(request.url).searchParams.get("q") ?? "";
  try {
    return Response.json({ query, hits: await search(query) });
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return Response.json({ error: { code: e.code ?? "INTERNAL", message: e.message } }, { status: 500 });
  }
}
