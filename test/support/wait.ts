/**
 * Waiting on a condition instead of sleeping: a test that needs something to
 * have happened (a process to be ready, a window to lapse, a breaker to open)
 * polls for exactly that, with a deadline, so it neither races a loaded
 * machine nor waits longer than needed, and a condition that never holds
 * fails with a message naming it.
 */

export interface WaitOptions {
  /** What is awaited, for the error: "the gateway to log that it is shutting down". */
  readonly what: string;
  /** Give up after this long (default 10 s): a bound for a broken test, never a pace for a working one. */
  readonly timeoutMs?: number;
  /** Pause between two polls (default 20 ms). */
  readonly intervalMs?: number;
}

/**
 * Polls `predicate` until it returns a truthy value and resolves with that value; after `timeoutMs`
 * rejects with an error naming `what` (and the last value seen, when it was not plain `false`/`undefined`).
 * A predicate that throws fails the wait at once: an error is no "not yet".
 *
 *   await waitFor(() => logs.some((line) => line.msg === 'gateway ready'), { what: 'the gateway to be ready', timeoutMs: 60_000 });
 *   const id = await waitFor(async () => (await lockWaiter())?.id, { what: 'a statement waiting for the lock' });
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, { what, timeoutMs = 10_000, intervalMs = 20 }: WaitOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      const seen = value === false || value === undefined ? '' : ` (last seen: ${JSON.stringify(value)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${seen}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves with `promise`, or rejects after `timeoutMs` with an error naming `what`; the timer never
 * outlives the promise. For one event the test awaits (an exit, a reply), where polling has nothing to poll.
 */
export async function within<T>(promise: Promise<T>, { what, timeoutMs = 10_000 }: Omit<WaitOptions, 'intervalMs'>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
