/** Progress goes to stderr; the figures go to the results file. */
export const log = (line: string) => process.stderr.write(`${line}\n`)
