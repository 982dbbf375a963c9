#!/usr/bin/env node
import { enableCompileCache } from 'node:module'

// Every command loads all connectors and their SDKs; V8's code cache (in the OS temp dir) halves that
// start-up work from the second run on (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir).
enableCompileCache()
// Node 24 strips the TypeScript types itself (tsconfig's erasableSyntaxOnly keeps the sources strippable).
await import('../src/cli/main.ts')
