import { Counter, Histogram } from 'prom-client'
import { FAST_BUCKETS, registry } from '../observability/metrics.ts'

export const UNAVAILABLE_CAUSES = ['timeout', 'error', 'in_flight'] as const

export const ingestMetrics = {
  requests: new Counter({
    name: 'framewire_ingest_requests_total',
    help: 'HTTP requests by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  }),
  requestDuration: new Histogram({
    name: 'framewire_ingest_request_duration_seconds',
    help: 'HTTP request duration by route.',
    labelNames: ['route'] as const,
    buckets: FAST_BUCKETS,
    registers: [registry],
  }),
  accepted: new Counter({
    name: 'framewire_ingest_events_accepted_total',
    help: 'Events durably written to the events topic, by source.',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
  rejected: new Counter({
    name: 'framewire_ingest_events_rejected_total',
    help: 'Events rejected by validation, by source and reason (the failing schema keyword).',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  }),
  duplicates: new Counter({
    name: 'framewire_ingest_dedupe_hits_total',
    help: 'Events dropped because their event_id was already accepted.',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
  redisErrors: new Counter({
    name: 'framewire_ingest_redis_errors_total',
    help: 'Redis calls that failed; events were accepted without dedupe.',
    labelNames: ['operation'] as const,
    registers: [registry],
  }),
  produceLatency: new Histogram({
    name: 'framewire_ingest_produce_latency_seconds',
    help: 'Time from a shared produce request being sent to its acknowledgement (acks=all).',
    labelNames: ['outcome'] as const,
    buckets: FAST_BUCKETS,
    registers: [registry],
  }),
  produceBatchSize: new Histogram({
    name: 'framewire_ingest_produce_batch_records',
    help: 'Records per shared produce request.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
    registers: [registry],
  }),
  requestBodyBytes: new Histogram({
    name: 'framewire_ingest_request_body_bytes',
    help: 'Size of each parsed request body, after decompression.',
    buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576],
    registers: [registry],
  }),
  unavailable: new Counter({
    name: 'framewire_ingest_unavailable_total',
    help: 'Requests answered 503 by cause: the bus did not acknowledge in time (timeout), failed (error), or another request was still writing the same events (in_flight).',
    labelNames: ['cause'] as const,
    registers: [registry],
  }),
}

// Every cause has a series from the start, so dashboards and alerts see a zero rather than no data.
for (const cause of UNAVAILABLE_CAUSES) ingestMetrics.unavailable.inc({ cause }, 0)
