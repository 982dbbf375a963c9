/**
 * Stand-ins for the three destinations of the end-to-end benchmark, run as their own process (started by
 * sinks-control.ts, pinned next to the load generator). Each answers the vendor's success response as soon
 * as the request body has arrived, doing no work first, so what is measured is Framewire's own latency:
 *
 *   amplitude  POST /2/httpapi   → 200 {"code":200,"events_ingested":n,"payload_size_bytes":b,"server_upload_time":t}
 *   datadog    POST /api/v2/logs → 202 {}
 *   webhook    POST /hook        → 204
 *
 * After answering, each sink works out, per event, arrival wall time minus the event's received_at (exact,
 * to the millisecond, on the same clock as the ingest):
 *
 *   webhook    received_at is in the body (the enriched event as stored).
 *   datadog    received_at is an attribute of each log (body gunzipped after answering).
 *   amplitude  received_at is not sent; it is rebuilt from `time` (= ts_corrected = ts + received_at - sent_at)
 *              and the load generator's fixed spacing of ts before sent_at, which amplitude-rebuild.ts checks
 *              before enabling it (null otherwise, and Amplitude then has no exact figure).
 *
 * A sink switched to "hang" accepts connections and reads requests but never answers (until switched back,
 * when the held connections are destroyed).
 *
 * IPC (process.send): parent → {type:'hang', connector|null}, {type:'window', id, from, to, sliceMs},
 * {type:'clear'}; child → {type:'ready', ports}, {type:'window', id, result}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { gunzip } from 'node:zlib'
import { TimedSamples } from '../lib/samples.ts'
import {
  type AmplitudeRebuild,
  type FromSinks,
  SINK_NAMES,
  type SinkName,
  type SinkWindow,
  type ToSinks,
} from './sink-protocol.ts'

interface Sink {
  name: SinkName
  server: Server
  samples: TimedSamples
  requests: TimedSamples
  hanging: boolean
  held: Set<ServerResponse>
  hungRequests: number
  negative: number
  parseErrors: number
}

const rebuild: AmplitudeRebuild | null = JSON.parse(process.argv[2] ?? 'null')

/** Counts occurrences of `needle` (cheap; used for Amplitude's events_ingested before answering). */
function countOf(text: string, needle: string): number {
  let n = 0
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++
  return n
}

/** Every top-level `"received_at":<number>` of a body (none of the dictionary's fields nests that name). */
function receivedAts(text: string, each: (receivedAt: number) => void): void {
  const needle = '"received_at":'
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) {
    each(Number.parseFloat(text.slice(i + needle.length, i + needle.length + 24)))
  }
}

function record(sink: Sink, arrival: number, receivedAt: number): void {
  if (!Number.isFinite(receivedAt)) {
    sink.parseErrors++
    return
  }
  const latency = arrival - receivedAt
  if (latency < 0) sink.negative++
  sink.samples.add(arrival, latency)
}

function answer(sink: Sink, res: ServerResponse, text: string, arrival: number): void {
  switch (sink.name) {
    case 'amplitude': {
      const body = JSON.stringify({
        code: 200,
        events_ingested: countOf(text, '"insert_id":'),
        payload_size_bytes: Buffer.byteLength(text),
        server_upload_time: arrival,
      })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
      return
    }
    case 'datadog':
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': 2 })
      res.end('{}')
      return
    case 'webhook':
      res.writeHead(204)
      res.end()
  }
}

function measure(sink: Sink, req: IncomingMessage, body: Buffer, arrival: number): void {
  switch (sink.name) {
    case 'webhook':
      receivedAts(body.toString('utf8'), (at) => record(sink, arrival, at))
      return
    case 'datadog':
      if (req.headers['content-encoding'] === 'gzip') {
        gunzip(body, (err, plain) => {
          if (err) sink.parseErrors++
          else receivedAts(plain.toString('utf8'), (at) => record(sink, arrival, at))
        })
      } else receivedAts(body.toString('utf8'), (at) => record(sink, arrival, at))
      return
    case 'amplitude': {
      if (!rebuild) return
      try {
        const { events } = JSON.parse(body.toString('utf8')) as {
          events: { time: number; event_properties: { seq: number } }[]
        }
        for (const e of events) {
          const seq = e.event_properties.seq
          record(sink, arrival, e.time + (rebuild.batchSize - (seq % rebuild.batchSize)) * rebuild.spacingMs)
        }
      } catch {
        sink.parseErrors++
      }
    }
  }
}

function startSink(name: SinkName): Promise<Sink> {
  const sink: Sink = {
    name,
    server: createServer(),
    samples: new TimedSamples(),
    requests: new TimedSamples(),
    hanging: false,
    held: new Set(),
    hungRequests: 0,
    negative: 0,
    parseErrors: 0,
  }
  sink.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const arrival = Date.now()
      if (sink.hanging) {
        // Read, never answered: the connection stays open until the client gives up or we are switched back.
        sink.hungRequests++
        sink.held.add(res)
        res.on('close', () => sink.held.delete(res))
        return
      }
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
      sink.requests.add(arrival, 1)
      // Answer first (a gunzip or parse must not delay the 2xx), measure after.
      answer(sink, res, name === 'amplitude' ? body.toString('utf8') : '', arrival)
      setImmediate(() => measure(sink, req, body, arrival))
    })
  })
  // A hanging sink must not answer 408 after Node's default 300 s request timeout; keep-alive beyond the
  // clients' idle timeout so connections are reused under load.
  sink.server.requestTimeout = 0
  sink.server.keepAliveTimeout = 30_000
  return new Promise((resolve, reject) => {
    sink.server.once('error', reject)
    sink.server.listen(0, '127.0.0.1', () => resolve(sink))
  })
}

function setHanging(sinks: Sink[], connector: SinkName | null): void {
  for (const sink of sinks) {
    sink.hanging = sink.name === connector
    if (!sink.hanging) {
      for (const res of sink.held) res.destroy()
      sink.held.clear()
    }
  }
}

function windowOf(sink: Sink, from: number, to: number, sliceMs: number): SinkWindow {
  const w = sink.samples.window(from, to, sliceMs)
  return {
    exact_method:
      sink.name === 'amplitude'
        ? rebuild
          ? 'arrival - received_at rebuilt from time (= ts_corrected) and the generator’s ts spacing'
          : null
        : sink.name === 'datadog'
          ? 'arrival - received_at attribute of each log (gunzipped after answering)'
          : 'arrival - received_at of each enriched event in the body',
    events: w.all.count,
    exact_ms: w.all,
    slices: w.slices,
    requests_in_window: sink.requests.between(from, to).length,
    hung_requests: sink.hungRequests,
    negative: sink.negative,
    parse_errors: sink.parseErrors,
  }
}

const sinks = await Promise.all(SINK_NAMES.map(startSink))
const portOf = (sink: Sink) => {
  const address = sink.server.address()
  return typeof address === 'object' && address ? address.port : 0
}
const reply = (message: FromSinks) => process.send?.(message)
process.on('message', (message: ToSinks) => {
  switch (message.type) {
    case 'hang':
      setHanging(sinks, message.connector)
      return
    case 'clear':
      for (const sink of sinks) {
        sink.samples.clear()
        sink.requests.clear()
        sink.hungRequests = 0
        sink.negative = 0
        sink.parseErrors = 0
      }
      return
    case 'window': {
      const result = Object.fromEntries(
        sinks.map((sink) => [sink.name, windowOf(sink, message.from, message.to, message.sliceMs)]),
      ) as Record<SinkName, SinkWindow>
      reply({ type: 'window', id: message.id, result })
    }
  }
})
process.on('disconnect', () => process.exit(0))
reply({
  type: 'ready',
  ports: Object.fromEntries(sinks.map((s) => [s.name, portOf(s)])) as Record<SinkName, number>,
})
