import type { Random } from './random.ts'

/** Who the simulated players are: device, network, CDN and consent of one viewer, kept for all its views. */

export interface Viewer {
  player: { name: string; version: string; sdk_name: string; sdk_version: string; instance_id: string }
  device: Record<string, string | number>
  network: { connection_type: string; effective_type: string; downlink_mbps: number; rtt_ms: number }
  cdn: { name: string; pop: string; edge_host: string }
  user: { anonymous_id: string; consent: { analytics: boolean; advertising: boolean } }
  page?: { url: string; referrer: string; title: string }
  /** What this viewer's network sustains, kbps: it drives the rendition ladder and the stalls. */
  bandwidthKbps: number
}

type Platform = Pick<Viewer, 'device'> & { player: { name: string; version: string }; web: boolean }

const PLATFORMS: readonly (readonly [Platform, number])[] = [
  [
    {
      player: { name: 'hls.js', version: '1.7.4' },
      device: {
        type: 'desktop',
        os_name: 'Windows',
        os_version: '11',
        browser_name: 'Chrome',
        browser_version: '142.0',
        screen_width: 1920,
        screen_height: 1080,
      },
      web: true,
    },
    4,
  ],
  [
    {
      player: { name: 'AVPlayer', version: '18.1' },
      device: {
        type: 'mobile',
        manufacturer: 'Apple',
        model: 'iPhone15,2',
        os_name: 'iOS',
        os_version: '18.1',
        screen_width: 393,
        screen_height: 852,
      },
      web: false,
    },
    3,
  ],
  [
    {
      player: { name: 'ExoPlayer', version: '1.5.0' },
      device: {
        type: 'mobile',
        manufacturer: 'Samsung',
        model: 'SM-G991B',
        os_name: 'Android',
        os_version: '14',
        screen_width: 412,
        screen_height: 915,
      },
      web: false,
    },
    3,
  ],
  [
    {
      player: { name: 'shaka-player', version: '4.12.2' },
      device: {
        type: 'tv',
        manufacturer: 'Samsung',
        model: 'QE55Q80C',
        os_name: 'Tizen',
        os_version: '7.0',
        screen_width: 1920,
        screen_height: 1080,
      },
      web: false,
    },
    2,
  ],
]

/** Connection, its median bandwidth in kbps, and its round-trip time: slow networks stall more. */
type Network = { connection_type: string; effective_type: string; kbps: number; rtt_ms: number }

const NETWORKS: readonly (readonly [Network, number])[] = [
  [{ connection_type: 'wifi', effective_type: '4g', kbps: 14_000, rtt_ms: 30 }, 5],
  [{ connection_type: 'ethernet', effective_type: '4g', kbps: 30_000, rtt_ms: 15 }, 1],
  [{ connection_type: 'cellular', effective_type: '4g', kbps: 5_000, rtt_ms: 70 }, 3],
  [{ connection_type: 'cellular', effective_type: '3g', kbps: 1_500, rtt_ms: 250 }, 1],
]

const CDNS = [
  { name: 'fastly', pop: 'LHR', edge_host: 'media.example.com' },
  { name: 'akamai', pop: 'FRA53', edge_host: 'media-ak.example.com' },
  { name: 'cloudfront', pop: 'IAD89-C1', edge_host: 'd1x2y3.cloudfront.net' },
] as const

export function makeViewer(rng: Random, index: number): Viewer {
  const platform = rng.weighted(PLATFORMS)
  const network = rng.weighted(NETWORKS)
  const bandwidthKbps = rng.skewed(network.kbps, 0.4)
  return {
    player: {
      ...platform.player,
      sdk_name: `framewire-${platform.web ? 'web' : 'native'}`,
      sdk_version: '0.1.0',
      instance_id: `player-${index}`,
    },
    device: { ...platform.device, language: 'en-GB' },
    network: {
      connection_type: network.connection_type,
      effective_type: network.effective_type,
      downlink_mbps: Math.round(bandwidthKbps / 100) / 10,
      rtt_ms: network.rtt_ms,
    },
    cdn: { ...rng.pick(CDNS) },
    // One viewer in ten refuses analytics: only essential connectors get their views.
    user: {
      anonymous_id: `anon-${index.toString(36)}-${rng.int(0, 0xffffff).toString(16)}`,
      consent: { analytics: rng.chance(0.9), advertising: rng.chance(0.6) },
    },
    ...(platform.web
      ? {
          page: {
            url: 'https://www.example.com/watch',
            referrer: 'https://www.example.com/',
            title: 'Watch | Example TV',
          },
        }
      : {}),
    bandwidthKbps,
  }
}
