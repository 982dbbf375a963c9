import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { parseSloSpec, SLO_SPEC_PATH } from '../../scripts/observability/slo-spec.ts'
import { DELIVERY_BUCKETS } from '../../src/worker/metrics.ts'

const committed = await readFile(SLO_SPEC_PATH, 'utf8')

/** A spec with one latency SLO whose queries use `le` and `selector` (e.g. `,connector="s3"`). */
function latencySlo(name: string, le: string, selector = '') {
  return `
  - name: ${name}
    objective: 99
    sli:
      events:
        error_query: sum by (connector) (rate(framewire_delivery_latency_seconds_count{x=""${selector}}[{{.window}}])) - sum by (connector) (rate(framewire_delivery_latency_seconds_bucket{le="${le}"${selector}}[{{.window}}]))
        total_query: sum by (connector) (rate(framewire_delivery_latency_seconds_count{x=""${selector}}[{{.window}}]))
    alerting: { name: Burn${name.replace(/-/g, '')} }`
}
const spec = (...slos: string[]) => `version: prometheus/v1\nservice: framewire\nslos:${slos.join('')}\n`

describe('the SLO spec', () => {
  it('reads the committed slos.yaml: 99% within 1 s and 99.9% delivered, for all connectors', () => {
    const { service, slos } = parseSloSpec(committed)
    expect(service).toBe('framewire')
    expect(slos.map((s) => [s.name, s.objective, s.latencyTargetSeconds, s.connectors])).toEqual([
      ['delivery-latency', 0.99, 1, undefined],
      ['delivery-success', 0.999, undefined, undefined],
    ])
    expect(slos[0]?.errorQuery('1h')).toContain('framewire_delivery_latency_seconds_bucket{le="1"}[1h]')
  })

  it('counts every documented latency target from 100 ms to 10 s exactly: each is a histogram bound', () => {
    const exact = [...committed.matchAll(/bucket bound, so it is counted exactly: ([\d. ]+) \(s\)/g)]
      .flatMap((m) => (m[1] as string).trim().split(' '))
      .map(Number)
    expect(exact).toEqual(DELIVERY_BUCKETS.filter((b) => b >= 0.1 && b <= 10))
    for (const target of exact)
      expect(() => parseSloSpec(spec(latencySlo('l', String(target))))).not.toThrow()
  })

  it('refuses a latency target between buckets, naming the exact ones', () => {
    expect(() => parseSloSpec(spec(latencySlo('l', '0.6')))).toThrow(
      /slo "l": latency target le="0.6" is not a bucket .* use one of .*0\.5, 0\.75/,
    )
  })

  it('allows an SLO for one connector only when the SLO for all excludes it', () => {
    const own = latencySlo('s3-latency', '5', ',connector="s3"')
    expect(() => parseSloSpec(spec(latencySlo('all', '1'), own))).toThrow(
      'slo "all" covers all connectors but must exclude s3 (connector!~"s3"), which slo "s3-latency" covers',
    )
    const { slos } = parseSloSpec(spec(latencySlo('all', '1', ',connector!~"s3"'), own))
    expect(slos.map((s) => [s.name, s.latencyTargetSeconds, s.connectors])).toEqual([
      ['all', 1, undefined],
      ['s3-latency', 5, ['s3']],
    ])
  })

  it('says what is wrong with a malformed spec', () => {
    expect(() => parseSloSpec('version: v2')).toThrow('version must be "prometheus/v1"')
    expect(() => parseSloSpec(spec(latencySlo('l', '1').replace('objective: 99', 'objective: 100')))).toThrow(
      'slo "l": objective must be a percentage above 0 and below 100',
    )
    expect(() => parseSloSpec(spec(latencySlo('l', '1').replaceAll('[{{.window}}]', '[5m]')))).toThrow(
      'slo "l": sli.events.error_query must be a query using {{.window}}',
    )
    expect(() => parseSloSpec(spec(latencySlo('l', '1'), latencySlo('l', '1', ',connector="a"')))).toThrow(
      'slo "l" is declared twice',
    )
  })
})
