// The TCP connections the API server opens to the webhook, from /proc/net/tcp (IPv4 loopback):
// each new one costs the webhook a TLS handshake. Sampled every 100 ms during a cell.
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

/** Remote ports of the established connections to local `port`. */
function connectionsTo(port: number): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return [];
  }
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const remotes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(local) && fields[3] === ESTABLISHED && fields[2]) remotes.push(fields[2]);
  }
  return remotes;
}

export class ConnectionSampler {
  private readonly seen = new Set<string>();
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly port: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    const now = connectionsTo(this.port);
    this.peak = Math.max(this.peak, now.length);
    for (const remote of now) this.seen.add(remote);
  }

  /** Connections seen (a lower bound on those opened: one opened and closed within 100 ms is missed) and the most at once. */
  stop(): { connections: number; peakConnections: number } {
    clearInterval(this.timer);
    this.sample();
    return { connections: this.seen.size, peakConnections: this.peak };
  }
}
