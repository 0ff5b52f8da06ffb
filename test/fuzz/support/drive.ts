// Sending generated bodies to a fuzz app and checking each answer, with a tally of outcomes.
import fc from 'fast-check';
import { type AnswerKind, checkAnswer } from './answers';
import type { FuzzApp } from './apps';

export const KNOWN_GOOD = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'known-good',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'default',
    operation: 'CREATE',
    object: {
      metadata: { name: 'web', annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    },
  },
};

/** fast-check options; FUZZ_SEED=<seed> replays a failed run (the failure prints its seed). */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) };
}

export class Tally {
  readonly counts = new Map<AnswerKind, number>();
  add(kind: AnswerKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
}

/** POSTs one body through `app.inject()` and checks the answer against the contract. */
export async function sendAndCheck(target: FuzzApp, body: string | Buffer, tally: Tally): Promise<void> {
  const reply = await target.app.inject({
    method: 'POST',
    url: '/mutate?timeout=10s',
    headers: { 'content-type': 'application/json' },
    payload: body,
  });
  tally.add(checkAnswer(body, { status: reply.statusCode, text: reply.body }, target.bodyLimit));
}

/**
 * Runs `count` generated bodies against each app (split evenly), each answer checked; then the
 * app must still inject a known-good pod and must have logged no internal failure.
 */
export async function fuzz(
  apps: readonly FuzzApp[],
  bodies: (app: FuzzApp) => fc.Arbitrary<string | Buffer>,
  count: number,
  tally: Tally,
): Promise<void> {
  for (const target of apps) {
    target.errors.length = 0;
    await fc.assert(
      fc.asyncProperty(bodies(target).map(shown), (body) => sendAndCheck(target, body.sent, tally)),
      runs(Math.ceil(count / apps.length)),
    );
    await stillServes(target);
  }
}

/** A body that fast-check prints cut short in a counterexample (they can be megabytes). */
function shown(sent: string | Buffer): { sent: string | Buffer; [fc.toStringMethod]: () => string } {
  return {
    sent,
    [fc.toStringMethod]: () => {
      const text = JSON.stringify(typeof sent === 'string' ? sent : `<bytes> ${sent.toString('base64')}`);
      return text.length <= 4000
        ? text
        : `${text.slice(0, 2000)} ...(${text.length} characters)... ${text.slice(-1000)}`;
    },
  };
}

export async function stillServes(target: FuzzApp): Promise<void> {
  const reply = await target.app.inject({ method: 'POST', url: '/mutate', payload: KNOWN_GOOD });
  if (reply.statusCode !== 200 || reply.json().response?.patchType !== 'JSONPatch')
    throw new Error(`the app stopped injecting: ${reply.statusCode} ${reply.body.slice(0, 300)}`);
  if (target.errors.length > 0)
    throw new Error(`internal failures were logged: ${JSON.stringify(target.errors.slice(0, 3)).slice(0, 2000)}`);
}
