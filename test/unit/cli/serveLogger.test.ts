// The server's log destination when stdout stops draining (a stuck log pipe): the buffer stops
// growing, lines are dropped and counted, and logging resumes once the pipe drains.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveLogger } from '../../../src/cli/serveLogger';
import { Metrics } from '../../../src/server/metrics';

const LINES = 20_000;
const BUFFER_BYTES = 256 * 1024;

describe('the log destination of serve', () => {
  let dir: string;
  let writeFd: number;
  let readFd: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-pipe-'));
    const fifo = join(dir, 'stdout');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // Read-write so that opening needs no reader; nothing is read until the test says so.
    writeFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  });
  afterEach(() => {
    closeSync(writeFd);
    closeSync(readFd);
    rmSync(dir, { recursive: true });
  });

  /** Everything the pipe holds now. */
  function drain(): string {
    const chunk = Buffer.alloc(64 * 1024);
    let text = '';
    for (;;) {
      try {
        const n = readSync(readFd, chunk);
        if (n === 0) return text;
        text += chunk.toString('utf8', 0, n);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return text;
        throw error;
      }
    }
  }

  it('drops and counts lines beyond its buffer while stdout is stuck, then writes again', async () => {
    const { logger, droppedLines } = serveLogger('info', writeFd, BUFFER_BYTES);
    const line = { uid: 'x'.repeat(36), namespace: 'shop', outcome: 'injected', templates: ['log-shipper'] };
    for (let i = 0; i < LINES; i++) logger.info(line, 'admission');
    const lineBytes = JSON.stringify(line).length + 80;
    // The pipe takes 64 KiB, the buffer its limit: everything else is dropped, not kept.
    expect(droppedLines()).toBeGreaterThan(LINES - (BUFFER_BYTES + 128 * 1024) / lineBytes);

    // Once the pipe drains, the buffer empties and new lines get through.
    let received = '';
    const deadline = Date.now() + 10_000;
    while (!received.includes('"msg":"after"') && Date.now() < deadline) {
      received += drain();
      if (received.length > 0 && !received.includes('"msg":"after"')) logger.info('after');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(received).toContain('"msg":"after"');
    // Nothing may still be pending when the test closes the pipe (its descriptor could be reused).
    const flushed = new Promise<void>((resolve, reject) =>
      logger.flush((error) => (error ? reject(error) : resolve())),
    );
    const draining = setInterval(drain, 20);
    await flushed.finally(() => clearInterval(draining));
  });

  it('reports the count as sidecar_injector_log_lines_dropped_total', async () => {
    let dropped = 3;
    const metrics = new Metrics({ processMetrics: false, droppedLogLines: () => dropped });
    expect(await metrics.render()).toMatch(/^sidecar_injector_log_lines_dropped_total 3$/m);
    dropped = 10;
    expect(await metrics.render()).toMatch(/^sidecar_injector_log_lines_dropped_total 10$/m);
  });
});
