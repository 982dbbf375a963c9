import { readFileSync } from 'node:fs'
import { connectorTypes } from '../../connectors/index.ts'
import { parseConfig } from '../config/load.ts'
import type { FramewireConfig } from '../config/types.ts'
import { codes } from '../errors.ts'

/** Reads a file named on the command line; one that cannot be read is a CLI error, not a stack trace. */
export function readCliFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new codes.FW_ERR_CLI_FILE_UNREADABLE(what, path, (err as NodeJS.ErrnoException).code ?? String(err))
  }
}

/** Reads and validates a config file; an invalid one throws ConfigError, which main.ts prints. */
export function readConfigFile(file: string): { text: string; config: FramewireConfig } {
  const text = readCliFile(file, 'config file')
  return { text, config: parseConfig(text, file, connectorTypes) }
}

/** The connector of that name in the config, or the CLI error that lists the names it has. */
export function connectorNamed(config: FramewireConfig, name: string, file: string) {
  const connector = config.connectors.find((c) => c.name === name)
  if (connector) return connector
  const names = config.connectors.map((c) => c.name).join(', ') || '(none)'
  throw new codes.FW_ERR_CLI_UNKNOWN_CONNECTOR(name, file, names)
}
