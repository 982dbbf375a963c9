import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'

/** A file opened for appending whole chunks durably, never interleaved. */
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

  // Appends that arrive while a write is in progress wait for it, then go out together with one fsync
  // (group commit): concurrent batches never interleave, and a busy connector pays one fsync per round.
  let waiting: { text: string; resolve: () => void; reject: (error: unknown) => void }[] = []
  let writing: Promise<void> | undefined

  const writeWaiting = async () => {
    while (waiting.length > 0) {
      const group = waiting
      waiting = []
      let size: number | undefined
      try {
        size = (await handle.stat()).size
        await handle.writeFile(group.map((g) => g.text).join(''))
        await handle.datasync()
        for (const g of group) g.resolve()
      } catch (error) {
        // No half-written line stays behind for readers; the runtime retries each batch.
        if (size !== undefined) await handle.truncate(size).catch(() => undefined)
        for (const g of group) g.reject(error)
      }
    }
    writing = undefined
  }

  return {
    append(text) {
      const done = new Promise<void>((resolve, reject) => waiting.push({ text, resolve, reject }))
      writing ??= writeWaiting()
      return done
    },
    async close() {
      await writing
      await handle.close()
    },
  }
}
