/**
 * The base URL (`http://host:port`) at which a client on this machine reaches a server listening on
 * `address` (host:port): a wildcard listen address is reached through the loopback.
 */
export function localUrl(address: string): string {
  const colon = address.lastIndexOf(':')
  const host = address.slice(0, colon)
  const port = address.slice(colon + 1)
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://127.0.0.1:${port}`
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`
}
