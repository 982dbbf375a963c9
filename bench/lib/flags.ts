/** Command-line flags both benches take (parseArgs options): where Kafka and Redis are, pinning, clean-up. */
export const COMMON_FLAGS = {
  brokers: { type: 'string', default: '127.0.0.1:9092' },
  redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  'no-pin': { type: 'boolean', default: false },
  'keep-topics': { type: 'boolean', default: false },
} as const

/** The common flags' values, as the runners' options carry them. */
export function commonOptions(flags: {
  brokers: string
  redis: string
  'no-pin': boolean
  'keep-topics': boolean
}) {
  return {
    brokers: flags.brokers,
    redis: flags.redis,
    noPin: flags['no-pin'],
    keepTopics: flags['keep-topics'],
  }
}
