import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'

/** Linux-only helpers that read /proc: memory and CPU time of a process, and facts about the machine. */

/** Bytes of a `VmXxx:  1234 kB` line of /proc/<pid>/status, or undefined when the process is gone. */
function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024
}

export interface Memory {
  /** Resident set size now. */
  rssBytes: number
  /** Peak resident set size over the process's whole life (the kernel's high-water mark). */
  hwmBytes: number
}

export function memoryOf(pid: number): Memory | undefined {
  const rssBytes = statusField(pid, 'VmRSS')
  const hwmBytes = statusField(pid, 'VmHWM')
  return rssBytes === undefined || hwmBytes === undefined ? undefined : { rssBytes, hwmBytes }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU seconds a process has used, from /proc/<pid>/stat (all its threads). */
export function cpuSecondsOf(pid: number): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the full line, so 12 and 13 after the name.
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / CLOCK_TICKS
}

/** The CPUs a process may run on, as taskset prints them (e.g. "0" or "0,1"). */
export function affinityOf(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    return /^Cpus_allowed_list:\s+(\S+)$/m.exec(text)?.[1]
  } catch {
    return undefined
  }
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0
}

/** Pins every thread of a running process to one CPU. Returns false when taskset refused. */
export function pinProcess(pid: number, cpu: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0
}

export interface MachineNotes {
  cpu_model: string
  cores: number
  memory_bytes: number
  node_version: string
  platform: string
  kernel: string
  load_average_at_start: number[]
}

export function machineNotes(): MachineNotes {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8')
    model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? model
  } catch {
    // not Linux: keep what os.cpus() said
  }
  let kernel = 'unknown'
  let load: number[] = []
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
  } catch {
    // not Linux
  }
  return {
    cpu_model: model,
    // os.cpus(), not availableParallelism(): the latter shrinks to this process's affinity once pinned.
    cores: cpus().length,
    memory_bytes: totalmem(),
    node_version: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel,
    load_average_at_start: load,
  }
}

/** The one-minute load average now (for noting how busy the machine was around a run). */
export function loadAverage(): number | undefined {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  } catch {
    return undefined
  }
}

/** Pids of processes whose command line contains `needle` (to account for Kafka's and Redis's CPU). */
export function findPids(needle: string): number[] {
  const pids: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return pids
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(needle)) pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}

/** CPU seconds all cores have spent busy since boot (user, nice, system, irq, softirq, steal), from /proc/stat. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS
    )
  } catch {
    return undefined
  }
}

/**
 * Connections waiting in the kernel's accept queue of a loopback listening socket (rx_queue of its LISTEN
 * line in /proc/net/tcp); null when not found or not Linux.
 */
export function acceptQueue(port: number): number | null {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') {
        return Number.parseInt(fields[4]?.split(':')[1] ?? '0', 16)
      }
    }
  } catch {
    // not Linux
  }
  return null
}
