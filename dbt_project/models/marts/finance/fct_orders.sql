-- One row per order: who, when, status, totals, how many items and how much was paid.
-- Incremental: a run re-derives the orders in scope (macros/incremental_scope.sql): those in
-- the partition window and those changed since the last run; clustered by order date.
{{ config(
    unique_key='order_id',
    post_hook=["{{ delete_vanished_rows('order_id', ref('stg_shop__orders')) }}"],
) }}

{{ with_scoped_orders({
    'order_lines': ref('int_order_lines_enriched'),
    'payments': ref('int_payments_aggregated_to_orders'),
}) }},

lines as (
    select
        order_id,
        count(*) as items_count,
        sum(quantity) as units_count,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as lines_total,
        max(_load_id) as _load_id
    from order_lines
    group by order_id
)

select
    orders.order_id,
    orders.customer_id,
    orders.order_status,
    orders.order_status = 'cancelled' as is_cancelled,
    orders.order_ts,
    cast(orders.order_ts as date) as order_date,
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
    orders.updated_at,
    cast(greatest(orders._load_id, coalesce(lines._load_id, 0), coalesce(payments._load_id, 0))
        as bigint) as _load_id
from orders
left join lines
    on orders.order_id = lines.order_id
left join payments
    on orders.order_id = payments.order_id
