import { type Dispatcher, request as undiciRequest } from 'undici'
import {
  type BatchItem,
  type ConnectorDefinition,
  defineConnector,
  type HttpCall,
  type Outcome,
  type PlannedCall,
  type SendContext,
} from './connector.ts'
import {
  type AttemptResult,
  bodyExcerpt,
  MAX_RESPONSE_BYTES,
  outcomeForStatus,
  outcomesForAll,
  readBody,
  sendSplittingOnTooLarge,
} from './http-outcome.ts'

/**
 * The request builder / service split for connectors that speak HTTP (Vector's model): the connector says
 * what request a group of records becomes and how to read the answer; this module sends it over the
 * instance's keep-alive pool, splits on 413, refuses items up front and applies the generic status mapping.
 */

export interface HttpResponse {
  statusCode: number
  headers: Dispatcher.ResponseData['headers']
  /** The response body as UTF-8 text, cut at the request's `maxResponseBytes`. */
  text: string
}

export interface HttpRequestSpec {
  method?: 'POST' | 'PUT'
  url: string
  headers: Record<string, string>
  body: string | Buffer
  /** How much of the answer to read (default 1 MiB): enough for any vendor's error details. */
  maxResponseBytes?: number
}

/** The connector's own parts are those of ConnectorDefinition; plan and send come from the HTTP ones. */
export interface HttpConnectorSpec<Settings, VendorRecord>
  extends Pick<
    ConnectorDefinition<Settings, VendorRecord>,
    'type' | 'description' | 'settingsSchema' | 'limits' | 'transform' | 'recordBytes'
  > {
  /** Why an item must not go out at all (the vendor would refuse the whole request, or lose it). */
  refuse?(item: BatchItem<VendorRecord>, settings: Settings, now: number): string | undefined
  /** The request for a group of items; may be async (compression). */
  request(items: BatchItem<VendorRecord>[], settings: Settings): HttpRequestSpec | Promise<HttpRequestSpec>
  /**
   * The vendor's reading of an answer, one outcome per item; `undefined` for the generic mapping
   * (`httpOutcomes`). May throw ConnectorDisabledError.
   */
  classify?(
    response: HttpResponse,
    items: BatchItem<VendorRecord>[],
    settings: Settings,
  ): AttemptResult | undefined
}

/** 401/403: the credentials are refused; nothing will pass until someone fixes them, so pause. */
export function credentialsRefused(status: number, reason: string): Outcome {
  return { kind: 'paused', cause: 'credentials', reason, status }
}

/**
 * The generic mapping for an answer to `count` items: 2xx delivered; 401/403 paused; 413 too large (split,
 * then rejected alone); 408, 429 and 5xx retried with Retry-After; any other status rejected.
 */
export function httpOutcomes(response: HttpResponse, count: number): AttemptResult {
  const { statusCode: status, text, headers } = response
  if (status === 401 || status === 403) {
    return {
      outcomes: outcomesForAll(count, credentialsRefused(status, `HTTP ${status}: credentials refused`)),
    }
  }
  const outcome = outcomeForStatus({ status, body: text, headers })
  if (status === 413) {
    return {
      tooLarge: true,
      outcomes: outcomesForAll(count, {
        kind: 'rejected',
        reason: 'HTTP 413: payload too large',
        status,
        body: bodyExcerpt(text),
      }),
    }
  }
  return { outcomes: outcomesForAll(count, outcome) }
}

/** POSTs over the instance's pool, given up when `ctx.signal` aborts; the body is always consumed. */
export async function sendHttp(
  spec: HttpRequestSpec,
  ctx: { http: Dispatcher; signal: AbortSignal },
): Promise<HttpResponse> {
  const res = await undiciRequest(spec.url, {
    method: spec.method ?? 'POST',
    headers: spec.headers,
    body: spec.body,
    dispatcher: ctx.http,
    signal: ctx.signal,
  })
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    text: await readBody(res.body, spec.maxResponseBytes ?? MAX_RESPONSE_BYTES),
  }
}

function toCall(spec: HttpRequestSpec): HttpCall {
  return {
    kind: 'http',
    method: spec.method ?? 'POST',
    url: spec.url,
    headers: spec.headers,
    body: spec.body,
  }
}

/**
 * Sends `items` of which `refusal` keeps some back (rejected without a request); the others go out with
 * `attempt`, halved on "too large". One outcome per item, in order.
 */
export async function sendPrechecked<T>(
  items: readonly T[],
  refusal: (item: T) => string | undefined,
  attempt: (part: T[]) => Promise<AttemptResult>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(items.length)
  const positions: number[] = []
  items.forEach((item, position) => {
    const reason = refusal(item)
    if (reason === undefined) positions.push(position)
    else outcomes[position] = { kind: 'rejected', reason }
  })
  const sent = await sendSplittingOnTooLarge(positions, (part) =>
    attempt(part.map((position) => items[position] as T)),
  )
  positions.forEach((position, i) => {
    outcomes[position] = sent[i] as Outcome
  })
  return outcomes
}

export function defineHttpConnector<Settings, VendorRecord>(
  spec: HttpConnectorSpec<Settings, VendorRecord>,
): ConnectorDefinition<Settings, VendorRecord> {
  const refusal = (settings: Settings, now: number) => (item: BatchItem<VendorRecord>) =>
    spec.refuse?.(item, settings, now)
  const definition: ConnectorDefinition<Settings, VendorRecord> = {
    type: spec.type,
    description: spec.description,
    settingsSchema: spec.settingsSchema,
    limits: (settings) => spec.limits(settings),
    transform: (event, settings) => spec.transform(event, settings),

    async plan(batch, settings) {
      const refuse = refusal(settings, Date.now())
      const refused: PlannedCall[] = []
      const kept = batch.filter((item) => {
        const reason = refuse(item)
        if (reason !== undefined) refused.push({ kind: 'refused', event_id: item.event.event_id, reason })
        return reason === undefined
      })
      return kept.length === 0 ? refused : [...refused, toCall(await spec.request(kept, settings))]
    },

    send(batch, ctx: SendContext<Settings>) {
      const { settings } = ctx
      return sendPrechecked(batch, refusal(settings, Date.now()), async (items) => {
        const response = await sendHttp(await spec.request(items, settings), ctx)
        return spec.classify?.(response, items, settings) ?? httpOutcomes(response, items.length)
      })
    },
  }
  if (spec.recordBytes) definition.recordBytes = spec.recordBytes
  return defineConnector(definition)
}
