/**
 * The test files that need an external service: the Kafka broker and Redis of test/setup/services.ts,
 * PostgreSQL, Chromium or the Pub/Sub emulator. `npm run test:unit` (vitest.unit.config.ts) runs every other
 * test file, `npm test` runs them all. A new file is a unit test unless it is listed here; one that reaches
 * a service from the unit run fails there (the services it is given do not resolve), so it cannot go
 * unnoticed. test/test-sets.test.ts checks every entry still matches a file.
 */
export const integrationFiles = [
  // Each test here starts a whole pipeline on the test broker, or a framewire process.
  'test/e2e/**/*.test.ts',
  'connectors/kafka/kafka.test.ts',
  'connectors/postgres/postgres.test.ts',
  'connectors/pubsub/pubsub.test.ts',
  'test/console/console-browser.test.ts',
  // Every connector against its stand-in or real service (PostgreSQL, Kafka, the Pub/Sub emulator).
  'test/contract/connector-contract.test.ts',
  'test/console/console.test.ts',
  'test/bus/replication-check.test.ts',
  'test/ingest/degraded.test.ts',
  'test/ingest/ingest.test.ts',
  'test/ingest/kafka-outage.test.ts',
  'test/ingest/shutdown.test.ts',
  // A real Prometheus scraping a pipeline with Redis dedupe.
  'test/observability/dashboards-prometheus.test.ts',
  // Runs the whole product, with its simulated players, for a fixed time.
  'test/dev/dev-command.test.ts',
  // promtool, from Debian's prometheus package.
  'test/observability/alert-rules.test.ts',
  'test/pipeline/cap-gate.test.ts',
  'test/pipeline/rate-cap.test.ts',
  'test/trace/trace-store.test.ts',
  'test/worker/connector-worker.kafka.test.ts',
]
