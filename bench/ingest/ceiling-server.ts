/**
 * The ceiling for the ingest benchmark: bare Fastify doing exactly the per-request CPU work that Framewire's
 * ingest cannot avoid — the same JSON parse (parseJson), validateEnvelope and validateEvent for every event,
 * with the same compiled data dictionary — and nothing else: no Redis dedupe, no enrichment, no Kafka
 * produce. It answers 202 with the same body shape. Framewire's throughput is reported as a share of this.
 *
 *   node bench/ingest/ceiling-server.ts --port 8181 --write-key <key>
 *
 * Prints one JSON line {"listening": "host:port"} on stdout once it accepts requests.
 */
import { parseArgs } from 'node:util'
import Fastify, { type FastifyReply } from 'fastify'
import { createEventValidator, type ValidationIssue } from '../../src/dictionary/event-validator.ts'
import { codes, errorBody, type FramewireError, withIssues } from '../../src/errors.ts'
import { parseJsonBodies } from '../../src/ingest/parse-json.ts'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'write-key': { type: 'string', default: 'bench-write-key' },
    // The same default as ingest.body_limit_bytes.
    'body-limit': { type: 'string', default: '1048576' },
  },
})

const writeKey = values['write-key']
const validator = createEventValidator()

const app = Fastify({ logger: false, bodyLimit: Number(values['body-limit']) })

// As the ingest: the body arrives as a string, JSON or text/plain (sendBeacon), and parseJson parses it.
parseJsonBodies(app)

// The ingest's answer shape for the two refusals this server makes.
const refuse = (reply: FastifyReply, error: FramewireError) =>
  reply.code(error.statusCode ?? 500).send(errorBody(error))

app.post('/v1/events', async (request, reply) => {
  if (request.headers.authorization !== `Bearer ${writeKey}`) {
    return refuse(reply, new codes.FW_ERR_INGEST_UNKNOWN_WRITE_KEY())
  }
  const body = request.body
  const envelopeIssues = validator.validateEnvelope(body)
  if (envelopeIssues.length > 0) {
    return refuse(reply, withIssues(new codes.FW_ERR_INGEST_INVALID_ENVELOPE(), envelopeIssues))
  }
  const { events } = body as { events: unknown[] }
  const rejected: { index: number; errors: ValidationIssue[] }[] = []
  let accepted = 0
  events.forEach((event, index) => {
    const issues = validator.validateEvent(event)
    if (issues.length > 0) rejected.push({ index, errors: issues })
    else accepted++
  })
  return reply.code(202).send({ accepted, duplicates: 0, rejected })
})

app.get('/healthz', async () => ({ status: 'ok' }))

const address = await app.listen({ host: values.host, port: Number(values.port) })
process.stdout.write(`${JSON.stringify({ listening: new URL(address).host })}\n`)

const stop = async () => {
  await app.close()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
