import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { connectorTypes } from '../../connectors/index.ts'
import { checkConfigFile, formatProblem, loadConfigFile } from '../config/load.ts'
import type { PlayerEvent } from '../event.ts'
import { enrich } from '../ingest/enrich.ts'
import { createEventValidator } from '../ingest/event-validator.ts'
import { previewRequests } from './request-preview.ts'

export function registerConfigCommands(program: Command) {
  const config = program.command('config').description('check a config and what it would send')
  config
    .command('validate <file>')
    .description('validate a config file; errors give file:line:col, the path and what was expected')
    .option('--allow-missing-env', 'report ${VAR}s that are not set as warnings, to validate without secrets')
    .action((file: string, o: { allowMissingEnv?: boolean }) => {
      const { config: loaded, warnings } = checkConfigFile(file, connectorTypes, {
        allowMissingEnv: o.allowMissingEnv === true,
      })
      for (const w of warnings) console.error(`warning: ${formatProblem(w)}`)
      console.log(`${file}: valid (${loaded.sources.length} sources, ${loaded.connectors.length} connectors)`)
    })
  config
    .command('test <file>')
    .description('print the exact request a connector would send for a sample event, without any network')
    .requiredOption('--connector <name>', 'connector name from the config')
    .requiredOption('--event <sample.json>', 'a player event as a collector sends it')
    .option('--source <name>', 'the source the event comes from (default: the first one)')
    .action(async (file: string, o: { connector: string; event: string; source?: string }) => {
      const loaded = loadConfigFile(file, connectorTypes)
      const connector = loaded.connectors.find((c) => c.name === o.connector)
      if (!connector) throw new Error(`no connector named "${o.connector}" in ${file}`)
      const raw = JSON.parse(readFileSync(o.event, 'utf8')) as PlayerEvent
      const issues = createEventValidator().validateEvent(raw)
      if (issues.length > 0) throw new Error(`the sample event is invalid: ${JSON.stringify(issues)}`)
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
      if (preview.outcome.kind === 'rejected' && preview.requests.length === 0) {
        console.log(`${o.connector} would not send this event: ${preview.outcome.reason}`)
      }
      for (const r of preview.requests) {
        console.log(`${r.method} ${r.url}`)
        for (const [k, v] of Object.entries(r.headers)) console.log(`${k}: ${v}`)
        console.log(`\n${r.body}\n`)
      }
    })
}
