import { type KafkaConfig, logLevel } from 'kafkajs'
import type { Logger } from 'pino'

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

/** kafkajs' logging (warnings and errors) written to a pino logger, for a KafkaConfig. */
export function kafkajsPinoLog(log: Logger): Pick<KafkaConfig, 'logLevel' | 'logCreator'> {
  return {
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry
        log[LEVELS[level] ?? 'info'](rest, message)
      },
  }
}
