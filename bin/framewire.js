#!/usr/bin/env node
// Node 24 strips the TypeScript types itself (tsconfig's erasableSyntaxOnly keeps the sources strippable).
await import('../src/cli/main.ts')
