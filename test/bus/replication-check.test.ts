import { expect, it } from 'vitest'
import { startPipeline, testConfig } from '../helpers/pipeline.ts'

it('refuses to create topics with a replication factor above the brokers up, naming the setting', async () => {
  // The test broker is a single node.
  const config = testConfig()
  config.kafka.replication_factor = 3
  config.kafka.min_insync_replicas = 2
  await expect(startPipeline(config)).rejects.toThrow(
    /\/kafka\/replication_factor: is 3, but the cluster has 1 broker up/,
  )
})
