import { defineConfig } from 'vitest/config'
import { integrationFiles } from './test/integration-files.ts'
import base from './vitest.config.ts'

/**
 * `npm run test:unit`: every test that needs no external service, without starting the Kafka broker (no
 * global setup). Tests may still build configs that name the services; these hosts never resolve (RFC 6761
 * `.invalid`), so a test that does reach one fails instead of quietly using a broker that happens to run.
 */
export default defineConfig({
  test: {
    ...base.test,
    exclude: [...(base.test?.exclude ?? []), ...integrationFiles],
    globalSetup: [],
    provide: { kafkaBrokers: ['kafka.invalid:9092'], redisUrl: 'redis://redis.invalid:6379' },
    // No shared broker to take turns on.
    fileParallelism: true,
    // Both cores: vitest's default keeps one free, which leaves a 2-core machine running files one at a time.
    maxWorkers: 2,
    // The files of a worker share its module cache, so the connectors' SDKs load once per worker rather
    // than once per file: half the CPU time of the run. Unit tests keep no state in modules to rely on.
    isolate: false,
  },
})
