import { isRerankError, type RerankError } from "@crossrank/core";

/** Awaits a promise that must reject with a RerankError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<RerankError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRerankError(error)) throw new Error(`expected a RerankError, got ${String(error)}`);
  return error;
}
