import { RerankError, type RerankProvider } from "@crossrank/core";

/** Counts calls to a provider, to prove an adapter did (or did not) reach the backend. */
export function countingProvider(inner: RerankProvider): RerankProvider & { calls: number } {
  const counted = {
    provider: inner.provider,
    model: inner.model,
    calls: 0,
    async rerank(...args: Parameters<RerankProvider["rerank"]>) {
      counted.calls++;
      return inner.rerank(...args);
    },
  };
  return counted;
}

/** Deep-freezes a value so any mutation by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export { RerankError };
