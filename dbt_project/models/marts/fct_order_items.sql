-- One row per order line, with its order's date, customer, status and currency, and the line
-- amounts (net = quantity * unit_price - discount). Incremental like fct_orders: the lines of
-- the orders in scope are re-derived; clustered by order date.
-- the scope macro reads all three staging tables (a ref inside is_incremental() is not seen at parse):
-- depends_on: {{ ref('stg_orders') }}, {{ ref('stg_order_items') }}, {{ ref('stg_payments') }}
{{ config(
    unique_key='order_item_id',
    post_hook=[
        "{{ delete_vanished_rows('order_item_id', ref('stg_order_items')) }}",
        "{{ delete_vanished_rows('order_id', ref('stg_orders')) }}",
    ],
) }}

with orders as (
    {{ scoped_orders() }}
),

lines as (
    select * from {{ ref('int_order_lines_enriched') }}
    where order_id in (select order_id from orders)
)

select
    lines.order_item_id,
    lines.order_id,
    orders.customer_id,
    lines.product_id,
    cast(orders.order_ts as date) as order_date,
    orders.order_status,
    orders.order_status = 'cancelled' as is_cancelled,
    orders.currency_code,
    cast(lines.quantity as integer) as quantity,
    cast(lines.unit_price as decimal(12, 2)) as unit_price,
    cast(lines.gross_amount as decimal(18, 2)) as gross_amount,
    cast(lines.discount_amount as decimal(18, 2)) as discount_amount,
    cast(lines.net_amount as decimal(18, 2)) as net_amount,
    cast(greatest(lines._load_id, orders._load_id) as bigint) as _load_id
from lines
inner join orders
    on lines.order_id = orders.order_id
