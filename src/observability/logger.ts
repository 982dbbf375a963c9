import { type DestinationStream, type Logger, pino } from 'pino'

/** Paths pino replaces with "[redacted]": write keys, API keys and auth headers never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-framewire-key"]',
  'req.query.key',
  '*.write_key',
  '*.api_key',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.password',
  'settings.*',
  '*.settings.*',
]

/** Logs to stdout unless a `destination` is given (`framewire dev` keeps stdout for its banner and summary). */
export function createLogger(
  options: { level?: string; name?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'framewire',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination,
  )
}
