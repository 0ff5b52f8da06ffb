// `sidecar-injector serve`: the webhook. Composes the flags, the logger, the sources and the
// server, and drains the server on SIGTERM or SIGINT.
import type { Logger } from 'pino';
import { type RunningServer, type ServerConfig, StartupError, startServer } from '../server/start';
import { chooseSources } from '../sources/chooseSources';
import type { SourceContext } from '../sources/templateSource';
import { parseFlags } from './flags';
import type * as ServeDriftReport from './serveDriftReport';
import { SERVE_FLAGS, SERVE_HELP, type ServeOptions, serveOptions } from './serveFlags';
import { serveLogger } from './serveLogger';
import { waitForStopSignal } from './stopSignal';

export async function runServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseFlags(SERVE_FLAGS, argv, env);
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const options = serveOptions(values, env);
  const { logger, droppedLines } = serveLogger(options.logLevel);

  const stop = waitForStopSignal();
  let server: RunningServer;
  try {
    server = await serve(options, logger, { droppedLogLines: droppedLines });
  } catch (error) {
    stop.cancel();
    if (!(error instanceof StartupError)) throw error;
    logger.error(error.message);
    return 1;
  }
  const signal = await stop.signal;
  logger.info({ signal }, 'stop signal received');
  await server.close();
  return 0;
}

/** Starts the webhook as `serve` does; tests call this with their own logger and tunings. */
export function serve(
  options: ServeOptions,
  logger: Logger,
  tuning: Pick<ServerConfig, 'certificatePollIntervalMs' | 'droppedLogLines'> = {},
): Promise<RunningServer> {
  logger.info(
    {
      templateDirs: options.templateDirs,
      kubernetes: options.kubernetes,
      nativeSidecars: options.config.nativeSidecars,
      injectorNamespace: options.config.injectorNamespace ?? null,
      bodyLimit: options.config.bodyLimit,
      clientCa: options.config.clientCa ?? null,
      driftReport: options.driftReport ? 'on' : 'off',
    },
    'starting',
  );
  const sources = (context: SourceContext) => {
    const chosen = chooseSources(options, context);
    if (!options.driftReport) return chosen;
    const { withDriftReport } = require('./serveDriftReport') as typeof ServeDriftReport;
    return withDriftReport(chosen, options, context);
  };
  return startServer({ ...options.config, ...tuning, logger, sources });
}
