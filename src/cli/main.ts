import { Command, Option } from 'commander'
import { startConfigReload } from '../app/config-reload.ts'
import { type Role, startFramewire } from '../app/start.ts'
import { ConfigError } from '../config/load.ts'
import { CLI_EXIT_CODES, codes, isFramewireError } from '../errors.ts'
import { createLogger } from '../observability/logger.ts'
import { readConfigFile } from './cli-files.ts'
import { registerConfigCommands } from './config-command.ts'
import { registerDevCommands } from './dev-command.ts'
import { registerDlqCommands } from './dlq-command.ts'
import { registerKafkaCommands } from './kafka-command.ts'
import { registerTraceCommand } from './trace-command.ts'

const program = new Command('framewire').description('Video-player telemetry pipeline').showHelpAfterError()

program
  .command('start')
  .description('run the ingest and/or the connector workers')
  .requiredOption('-c, --config <file>', 'YAML config file')
  .addOption(
    new Option('--role <role>', 'what this process runs').choices(['ingest', 'worker', 'all']).default('all'),
  )
  .action(async (options: { config: string; role: Role }) => {
    const { text, config } = readConfigFile(options.config)
    const logger = createLogger()
    // Handlers go in before start-up, since workers deliver (and can be signalled) while it still runs.
    let stopping = false
    const started = startFramewire(config, options.role, logger)
    const shutdown = async (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'shutting down: draining in-flight work')
      await (await started).stop()
      logger.info('stopped')
      process.exit(0)
    }
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
    process.on('SIGINT', () => void shutdown('SIGINT'))
    startConfigReload(options.config, text, config, await started, logger)
  })

registerKafkaCommands(program)
registerDlqCommands(program)
registerConfigCommands(program)
registerDevCommands(program)
registerTraceCommand(program)

try {
  await program.parseAsync()
} catch (err) {
  // What a user can fix is printed as its code and message; anything else is a bug, with its stack.
  const error = err instanceof ConfigError ? new codes.FW_ERR_CLI_CONFIG_INVALID(err.message) : err
  if (!isFramewireError(error)) throw error
  console.error(`${error.code}: ${error.message}`)
  process.exit(CLI_EXIT_CODES[error.code] ?? 1)
}
