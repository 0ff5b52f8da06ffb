// Load generators. Closed loop, in the bench's own process: autocannon with N keep-alive
// connections, each sending its next request when the previous answer arrives (throughput).
// Open loop, in a process of its own: requests at a fixed rate whether or not earlier ones were
// answered, so a stalled server cannot hide its queue (coordinated omission).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { PacedOptions, PacedResult } from './pacedClient';

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
        // autocannon stops at its next sample tick: every 100 ms, not every second.
        sampleInt: 100,
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
  /** Keep-alive connections; a request due while all are busy waits for one (and that wait counts). */
  readonly connections: number;
}

/** Fixed-rate load from a process of its own (bench/pacedClient.ts), which inherits this one's CPU. */
export function openLoop(options: OpenLoopOptions): Promise<PacedResult> {
  const url = new URL(options.url);
  const input: PacedOptions = {
    host: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    ca: options.ca.toString('utf8'),
    body: options.body.toString('base64'),
    rate: options.rate,
    seconds: options.seconds,
    connections: options.connections,
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, 'pacedClient.js'), JSON.stringify(input)],
      { maxBuffer: 256 * 1024 * 1024, timeout: (options.seconds + 30) * 1000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the paced load generator failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as PacedResult);
      },
    );
  });
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
