import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One local server that speaks the four rerank wire formats crossrank supports, from each API's public reference:
 * Cohere v2 `POST /v2/rerank`, Mixedbread `POST /v1/reranking`, the Cohere-compatible `POST /v1/rerank`
 * (vLLM, Infinity, Jina) and text-embeddings-inference `POST /rerank`, with their error bodies and limits.
 * Scores come from word overlap, so they depend only on (query, document), as a real model's do.
 */
export type Api = "cohere-v2" | "mixedbread" | "cohere-compatible" | "tei" | "voyage" | "jina";

/** Voyage and Jina both use /v1/rerank on their own hosts; here each has a path prefix, given as its baseUrl. */
export const ROUTES: Record<Api, string> = {
  "cohere-v2": "/v2/rerank",
  mixedbread: "/v1/reranking",
  "cohere-compatible": "/v1/rerank",
  tei: "/rerank",
  voyage: "/voyage/v1/rerank",
  jina: "/jina/v1/rerank",
};

export const LIMITS: Record<Api, number> = {
  "cohere-v2": 1000,
  mixedbread: 1000,
  "cohere-compatible": 10_000,
  tei: 32,
  voyage: 1000,
  jina: 1000,
};

/** Voyage's per-request token limit for rerank-2.5, as its API reference states it. */
export const VOYAGE_MAX_TOKENS = 600_000;
/** Voyage's query + one document limit for rerank-2.5. */
export const VOYAGE_MAX_PAIR_TOKENS = 32_000;

/** A stand-in tokenizer's count (about four characters a token, as subword tokenizers run on English). */
export function fakeTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export interface ApiFault {
  status?: number;
  retryAfter?: string;
  /** Wait this long before answering (longer than the client's timeout = a timeout). */
  delayMs?: number;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Rewrite the list of [index, score] pairs before answering (out-of-range, duplicate, missing entries). */
  mutate?: (results: { index: number; score: number }[]) => { index: number; score: number }[];
  /** Answer exactly this (status 200 unless given), whatever was asked. */
  raw?: { status?: number; body: string; headers?: Record<string, string> };
  /** Answer with a redirect (307 unless given) to this Location. */
  redirectTo?: string;
  redirectStatus?: number;
  /** Never send the status line and headers (slow-loris), until the client goes away or HOSTILE_LIMIT_MS passes. */
  stall?: boolean;
  /** Send 200 and headers, then one byte of body every 50 ms, never finishing. */
  trickle?: boolean;
  /** Send 200 and an endless JSON-looking body as fast as the client reads it. */
  endless?: boolean;
}

/** The longest a hostile answer (stall, trickle, endless) goes on, so no test server outlives its test. */
export const HOSTILE_LIMIT_MS = 15_000;

export interface ApiRequest {
  api: Api;
  headers: IncomingMessage["headers"];
  body: any;
  at: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const words = (t: string) => t.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** A relevance logit from word overlap, plus a small stable per-document term so unrelated texts rarely tie. */
export function logitFor(query: string, document: string): number {
  const q = new Set(words(query));
  const overlap = words(document).filter((w) => q.has(w)).length;
  const jitter = createHash("sha1").update(document).digest().readUInt16BE(0) / 65_536 / 10;
  return (2 * overlap) / Math.sqrt(words(document).length + 1) - 1 + jitter;
}

export class FakeRerankApis {
  readonly requests: ApiRequest[] = [];
  /** Most requests that were being answered at the same moment. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly faults = new Map<Api, ApiFault[]>();
  private server!: Server;
  url = "";

  constructor(readonly apiKey: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  fail(api: Api, ...faults: ApiFault[]): void {
    this.faults.set(api, [...(this.faults.get(api) ?? []), ...faults]);
  }

  clear(): void {
    this.requests.length = 0;
    this.maxInFlight = 0;
    this.faults.clear();
  }

  requestsTo(api: Api): ApiRequest[] {
    return this.requests.filter((r) => r.api === api);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.on("close", () => this.inFlight--);
    const api = (Object.keys(ROUTES) as Api[]).find((a) => ROUTES[a] === req.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!api || req.method !== "POST") return send(res, 404, { message: "Not Found" });
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return this.error(api, res, 400, "invalid JSON body");
    }
    this.requests.push({ api, headers: req.headers, body, at: Date.now() });

    const fault = this.faults.get(api)?.shift();
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.status)
      return this.error(
        api,
        res,
        fault.status,
        "injected failure",
        fault.retryAfter ? { "retry-after": fault.retryAfter } : {},
      );
    if (fault?.raw) {
      const headers = { "content-type": "application/json", ...fault.raw.headers };
      res.writeHead(fault.raw.status ?? 200, headers);
      res.end(fault.raw.body);
      return;
    }
    if (fault?.redirectTo) {
      res.writeHead(fault.redirectStatus ?? 307, { location: fault.redirectTo, "content-length": "0" });
      res.end();
      return;
    }
    if (fault?.stall || fault?.trickle || fault?.endless) return hostile(res, fault);

    if (api === "cohere-v2" || api === "mixedbread" || api === "voyage" || api === "jina") {
      if (req.headers.authorization !== `Bearer ${this.apiKey}`)
        return this.error(
          api,
          res,
          401,
          api === "cohere-v2"
            ? "invalid api token"
            : api === "mixedbread"
              ? "Invalid API key"
              : "Provided API key is invalid.",
        );
    }
    const query: unknown = body.query;
    const docs: unknown = api === "mixedbread" ? body.input : api === "tei" ? body.texts : body.documents;
    if (typeof query !== "string" || !Array.isArray(docs) || docs.some((d) => typeof d !== "string")) {
      return this.error(
        api,
        res,
        api === "cohere-v2" ? 400 : 422,
        "query must be a string and documents a list of strings",
      );
    }
    if ((api === "cohere-v2" || api === "mixedbread" || api === "voyage") && typeof body.model !== "string")
      return this.error(api, res, 422, "model is required");
    if (api === "voyage") {
      const q = fakeTokens(query);
      if (body.truncation === false && (docs as string[]).some((d) => q + fakeTokens(d) > VOYAGE_MAX_PAIR_TOKENS)) {
        return this.error(
          api,
          res,
          400,
          `The sum of the number of tokens in the query and any document exceeds ${VOYAGE_MAX_PAIR_TOKENS}.`,
        );
      }
      const pair = (d: string) =>
        Math.min(fakeTokens(d), body.truncation === false ? Infinity : VOYAGE_MAX_PAIR_TOKENS - q);
      const total = (docs as string[]).reduce((sum, d) => sum + q + pair(d), 0);
      if (total > VOYAGE_MAX_TOKENS) {
        return this.error(
          api,
          res,
          400,
          `Request to model '${body.model}' failed. The max allowed tokens per submitted batch is ` +
            `${VOYAGE_MAX_TOKENS}. Your batch has ${total} tokens after truncation.`,
        );
      }
    }
    if (docs.length > LIMITS[api]) {
      return this.error(
        api,
        res,
        api === "cohere-v2" ? 400 : 422,
        api === "tei"
          ? `batch size ${docs.length} > maximum allowed batch size ${LIMITS.tei}`
          : `too many documents: ${docs.length} > ${LIMITS[api]}`,
      );
    }
    let results = (docs as string[]).map((d, index) => ({ index, score: logitFor(query, d) }));
    results.sort((a, b) => b.score - a.score || a.index - b.index);
    const topN = api === "mixedbread" || api === "voyage" ? body.top_k : body.top_n;
    if (typeof topN === "number") results = results.slice(0, topN);
    if (api !== "tei" || body.raw_scores !== true) results = results.map((r) => ({ ...r, score: sigmoid(r.score) }));
    if (fault?.mutate) results = fault.mutate(results);
    if (fault?.malformed) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"results": [ {"index": 0, "relevance_sc');
      return;
    }
    const id = randomUUID();
    switch (api) {
      case "cohere-v2":
        return send(
          res,
          200,
          {
            id,
            results: results.map((r) => ({ index: r.index, relevance_score: r.score })),
            meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } },
          },
          { "x-request-id": id },
        );
      case "mixedbread":
        return send(
          res,
          200,
          {
            usage: { prompt_tokens: 10, total_tokens: 10 },
            model: body.model,
            data: results.map((r) => ({ index: r.index, score: r.score, object: "rank_result" })),
            object: "list",
            top_k: topN ?? docs.length,
            return_input: false,
          },
          { "x-request-id": id },
        );
      case "cohere-compatible":
        return send(
          res,
          200,
          {
            id,
            model: body.model ?? "served-model",
            results: results.map((r) => ({ index: r.index, relevance_score: r.score })),
            usage: { total_tokens: 10 },
          },
          { "x-request-id": id },
        );
      case "tei":
        return send(
          res,
          200,
          results.map((r) => ({ index: r.index, score: r.score })),
        );
      case "voyage":
        return send(
          res,
          200,
          {
            object: "list",
            data: results.map((r) => ({ relevance_score: r.score, index: r.index })),
            model: body.model,
            usage: { total_tokens: 10 },
          },
          { "x-request-id": id },
        );
      case "jina":
        return send(
          res,
          200,
          {
            model: body.model ?? "jina-reranker-v2-base-multilingual",
            usage: { total_tokens: 10 },
            results: results.map((r) => ({ index: r.index, relevance_score: r.score })),
          },
          { "cf-ray": id },
        );
    }
  }

  /** Each API's documented error body. */
  private error(
    api: Api,
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    const id = randomUUID();
    const body =
      api === "cohere-v2"
        ? { id, message }
        : api === "mixedbread" || api === "voyage" || api === "jina"
          ? { detail: message }
          : api === "tei"
            ? { error: message, error_type: status === 429 ? "Overloaded" : "Validation" }
            : { message, type: "error" };
    send(res, status, body, { "x-request-id": id, ...headers });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Answers that never finish, each bounded by HOSTILE_LIMIT_MS and ended as soon as the client goes away. */
function hostile(res: ServerResponse, fault: ApiFault): void {
  let open = true;
  const end = () => {
    open = false;
    clearTimeout(limit);
    clearInterval(drip);
    res.destroy();
  };
  const limit = setTimeout(end, HOSTILE_LIMIT_MS);
  let drip: NodeJS.Timeout | undefined;
  res.on("close", end);
  if (fault.stall) {
    res.socket?.write(""); // keep the connection: no status line, no headers, ever
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  if (fault.trickle) {
    res.write('{"results": [');
    drip = setInterval(() => open && res.write(" "), 50);
    return;
  }
  const chunk = Buffer.from(`${'{"index": 0, "relevance_score": 0.5},'.repeat(1024)}`);
  res.write('{"results": [');
  const pump = () => {
    while (open && res.write(chunk));
    if (open) res.once("drain", pump);
  };
  pump();
}
