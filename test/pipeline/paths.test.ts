import { describe, expect, it } from 'vitest'
import { compileGetter, deletePath, getPath, parsePath, setPath } from '../../src/pipeline/paths.ts'

describe('field paths', () => {
  it('parses dotted paths and rejects malformed ones and prototype keys', () => {
    expect(parsePath('content.stream_type')).toEqual(['content', 'stream_type'])
    expect(parsePath('data.share-target')).toEqual(['data', 'share-target'])
    expect(parsePath('')).toBe('empty field path')
    expect(parsePath('content..id')).toMatch(/empty segment/)
    expect(parsePath('content.$id')).toMatch(/may only hold/)
    expect(parsePath('custom.__proto__')).toMatch(/not allowed/)
    expect(parsePath('constructor')).toMatch(/not allowed/)
  })

  it('reads own properties only, at any depth, with the compiled getter agreeing', () => {
    const event = { user: { consent: { analytics: true } }, content: { id: 'ep-1' }, n: null }
    for (const path of [['user', 'consent', 'analytics'], ['content', 'id'], ['n'], ['a', 'b', 'c', 'd']]) {
      expect(compileGetter(path)(event)).toBe(getPath(event, path))
    }
    expect(getPath(event, ['user', 'consent', 'analytics'])).toBe(true)
    expect(getPath(event, ['content', 'id', 'length'])).toBeUndefined()
    expect(getPath(event, ['toString'])).toBeUndefined()
    expect(compileGetter(['content', 'constructor'])(event)).toBeUndefined()
  })

  it('sets without mutating the input, copying only the objects on the path', () => {
    const event = { user: { id: 'u1', consent: { analytics: true } }, content: { id: 'ep-1' } }
    const before = structuredClone(event)
    const out = setPath(event, ['user', 'id'], 'hashed')
    expect(out).toEqual({ ...before, user: { ...before.user, id: 'hashed' } })
    expect(event).toEqual(before)
    expect(out.content).toBe(event.content)
    expect(out.user.consent).toBe(event.user.consent)
    expect(setPath(event, ['custom', 'env'], 'prod')).toMatchObject({ custom: { env: 'prod' } })
    // A scalar on the way is replaced by an object.
    expect(setPath({ a: 1 }, ['a', 'b'], 2)).toEqual({ a: { b: 2 } })
  })

  it('deletes without mutating, and returns the input itself when there is nothing to delete', () => {
    const event = { page: { url: 'u', referrer: 'r' }, client_ip: '1.2.3.4' }
    const out = deletePath(event, ['page', 'referrer'])
    expect(out).toEqual({ page: { url: 'u' }, client_ip: '1.2.3.4' })
    expect(event.page.referrer).toBe('r')
    expect(deletePath(event, ['page', 'title'])).toBe(event)
    expect(deletePath(event, ['client_ip', 'x'])).toBe(event)
    expect(deletePath(event, ['client_ip'])).toEqual({ page: event.page })
  })
})
