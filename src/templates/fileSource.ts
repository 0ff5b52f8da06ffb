// Templates from YAML/JSON files in directories (`--templates-dir`), reloaded when they change.
// A file that becomes invalid is reported and its last good templates stay in service, so a bad
// edit to a ConfigMap never takes a sidecar away from new pods.
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Catalog } from './catalog';
import type { CompiledTemplate } from './compile';
import { compileTemplateFile, type TemplateLoadError, withoutDuplicates } from './documents';

export type { TemplateLoadError } from './documents';

const TEMPLATE_FILE = /\.(ya?ml|json)$/i;
const DEFAULT_POLL_MS = 2000;
const MIN_POLL_MS = 10;
const MAX_POLL_MS = 5 * 60_000;
const DEFAULT_DEBOUNCE_MS = 100;

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/**
 * The template files of a path: a directory's *.yaml, *.yml and *.json entries (sorted, not
 * recursive, dotfiles and Kubernetes' `..data` entries skipped, symlinks followed), or the
 * path itself when it is a file.
 */
async function listTemplateFiles(path: string): Promise<{ files: string[] } | { problem: string }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    return { problem: `cannot read: ${errorCode(error)}` };
  }
  if (info.isFile()) return { files: [path] };
  if (!info.isDirectory()) return { problem: 'neither a file nor a directory' };
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    return { problem: `cannot list the directory: ${errorCode(error)}` };
  }
  const files: string[] = [];
  for (const name of names.filter((n) => !n.startsWith('.') && TEMPLATE_FILE.test(n)).sort()) {
    const file = join(path, name);
    // stat follows symlinks, as ConfigMap volumes need; a dangling link is skipped.
    const target = await stat(file).catch(() => undefined);
    if (target?.isFile()) files.push(file);
  }
  return { files };
}

/**
 * Loads files or directories once, for `validate` and `render`. A file with a problem adds no
 * template, as when the server starts with it.
 */
export async function loadTemplatePaths(
  paths: string[],
): Promise<{ templates: CompiledTemplate[]; errors: TemplateLoadError[]; files: string[] }> {
  const errors: TemplateLoadError[] = [];
  const loaded: Array<{ file: string; templates: CompiledTemplate[] }> = [];
  const files: string[] = [];
  for (const path of paths) {
    const listing = await listTemplateFiles(path);
    if ('problem' in listing) {
      errors.push({ file: path, problems: [listing.problem] });
      continue;
    }
    for (const file of listing.files) {
      files.push(file);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        errors.push({ file, problems: [`cannot read: ${errorCode(error)}`] });
        continue;
      }
      // As the server does with a file it has no good version of: all of it or none of it.
      const result = compileTemplateFile(file, text);
      if (result.problems.length > 0) errors.push({ file, problems: result.problems });
      else loaded.push({ file, templates: result.templates });
    }
  }
  const deduplicated = withoutDuplicates(loaded);
  return { templates: deduplicated.templates, errors: [...errors, ...deduplicated.errors], files };
}

interface FileState {
  /** Content hash, or `unreadable:<code>` so that a lasting read error is reported once. */
  readonly version: string;
  /** The templates of the last version of this file that was valid. */
  readonly good: readonly CompiledTemplate[];
}

export interface FileTemplateSourceOptions {
  dirs: string[];
  catalog: Catalog;
  /** The catalog source this feeds; default `files`. */
  source?: string;
  logger: Logger;
  /** How often files are re-read in case a watch event was missed; default 2000 ms. */
  pollIntervalMs?: number;
  /** How long to wait for a burst of watch events to settle; default 100 ms. */
  debounceMs?: number;
  onError?: (e: TemplateLoadError) => void;
  onLoad?: (count: number) => void;
}

export class FileTemplateSource {
  private readonly dirs: readonly string[];
  private readonly catalog: Catalog;
  private readonly source: string;
  private readonly logger: Logger;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly onError?: (e: TemplateLoadError) => void;
  private readonly onLoad?: (count: number) => void;

  private readonly files = new Map<string, FileState>();
  /** Paths that cannot be listed, with the problem last reported. */
  private readonly unlisted = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private published = false;
  private stopped = false;

  constructor(opts: FileTemplateSourceOptions) {
    this.dirs = [...opts.dirs];
    this.catalog = opts.catalog;
    this.source = opts.source ?? 'files';
    this.logger = opts.logger;
    this.pollIntervalMs = Math.min(Math.max(opts.pollIntervalMs ?? DEFAULT_POLL_MS, MIN_POLL_MS), MAX_POLL_MS);
    this.debounceMs = Math.max(opts.debounceMs ?? DEFAULT_DEBOUNCE_MS, 0);
    this.onError = opts.onError;
    this.onLoad = opts.onLoad;
  }

  /** Resolves after the first full load, even if some files are invalid. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.reloadNow();
    if (this.stopped) return;
    this.watchDirs();
    this.pollTimer = setInterval(() => {
      this.watchDirs();
      this.reloadSoon(0);
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.pollTimer = undefined;
    this.debounceTimer = undefined;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** fs.watch where it works; the poll covers platforms and volumes where it does not. */
  private watchDirs(): void {
    for (const dir of this.dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.reloadSoon(this.debounceMs));
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Missing for now: the poll reports it and tries again.
      }
    }
  }

  private reloadSoon(delayMs: number): void {
    if (this.stopped || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.reloadNow().catch((error) => this.logger.error({ err: error }, 'reloading template files failed'));
    }, delayMs);
    this.debounceTimer.unref();
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
    const version = createHash('sha256').update(text).digest('hex');
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
