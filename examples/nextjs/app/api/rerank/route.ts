import { getReranker } from "@/lib/reranker";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** POST { query, documents, topN? } → crossrank's results: { index, score, rawScore, servedBy }[]. */
export async function POST(request: Request): Promise<Response> {
  const body = (await request.json()) as { query?: unknown; documents?: unknown; topN?: number };
  try {
    const reranker = await getReranker();
    const results = await reranker.rerank(body.query as string, body.documents as string[], { topN: body.topN, signal: request.signal });
    return Response.json({ results });
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return Response.json({ error: { code: e.code ?? "INTERNAL", message: e.message } }, { status: e.code === "INVALID_INPUT" ? 400 : 500 });
  }
}
