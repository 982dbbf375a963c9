import { counter, FAST_BUCKETS, histogram } from '../observability/metrics.ts'

export const UNAVAILABLE_CAUSES = ['timeout', 'error', 'in_flight'] as const

export const ingestMetrics = {
  requests: counter('framewire_ingest_requests_total', 'HTTP requests by route and status code.', [
    'route',
    'status',
  ]),
  requestDuration: histogram(
    'framewire_ingest_request_duration_seconds',
    'HTTP request duration by route.',
    FAST_BUCKETS,
    ['route'],
  ),
  accepted: counter(
    'framewire_ingest_events_accepted_total',
    'Events durably written to the events topic, by source.',
    ['source'],
  ),
  rejected: counter(
    'framewire_ingest_events_rejected_total',
    'Events rejected by validation, by source and reason (the failing schema keyword).',
    ['source', 'reason'],
  ),
  duplicates: counter(
    'framewire_ingest_dedupe_hits_total',
    'Events dropped because their event_id was already accepted.',
    ['source'],
  ),
  redisErrors: counter(
    'framewire_ingest_redis_errors_total',
    'Redis calls that failed; events were accepted without dedupe.',
    ['operation'],
  ),
  produceLatency: histogram(
    'framewire_ingest_produce_latency_seconds',
    'Time from a shared produce request being sent to its acknowledgement (acks=all).',
    FAST_BUCKETS,
    ['outcome'],
  ),
  produceBatchSize: histogram(
    'framewire_ingest_produce_batch_records',
    'Records per shared produce request.',
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
  ),
  requestBodyBytes: histogram(
    'framewire_ingest_request_body_bytes',
    'Size of each parsed request body, after decompression.',
    [256, 1024, 4096, 16384, 65536, 262144, 1048576],
  ),
  unavailable: counter(
    'framewire_ingest_unavailable_total',
    'Requests answered 503 by cause: the bus did not acknowledge in time (timeout), failed (error), or another request was still writing the same events (in_flight).',
    ['cause'],
  ),
}

// Every cause has a series from the start, so dashboards and alerts see a zero rather than no data.
for (const cause of UNAVAILABLE_CAUSES) ingestMetrics.unavailable.inc({ cause }, 0)
