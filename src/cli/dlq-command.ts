import type { Command } from 'commander'
import { connectorTypes } from '../../connectors/index.ts'
import { createBus } from '../bus/create-bus.ts'
import { createLogger } from '../observability/logger.ts'
import { inspectDeadLetters, replayDeadLetters } from '../worker/dlq-tools.ts'
import { connectorNamed, readConfigFile } from './cli-files.ts'

export function registerDlqCommands(program: Command) {
  const dlq = program.command('dlq').description("inspect and replay a connector's dead letters")
  const context = (file: string, connector: string) => {
    const { config } = readConfigFile(file)
    // Before the bus: a mistyped name would otherwise get a dead-letter topic of its own.
    connectorNamed(config, connector, file)
    const logger = createLogger({ level: 'warn' })
    // On the embedded bus this opens the running process's file beside it, in a consumer group of its own.
    const bus = createBus(
      { ...config, kafka: { ...config.kafka, client_id: `${config.kafka.client_id}-dlq` } },
      logger,
    )
    return { config, bus, logger, out: process.stdout }
  }
  type Context = ReturnType<typeof context>
  /** Runs `use` with the command's context, then closes its bus. */
  const withContext = async (file: string, connector: string, use: (ctx: Context) => Promise<unknown>) => {
    const ctx = context(file, connector)
    try {
      await use(ctx)
    } finally {
      await ctx.bus.close()
    }
  }
  dlq
    .command('inspect <connector>')
    .description('list the dead-lettered records with their reason, status and attempts')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action((connector: string, o: { config: string }) =>
      withContext(o.config, connector, (ctx) => inspectDeadLetters(connector, ctx)),
    )
  dlq
    .command('replay <connector>')
    .description('re-send the dead-lettered records through the connector; prints progress and counts')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action((connector: string, o: { config: string }) =>
      withContext(o.config, connector, async (ctx) => {
        const summary = await replayDeadLetters(connector, { ...ctx, connectors: connectorTypes })
        process.exitCode = summary.failedAgain > 0 ? 1 : 0
      }),
    )
}
