-- One row per customer: current attributes, how often their address changed (from the SCD2
-- snapshot) and their ordering history (cancelled orders excluded from revenue).
with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

versions as (
    select customer_id, count(*) as versions_count
    from {{ ref('snap_customers') }}
    group by customer_id
),

orders as (
    select
        customer_id,
        count(*) as orders_count,
        min(order_ts) as first_order_ts,
        max(order_ts) as last_order_ts,
        sum(case when is_cancelled then 0 else total_amount end) as lifetime_revenue
    from {{ ref('fct_orders') }}
    group by customer_id
)

select
    customers.customer_id,
    customers.email_hmac,
    customers.city,
    customers.country_code,
    customers.is_marketing_opt_in,
    customers.created_at,
    customers.updated_at,
    cast(coalesce(versions.versions_count, 1) as bigint) as versions_count,
    cast(coalesce(orders.orders_count, 0) as bigint) as orders_count,
    orders.first_order_ts,
    orders.last_order_ts,
    cast(coalesce(orders.lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue
from customers
left join versions
    on customers.customer_id = versions.customer_id
left join orders
    on customers.customer_id = orders.customer_id
