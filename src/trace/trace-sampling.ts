import type { TraceConfig } from '../config/types.ts'
import { viewHash } from '../pipeline/sampling.ts'

/** Seeds the hash apart from view sampling, so traced events are not the sampled-in views. */
const SEED = 'trace:'

/**
 * Whether an event gets a trace. Decided from its event_id alone, so the ingest and every worker process
 * agree without talking. `failed` traces every event, briefly: which ones fail is known only later.
 */
export function traceSampler(config: Pick<TraceConfig, 'sampling' | 'share'>): (eventId: string) => boolean {
  switch (config.sampling) {
    case 'off':
      return () => false
    case 'all':
    case 'failed':
      return () => true
    case 'share':
      return (eventId) => viewHash(eventId, SEED) < config.share
  }
}
