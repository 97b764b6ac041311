-- One row per order: who, when, status, totals, how many items and how much was paid.
with orders as (
    select * from {{ ref('stg_orders') }}
),

lines as (
    select
        order_id,
        count(*) as items_count,
        sum(quantity) as units_count,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as lines_total
    from {{ ref('int_order_lines_enriched') }}
    group by order_id
),

payments as (
    select * from {{ ref('int_order_payments') }}
)

select
    orders.order_id,
    orders.customer_id,
    orders.order_status,
    case when orders.order_status = 'cancelled' then true else false end as is_cancelled,
    orders.order_ts,
    cast({{ dbt.date_trunc('day', 'orders.order_ts') }} as date) as order_date,
    orders.currency_code,
    orders.shipping_country_code,
    orders.total_amount,
    cast(coalesce(lines.lines_total, 0) as decimal(18, 2)) as lines_total,
    cast(coalesce(lines.discount_amount, 0) as decimal(18, 2)) as discount_amount,
    cast(coalesce(lines.items_count, 0) as bigint) as items_count,
    cast(coalesce(lines.units_count, 0) as bigint) as units_count,
    cast(coalesce(payments.paid_amount, 0) as decimal(18, 2)) as paid_amount,
    cast(coalesce(payments.refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
    payments.last_paid_at,
    orders.updated_at
from orders
left join lines
    on orders.order_id = lines.order_id
left join payments
    on orders.order_id = payments.order_id
