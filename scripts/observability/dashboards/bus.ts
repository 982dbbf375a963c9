import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { dashboard, timeseriesPanel } from './panels.ts'
import { quantiles, RATE, rate } from './queries.ts'

export function busDashboard() {
  return dashboard(
    'framewire-bus',
    'Framewire / Bus detail',
    'The event log between ingest and connectors: the embedded bus or Kafka.',
  )
    .withRow(new RowBuilder('Produce (either bus)'))
    .withPanel(
      timeseriesPanel(
        'Produce latency',
        's',
        quantiles('framewire_ingest_produce_latency_seconds', 'outcome'),
        {
          description:
            'One shared produce request until every record is durably acknowledged (Kafka acks=all, or the embedded fsync).',
        },
      ),
    )
    .withPanel(
      timeseriesPanel('Records per produce request', 'short', [
        {
          expr: `sum(rate(framewire_ingest_produce_batch_records_sum${RATE})) / sum(rate(framewire_ingest_produce_batch_records_count${RATE}))`,
          legend: 'mean',
        },
        {
          expr: rate('framewire_ingest_produce_batch_records_count', 'instance'),
          legend: '{{instance}} requests/s',
        },
      ]),
    )
    .withRow(new RowBuilder('Embedded bus'))
    .withPanel(
      timeseriesPanel('Write transaction time', 's', quantiles('framewire_bus_write_seconds', 'instance'), {
        description: 'One group-commit transaction, fsync included.',
      }),
    )
    .withPanel(
      timeseriesPanel('Records per write', 'short', [
        {
          expr: `sum(rate(framewire_bus_records_per_write_sum${RATE})) / sum(rate(framewire_bus_records_per_write_count${RATE}))`,
          legend: 'mean',
        },
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Records removed by retention',
        'short',
        [
          {
            expr: `sum by (cause) (increase(framewire_bus_expired_records_total${RATE}))`,
            legend: '{{cause}}',
          },
        ],
        {
          description:
            'Deleted for age or size, delivered or not: a non-zero line while lag is high means lost events.',
        },
      ),
    )
    .withRow(new RowBuilder('Consume (either bus)'))
    .withPanel(
      timeseriesPanel('Consumer lag by connector', 'short', [
        { expr: 'max by (connector) (framewire_connector_consumer_lag_records)', legend: '{{connector}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel('Oldest pending record by connector', 's', [
        { expr: 'max by (connector) (framewire_connector_consumer_lag_seconds)', legend: '{{connector}}' },
      ]),
    )
}
