import { setTimeout as sleep } from 'node:timers/promises'
import type { SendContext } from '../../src/worker/connector.ts'
import { sendHttp } from '../../src/worker/http-connector.ts'
import { bodyExcerpt } from '../../src/worker/http-outcome.ts'
import { parseHecResponse } from './response.ts'

/**
 * Indexer acknowledgment (https://docs.splunk.com/Documentation/Splunk/latest/Data/AboutHECIDXAck): HEC
 * answers a request on a data channel with an ackId, and /services/collector/ack says `true` once that
 * request is indexed; until then it says `false`, also while the indexer is merely behind. So an ackId is
 * pending, not failed, until `ack_timeout_ms` has passed since its request: the events of a pending ackId are
 * handed back to the runtime and polled again on their next attempt, never sent twice because of lag.
 */

export interface PendingAck {
  ackId: number
  sentAt: number
  acked: boolean
}

/** The pending acknowledgments of one connector instance (its channel), by event_id. */
export type AckTracker = Map<string, PendingAck>

export interface AckSettings {
  url: string
  token: string
  ack_poll_interval_ms: number
  ack_wait_ms: number
  ack_timeout_ms: number
}

export interface AckContext {
  channel: string
  acks: AckTracker
}

export const baseUrl = (settings: { url: string }) => settings.url.replace(/\/+$/, '')

/** Whether the entry's request went unacknowledged for longer than `ack_timeout_ms`: it is sent again. */
export const expired = (entry: PendingAck, settings: AckSettings, now: number) =>
  !entry.acked && now - entry.sentAt >= settings.ack_timeout_ms

/**
 * Polls /services/collector/ack for the unacknowledged `entries` every `ack_poll_interval_ms`, marking those
 * HEC reports indexed, until all are, or `ack_wait_ms` has passed, or every one left has expired. Returns
 * the last thing HEC said, for the reason of those still pending. Throws when the runtime aborts the send;
 * entries already marked stay marked, so the next attempt delivers them without sending them again.
 */
export async function awaitAcks(
  entries: PendingAck[],
  ctx: SendContext<AckSettings, AckContext>,
): Promise<string> {
  const { settings, resources } = ctx
  const deadline = Date.now() + settings.ack_wait_ms
  let last = 'not indexed yet'
  for (;;) {
    const open = entries.filter((entry) => !entry.acked && !expired(entry, settings, Date.now()))
    if (open.length === 0 || Date.now() + settings.ack_poll_interval_ms > deadline) return last
    await sleep(settings.ack_poll_interval_ms, undefined, { signal: ctx.signal })
    const res = await sendHttp(
      {
        url: `${baseUrl(settings)}/services/collector/ack`,
        headers: {
          authorization: `Splunk ${settings.token}`,
          'x-splunk-request-channel': resources.channel,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ acks: [...new Set(open.map((entry) => entry.ackId))] }),
      },
      ctx,
    )
    if (res.statusCode !== 200) {
      last = `ack query answered ${res.statusCode} ${bodyExcerpt(res.text, 200)}`
      continue
    }
    const acks = (parseHecResponse(res.text) as { acks?: Record<string, unknown> }).acks ?? {}
    for (const entry of open) if (acks[String(entry.ackId)] === true) entry.acked = true
    last = 'not indexed yet'
  }
}
