import { type Memory, memoryOf } from './proc.ts'

export interface RssSampler {
  /** Stops sampling; returns the memory now and the largest VmRSS seen, this last reading included. */
  stop(): { memory: Memory | undefined; maxSampledBytes: number }
}

/** Samples a process's VmRSS every `everyMs` (the kernel keeps only the peak, VmHWM, over its whole life). */
export function sampleRss(pid: number, everyMs: number): RssSampler {
  let max = 0
  const timer = setInterval(() => {
    max = Math.max(max, memoryOf(pid)?.rssBytes ?? 0)
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const memory = memoryOf(pid)
      return { memory, maxSampledBytes: Math.max(max, memory?.rssBytes ?? 0) }
    },
  }
}
