import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { type Message, PubSub } from '@google-cloud/pubsub'
import type { ContractFixture, SentRequest } from '../../test/contract/fixture.ts'
import { startPubSubEmulator } from '../../test/helpers/pubsub-emulator.ts'

const PROJECT = 'contract-project'

/**
 * The contract against the Pub/Sub emulator, reached through a TCP relay of the fixture's own so the
 * connection can fail for real: `reset` drops the connection while the next Publish is on it; `unavailable`
 * drops it and refuses connections until the client gives up (gRPC UNAVAILABLE, what an unreachable
 * endpoint or a 503 become). The emulator has no quotas, no IAM and no per-message failures, so those
 * checks are not applicable.
 */
const fixture: ContractFixture = {
  async start() {
    const emulator = await startPubSubEmulator()
    const [host, port] = emulator.host.split(':') as [string, string]
    const admin = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host })
    const topicName = `contract-${randomUUID().slice(0, 8)}`
    const [topic] = await admin.createTopic(topicName)
    const [subscription] = await topic.createSubscription(`${topicName}-all`)

    const sockets = new Set<net.Socket>()
    let fault: 'reset' | 'refuse' | undefined
    const relay = net.createServer((client) => {
      if (fault === 'refuse') {
        client.destroy()
        return
      }
      const upstream = net.connect(Number(port), host)
      sockets.add(client).add(upstream)
      const drop = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('data', (chunk) => {
        // The Publish request's frames: drop the connection under it.
        if (fault === 'reset' && chunk.length > 64) {
          fault = undefined
          drop()
          return
        }
        upstream.write(chunk)
      })
      upstream.on('data', (chunk) => client.write(chunk))
      client.on('close', drop).on('error', drop)
      upstream.on('close', drop).on('error', drop)
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    const relayPort = (relay.address() as net.AddressInfo).port

    const received: Message[] = []
    subscription.on('message', (message: Message) => {
      received.push(message)
      message.ack()
    })

    return {
      settings: { project_id: PROJECT, topic: topicName, api_endpoint: `127.0.0.1:${relayPort}` },
      // Every message that reached the emulator is one the subscription receives; the relay cannot read gRPC.
      requests: (): SentRequest[] => [{ ids: received.map((m) => m.attributes.event_id as string) }],
      stored: async () => {
        // Let the streaming pull catch up with what was published.
        await new Promise((resolve) => setTimeout(resolve, 2_000))
        return received.map((m) => m.attributes.event_id as string)
      },
      throttle: {
        unsupported:
          'the Pub/Sub emulator has no quotas and never answers RESOURCE_EXHAUSTED, and gRPC carries no Retry-After',
      },
      unavailable: () => {
        fault = 'refuse'
        for (const socket of sockets) socket.destroy()
        sockets.clear()
        // Long enough for the client to give up on this Publish (a later fault replaces this one).
        setTimeout(() => {
          if (fault === 'refuse') fault = undefined
        }, 5_000)
      },
      reset: () => {
        fault = 'reset'
      },
      refuseCredentials: {
        unsupported:
          'the emulator has no IAM: it accepts any credentials; PERMISSION_DENIED/UNAUTHENTICATED → paused is unit-tested',
      },
      partial: {
        unsupported:
          'the emulator cannot fail single messages of a Publish; the request succeeds or fails whole',
      },
      async stop() {
        await subscription.close()
        await admin.close()
        for (const socket of sockets) socket.destroy()
        await new Promise((resolve) => relay.close(resolve))
        await emulator.stop()
      },
    }
  },
}
export default fixture
