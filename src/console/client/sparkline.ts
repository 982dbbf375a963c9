/// <reference lib="dom" />

const SVG = 'http://www.w3.org/2000/svg'

export interface Series {
  values: (number | null)[]
  className: string
}

/**
 * A small line chart of a few series on one scale from zero: enough to see a trend, no axes. Gaps
 * (null) break a line rather than drawing it down to zero.
 */
export function sparkline(series: Series[], slots: number, width = 240, height = 44): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
  svg.setAttribute('class', 'sparkline')
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)))
  const x = (i: number, count: number) => width - (count - 1 - i) * (width / Math.max(1, slots - 1))
  const y = (v: number) => height - 2 - (v / max) * (height - 4)
  for (const { values, className } of series) {
    let d = ''
    values.forEach((v, i) => {
      if (v === null) return
      d += `${i > 0 && values[i - 1] !== null ? 'L' : 'M'}${x(i, values.length).toFixed(1)},${y(v).toFixed(1)}`
    })
    const path = document.createElementNS(SVG, 'path')
    path.setAttribute('d', d)
    path.setAttribute('class', className)
    svg.append(path)
  }
  return svg
}
