// Load generators, run in the bench's own process. Closed loop: autocannon with N keep-alive
// connections, each sending its next request when the previous answer arrives (throughput).
// Open loop: requests at a fixed rate over a keep-alive node:https Agent, each timed from when it
// was due rather than when it was sent, so a stalled server cannot hide its queue
// (coordinated omission).
import { Agent, request } from 'node:https';
import autocannon from 'autocannon';

export interface LoadResult {
  /** 2xx answers received. */
  readonly ok: number;
  /** Non-2xx answers, errors and timeouts. */
  readonly failed: number;
  readonly seconds: number;
  /** Milliseconds, one per 2xx answer. */
  readonly latencies: number[];
}

export interface ClosedLoopOptions {
  readonly url: string;
  readonly body: Buffer;
  readonly connections: number;
  readonly seconds: number;
}

export function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: options.body,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        servername: 'localhost',
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ ok: latencies.length, failed: result.non2xx + result.errors + result.timeouts, seconds, latencies });
      },
    );
    // autocannon's own histogram has 1 ms resolution; these are the exact times.
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

export interface OpenLoopOptions {
  readonly url: string;
  readonly body: Buffer;
  readonly ca: Buffer;
  readonly rate: number;
  readonly seconds: number;
  /** Most connections the agent may open; requests beyond wait for one (and that wait counts). */
  readonly connections: number;
}

export interface OpenLoopResult extends LoadResult {
  readonly sent: number;
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.connections,
    ca: options.ca,
    servername: 'localhost',
  });
  const send = (onDone: (ok: boolean) => void) => {
    const req = request(
      options.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': options.body.length },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => onDone(res.statusCode === 200));
      },
    );
    req.on('error', () => onDone(false));
    req.end(options.body);
  };
  try {
    // Open every connection first, so TLS handshakes are not part of the measurement.
    await Promise.all(Array.from({ length: options.connections }, () => new Promise((r) => send(r))));
    const latencies: number[] = [];
    let failed = 0;
    let sent = 0;
    let pending = 0;
    const total = Math.round(options.rate * options.seconds);
    const intervalNs = 1e9 / options.rate;
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      const finish = () => {
        if (sent === total && pending === 0) resolve();
      };
      const tick = () => {
        const now = Number(process.hrtime.bigint() - start);
        while (sent < total && sent * intervalNs <= now) {
          const due = sent * intervalNs;
          sent++;
          pending++;
          send((ok) => {
            pending--;
            if (ok) latencies.push((Number(process.hrtime.bigint() - start) - due) / 1e6);
            else failed++;
            finish();
          });
        }
        if (sent < total) setTimeout(tick, 1);
        else finish();
      };
      tick();
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { ok: latencies.length, failed, seconds, latencies, sent };
  } finally {
    agent.destroy();
  }
}

/** The value at quantile q (0..1) of samples sorted in ascending order; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}
