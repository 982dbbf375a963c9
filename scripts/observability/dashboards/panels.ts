import * as common from '@grafana/grafana-foundation-sdk/common'
import {
  DashboardBuilder as Dashboard,
  type DashboardBuilder,
  type DataSourceRef,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard'
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap'
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus'
import * as stat from '@grafana/grafana-foundation-sdk/stat'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'

/** Building blocks shared by the dashboards: every query goes to the dashboard's Prometheus variable. */

export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' }

export interface Query {
  expr: string
  legend?: string
}

/** A dashboard on the `datasource` variable, so it imports into any Grafana with any Prometheus. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new Dashboard(title)
    .uid(uid)
    .description(description)
    .tags(['framewire'])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
}

/** A variable over the values of `label` on `metric`, all selected by default. */
export function labelVariable(name: string, label: string, metric: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(`label_values(${metric}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' })
}

function target(q: Query, i: number, format?: PromQueryFormat): DataqueryBuilder {
  const t = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(q.expr)
    .legendFormat(q.legend ?? '__auto')
    .refId(String.fromCharCode(65 + i))
  return format ? t.format(format) : t
}

export interface TimeseriesOptions {
  description?: string
  max?: number
  /** A dashed line at this value, e.g. the SLO target. */
  line?: { value: number; color: string }
  width?: number
  stacked?: boolean
}

export function timeseriesPanel(title: string, unit: string, queries: Query[], o: TimeseriesOptions = {}) {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .gridPos({ x: 0, y: 0, w: o.width ?? 12, h: 8 })
    .lineWidth(1)
    .fillOpacity(o.stacked ? 30 : 10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
  if (o.description) panel.description(o.description)
  if (o.max !== undefined) panel.max(o.max)
  if (o.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
  if (o.line) {
    panel
      .thresholds(
        new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: 'transparent' },
          { value: o.line.value, color: o.line.color },
        ]),
      )
      .thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
      )
  }
  for (const [i, q] of queries.entries()) panel.withTarget(target(q, i))
  return panel
}

export interface StatOptions {
  description?: string
  /** Colour steps: [value, colour] from the lowest; the first value is the base. */
  steps?: [number | null, string][]
  width?: number
}

export function statPanel(title: string, unit: string, queries: Query[], o: StatOptions = {}) {
  const panel = new stat.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .gridPos({ x: 0, y: 0, w: o.width ?? 6, h: 5 })
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(
      new ThresholdsConfigBuilder()
        .mode(ThresholdsMode.Absolute)
        .steps((o.steps ?? [[null, 'green']]).map(([value, color]) => ({ value, color }))),
    )
  if (o.description) panel.description(o.description)
  for (const [i, q] of queries.entries()) panel.withTarget(target(q, i))
  return panel
}

/** A heatmap of a histogram's buckets (the query returns rates per `le`). */
export function heatmapPanel(title: string, unit: string, query: Query, description?: string) {
  const panel = new heatmap.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .gridPos({ x: 0, y: 0, w: 12, h: 8 })
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit(unit))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64),
    )
    .cellValues(new heatmap.CellValuesBuilder().unit('short'))
    .withTarget(target({ ...query, legend: query.legend ?? '{{le}}' }, 0, PromQueryFormat.Heatmap))
  if (description) panel.description(description)
  return panel
}
