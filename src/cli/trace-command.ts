import type { Command } from 'commander'
import { localUrl } from '../app/local-url.ts'
import { codes } from '../errors.ts'
import type { EventTrace } from '../trace/trace-stages.ts'
import { traceTimeline } from '../trace/trace-timeline.ts'
import { readConfigFile } from './cli-files.ts'

interface TraceOptions {
  config?: string
  url?: string
  token?: string
  json?: boolean
}

/** The ingest's URL and the console token: flags first, then the config, then the environment. */
function target(options: TraceOptions): { url: string; token: string | undefined } {
  const config = options.config ? readConfigFile(options.config).config : undefined
  const url =
    options.url ??
    (config ? localUrl(`${config.ingest.host}:${config.ingest.port}`) : 'http://127.0.0.1:8080')
  const token = options.token ?? (config?.console.token || process.env.FRAMEWIRE_CONSOLE_TOKEN)
  return { url: url.replace(/\/$/, ''), token }
}

export async function fetchTrace(eventId: string, options: TraceOptions): Promise<EventTrace> {
  const { url, token } = target(options)
  const response = await fetch(`${url}/v1/events/${encodeURIComponent(eventId)}/trace`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  }).catch((err: Error) => {
    throw new codes.FW_ERR_CLI_TRACE_UNREACHABLE(
      url,
      (err.cause as Error | undefined)?.message ?? err.message,
    )
  })
  const body = (await response.json().catch(() => ({}))) as Partial<EventTrace> & {
    error?: string
    message?: string
  }
  if (!response.ok) {
    throw new codes.FW_ERR_CLI_TRACE_REFUSED(
      String(response.status),
      `${body.error ?? 'no code'}: ${body.message ?? 'no message'}`,
    )
  }
  return body as EventTrace
}

export function registerTraceCommand(program: Command) {
  program
    .command('trace <event_id>')
    .description("print an event's trace as a timeline: received, written, and each connector's fate")
    .option('-c, --config <file>', "YAML config file: the ingest's address and console token")
    .option('--url <url>', 'base URL of the ingest (default: from the config, else http://127.0.0.1:8080)')
    .option('--token <token>', 'the console token (default: the config, else FRAMEWIRE_CONSOLE_TOKEN)')
    .option('--json', 'print the trace as the route answers it')
    .action(async (eventId: string, options: TraceOptions) => {
      const trace = await fetchTrace(eventId, options)
      process.stdout.write(`${options.json ? JSON.stringify(trace, null, 2) : traceTimeline(trace)}\n`)
    })
}
