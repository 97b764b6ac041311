-- Lifetime value and daily revenue are two cuts of the same orders: their revenue must agree.
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_lifetime_value'}}}) }}
with clv as (
    select sum(lifetime_revenue) as revenue, sum(orders_count) as orders_count
    from {{ ref('mart_customer_lifetime_value') }}
),

daily as (
    select sum(revenue) as revenue, sum(orders_count) as orders_count
    from {{ ref('mart_daily_revenue') }}
)

select clv.revenue, daily.revenue as daily_revenue, clv.orders_count, daily.orders_count as daily_orders
from clv
cross join daily
where abs(coalesce(clv.revenue, 0) - coalesce(daily.revenue, 0)) > 0.01
    or coalesce(clv.orders_count, 0) <> coalesce(daily.orders_count, 0)
