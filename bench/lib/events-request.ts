/** What both load generators send (POST /v1/events as the bench source) and count from the 202 answers. */

export function eventsRequest(writeKey: string) {
  return {
    method: 'POST',
    path: '/v1/events',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${writeKey}` },
  }
}

/** Events the ingest reported in its 202 bodies (not assumed from the request count). */
export class AnswerTally {
  accepted = 0
  duplicates = 0
  rejected = 0

  /** Counts one answer; returns the events it accepted (0 unless a 202). */
  add(status: number, body: string): number {
    if (status !== 202) return 0
    const answer = JSON.parse(body) as { accepted: number; duplicates: number; rejected: unknown[] }
    this.accepted += answer.accepted
    this.duplicates += answer.duplicates
    this.rejected += answer.rejected.length
    return answer.accepted
  }
}
