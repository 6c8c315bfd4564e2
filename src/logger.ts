/** The process logger (pino, JSON lines). Every request's lines carry its request id (see src/server.ts). */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'clinic-gateway' },
    // Tokens and cookies never reach the logs.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
  });
}
