// A small HTTPS client for the tests: one request, one fresh connection (unless an agent is
// given), the answer with its parsed JSON body.
import { request as httpRequest } from 'node:http';
import { type Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  readonly json: any;
  /** Common name of the certificate the server presented. */
  readonly peerCommonName?: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly body?: string | Buffer;
  /** `undefined` leaves a header out, even a default one. */
  readonly headers?: Record<string, string | undefined>;
  readonly ca: string | string[];
  readonly agent?: Agent;
}

export function call(port: number, path: string, options: RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        ca: options.ca,
        agent: options.agent ?? false,
        headers: withoutUndefined({
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        }),
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate?.();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: parseOrUndefined(text),
            ...(peer?.subject ? { peerCommonName: String(peer.subject.CN) } : {}),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function postJson(port: number, body: unknown, ca: string | string[], path = '/mutate'): Promise<Answer> {
  return call(port, path, { body: JSON.stringify(body), ca });
}

function withoutUndefined(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function metricsText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

/** The value of one sample in Prometheus text, e.g. `metric(text, 'x_total', {result: 'ok'})`; 0 if absent. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => present.includes(w)) && present.length === wanted.length) return Number(match[3]);
  }
  return 0;
}

export async function metricValue(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metric(await metricsText(port), name, labels);
}
