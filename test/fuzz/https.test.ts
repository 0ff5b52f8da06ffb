// The same generated AdmissionReviews over real HTTPS to a started server (`serve`'s own flag
// parsing, the example templates from a directory), four at a time on keep-alive connections:
// what the network adds (TLS, chunking, connection reuse, 413 before the body is read) must not
// change any answer, and the server must stay up and ready.
import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import fc from 'fast-check';
import { call, metricValue } from '../integration/support/http';
import { startTestServer, type TestServer } from '../integration/support/server';
import { checkAnswer } from './support/answers';
import { EXAMPLES_DIR, exampleLibrary, type Library } from './support/apps';
import {
  brokenReview,
  deepNesting,
  ENVELOPE_PATHS,
  hugeString,
  POD_PATHS,
  randomBody,
  review,
  serialize,
  truncatedReview,
} from './support/arbitraries';
import { KNOWN_GOOD, runs, Tally } from './support/drive';

const BODIES = 2_000;
const PARALLEL = 4;
const BODY_LIMIT = 512 * 1024;

const exampleTemplates = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(EXAMPLES_DIR, f), 'utf8'))
  .join('\n---\n');

let t: TestServer;
let library: Library;
let agent: Agent;
beforeAll(async () => {
  library = await exampleLibrary();
  t = await startTestServer(['--body-limit', `${BODY_LIMIT}`], exampleTemplates);
  agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
});
afterAll(async () => {
  agent.destroy();
  await t.close();
});

const post = (body: string | Buffer) => call(t.port, '/mutate?timeout=10s', { method: 'POST', body, ca: t.ca, agent });

test(`${BODIES} generated reviews over HTTPS, ${PARALLEL} at a time: every answer checked, no 5xx`, async () => {
  const tally = new Tally();
  const body = fc.oneof(
    { weight: 1, arbitrary: randomBody },
    { weight: 1, arbitrary: truncatedReview(library) },
    { weight: 2, arbitrary: brokenReview(library, ENVELOPE_PATHS) },
    { weight: 3, arbitrary: brokenReview(library, POD_PATHS) },
    { weight: 3, arbitrary: review(library).map(serialize) },
    { weight: 1, arbitrary: brokenReview(library, POD_PATHS, fc.oneof(hugeString, deepNesting)) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(body, { minLength: PARALLEL, maxLength: PARALLEL }), async (bodies) => {
      const replies = await Promise.all(bodies.map(post));
      replies.forEach((reply, i) => {
        tally.add(checkAnswer(bodies[i] as string | Buffer, reply, BODY_LIMIT));
      });
    }),
    runs(BODIES / PARALLEL),
  );
  expect(tally.total).toBe(BODIES);
  expect(tally.counts.get('injected')).toBeGreaterThan(0);
  expect(await metricValue(t.metricsPort, 'sidecar_injector_admission_requests_total', { result: 'error' })).toBe(0);
  expect(t.logs.filter((l) => l.level >= 50)).toEqual([]);

  // Still up, still ready, still injecting.
  expect((await call(t.port, '/readyz', { ca: t.ca })).status).toBe(200);
  const good = await post(JSON.stringify(KNOWN_GOOD));
  expect(good.json.response.patchType).toBe('JSONPatch');
}, 120_000);
