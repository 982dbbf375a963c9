import { type Admin, Kafka, logLevel } from 'kafkajs'
import { log } from './log.ts'

/** A Kafka admin client connected on first use. */
export function lazyAdmin(brokers: string, clientId: string) {
  let client: Admin | undefined
  return {
    async get(): Promise<Admin> {
      if (!client) {
        client = new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin()
        await client.connect()
      }
      return client
    },
    async disconnect() {
      await client?.disconnect().catch(() => undefined)
      client = undefined
    },
  }
}

export type LazyAdmin = ReturnType<typeof lazyAdmin>

/** Deletes the topics and consumer groups whose names contain the run's marker (they hold only bench data). */
export async function deleteRunTopics(admin: LazyAdmin, marker: string) {
  try {
    const a = await admin.get()
    const topics = (await a.listTopics()).filter((t) => t.includes(marker))
    if (topics.length > 0) await a.deleteTopics({ topics, timeout: 20_000 })
    const groups = (await a.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(marker))
    if (groups.length > 0) await a.deleteGroups(groups).catch(() => undefined)
  } catch (err) {
    log(`could not delete the bench topics/groups (${(err as Error).message}); they hold only bench data`)
  }
}
