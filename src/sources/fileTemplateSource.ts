// Templates from YAML/JSON files in directories (`--templates-dir`), reloaded when they change.
// A file that becomes invalid is reported and its last good templates stay in service, so a bad
// edit to a ConfigMap never takes a sidecar away from new pods.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { PathWatcher } from '../runtime/pathWatcher';
import { sha256Hex } from '../shared/hash';
import type { Catalog } from '../templates/catalog';
import type { CompiledTemplate } from '../templates/compile';
import { compileTemplateFile, type TemplateLoadError, withoutDuplicates } from '../templates/documents';
import { errorCode, listTemplateFiles } from './templateFiles';
import type { SourceName, TemplateSource } from './templateSource';

const DEFAULT_POLL_MS = 2000;
const MIN_POLL_MS = 10;
const MAX_POLL_MS = 5 * 60_000;
const DEFAULT_DEBOUNCE_MS = 100;

interface FileState {
  /** Content hash, or `unreadable:<code>` so that a lasting read error is reported once. */
  readonly version: string;
  /** The templates of the last version of this file that was valid. */
  readonly good: readonly CompiledTemplate[];
}

export interface FileTemplateSourceOptions {
  dirs: string[];
  catalog: Catalog<SourceName>;
  logger: Logger;
  /** How often files are re-read in case a watch event was missed; default 2000 ms. */
  pollIntervalMs?: number;
  /** How long to wait for a burst of watch events to settle; default 100 ms. */
  debounceMs?: number;
  onError?: (e: TemplateLoadError) => void;
  onLoad?: (count: number) => void;
}

/** The `files` source of the catalog. */
export class FileTemplateSource implements TemplateSource {
  private readonly source: SourceName = 'files';
  private readonly dirs: readonly string[];
  private readonly catalog: Catalog<SourceName>;
  private readonly logger: Logger;
  private readonly onError?: (e: TemplateLoadError) => void;
  private readonly onLoad?: (count: number) => void;
  private readonly paths: PathWatcher;

  private readonly files = new Map<string, FileState>();
  /** Paths that cannot be listed, with the problem last reported. */
  private readonly unlisted = new Map<string, string>();
  private running: Promise<void> | undefined;
  private rerun = false;
  private published = false;
  private stopped = false;

  constructor(opts: FileTemplateSourceOptions) {
    this.dirs = [...opts.dirs];
    this.catalog = opts.catalog;
    this.logger = opts.logger;
    this.onError = opts.onError;
    this.onLoad = opts.onLoad;
    this.paths = new PathWatcher({
      dirs: this.dirs,
      pollIntervalMs: Math.min(Math.max(opts.pollIntervalMs ?? DEFAULT_POLL_MS, MIN_POLL_MS), MAX_POLL_MS),
      debounceMs: Math.max(opts.debounceMs ?? DEFAULT_DEBOUNCE_MS, 0),
      onChange: () => {
        if (this.stopped) return;
        this.reloadNow().catch((error) => this.logger.error({ err: error }, 'reloading template files failed'));
      },
    });
  }

  /** Resolves after the first full load, even if some files are invalid. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.reloadNow();
    if (this.stopped) return;
    this.paths.start();
  }

  stop(): void {
    this.stopped = true;
    this.paths.stop();
  }

  /** One reload at a time; a request during a reload runs one more afterwards. */
  private reloadNow(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    const run = async () => {
      try {
        do {
          this.rerun = false;
          await this.reload();
        } while (this.rerun && !this.stopped);
      } finally {
        this.running = undefined;
      }
    };
    this.running = run();
    return this.running;
  }

  private async reload(): Promise<void> {
    const listed: string[] = [];
    for (const dir of this.dirs) {
      const listing = await listTemplateFiles(dir);
      if ('problem' in listing) {
        if (this.unlisted.get(dir) !== listing.problem)
          this.report({ file: dir, problems: [listing.problem] }, 'template directory unavailable; retrying');
        this.unlisted.set(dir, listing.problem);
        continue;
      }
      this.unlisted.delete(dir);
      listed.push(...listing.files);
    }

    let changed = !this.published;
    for (const file of listed) {
      if (await this.refresh(file)) changed = true;
    }
    for (const file of [...this.files.keys()]) {
      if (!listed.includes(file)) {
        this.files.delete(file);
        changed = true;
      }
    }
    if (!changed || this.stopped) return;

    const present = listed.filter((file) => this.files.has(file));
    const { templates, errors } = withoutDuplicates(
      present.map((file) => ({ file, templates: this.files.get(file)?.good ?? [] })),
    );
    for (const error of errors) this.report(error, 'duplicate template names; the first definition is used');
    this.catalog.replace(this.source, templates);
    this.published = true;
    this.logger.info(
      { source: this.source, templates: templates.map((t) => t.name), files: present.length },
      'template files loaded',
    );
    this.onLoad?.(templates.length);
  }

  /** Re-reads one file; true when its version changed. */
  private async refresh(file: string): Promise<boolean> {
    const previous = this.files.get(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const version = `unreadable:${errorCode(error)}`;
      if (previous?.version === version) return false;
      this.files.set(file, { version, good: previous?.good ?? [] });
      this.reportInvalid({ file, problems: [`cannot read: ${errorCode(error)}`] }, previous);
      return true;
    }
    const version = sha256Hex(text);
    if (previous?.version === version) return false;
    const result = compileTemplateFile(file, text);
    if (result.problems.length === 0) {
      this.files.set(file, { version, good: result.templates });
    } else {
      this.files.set(file, { version, good: previous?.good ?? [] });
      this.reportInvalid({ file, problems: result.problems }, previous);
    }
    return true;
  }

  private reportInvalid(error: TemplateLoadError, previous: FileState | undefined): void {
    const kept = previous?.good.map((t) => t.name) ?? [];
    this.report(
      error,
      kept.length > 0
        ? `invalid template file; keeping its last good version (${kept.join(', ')})`
        : 'invalid template file; nothing loaded from it',
    );
  }

  private report(error: TemplateLoadError, message: string): void {
    this.logger.error({ file: error.file, problems: error.problems }, message);
    this.onError?.(error);
  }
}
