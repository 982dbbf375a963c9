const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * Replaces `${NAME}` and `${NAME:-default}` in string values only, after parsing, so an environment value
 * can never inject YAML structure. Returns the paths of references that have no value.
 */
export function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: (string | number)[] = [],
  missing: { path: (string | number)[]; name: string }[] = [],
): { value: unknown; missing: { path: (string | number)[]; name: string }[] } {
  if (typeof value === 'string') {
    const replaced = value.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
      const found = env[name]
      if (found !== undefined && found !== '') return found
      if (fallback !== undefined) return fallback
      missing.push({ path, name })
      return ''
    })
    return { value: replaced, missing }
  }
  if (Array.isArray(value)) {
    return { value: value.map((v, i) => interpolateEnv(v, env, [...path, i], missing).value), missing }
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k], missing).value
    return { value: out, missing }
  }
  return { value, missing }
}
