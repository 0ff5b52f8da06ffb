// The fixed-rate load generator, run as its own process so that nothing else in the bench (its
// heap, autocannon's leftovers) can stall it: a few keep-alive TLS connections, each carrying one
// request at a time as the API server's pool does, and requests sent on a fixed schedule whether
// or not earlier ones have been answered (open loop). The request bytes are built once; answers
// are parsed only as far as the status code and Content-Length.
//   node dist/bench/pacedClient.js '{"host":..., "port":..., "path":..., "ca":..., "body":..., ...}'
import { connect, type TLSSocket } from 'node:tls';

export interface PacedOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** PEM of the CA that signed the server's certificate. */
  readonly ca: string;
  /** The request body, base64. */
  readonly body: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
}

export interface PacedResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  /** ms from when each answered request was written to its connection. */
  readonly fromSend: number[];
  /** ms from when each answered request was due. */
  readonly fromDue: number[];
  /** ms each request left after it was due (sender lateness, waiting for a free connection). */
  readonly late: number[];
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One keep-alive connection; `send` resolves with the status code of the answer. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private expected = -1;
  private status = 0;
  private waiting: ((status: number) => void) | undefined;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.fail());
    socket.on('close', () => this.fail());
  }

  static open(options: PacedOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port, ca: options.ca, servername: 'localhost' }, () =>
        resolve(new Connection(socket)),
      );
      socket.once('error', reject);
      socket.setNoDelay(true);
    });
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.expected < 0) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      // Every answer of these servers has a Content-Length; anything else counts as a failure.
      this.expected = length ? end + 4 + Number(length[1]) : Number.POSITIVE_INFINITY;
      if (!length) {
        this.fail();
        return;
      }
    }
    if (this.buffer.length < this.expected) return;
    this.buffer = this.buffer.subarray(this.expected);
    this.expected = -1;
    const done = this.waiting;
    this.waiting = undefined;
    done?.(this.status);
  }

  private fail(): void {
    const done = this.waiting;
    this.waiting = undefined;
    done?.(0);
  }
}

export async function pacedLoad(options: PacedOptions): Promise<PacedResult> {
  const body = Buffer.from(options.body, 'base64');
  const request = Buffer.concat([
    Buffer.from(
      `POST ${options.path} HTTP/1.1\r\nHost: localhost:${options.port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`,
    ),
    body,
  ]);
  const idle = await Promise.all(Array.from({ length: options.connections }, () => Connection.open(options)));
  // One request on each connection first, so that nothing measured pays for a cold start.
  await Promise.all(idle.map((c) => c.send(request)));

  const fromSend: number[] = [];
  const fromDue: number[] = [];
  const late: number[] = [];
  const queue: number[] = [];
  let failed = 0;
  let sent = 0;
  let pending = 0;
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const start = now();

  await new Promise<void>((resolve) => {
    const dispatch = () => {
      while (queue.length > 0 && idle.length > 0) {
        const due = queue.shift() as number;
        const connection = idle.pop() as Connection;
        const sentAt = now();
        late.push(sentAt - due);
        void connection.send(request).then((status) => {
          const doneAt = now();
          if (status === 200) {
            fromSend.push(doneAt - sentAt);
            fromDue.push(doneAt - due);
          } else failed++;
          pending--;
          idle.push(connection);
          dispatch();
          if (sent === total && pending === 0) resolve();
        });
      }
    };
    const tick = () => {
      const t = now();
      while (sent < total && start + sent * interval <= t) {
        queue.push(start + sent * interval);
        sent++;
        pending++;
      }
      dispatch();
      if (sent < total) {
        // Close to the next due time, spin through the event loop (which also reads answers); else sleep.
        const wait = start + sent * interval - now();
        if (wait < 2) setImmediate(tick);
        else setTimeout(tick, wait - 1);
      } else if (pending === 0) resolve();
    };
    tick();
  });
  const seconds = (now() - start) / 1000;
  for (const c of idle) c.close();
  return { sent, ok: fromSend.length, failed, seconds, fromSend, fromDue, late };
}

if (require.main === module) {
  pacedLoad(JSON.parse(process.argv[2] as string) as PacedOptions).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error: Error) => {
      process.stderr.write(`pacedClient: ${error.stack ?? error.message}\n`);
      process.exitCode = 1;
    },
  );
}
