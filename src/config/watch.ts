import { createHash } from 'node:crypto'
import { readFileSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'

export const hashText = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)

/**
 * Calls `onChange(text, hash)` when the file's content changes. It watches the directory rather than the
 * file, so editors' atomic renames and Kubernetes ConfigMap symlink swaps are seen too. SIGHUP calls it
 * even when the content is unchanged (the operator asks to apply it again). Returns a function that stops
 * watching.
 */
export function watchConfigFile(
  file: string,
  initialHash: string,
  onChange: (text: string, hash: string) => void,
  debounceMs = 150,
): () => void {
  let current = initialHash
  let timer: NodeJS.Timeout | undefined
  let forced = false
  const check = () => {
    timer = undefined
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return // mid-rename: the next event brings the new file
    }
    const hash = hashText(text)
    if (hash === current && !forced) return
    forced = false
    current = hash
    onChange(text, hash)
  }
  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(check, debounceMs)
  }
  const name = basename(file)
  const watcher = watch(dirname(file), (_event, changed) => {
    if (changed === null || changed === name || changed.startsWith('..')) schedule()
  })
  const onHangup = () => {
    forced = true
    schedule()
  }
  process.on('SIGHUP', onHangup)
  return () => {
    clearTimeout(timer)
    watcher.close()
    process.off('SIGHUP', onHangup)
  }
}
