import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineProvider } from "./define-provider.js";
import type { RerankError } from "./errors.js";
import { createFallbackChain, type FallbackEvent, type FallbackMember } from "./fallback.js";
import { createPassthroughProvider } from "./lexical.js";
import type { RerankProvider, RerankResult } from "./types.js";

async function failure(p: Promise<unknown>): Promise<RerankError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error) || error.name !== "RerankError") {
    throw new Error(`expected a RerankError, got ${String(error)}`);
  }
  return error as RerankError;
}

/** A third-party-style provider (no defineProvider): it keeps answering after close, and counts its closes. */
function rawProvider(name: string, behaviour: { fail?: () => boolean; gate?: () => Promise<void> } = {}) {
  const counts = { closes: 0, calls: 0 };
  const provider: RerankProvider = {
    provider: name,
    model: "m",
    async rerank(_query, documents): Promise<RerankResult[]> {
      counts.calls++;
      await behaviour.gate?.();
      if (behaviour.fail?.()) throw new Error(`${name} is down`);
      return documents.map((_, index) => ({ index, score: 1 / (index + 1), rawScore: index }));
    },
    close: async () => void counts.closes++,
  };
  return { provider, counts };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Collects process warnings with one code; they arrive on the next tick. */
function warningsWith(code: string) {
  const seen: string[] = [];
  const listener = (w: Error & { code?: string }) => void (w.code === code && seen.push(w.message));
  return {
    seen,
    start: () => {
      seen.length = 0;
      process.on("warning", listener);
    },
    stop: () => void process.off("warning", listener),
    settle: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

const member = (label: string, create: () => Promise<RerankProvider>): FallbackMember => ({ label, create });
const passthroughMember = member("passthrough", async () => createPassthroughProvider({ provider: "passthrough" }));

describe("createFallbackChain: listeners", () => {
  const onFallbackWarnings = warningsWith("CROSSRANK_ON_FALLBACK");
  beforeEach(onFallbackWarnings.start);
  afterEach(onFallbackWarnings.stop);

  it("keeps serving when the onFallback listener throws, and says so once", async () => {
    const down = rawProvider("down", { fail: () => true });
    const chain = await createFallbackChain(
      [member("down:m", async () => down.provider), passthroughMember],
      () => {
        throw new Error("listener bug");
      },
    );
    for (let i = 0; i < 3; i++) {
      const results = await chain.rerank("q", ["a", "b"]);
      expect(results.map((r) => r.servedBy)).toEqual(["passthrough:input-order", "passthrough:input-order"]);
    }
    await onFallbackWarnings.settle();
    expect(onFallbackWarnings.seen).toEqual(["crossrank onFallback listener threw: listener bug"]);
  });

  it("contains a listener that returns a rejected promise", async () => {
    const down = rawProvider("down", { fail: () => true });
    const chain = await createFallbackChain(
      [member("down:m", async () => down.provider), passthroughMember],
      async () => {
        throw new Error("async listener bug");
      },
    );
    expect(await chain.rerank("q", ["a"])).toHaveLength(1);
    await onFallbackWarnings.settle();
    expect(onFallbackWarnings.seen).toEqual(["crossrank onFallback listener threw: async listener bug"]);
  });
});

describe("createFallbackChain: unheard fallbacks", () => {
  const fallbackWarnings = warningsWith("CROSSRANK_FALLBACK");
  beforeEach(fallbackWarnings.start);
  afterEach(fallbackWarnings.stop);

  it("warns once per failing member and error code when nobody listens", async () => {
    const label = `down-${process.hrtime.bigint()}:m`;
    const down = rawProvider("down", { fail: () => true });
    const chain = await createFallbackChain([member(label, async () => down.provider), passthroughMember]);
    await chain.rerank("q", ["a"]);
    await chain.rerank("q", ["a"]);
    await fallbackWarnings.settle();
    expect(fallbackWarnings.seen).toHaveLength(1);
    expect(fallbackWarnings.seen[0]).toContain(label);
    expect(fallbackWarnings.seen[0]).toContain("PROVIDER_ERROR");
    expect(fallbackWarnings.seen[0]).toContain("down is down");
    expect(fallbackWarnings.seen[0]).toMatch(/onFallback/);
  });

  it("does not warn when the app listens", async () => {
    const label = `down-${process.hrtime.bigint()}:m`;
    const down = rawProvider("down", { fail: () => true });
    const events: FallbackEvent[] = [];
    const chain = await createFallbackChain(
      [member(label, async () => down.provider), passthroughMember],
      (e) => events.push(e),
    );
    await chain.rerank("q", ["a"]);
    await fallbackWarnings.settle();
    expect(events).toHaveLength(1);
    expect(fallbackWarnings.seen).toEqual([]);
  });
});

describe("createFallbackChain: close", () => {
  it("closes a fallback created while the primary was failing, once, and fails later calls with CLOSED", async () => {
    const gate = deferred();
    const primary = rawProvider("primary", { fail: () => true, gate: () => gate.promise });
    const fallback = rawProvider("fallback");
    let fallbackCreated = 0;
    const chain = await createFallbackChain(
      [
        member("primary:m", async () => primary.provider),
        member("fallback:m", async () => {
          fallbackCreated++;
          return fallback.provider;
        }),
      ],
      () => undefined,
    );
    const inFlight = chain.rerank("q", ["a", "b"]);
    await new Promise((resolve) => setImmediate(resolve));
    const closed = chain.close();
    gate.resolve();
    expect((await failure(inFlight)).code).toBe("CLOSED");
    await closed;
    expect((await failure(chain.rerank("q", ["a"]))).code).toBe("CLOSED");
    // Every member that was created is closed exactly once; the fallback was never set up after close began.
    expect(primary.counts.closes).toBe(1);
    expect(fallback.counts.closes).toBe(fallbackCreated);
    expect(fallbackCreated).toBe(0);
  });

  it("closes a member whose creation is still running when close is called", async () => {
    const creating = deferred();
    const primary = rawProvider("primary", { fail: () => true });
    const fallback = rawProvider("fallback");
    const chain = await createFallbackChain(
      [
        member("primary:m", async () => primary.provider),
        member("fallback:m", async () => {
          await creating.promise;
          return fallback.provider;
        }),
      ],
      () => undefined,
    );
    const inFlight = chain.rerank("q", ["a"]);
    await new Promise((resolve) => setImmediate(resolve));
    const closed = chain.close();
    const again = chain.close();
    creating.resolve();
    await Promise.all([closed, again, inFlight.catch(() => undefined)]);
    await chain.close();
    expect(primary.counts.closes).toBe(1);
    expect(fallback.counts.closes).toBe(1);
    expect((await failure(chain.rerank("q", ["a"]))).code).toBe("CLOSED");
  });

  it("fails with CLOSED after close even when the members would still answer", async () => {
    const primary = rawProvider("primary");
    const fallback = rawProvider("fallback");
    const members = [
      member("primary:m", async () => primary.provider),
      member("fallback:m", async () => fallback.provider),
    ];
    const chain = await createFallbackChain(members, () => undefined);
    await chain.close();
    expect((await failure(chain.rerank("q", ["a"]))).code).toBe("CLOSED");
    expect((await failure(chain.rerank("", ["a"]))).code).toBe("INVALID_INPUT");
    expect(primary.counts.calls + fallback.counts.calls).toBe(0);
  });

  it("names a member that does not say who served", async () => {
    const primary = rawProvider("primary");
    const unused = member("unused", async () => defineProvider({ provider: "p", model: "q", score: async () => [] }));
    const chain = await createFallbackChain([member("primary:m", async () => primary.provider), unused]);
    expect((await chain.rerank("q", ["a"]))[0]!.servedBy).toBe("primary:m");
    await chain.close();
  });

  it("refuses an empty chain with a typed error", async () => {
    expect((await failure(createFallbackChain([]))).code).toBe("INVALID_CONFIG");
  });
});
