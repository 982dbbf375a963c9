import { gunzipSync } from 'node:zlib'
import type { RecordedRequest } from '../stand-ins/recorder.ts'
import type { Script } from '../stand-ins/scripted.ts'
import type { ContractFixture, ContractTarget, SentRequest } from './fixture.ts'

/** The faults every HTTP stand-in can play through its script: 429 + Retry-After, 503, a reset. */
export function httpFaults(script: Script): Pick<ContractTarget, 'throttle' | 'unavailable' | 'reset'> {
  return {
    throttle: (seconds) => script.failNext(1, 429, { retryAfter: seconds }),
    unavailable: () => script.failNext(1, 503),
    reset: () => script.resetNext(1),
  }
}

/** The generic 401 for stand-ins whose vendor answers a bad key with it. */
export const refuse401 = (script: Script) => () => script.failNext(1, 401)

function jsonOf(request: RecordedRequest): unknown {
  const raw = request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.rawBody) : request.rawBody
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * The event ids of JSON requests: `records(body)` finds the array of records in a body, `idField` the
 * dotted path of the event id in each.
 */
export function idsOfJsonRequests(
  received: RecordedRequest[],
  records: (body: Record<string, unknown>) => unknown,
  idField: string,
): SentRequest[] {
  return received.map((request) => {
    const body = jsonOf(request)
    const list = body && typeof body === 'object' ? records(body as Record<string, unknown>) : undefined
    const ids = Array.isArray(list)
      ? list.map((record) =>
          idField.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], record),
        )
      : []
    return { ids: ids.filter((id): id is string => typeof id === 'string') }
  })
}

/**
 * A contract fixture on an HTTP stand-in: its script plays the common faults (which `target` may override),
 * and the stand-in closes after the suite.
 */
export function httpFixture<S extends { script: Script; close(): Promise<void> }>(
  start: () => Promise<S>,
  target: (
    s: S,
  ) => Omit<ContractTarget, 'stop' | 'throttle' | 'unavailable' | 'reset'> &
    Partial<Pick<ContractTarget, 'throttle' | 'unavailable' | 'reset'>>,
): ContractFixture {
  return {
    async start() {
      const s = await start()
      return { ...httpFaults(s.script), ...target(s), stop: () => s.close() }
    },
  }
}
