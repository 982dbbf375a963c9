import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { pino } from 'pino'
import { runDev } from '../dev/run-dev.ts'
import { createLogger } from '../observability/logger.ts'
import { wholeNumber } from './option-parsers.ts'

/** The bundled dev config, found from this file so `framewire dev` works from any directory. */
const BUNDLED_CONFIG = fileURLToPath(new URL('../../examples/framewire.yaml', import.meta.url))

export function registerDevCommands(program: Command) {
  program
    .command('dev')
    .description('run ingest, workers and console in one process; with --demo, simulated players send views')
    .option(
      '-c, --config <file>',
      'YAML config file (default: the bundled examples/framewire.yaml)',
      BUNDLED_CONFIG,
    )
    .option('--demo', 'start simulated players posting realistic views to the ingest', false)
    .option(
      '--duration <seconds>',
      'end the run (with its summary) after this many seconds',
      wholeNumber('--duration', 1),
    )
    .option('--players <n>', 'simulated players playing at the same time', wholeNumber('--players', 1), 200)
    .option(
      '--seed <n>',
      'seed of the simulation: the same seed plays the same views',
      wholeNumber('--seed', 1),
      1,
    )
    .action(
      async (o: { config: string; demo: boolean; duration?: number; players: number; seed: number }) => {
        // stdout carries the banner and the summary; logs go to stderr.
        const logger = createLogger({ destination: pino.destination(2) })
        await runDev(
          {
            config: o.config,
            demo: o.demo,
            players: o.players,
            seed: o.seed,
            ...(o.duration === undefined ? {} : { durationSeconds: o.duration }),
          },
          logger,
        )
        // Clients of the bus and Redis may keep timers alive after stopping.
        process.exit(0)
      },
    )
}
