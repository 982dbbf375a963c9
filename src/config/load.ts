import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020.js'
import { isNode, LineCounter, parseDocument } from 'yaml'
import { checkPipeline } from '../pipeline/compile-pipeline.ts'
import type { ConnectorDefinition } from '../worker/connector.ts'
import { createConfigAjv } from './ajv.ts'
import { closest } from './did-you-mean.ts'
import { interpolateEnv } from './interpolate.ts'
import { configSchema } from './schema.ts'
import type { FramewireConfig } from './types.ts'

export interface ConfigProblem {
  /** `file:line:col` of the offending value, or the file alone. */
  where: string
  /** JSON pointer into the config. */
  path: string
  message: string
}

/** `file:line:col /path: message`, as errors and warnings are printed. */
export const formatProblem = (p: ConfigProblem) => `${p.where} ${p.path || '/'}: ${p.message}`

export class ConfigError extends Error {
  readonly problems: ConfigProblem[]
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'))
    this.problems = problems
    this.name = 'ConfigError'
  }
}

type ConnectorTypes = Readonly<Record<string, ConnectorDefinition<never, unknown>>>

// parentSchema on each error gives the keys a misspelt one could have meant, however deep it sits.
const ajv = createConfigAjv({ verbose: true })
const validateConfig = ajv.compile<FramewireConfig>(configSchema)
const settingsValidators = new WeakMap<object, ReturnType<Ajv2020['compile']>>()

function pointer(path: readonly (string | number)[]): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty)
      const props = (error.parentSchema as { properties?: object } | undefined)?.properties ?? {}
      const hint = closest(key, Object.keys(props))
      return `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of: ${Object.keys(props).join(', ')}`
    }
    case 'required':
      return `missing required key "${String(p.missingProperty)}"`
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`
    default:
      return error.message ?? 'is invalid'
  }
}

export interface ParseOptions {
  /**
   * Report a `${VAR}` that is not set and has no default as a warning instead of an error (the value is
   * then empty and not checked further), so CI can validate a config without its secrets.
   */
  allowMissingEnv?: boolean
}

export interface ParsedConfig {
  config: FramewireConfig
  /** Problems that do not make the config invalid (missing variables under allowMissingEnv). */
  warnings: ConfigProblem[]
}

/** Parses, interpolates and validates a config text. Throws ConfigError listing every problem. */
export function parseConfig(
  text: string,
  file: string,
  connectorTypes: ConnectorTypes,
  env: NodeJS.ProcessEnv = process.env,
): FramewireConfig {
  return checkConfig(text, file, connectorTypes, env).config
}

/** parseConfig, with the warnings; throws ConfigError listing every problem. */
export function checkConfig(
  text: string,
  file: string,
  connectorTypes: ConnectorTypes,
  env: NodeJS.ProcessEnv = process.env,
  options: ParseOptions = {},
): ParsedConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const at = (offset: number | undefined) => {
    if (offset === undefined) return file
    const { line, col } = lines.linePos(offset)
    return `${file}:${line}:${col}`
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ where: at(e.pos[0]), path: '', message: e.message })))
  }
  const whereIs = (path: (string | number)[], key?: string) => {
    // Point at the offending key itself when there is one, otherwise at the closest node that exists.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true)
      if (!isNode(node)) continue
      if (key !== undefined && depth === path.length && 'items' in node) {
        const pair = (node.items as { key: unknown }[]).find((i) => isNode(i.key) && String(i.key) === key)
        if (pair && isNode(pair.key)) return at(pair.key.range?.[0])
      }
      return at(node.range?.[0])
    }
    return file
  }

  const { value, missing } = interpolateEnv(doc.toJS(), env)
  const unset: ConfigProblem[] = missing.map((m) => ({
    where: whereIs(m.path),
    path: pointer(m.path),
    message: `environment variable ${m.name} is not set and has no default`,
  }))
  const emptied = new Set(unset.map((m) => m.path))
  const problems: ConfigProblem[] = []
  const config = (value ?? {}) as FramewireConfig
  const report = (errors: ErrorObject[] | null | undefined, base: (string | number)[]) => {
    for (const error of errors ?? []) {
      const path = [
        ...base,
        ...error.instancePath
          .split('/')
          .slice(1)
          .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')),
      ]
      const key =
        error.keyword === 'additionalProperties' ? String(error.params.additionalProperty) : undefined
      problems.push({
        where: whereIs(path, key),
        path: pointer(key ? [...path, key] : path),
        message: describe(error),
      })
    }
  }
  if (!validateConfig(config)) report(validateConfig.errors, [])
  else checkConnectorsAndSources(config, connectorTypes, problems, whereIs, report)
  // A value emptied by a missing variable is reported as such, not as whatever else is wrong with it.
  const errors = [...(options.allowMissingEnv ? [] : unset), ...problems.filter((p) => !emptied.has(p.path))]
  if (errors.length > 0) throw new ConfigError(errors)

  config.node_id ??= hostname()
  if (env.KAFKA_BROKERS) config.kafka.brokers = env.KAFKA_BROKERS.split(',').map((b) => b.trim())
  return { config, warnings: options.allowMissingEnv ? unset : [] }
}

function checkConnectorsAndSources(
  config: FramewireConfig,
  connectorTypes: ConnectorTypes,
  problems: ConfigProblem[],
  whereIs: (path: (string | number)[], key?: string) => string,
  report: (errors: ErrorObject[] | null | undefined, base: (string | number)[]) => void,
) {
  const unique = (list: { name: string }[], what: 'sources' | 'connectors') => {
    const seen = new Set<string>()
    list.forEach((item, i) => {
      if (seen.has(item.name)) {
        problems.push({
          where: whereIs([what, i, 'name']),
          path: `/${what}/${i}/name`,
          message: `duplicate name "${item.name}"`,
        })
      }
      seen.add(item.name)
    })
  }
  unique(config.sources, 'sources')
  unique(config.connectors, 'connectors')
  const keys = new Map<string, string>()
  config.sources.forEach((s, i) => {
    const other = keys.get(s.write_key)
    if (other) {
      problems.push({
        where: whereIs(['sources', i, 'write_key']),
        path: `/sources/${i}/write_key`,
        message: `same write key as source "${other}"`,
      })
    }
    keys.set(s.write_key, s.name)
  })
  config.connectors.forEach((c, i) => {
    const definition = connectorTypes[c.type]
    if (!definition) {
      const hint = closest(c.type, Object.keys(connectorTypes))
      problems.push({
        where: whereIs(['connectors', i, 'type']),
        path: `/connectors/${i}/type`,
        message: `unknown connector type "${c.type}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${Object.keys(connectorTypes).join(', ')}`,
      })
      return
    }
    let validate = settingsValidators.get(definition)
    if (!validate) {
      validate = ajv.compile(definition.settingsSchema)
      settingsValidators.set(definition, validate)
    }
    if (!validate(c.settings)) report(validate.errors, ['connectors', i, 'settings'])
  })
  for (const p of checkPipeline(config)) {
    problems.push({ where: whereIs(p.path), path: pointer(p.path), message: p.message })
  }
}

export function loadConfigFile(file: string, connectorTypes: ConnectorTypes): FramewireConfig {
  return parseConfig(readFileSync(file, 'utf8'), file, connectorTypes)
}

export function checkConfigFile(file: string, connectorTypes: ConnectorTypes, options: ParseOptions = {}) {
  return checkConfig(readFileSync(file, 'utf8'), file, connectorTypes, process.env, options)
}
