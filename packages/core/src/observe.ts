import type * as Otel from "@opentelemetry/api";
import { isRerankError, type RerankErrorCode } from "./errors.js";
import { nativeImport } from "./native-import.js";
import {
  runTraced,
  type CallTrace,
  type HostedRequestEvent,
  type LocalBatchEvent,
  type RerankEvent,
} from "./telemetry.js";
import type { RerankOptions, RerankProvider, Reranker, RerankResult } from "./types.js";

export interface ObserveOptions {
  /** Called with one event per call, and one per hosted request or local batch. */
  onEvent?: (event: RerankEvent) => void;
  /** Put the query and document texts in the call's event (off by default: they may be private). */
  includeText?: boolean;
}

type OtelApi = typeof Otel;
let otelLoad: Promise<OtelApi | undefined> | undefined;

/** @opentelemetry/api when the app has it (an optional peer); spans are no-ops until the app registers an SDK. */
export function loadOpenTelemetry(): Promise<OtelApi | undefined> {
  otelLoad ??= nativeImport("@opentelemetry/api").then(
    (m) => (typeof (m as OtelApi)?.trace?.getTracer === "function" ? (m as OtelApi) : undefined),
    () => undefined,
  );
  return otelLoad;
}

const ERROR_STATUS = 2; // SpanStatusCode.ERROR, without importing the enum at run time

function callAttributes(provider: RerankProvider, documents: number, topN: number | undefined): Otel.Attributes {
  return {
    "gen_ai.operation.name": "rerank",
    "gen_ai.provider.name": provider.provider,
    "gen_ai.request.model": provider.model,
    "crossrank.documents.count": documents,
    ...(topN === undefined ? {} : { "crossrank.request.top_n": topN }),
  };
}

function childSpan(
  otel: OtelApi,
  tracer: Otel.Tracer,
  parent: Otel.Context,
  event: HostedRequestEvent | LocalBatchEvent,
): void {
  const startTime = Date.now() - event.durationMs;
  const attributes: Otel.Attributes =
    event.type === "request"
      ? {
          "gen_ai.provider.name": event.provider,
          "gen_ai.request.model": event.model,
          "crossrank.documents.count": event.documents,
          "crossrank.request.attempts": event.attempts,
          "crossrank.request.retried_statuses": event.retriedStatuses,
          ...(event.status === undefined ? {} : { "http.response.status_code": event.status }),
          ...(event.requestId ? { "gen_ai.response.id": event.requestId } : {}),
        }
      : {
          "gen_ai.provider.name": event.provider,
          "gen_ai.request.model": event.model,
          "crossrank.batch.pairs": event.pairs,
          "crossrank.batch.tokens": event.tokens,
          "crossrank.batch.padded_tokens": event.paddedTokens,
        };
  const name = event.type === "request" ? "crossrank.request" : "crossrank.batch";
  const span = tracer.startSpan(name, { startTime, attributes }, parent);
  if (event.type === "request" && !event.ok) {
    span.setStatus({ code: ERROR_STATUS, message: `HTTP ${event.status ?? "error"}` });
  }
  span.end();
}

/**
 * Wraps a reranker so every call is observable: a `rerank` event (and one per hosted request or local batch) for
 * `onEvent`, and an OpenTelemetry span `crossrank.rerank` with child spans when @opentelemetry/api is present.
 * No text is reported unless `includeText` is set; API keys never are (nothing here sees them).
 * The wrapper keeps what the inner one declares: `close()` when it has one, and `scoresDependOnCandidates`, which
 * a result cache put around it reads to choose its key.
 */
export function withObservability(inner: Reranker, options: ObserveOptions, otel: OtelApi | undefined): Reranker;
export function withObservability(
  inner: RerankProvider,
  options: ObserveOptions,
  otel: OtelApi | undefined,
): RerankProvider;
export function withObservability(
  inner: RerankProvider,
  options: ObserveOptions,
  otel: OtelApi | undefined,
): RerankProvider {
  const tracer = otel?.trace.getTracer("crossrank");
  let listenerFailed = false;
  const deliver = (event: RerankEvent) => {
    if (!options.onEvent) return;
    try {
      options.onEvent(event);
    } catch (error) {
      // A broken listener must not break reranking; say so once.
      if (!listenerFailed) {
        const message = `crossrank onEvent listener threw: ${(error as Error)?.message ?? error}`;
        process.emitWarning(message, { code: "CROSSRANK_ON_EVENT" });
      }
      listenerFailed = true;
    }
  };

  return {
    provider: inner.provider,
    model: inner.model,
    ...(inner.scoresDependOnCandidates ? { scoresDependOnCandidates: true } : {}),
    async rerank(query: string, documents: string[], rerankOptions?: RerankOptions): Promise<RerankResult[]> {
      const started = performance.now();
      const count = Array.isArray(documents) ? documents.length : 0;
      const attributes = callAttributes(inner, count, rerankOptions?.topN);
      const span = tracer?.startSpan("crossrank.rerank", { attributes });
      const context = span && otel ? otel.trace.setSpan(otel.context.active(), span) : undefined;
      const trace: CallTrace = {
        counts: { retriedStatuses: [], fallbacks: [] },
        emit(event) {
          deliver(event);
          if (tracer && otel && context) childSpan(otel, tracer, context, event);
        },
      };
      const finish = (results: RerankResult[] | undefined, error: unknown) => {
        const { retriedStatuses, fallbacks, ...counts } = trace.counts;
        const errorCode: RerankErrorCode | undefined =
          error === undefined ? undefined : isRerankError(error) ? error.code : "PROVIDER_ERROR";
        const servedBy = results?.[0]?.servedBy;
        deliver({
          type: "rerank",
          provider: inner.provider,
          model: inner.model,
          servedBy,
          documents: count,
          topN: rerankOptions?.topN,
          durationMs: performance.now() - started,
          ok: error === undefined,
          ...(errorCode ? { errorCode } : {}),
          ...counts,
          ...(retriedStatuses.length ? { retriedStatuses } : {}),
          ...(fallbacks.length ? { fallbacks } : {}),
          ...(options.includeText ? { query, texts: [...documents] } : {}),
        });
        if (!span) return;
        const numbers = Object.entries(counts).filter(([, v]) => typeof v === "number") as [string, number][];
        for (const [key, value] of numbers) {
          span.setAttribute(`crossrank.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, value);
        }
        if (servedBy) {
          span.setAttribute("crossrank.served_by", servedBy);
          span.setAttribute("gen_ai.response.model", servedBy.slice(servedBy.indexOf(":") + 1));
        }
        if (fallbacks.length) {
          span.setAttribute("crossrank.fallbacks", fallbacks.map((f) => `${f.failed} (${f.errorCode})`));
        }
        if (error !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setAttribute("error.type", errorCode!);
          span.setStatus({ code: ERROR_STATUS, message: error instanceof Error ? error.message : String(error) });
        }
        span.end();
      };
      try {
        const run = () => runTraced(trace, () => inner.rerank(query, documents, rerankOptions));
        const results = otel && context ? await otel.context.with(context, run) : await run();
        finish(results, undefined);
        return results;
      } catch (error) {
        finish(undefined, error);
        throw error;
      }
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
  };
}
