import type { Command } from 'commander'
import { connectorTypes } from '../../connectors/index.ts'
import { checkConfig, formatProblem, type ParseOptions } from '../config/load.ts'
import { createEventValidator } from '../dictionary/event-validator.ts'
import { codes } from '../errors.ts'
import type { PlayerEvent } from '../event.ts'
import { enrich } from '../ingest/enrich.ts'
import { connectorNamed, readCliFile, readConfigFile } from './cli-files.ts'
import { previewRequests } from './request-preview.ts'

/** As `config validate` checks a file: a CLI error when it cannot be read, warnings kept apart. */
function checkConfigFileForCli(file: string, options: ParseOptions) {
  return checkConfig(readCliFile(file, 'config file'), file, connectorTypes, process.env, options)
}

function readSampleEvent(path: string): PlayerEvent {
  const text = readCliFile(path, 'sample event')
  let raw: PlayerEvent
  try {
    raw = JSON.parse(text) as PlayerEvent
  } catch (err) {
    throw new codes.FW_ERR_CLI_SAMPLE_NOT_JSON(path, (err as Error).message)
  }
  const issues = createEventValidator().validateEvent(raw)
  if (issues.length > 0) {
    throw new codes.FW_ERR_CLI_SAMPLE_INVALID(path, issues.map((i) => `${i.pointer} ${i.message}`).join('; '))
  }
  return raw
}

export function registerConfigCommands(program: Command) {
  const config = program.command('config').description('check a config and what it would send')
  config
    .command('validate <file>')
    .description('validate a config file; errors give file:line:col, the path and what was expected')
    .option('--allow-missing-env', 'report ${VAR}s that are not set as warnings, to validate without secrets')
    .action((file: string, o: { allowMissingEnv?: boolean }) => {
      const { config: loaded, warnings } = checkConfigFileForCli(file, {
        allowMissingEnv: o.allowMissingEnv === true,
      })
      for (const w of warnings) console.error(`warning: ${formatProblem(w)}`)
      console.log(`${file}: valid (${loaded.sources.length} sources, ${loaded.connectors.length} connectors)`)
    })
  config
    .command('test <file>')
    .description(
      'print the exact request(s) a connector would make for a sample event; opens no client and no socket',
    )
    .requiredOption('--connector <name>', 'connector name from the config')
    .requiredOption('--event <sample.json>', 'a player event as a collector sends it')
    .option('--source <name>', 'the source the event comes from (default: the first one)')
    .action(async (file: string, o: { connector: string; event: string; source?: string }) => {
      const loaded = readConfigFile(file).config
      const connector = connectorNamed(loaded, o.connector, file)
      const raw = readSampleEvent(o.event)
      const now = Date.now()
      const event = enrich(raw, {
        receivedAt: now,
        sentAt: now,
        source: o.source ?? loaded.sources[0]?.name ?? 'sample',
        node: loaded.node_id,
        ip: '203.0.113.7',
        userAgent: 'framewire-config-test',
      })
      const definition = connectorTypes[connector.type]
      // The config loader checked every type: this is a bug, not a user error.
      if (!definition) throw new Error(`unknown connector type ${connector.type}`)
      const preview = await previewRequests(
        definition,
        connector,
        event,
        loaded.sources.map((s) => s.name),
      )
      if ('droppedBy' in preview) {
        console.log(`${o.connector} would not receive this event: dropped by its ${preview.droppedBy} stage`)
        return
      }
      if ('refused' in preview) {
        console.log(`${o.connector} would not send this event, and would dead-letter it: ${preview.refused}`)
        return
      }
      for (const call of preview.calls) {
        console.log(call.title)
        for (const [k, v] of Object.entries(call.headers)) console.log(`${k}: ${v}`)
        console.log(`\n${call.body}\n`)
      }
    })
}
