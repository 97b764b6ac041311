-- The daily mart adds up to the orders it summarises: no order lost or counted twice.
{{ config(meta={'dagster': {'ref': {'name': 'mart_daily_revenue'}}}) }}
with facts as (
    select count(*) as orders_count, sum(total_amount) as revenue
    from {{ ref('fct_orders') }}
    where not is_cancelled
),

mart as (
    select sum(orders_count) as orders_count, sum(revenue) as revenue
    from {{ ref('mart_daily_revenue') }}
)

select facts.orders_count, mart.orders_count as mart_orders_count, facts.revenue, mart.revenue as mart_revenue
from facts
cross join mart
where facts.orders_count <> coalesce(mart.orders_count, 0)
    or abs(coalesce(facts.revenue, 0) - coalesce(mart.revenue, 0)) > 0.01
