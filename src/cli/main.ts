#!/usr/bin/env node
import { packageVersion } from '../runtime/packageRoot';
// The `sidecar-injector` binary: dispatches to a subcommand. runCli never exits the process, so
// tests run it in-process and `serve` keeps running after it resolves its startup.
import { UsageError } from './flags';
import type { CliIO } from './io';

type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

// Each command is loaded when it runs: the server then holds neither the certificate library nor
// render's code (memory the README's Performance section measures), and the other commands skip
// the server's dependencies.
const COMMANDS: Readonly<Record<string, { summary: string; run: Command }>> = {
  serve: {
    summary: 'Run the admission webhook (HTTPS) and the metrics endpoint',
    run: async (argv, io) => (await import('./serve')).runServe(argv, io.env),
  },
  render: {
    summary: 'Inject sidecars offline into Pod and workload manifests',
    run: async (argv, io) => (await import('./render')).runRender(argv, io),
  },
  validate: {
    summary: 'Check SidecarTemplate files',
    run: async (argv, io) => (await import('./validate')).runValidate(argv, io),
  },
  drift: {
    summary: 'Report pods whose sidecars are outdated, missing, skipped or removed',
    run: async (argv, io) => (await import('./drift')).runDrift(argv, io),
  },
  certs: {
    summary: 'Generate a CA and a serving certificate for the webhook',
    run: async (argv, io) => (await import('./certs')).runCerts(argv, io),
  },
};

const HELP = [
  'Usage: sidecar-injector COMMAND [flags]',
  '',
  'A Kubernetes mutating admission webhook that injects sidecars from SidecarTemplates.',
  '',
  'Commands:',
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
  `  ${'help'.padEnd(10)} Show this help, or a command's: help COMMAND`,
  '',
  'Every flag also reads an environment variable SIDECAR_INJECTOR_<FLAG> (upper case, _ for -).',
  "Run 'sidecar-injector COMMAND --help' for a command's flags.",
  '',
].join('\n');

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) throw new UsageError('a command is required');
    if (name === '--version' || name === '-v' || name === 'version') {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
      if (topic) return await topic.run(['--help'], io);
      if (rest[0] !== undefined) throw new UsageError(`unknown command ${JSON.stringify(rest[0])}`);
      io.stdout.write(HELP);
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const which =
        name !== undefined && COMMANDS[name] ? `sidecar-injector ${name} --help` : 'sidecar-injector --help';
      io.stderr.write(`Error: ${error.message}\nRun '${which}' for usage.\n`);
      return 2;
    }
    io.stderr.write(`Error: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `render ... | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  runCli(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
