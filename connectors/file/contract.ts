import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ContractFixture } from '../../test/contract/fixture.ts'

const NO_NETWORK = 'a local file has no network between it and the connector'

const fixture: ContractFixture = {
  async start() {
    const dir = await mkdtemp(join(tmpdir(), 'fw-file-contract-'))
    const path = join(dir, 'events.ndjson')
    return {
      settings: { path },
      requests() {
        throw new Error('the file connector appends; its writes are not recorded one by one')
      },
      async stored() {
        const text = await readFile(path, 'utf8').catch(() => '')
        return text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line).event_id as string)
      },
      throttle: { unsupported: `${NO_NETWORK}: nothing throttles an append` },
      unavailable: {
        unsupported: `${NO_NETWORK}: no server answers "unavailable" (a failing disk is file.test.ts)`,
      },
      reset: { unsupported: `${NO_NETWORK}: there is no connection to reset` },
      refuseCredentials: { unsupported: `${NO_NETWORK}: it takes no credentials` },
      partial: {
        unsupported:
          'a batch is one write and one fdatasync, cut back whole when either fails: it lands whole or not at all',
      },
      stop: () => rm(dir, { recursive: true, force: true }),
    }
  },
}
export default fixture
