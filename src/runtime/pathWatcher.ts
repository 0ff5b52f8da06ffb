// Tells when files in some directories may have changed: fs.watch on the directories where it
// works, and a poll for where it does not (network filesystems, some volumes, a directory that
// does not exist yet). Directories are watched rather than files because Kubernetes updates
// ConfigMap and Secret volumes by swapping a `..data` symlink. A burst of events is reported
// once, after it settles; the poll reports every tick. It never keeps the process alive.
import { type FSWatcher, watch } from 'node:fs';

export interface PathWatcherOptions {
  readonly dirs: readonly string[];
  readonly pollIntervalMs: number;
  /** Quiet time after the last event before `onChange`. */
  readonly debounceMs: number;
  /** May be called while a previous call is still at work: callers coalesce. */
  readonly onChange: () => void;
}

export class PathWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private poll: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: PathWatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.watchDirs();
    this.poll = setInterval(() => {
      this.watchDirs();
      this.options.onChange();
    }, this.options.pollIntervalMs);
    this.poll.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.settle);
    this.poll = undefined;
    this.settle = undefined;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches each directory not watched yet; one that cannot be watched is tried again at the next poll. */
  private watchDirs(): void {
    for (const dir of new Set(this.options.dirs)) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.soon());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Missing or unwatchable for now: the poll still covers it.
      }
    }
  }

  private soon(): void {
    if (this.stopped) return;
    clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.settle = undefined;
      if (!this.stopped) this.options.onChange();
    }, this.options.debounceMs);
    this.settle.unref();
  }
}
