/**
 * ConnectionGate: the bound in front of the MySQL pool. At most `size`
 * statements (or transactions) hold a connection; at most `queueLimit` wait
 * for one, each for at most `acquireTimeoutMs`. Past either bound the caller
 * gets an error at once (`POOL_QUEUE_FULL`, `POOL_ACQUIRE_TIMEOUT`), which the
 * error plugin reports as SERVICE_UNAVAILABLE, instead of a request that hangs
 * behind a saturated or dead database.
 *
 * mysql2's own pool has a queue limit but no acquire timeout, and a waiter it
 * has queued cannot be withdrawn; this gate keeps the queue itself, so a
 * waiter that gives up leaves no work behind.
 *
 * Example:
 *   const gate = new ConnectionGate({ size: 10, queueLimit: 100, acquireTimeoutMs: 2000 });
 *   const release = await gate.acquire(); // throws POOL_ACQUIRE_TIMEOUT after 2 s of waiting
 *   try { await connection.query('SELECT 1'); } finally { release(); }
 */

export interface ConnectionGateOptions {
  /** Connections that may be held at once (DB_POOL_SIZE). */
  readonly size: number;
  /** Callers that may wait for a connection (DB_POOL_QUEUE_LIMIT); 0 means none wait. */
  readonly queueLimit: number;
  /** How long a caller waits before giving up (DB_ACQUIRE_TIMEOUT_MS). */
  readonly acquireTimeoutMs: number;
}

export interface PoolStats {
  /** Connections held by a statement or a transaction right now. */
  readonly inUse: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** The most connections that may be held (DB_POOL_SIZE). */
  readonly size: number;
}

/** An error meaning MySQL is saturated, not that the request was wrong (`code` is what isUnavailable reads). */
export class PoolUnavailableError extends Error {
  constructor(
    readonly code: 'POOL_QUEUE_FULL' | 'POOL_ACQUIRE_TIMEOUT' | 'POOL_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'PoolUnavailableError';
  }
}

interface Waiter {
  readonly grant: (release: () => void) => void;
  readonly refuse: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class ConnectionGate {
  private held = 0;
  private closed = false;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly options: ConnectionGateOptions) {}

  stats(): PoolStats {
    return { inUse: this.held, waiting: this.waiters.length, size: this.options.size };
  }

  /** Resolves with a release function once a connection may be used; call it exactly once. */
  acquire(): Promise<() => void> {
    if (this.closed) return Promise.reject(new PoolUnavailableError('POOL_CLOSED', 'The MySQL pool is closed.'));
    if (this.held < this.options.size) {
      this.held += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.options.queueLimit) {
      return Promise.reject(
        new PoolUnavailableError(
          'POOL_QUEUE_FULL',
          `All ${this.options.size} MySQL connections are busy and ${this.waiters.length} statements already wait (DB_POOL_QUEUE_LIMIT).`,
        ),
      );
    }
    return new Promise((grant, refuse) => {
      const waiter: Waiter = {
        grant,
        refuse,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          refuse(
            new PoolUnavailableError(
              'POOL_ACQUIRE_TIMEOUT',
              `No MySQL connection became free within ${this.options.acquireTimeoutMs} ms (DB_ACQUIRE_TIMEOUT_MS).`,
            ),
          );
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Refuses every waiter and every later acquire (held connections finish normally). */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.refuse(new PoolUnavailableError('POOL_CLOSED', 'The MySQL pool is closed.'));
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) {
        // The connection passes straight to the next waiter: `held` stays the same.
        clearTimeout(next.timer);
        next.grant(this.releaser());
      } else {
        this.held -= 1;
      }
    };
  }
}
