// `serve`'s logger: pino JSON lines on stdout, written asynchronously into a bounded buffer.
import pino, { type Logger } from 'pino';

/** What the log buffer may hold while stdout does not drain: about 50,000 admission lines. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export interface ServeLogger {
  readonly logger: Logger;
  /** Lines dropped so far because the buffer was full. */
  droppedLines(): number;
}

export function serveLogger(level: string, fd = 1, bufferBytes = LOG_BUFFER_BYTES): ServeLogger {
  // Written asynchronously: a synchronous write per admission line cost a large share of the
  // throughput at info (`npm run bench -- --only logging`; figures in the README). Lines written while one write is pending go out
  // together; pino flushes what is left synchronously when the process exits. If stdout stops
  // draining (a stuck log pipe), the buffer stops at `bufferBytes` and later lines are dropped
  // and counted (sidecar_injector_log_lines_dropped_total) rather than filling the memory limit.
  const destination = pino.destination({ dest: fd, sync: false, maxLength: bufferBytes });
  let dropped = 0;
  destination.on('drop', () => dropped++);
  return {
    logger: pino({ level, base: { component: 'sidecar-injector' } }, destination),
    droppedLines: () => dropped,
  };
}
