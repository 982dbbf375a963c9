import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'

/** A file opened for appending whole chunks durably, one chunk at a time. */
export interface AppendLog {
  /** Resolves once the whole chunk is on disk (fdatasync); on failure the file is cut back to before it. */
  append(text: string): Promise<void>
  /** Waits for the appends in progress, then closes the file. */
  close(): Promise<void>
}

export async function openAppendLog(path: string): Promise<AppendLog> {
  await mkdir(dirname(path), { recursive: true })
  const handle = await open(path, 'a')
  // A new file's directory entry must be durable as well, or a crash can lose the file with its lines.
  const directory = await open(dirname(path), 'r')
  await directory.sync().finally(() => directory.close())

  const write = async (text: string) => {
    const { size } = await handle.stat()
    try {
      await handle.writeFile(text)
      await handle.datasync()
    } catch (error) {
      // No half-written line stays behind for readers; the runtime retries the whole batch.
      await handle.truncate(size).catch(() => undefined)
      throw error
    }
  }
  // Appends run one after the other, so concurrent batches never interleave and truncation is safe.
  let tail: Promise<void> = Promise.resolve()
  return {
    append(text) {
      const done = tail.then(() => write(text))
      tail = done.catch(() => undefined)
      return done
    },
    async close() {
      await tail
      await handle.close()
    },
  }
}
