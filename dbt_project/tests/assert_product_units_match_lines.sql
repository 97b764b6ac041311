-- Product performance adds up to the order lines it summarises (orders not cancelled).
{{ config(meta={'dagster': {'ref': {'name': 'mart_product_performance'}}}) }}
with perf as (
    select sum(units_sold) as units, sum(net_revenue) as revenue
    from {{ ref('mart_product_performance') }}
),

lines as (
    select sum(quantity) as units, sum(net_amount) as revenue
    from {{ ref('fct_order_items') }}
    where not is_cancelled
)

select perf.units, lines.units as line_units, perf.revenue, lines.revenue as line_revenue
from perf
cross join lines
where coalesce(perf.units, 0) <> coalesce(lines.units, 0)
    or abs(coalesce(perf.revenue, 0) - coalesce(lines.revenue, 0)) > 0.01
