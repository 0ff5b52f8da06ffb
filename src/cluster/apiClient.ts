// Plain JSON requests to the Kubernetes API with a kubeconfig's credentials, for what the typed
// client does poorly: pages of thousands of pods read as they come (no model objects), metadata
// only (PartialObjectMetadata, chosen by the Accept header), patches, and watches as lines.
import * as http from 'node:http';
import * as https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';

/** Asks for objects as PartialObjectMetadata: the metadata, without spec or status. */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
export const METADATA_LIST_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

export type Query = Readonly<Record<string, string | number | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  readonly accept?: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/** A request the API server answered with an error status (its Status `reason` and `message`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: Record<string, unknown>;
}

export interface ApiClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /**
   * Calls `onEvent` for each event until the server ends the watch (resolves) or it fails or
   * `onEvent` throws (rejects). `query.timeoutSeconds`, when given, also bounds a silent connection.
   */
  watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
    accept?: string,
  ): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Connections kept to the API server: enough for a few requests in parallel beside a watch. */
const MAX_SOCKETS = 8;

export class KubeApiClient implements ApiClient {
  private agent: http.Agent | undefined;
  private readonly server: URL;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await this.send(method, path, options.query, headers, body, options.timeoutMs);
    const text = await readText(response);
    if ((response.statusCode ?? 0) >= 300) throw apiError(method, path, response.statusCode ?? 0, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
    accept = 'application/json',
  ): Promise<void> {
    // Bookmarks come about every minute; a connection silent well past the watch's own end is dead.
    const idleMs = query.timeoutSeconds !== undefined ? (Number(query.timeoutSeconds) + 60) * 1000 : 0;
    const response = await this.send('GET', path, { ...query, watch: 'true' }, { accept }, undefined, idleMs, signal);
    if ((response.statusCode ?? 0) >= 300)
      throw apiError('WATCH', path, response.statusCode ?? 0, await readText(response));
    return new Promise<void>((resolve, reject) => {
      let failure: Error | undefined;
      const fail = (error: Error) => {
        failure ??= error;
        reject(failure);
      };
      response.on('error', fail);
      response.on('aborted', () => fail(new Error(`watch of ${path} was cut off`)));
      const lines = createInterface({ input: response, crlfDelay: Number.POSITIVE_INFINITY });
      // readline passes the response's errors on: unheard, they would end the process.
      lines.on('error', fail);
      lines.on('line', (line) => {
        if (failure || line.trim() === '') return;
        try {
          onEvent(JSON.parse(line) as WatchEvent);
        } catch (error) {
          fail(error as Error);
          response.destroy();
        }
      });
      lines.on('close', () => (failure ? reject(failure) : resolve()));
    });
  }

  private async send(
    method: string,
    path: string,
    query: Query | undefined,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    // Credentials are applied per request: tokens from files and exec plugins rotate.
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const url = new URL(this.server.toString().replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const secure = url.protocol === 'https:';
    this.agent ??= secure
      ? new https.Agent({ ...tlsOf(options), keepAlive: true, maxSockets: MAX_SOCKETS })
      : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    const request = (secure ? https.request : http.request)(url, {
      method,
      agent: this.agent,
      headers: { ...(options.headers as Record<string, string>), ...headers },
      ...(options.auth ? { auth: options.auth } : {}),
      ...(signal ? { signal } : {}),
    });
    return new Promise((resolve, reject) => {
      if (timeoutMs > 0)
        request.setTimeout(timeoutMs, () =>
          request.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs / 1000} s`)),
        );
      request.on('response', resolve);
      request.on('error', reject);
      request.end(body);
    });
  }
}

function tlsOf(options: https.RequestOptions): https.AgentOptions {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
  return Object.fromEntries(
    Object.entries({ ca, cert, key, pfx, passphrase, rejectUnauthorized, servername }).filter(
      ([, v]) => v !== undefined,
    ),
  );
}

async function readText(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(method: string, path: string, status: number, text: string): ApiError {
  let reason = '';
  let message = text.trim().slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? '';
    message = parsed.message ?? message;
  } catch {
    // not a Status: the text is the message
  }
  return new ApiError(status, reason, `${method} ${path}: ${status} ${reason ? `${reason}: ` : ''}${message}`);
}
