/** The process logger (pino, JSON lines). Every request's lines carry its request id (see src/server.ts). */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'clinic-gateway' } });
}
