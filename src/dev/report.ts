import type { RunStats } from './run-stats.ts'

/** The text `framewire dev` prints for people: its start banner and its end-of-run summary table. */

export interface BannerFacts {
  ingestUrl: string
  writeKey: string
  consoleUrl?: string
  bus: string
  connectors: { name: string; type: string; target: string }[]
  demo?: { players: number; seed: number; flushSeconds: number }
  durationSeconds?: number
}

const number = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ms = (value: number | null) => (value === null ? '-' : number(value))

export function banner(facts: BannerFacts): string {
  const lines = [
    '',
    'Framewire dev',
    `  ingest      ${facts.ingestUrl}/v1/events   (write key ${facts.writeKey})`,
    ...(facts.consoleUrl ? [`  console     ${facts.consoleUrl}`] : []),
    `  bus         ${facts.bus}`,
    ...facts.connectors.map(
      (c, i) => `  ${i === 0 ? 'connectors' : '          '}  ${c.name} (${c.type}) → ${c.target}`,
    ),
  ]
  if (facts.demo) {
    lines.push(
      `  demo        ${facts.demo.players} simulated players (seed ${facts.demo.seed}) watch clips, episodes, films and a live`,
      '              channel: start-up, pre/mid-roll ads, bitrate switches, stalls, seeks, pauses, errors, milestones,',
      `              heartbeats every 10 s; each player's SDK posts a batch every ${facts.demo.flushSeconds} s`,
    )
  }
  const end = facts.durationSeconds === undefined ? '' : `, or wait ${facts.durationSeconds} s`
  lines.push(`  stop        Ctrl-C${end}: a summary follows`, '')
  return lines.join('\n')
}

export function summaryTable(
  stats: RunStats,
  connectors: { name: string; type: string }[],
  players?: { count: number; views: number },
): string {
  const who = players ? `, ${players.count} players, ${number(players.views)} views started` : ''
  const rows = [
    ['connector', 'type', 'delivered', 'p50 ms', 'p99 ms', 'dead letters'],
    ...connectors.map(({ name, type }) => {
      const c = stats.connectors.find((s) => s.connector === name)
      return [
        name,
        type,
        number(c?.delivered ?? 0),
        ms(c?.p50Ms ?? null),
        ms(c?.p99Ms ?? null),
        number(c?.deadLettered ?? 0),
      ]
    }),
  ]
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? []
  // Names and types align left, figures right.
  const table = rows.map(
    (row) =>
      `  ${row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('   ')}`,
  )
  return [
    '',
    `Framewire dev summary: ${number(stats.seconds, 1)} s${who}`,
    `  ingest: ${number(stats.accepted)} events accepted (${number(stats.eventsPerSecond, 1)} events/s), ` +
      `${number(stats.rejected)} rejected, ${number(stats.duplicates)} duplicates`,
    ...table,
    '  (delivery latency: from the ingest receiving an event to the destination confirming it)',
    '',
  ].join('\n')
}
