import { collectDefaultMetrics, Registry } from 'prom-client'

/** One registry per process, exposed on /metrics; modules register their own instruments on it. */
export const registry = new Registry()
collectDefaultMetrics({ register: registry, prefix: 'framewire_' })

/** Latency buckets in seconds, from under a millisecond up to seconds (produce, HTTP requests). */
export const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
