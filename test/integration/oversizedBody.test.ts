// A body over --body-limit gets its 413 answer to the client, whatever its size: the server
// reads the rest of the body (up to a bound) before it answers and closes. Answering while the
// client is still sending made the kernel reset the connection, and the client saw EPIPE or
// `write: broken pipe` instead of the 413. Tried with Node's https client and with Go's
// net/http, which is what the API server uses to call webhooks.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ReadyServe, spawnReadyServe } from './support/child';
import { call } from './support/http';

const MiB = 1024 * 1024;
/** Just over the default limit (3 MiB), a size a large pod can reach, and far over it. */
const SIZES = [Math.ceil(3.1 * MiB), 8 * MiB, 16 * MiB];
const TRIES = 20;

// The server runs as its own process, as deployed: in the test's process it would share the
// event loop with Node's client, and so never answer while that client is still writing.
let t: ReadyServe & { ca: string[] };
let dir: string;
let caFile: string;
beforeAll(async () => {
  const serve = await spawnReadyServe(); // --body-limit is 3Mi by default
  t = { ...serve, ca: [serve.cert] };
  dir = mkdtempSync(join(tmpdir(), 'si-oversized-'));
  caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, serve.cert);
}, 60_000);
afterAll(() => {
  t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** What a client got: the status and the Status reason it read, or the error it got instead. */
type Outcome = string;
const answered = (status: number, reason: unknown): Outcome => `${status} ${String(reason)}`;
const EXPECTED: Outcome = answered(413, 'RequestEntityTooLarge');

async function nodeClient(size: number, headers: Record<string, string> = {}): Promise<Outcome> {
  try {
    const answer = await call(t.port, '/mutate', { body: Buffer.alloc(size, 'x'), headers, ca: t.ca });
    return answered(answer.status, answer.json?.reason);
  } catch (error) {
    return `error ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}

function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

describe.each(SIZES)('a body of %i bytes', (size) => {
  test(`Node's https client reads the 413, ${TRIES} times out of ${TRIES}`, async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < TRIES; i++) outcomes.push(await nodeClient(size));
    expect(tally(outcomes)).toEqual({ [EXPECTED]: TRIES });
  }, 120_000);

  test(`Go's net/http client reads the 413, ${TRIES} times out of ${TRIES}`, async () => {
    const outcomes = (await goClient([size], TRIES)).map((a) =>
      a.error ? `error ${a.error.replace(/[\d.]+:\d+/g, 'ADDRESS')}` : answered(a.status, reasonOf(a.body)),
    );
    expect(tally(outcomes)).toEqual({ [EXPECTED]: TRIES });
  }, 120_000);
});

test('a body sent in chunks, without Content-Length, gets its 413 read too', async () => {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < 5; i++) outcomes.push(await nodeClient(16 * MiB, { 'transfer-encoding': 'chunked' }));
  expect(tally(outcomes)).toEqual({ [EXPECTED]: 5 });
}, 120_000);

test('over keep-alive connections, as the API server pools them, Go reads every 413 and the next review is answered', async () => {
  const attempts = await goClient([8 * MiB, 1024], 5, ['-keep-alive']);
  expect(attempts.slice(0, 5).map((a) => a.status)).toEqual([413, 413, 413, 413, 413]);
  // A small body after them: not too large, so the webhook reads it (400: it is no AdmissionReview).
  expect(attempts.slice(5).map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
}, 120_000);

interface GoAttempt {
  size: number;
  status: number;
  body?: string;
  error?: string;
}

/** The Go client, built once; run asynchronously, since the server under test is in this process. */
let goBinary: string | undefined;

async function goClient(sizes: number[], tries: number, extra: string[] = []): Promise<GoAttempt[]> {
  goBinary ??= execFileSync('bash', [join(__dirname, 'goclient', 'build.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop() as string;
  const { stdout: output } = await promisify(execFile)(
    goBinary,
    [
      ...['-url', `https://127.0.0.1:${t.port}/mutate`, '-ca', caFile],
      ...['-sizes', sizes.join(','), '-tries', String(tries), ...extra],
    ],
    { encoding: 'utf8', maxBuffer: 64 * MiB },
  );
  return output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as GoAttempt);
}

function reasonOf(body: string | undefined): unknown {
  try {
    return (JSON.parse(body ?? '') as { reason?: unknown }).reason;
  } catch {
    return `unreadable body ${JSON.stringify(body?.slice(0, 40))}`;
  }
}
