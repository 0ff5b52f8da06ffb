// Steady admission traffic for fault tests: loops that each POST one review after another,
// some on keep-alive connections (as the API server's pool), some on a new connection each time,
// and the outcome of every attempt, classified as the API server would experience it.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { pod, review } from './reviews';

export interface Outcome {
  /** How many outcomes had been recorded when this attempt started. */
  readonly startedAfter: number;
  /**
   * ok: a 200 AdmissionReview for the same uid that `check` accepts;
   * refused: the connection failed before any byte of an answer (refused, reset, closed);
   * failed: anything else (another status, a half answer, a wrong review).
   */
  readonly kind: 'ok' | 'refused' | 'failed';
  readonly detail: string;
  readonly freshConnection: boolean;
  /** Common name of the certificate the server presented on this attempt's connection. */
  readonly peer?: string;
  /** What `check` returned for an accepted answer (e.g. the injected version). */
  readonly seen?: string;
}

export interface TrafficOptions {
  readonly port: number;
  /** Trusted CAs; give every certificate the server may present, so pooled connections are reused. */
  readonly ca: string[];
  readonly keepAliveLoops: number;
  readonly freshLoops: number;
  /** The pod to send; default: one that asks for log-shipper. */
  readonly object?: () => unknown;
  /** Accepts an AdmissionReview response (returns what it saw) or throws why it is wrong. */
  readonly check?: (response: Record<string, unknown>) => string;
  /** Each loop ends at its first refused connection (the server is going away). */
  readonly endOnRefusal?: boolean;
  /** Pause of each loop between attempts, ms (default none: as fast as answers come). */
  readonly pauseMs?: number;
}

export interface Traffic {
  readonly outcomes: Outcome[];
  /** Resolves once `predicate` holds for the outcomes so far (checked after each attempt). */
  until(predicate: (outcomes: readonly Outcome[]) => boolean): Promise<void>;
  /** Stops the loops once their current attempt is done; resolves with every outcome. */
  stop(): Promise<Outcome[]>;
  /** Resolves with every outcome when all loops have ended (with `endOnRefusal`). */
  readonly finished: Promise<Outcome[]>;
}

const REFUSALS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const defaultObject = () => pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } });

export function startTraffic(options: TrafficOptions): Traffic {
  const outcomes: Outcome[] = [];
  const waiters: Array<{ predicate: (o: readonly Outcome[]) => boolean; resolve: () => void }> = [];
  const pooled = new Agent({ keepAlive: true, maxSockets: options.keepAliveLoops, ca: options.ca });
  let stopped = false;

  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(outcomes)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const loop = async (fresh: boolean) => {
    while (!stopped) {
      const outcome = await attempt(options, fresh ? undefined : pooled, outcomes.length);
      record(outcome);
      if (outcome.kind === 'refused' && options.endOnRefusal) return;
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const loops = [
    ...Array.from({ length: options.keepAliveLoops }, () => loop(false)),
    ...Array.from({ length: options.freshLoops }, () => loop(true)),
  ];
  const finished = Promise.all(loops).then(() => {
    pooled.destroy();
    return outcomes;
  });
  return {
    finished,
    outcomes,
    until: (predicate) =>
      predicate(outcomes) ? Promise.resolve() : new Promise((resolve) => waiters.push({ predicate, resolve })),
    stop: () => {
      stopped = true;
      return finished;
    },
  };
}

function attempt(options: TrafficOptions, agent: Agent | undefined, startedAfter: number): Promise<Outcome> {
  const freshConnection = agent === undefined;
  const body = JSON.stringify(review((options.object ?? defaultObject)(), { uid: randomUUID() }));
  const uid = (JSON.parse(body) as { request: { uid: string } }).request.uid;
  return new Promise((resolve) => {
    let answered = false;
    let peer: string | undefined;
    const done = (kind: Outcome['kind'], detail: string, seen?: string) =>
      resolve({ startedAfter, kind, detail, freshConnection, ...(peer ? { peer } : {}), ...(seen ? { seen } : {}) });
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: '/mutate?timeout=10s',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ca: options.ca,
        agent: agent ?? false,
      },
      (res) => {
        answered = true;
        peer = String((res.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN ?? '');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('error', (error) => done('failed', `half an answer: ${error.message}`));
        res.on('aborted', () => done('failed', 'half an answer: aborted'));
        res.on('end', () => {
          if (res.statusCode !== 200) return done('failed', `status ${res.statusCode}: ${text.slice(0, 200)}`);
          try {
            const response = JSON.parse(text).response as Record<string, unknown>;
            if (response.uid !== uid) throw new Error(`uid ${String(response.uid)} instead of ${uid}`);
            done('ok', 'answered', options.check?.(response));
          } catch (error) {
            done('failed', `wrong answer: ${(error as Error).message}`);
          }
        });
      },
    );
    req.on('socket', (socket) => {
      const readPeer = () => {
        peer = String((socket as TLSSocket).getPeerCertificate()?.subject?.CN ?? '');
      };
      // A pooled socket was connected by an earlier attempt: a listener for it would never fire.
      if (socket.connecting) socket.once('secureConnect', readPeer);
      else readPeer();
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return done('failed', `half an answer: ${error.message}`);
      if (REFUSALS.has(error.code ?? '')) return done('refused', error.code ?? '');
      done('failed', `${error.code ?? ''} ${error.message}`);
    });
    req.end(body);
  });
}
