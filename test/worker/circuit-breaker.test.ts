import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CircuitBreaker, type CircuitState } from '../../src/worker/circuit-breaker.ts'

function breaker() {
  const changes: CircuitState[] = []
  const circuit = new CircuitBreaker({ failure_threshold: 3, open_ms: 1000 }, (state) => changes.push(state))
  return { circuit, changes }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('CircuitBreaker', () => {
  it('opens after failure_threshold consecutive failures and refuses sends while open', () => {
    const { circuit, changes } = breaker()
    circuit.record(false)
    circuit.record(false)
    expect(circuit.state).toBe('closed')
    expect(circuit.tryAcquire()).toBe(true)
    circuit.record(false)
    expect(circuit.state).toBe('open')
    expect(changes).toEqual(['open'])
    expect(circuit.tryAcquire()).toBe(false)
  })

  it('counts only consecutive failures', () => {
    const { circuit } = breaker()
    circuit.record(false)
    circuit.record(false)
    circuit.record(true)
    circuit.record(false)
    circuit.record(false)
    expect(circuit.state).toBe('closed')
  })

  it('lets exactly one probe through after open_ms and closes when it succeeds', () => {
    const { circuit, changes } = breaker()
    for (let i = 0; i < 3; i++) circuit.record(false)
    vi.advanceTimersByTime(999)
    expect(circuit.state).toBe('open')
    vi.advanceTimersByTime(1)
    expect(circuit.state).toBe('half-open')
    expect(circuit.tryAcquire()).toBe(true)
    expect(circuit.tryAcquire()).toBe(false)
    circuit.record(true)
    expect(circuit.state).toBe('closed')
    expect(changes).toEqual(['open', 'half-open', 'closed'])
    expect(circuit.tryAcquire()).toBe(true)
  })

  it('opens again for another open_ms when the probe fails', () => {
    const { circuit, changes } = breaker()
    for (let i = 0; i < 3; i++) circuit.record(false)
    vi.advanceTimersByTime(1000)
    circuit.tryAcquire()
    circuit.record(false)
    expect(circuit.state).toBe('open')
    vi.advanceTimersByTime(999)
    expect(circuit.state).toBe('open')
    vi.advanceTimersByTime(1)
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open'])
  })

  it('stays open when a batch sent before it opened fails late', () => {
    const { circuit, changes } = breaker()
    for (let i = 0; i < 4; i++) circuit.record(false)
    expect(changes).toEqual(['open'])
  })
})
