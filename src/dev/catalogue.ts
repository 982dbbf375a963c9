/** What the simulated players watch: titles, one rendition ladder, and ad creatives. */

export interface Title {
  content: {
    id: string
    title: string
    series?: string
    season?: number
    episode?: number
    /** Absent for live channels. */
    duration_ms?: number
    stream_type: 'vod' | 'live'
    stream_format: 'hls' | 'dash'
    url: string
    asset_id: string
    drm: 'none' | 'widevine'
    genre: string
    language: string
    publisher: string
  }
  /** Whether ad breaks are served with it. */
  ads: boolean
}

export interface Rendition {
  name: string
  bitrate_kbps: number
  width: number
  height: number
  codec: string
  framerate: number
}

export interface AdCreative {
  id: string
  creative_id: string
  title: string
  advertiser: string
  system: string
  duration_ms: number
  skippable: boolean
  skip_offset_ms?: number
}

const vod = (
  id: string,
  title: string,
  minutes: number,
  extra: Partial<Title['content']> & { genre: string },
  ads = true,
): Title => ({
  content: {
    id,
    title,
    duration_ms: Math.round(minutes * 60_000),
    stream_type: 'vod',
    stream_format: 'hls',
    url: `https://media.example.com/vod/${id}/master.m3u8`,
    asset_id: `asset-${id}`,
    drm: 'none',
    language: 'en-GB',
    publisher: 'Example TV',
    ...extra,
  },
  ads,
})

// Short titles first: demo runs last seconds to minutes, and views of clips reach their end.
export const TITLES: readonly Title[] = [
  vod('clip-goal-of-the-week', 'Goal of the Week', 0.8, { genre: 'sport' }, false),
  vod('trailer-northern-lights-s3', 'Northern Lights, Season 3 (trailer)', 1.6, { genre: 'drama' }, false),
  vod('news-0900', 'Morning Briefing', 4, { genre: 'news' }),
  vod('ep-4711', 'The Long Night', 45.2, {
    genre: 'drama',
    series: 'Northern Lights',
    season: 2,
    episode: 5,
    drm: 'widevine',
    stream_format: 'dash',
    url: 'https://media.example.com/vod/ep-4711/manifest.mpd',
  }),
  vod('film-tidewater', 'Tidewater', 104, { genre: 'documentary', drm: 'widevine' }),
  {
    content: {
      id: 'live-news-24',
      title: 'News 24',
      stream_type: 'live',
      stream_format: 'hls',
      url: 'https://live.example.com/news24/master.m3u8',
      asset_id: 'channel-news24',
      drm: 'none',
      genre: 'news',
      language: 'en-GB',
      publisher: 'Example TV',
    },
    ads: true,
  },
]

const h264 = (name: string, bitrate_kbps: number, width: number, height: number): Rendition => ({
  name,
  bitrate_kbps,
  width,
  height,
  codec: height > 720 ? 'avc1.640028' : 'avc1.4d401f',
  framerate: height > 480 ? 50 : 25,
})

/** Lowest first; the player climbs and drops along it as throughput changes. */
export const LADDER: readonly Rendition[] = [
  h264('234p', 300, 416, 234),
  h264('360p', 800, 640, 360),
  h264('480p', 1400, 854, 480),
  h264('720p', 2800, 1280, 720),
  h264('1080p', 5000, 1920, 1080),
  h264('1080p-hq', 7800, 1920, 1080),
]

export const AD_CREATIVES: readonly AdCreative[] = [
  {
    id: 'ad-5511',
    creative_id: 'cr-5511-15s',
    title: 'Summer Sale',
    advertiser: 'Example Stores',
    system: 'GDFP',
    duration_ms: 15_000,
    skippable: false,
  },
  {
    id: 'ad-7302',
    creative_id: 'cr-7302-20s',
    title: 'The New Hatchback',
    advertiser: 'Example Motors',
    system: 'GDFP',
    duration_ms: 20_000,
    skippable: true,
    skip_offset_ms: 5_000,
  },
  {
    id: 'ad-9120',
    creative_id: 'cr-9120-6s',
    title: 'Fresh Coffee',
    advertiser: 'Example Roasters',
    system: 'SpringServe',
    duration_ms: 6_000,
    skippable: false,
  },
]
