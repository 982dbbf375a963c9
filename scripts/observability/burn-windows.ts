/** The windows of multi-window, multi-burn-rate SLO alerts. */

export interface BurnWindow {
  long: string
  short: string
  /** How many times faster than sustainable the error budget burns. */
  burn: number
}

export interface AlertWindows {
  /** Suffix of the rule groups, so a second set (tests) loads beside the first. */
  groupSuffix: string
  page: BurnWindow[]
  ticket: BurnWindow[]
  /** The SLO period the error budget is counted over; without one no budget rules are made (tests). */
  period?: string
}

/**
 * Google SRE workbook, "Alerting on SLOs" (https://sre.google/workbook/alerting-on-slos/): page when
 * 2% of a 30-day budget goes in 1 h or 5% in 6 h, ticket when 10% goes in 3 days; the short window (1/12 of the
 * long one) makes the alert stop soon after the burn does.
 */
export const SRE_WORKBOOK_WINDOWS: AlertWindows = {
  groupSuffix: '',
  page: [
    { long: '1h', short: '5m', burn: 14.4 },
    { long: '6h', short: '30m', burn: 6 },
  ],
  ticket: [{ long: '3d', short: '6h', burn: 1 }],
  period: '28d',
}

/**
 * The same alerts on windows short enough for an integration test that runs a minute: the long windows keep
 * the workbook's order, and each short window is a third of its long one (scraped every second).
 */
export const TEST_WINDOWS: AlertWindows = {
  groupSuffix: '-test-windows',
  page: [
    { long: '30s', short: '10s', burn: 14.4 },
    { long: '45s', short: '15s', burn: 6 },
  ],
  ticket: [{ long: '60s', short: '20s', burn: 1 }],
}
